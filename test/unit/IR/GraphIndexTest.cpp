//===- GraphIndexTest.cpp - Producer/consumer maps ------------------------===//
#include "h8/IR/GraphIndex.h"

#include <string>
#include <vector>

#include "TestUtil.h"
#include "gtest/gtest.h"

namespace h8 {
namespace {

TEST(GraphIndexTest, ProducersConsumersAndUses) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y, float[2] t)
{
  t = Relu (x)
  u = Add (t, t)
  y = Mul (u, t)
}
)");
  GraphIndex index(model.graph());
  EXPECT_EQ(index.ProducerIndex("t"), 0);
  EXPECT_EQ(index.ProducerIndex("y"), 2);
  ASSERT_NE(index.Producer("u"), nullptr);
  EXPECT_EQ(index.Producer("u")->op_type(), "Add");
  EXPECT_EQ(index.ProducerIndex("x"), -1);
  EXPECT_EQ(index.Producer("nope"), nullptr);

  EXPECT_EQ(index.Consumers("t"), (std::vector<int>{1, 2}));
  EXPECT_EQ(index.Consumers("x"), (std::vector<int>{0}));
  EXPECT_TRUE(index.Consumers("y").empty());
  EXPECT_TRUE(index.Consumers("nope").empty());

  // t: twice by Add, once by Mul, once as a graph output.
  EXPECT_EQ(index.NumUses("t"), 4);
  EXPECT_EQ(index.NumUses("u"), 1);
  EXPECT_EQ(index.NumUses("y"), 1);
  EXPECT_EQ(index.NumUses("x"), 1);
  EXPECT_EQ(index.NumUses("nope"), 0);
  EXPECT_TRUE(index.IsGraphOutput("t"));
  EXPECT_FALSE(index.IsGraphOutput("u"));
  EXPECT_TRUE(index.IsGraphInput("x"));
  EXPECT_FALSE(index.IsGraphInput("t"));
}

TEST(GraphIndexTest, DenseIdsAnswerLikeNames) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y, float[2] t)
{
  t = Relu (x)
  u = Add (t, t)
  y = Mul (u, t)
}
)");
  GraphIndex index(model.graph());
  EXPECT_EQ(index.Id("nope"), -1);
  EXPECT_EQ(index.num_values(), 4);
  std::vector<bool> seen(index.num_values());
  for (const char* name : {"x", "t", "u", "y"}) {
    SCOPED_TRACE(name);
    const int id = index.Id(name);
    ASSERT_GE(id, 0);
    ASSERT_LT(id, index.num_values());
    EXPECT_FALSE(seen[id]) << "two names share an id";
    seen[id] = true;
    EXPECT_EQ(index.ProducerIndexById(id), index.ProducerIndex(name));
    EXPECT_EQ(index.ConsumersById(id), index.Consumers(name));
    EXPECT_EQ(index.IsGraphOutputById(id), index.IsGraphOutput(name));
  }
  EXPECT_EQ(index.ProducerIndexById(index.Id("u")), 1);
  EXPECT_EQ(index.ConsumersById(index.Id("t")), (std::vector<int>{1, 2}));
  EXPECT_TRUE(index.IsGraphOutputById(index.Id("t")));
  EXPECT_FALSE(index.IsGraphOutputById(index.Id("u")));
}

TEST(GraphIndexTest, SubgraphReadsCountAsUsesByTheOwningNode) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] y)
{
  t = Relu (x)
  s = Neg (x)
  y = If (c) <then_branch = th () => (float[2] z) { i = Abs (t)
 z = Add (i, i) }, else_branch = el () => (float[2] s) { }>
}
)");
  GraphIndex index(model.graph());
  EXPECT_EQ(index.Consumers("t"), (std::vector<int>{2}));
  EXPECT_EQ(index.NumUses("t"), 1);
  // Passing an outer value through as a subgraph output reads it.
  EXPECT_EQ(index.Consumers("s"), (std::vector<int>{2}));
  EXPECT_EQ(index.NumUses("s"), 1);
  EXPECT_EQ(index.Consumers("c"), (std::vector<int>{2}));
  // Values local to the subgraph are not outer uses.
  EXPECT_TRUE(index.Consumers("i").empty());
  EXPECT_EQ(index.NumUses("i"), 0);
  EXPECT_EQ(index.ProducerIndex("i"), -1);

  absl::flat_hash_set<std::string> outer;
  for (const auto& attr : model.graph().node(2).attribute())
    GraphIndex::CollectOuterReferences(attr.g(), outer);
  EXPECT_EQ(outer, (absl::flat_hash_set<std::string>{"t", "s"}));
}

TEST(GraphIndexTest, NestedSubgraphReadsReachTheOuterGraph) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] y)
{
  t = Relu (x)
  y = If (c) <then_branch = th () => (float[2] z) {
    z = If (c) <then_branch = th2 () => (float[2] z2) { z2 = Abs (t) }, else_branch = el2 () => (float[2] z3) { z3 = Neg (x) }>
  }, else_branch = el () => (float[2] x) { }>
}
)");
  GraphIndex index(model.graph());
  EXPECT_EQ(index.Consumers("t"), (std::vector<int>{1}));
  EXPECT_EQ(index.Consumers("x"), (std::vector<int>{0, 1}));
}

TEST(GraphIndexTest, ShapesFromValueInfoInputsAndInitializers) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,3] x, float[N,3] d) => (float[1,3] y)
  <float[3,2,2] w = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, float[2,N] t, float[1,3] u>
{
  t = Relu (d)
  u = Relu (x)
  y = Relu (u)
}
)");
  GraphIndex index(model.graph());
  EXPECT_EQ(index.Rank("x"), 2);
  EXPECT_EQ(index.StaticShape("x"), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(index.Rank("d"), 2);
  EXPECT_EQ(index.StaticShape("d"), std::nullopt);
  EXPECT_EQ(index.Rank("t"), 2);
  EXPECT_EQ(index.StaticShape("t"), std::nullopt);
  EXPECT_EQ(index.StaticShape("u"), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(index.StaticShape("y"), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(index.Rank("w"), 3);
  EXPECT_EQ(index.StaticShape("w"), (std::vector<int64_t>{3, 2, 2}));
  ASSERT_NE(index.Type("w"), nullptr);
  EXPECT_EQ(index.Type("w")->tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(index.Rank("nope"), std::nullopt);
  EXPECT_EQ(index.StaticShape("nope"), std::nullopt);
  EXPECT_EQ(index.Type("nope"), nullptr);
}

TEST(GraphIndexTest, UnrankedTypeHasNoRank) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y) { y = Relu (x) }
)");
  model.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  GraphIndex index(model.graph());
  ASSERT_NE(index.Type("x"), nullptr);
  EXPECT_EQ(index.Rank("x"), std::nullopt);
  EXPECT_EQ(index.StaticShape("x"), std::nullopt);
}

TEST(GraphIndexTest, RuntimeInputsExcludeInitializers) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x, float[2] w) => (float[2] y)
  <float[2] k = {1, 2}>
{
  y = Sum (x, w, k)
}
)");
  // An old-style (IR < 4) model lists its weight `w` as an input too.
  onnx::TensorProto* w = model.mutable_graph()->add_initializer();
  *w = model.graph().initializer(0);
  w->set_name("w");
  GraphIndex index(model.graph());
  EXPECT_TRUE(index.IsRuntimeInput("x"));
  EXPECT_FALSE(index.IsRuntimeInput("w"));
  EXPECT_TRUE(index.IsGraphInput("w"));
  EXPECT_FALSE(index.IsRuntimeInput("k"));
  EXPECT_FALSE(index.IsRuntimeInput("y"));
  EXPECT_EQ(index.InitializerIndex("k"), 0);
  EXPECT_EQ(index.InitializerIndex("w"), 1);
  EXPECT_EQ(index.InitializerIndex("x"), -1);
  ASSERT_NE(index.Initializer("w"), nullptr);
  EXPECT_EQ(index.Initializer("w")->name(), "w");
  EXPECT_EQ(index.Initializer("x"), nullptr);
}

TEST(GraphIndexTest, NodeRefFallsBackToOutputThenIndex) {
  onnx::NodeProto node;
  node.set_op_type("Split");
  EXPECT_EQ(NodeRef(node, 7), "#7");
  node.add_output("");
  node.add_output("second");
  EXPECT_EQ(NodeRef(node, 7), "second");
  node.set_name("split_0");
  EXPECT_EQ(NodeRef(node, 7), "split_0");
}

TEST(GraphIndexTest, OnnxOpsetVersionFindsDefaultDomain) {
  onnx::ModelProto model;
  EXPECT_EQ(OnnxOpsetVersion(model), 0);
  auto* ms = model.add_opset_import();
  ms->set_domain("com.microsoft");
  ms->set_version(1);
  EXPECT_EQ(OnnxOpsetVersion(model), 0);
  auto* onnx = model.add_opset_import();
  onnx->set_domain("ai.onnx");
  onnx->set_version(11);
  EXPECT_EQ(OnnxOpsetVersion(model), 11);
  onnx->set_domain("");
  onnx->set_version(17);
  EXPECT_EQ(OnnxOpsetVersion(model), 17);
}

TEST(GraphIndexTest, IsOnnxDomain) {
  onnx::NodeProto node;
  EXPECT_TRUE(IsOnnxDomain(node));
  node.set_domain("ai.onnx");
  EXPECT_TRUE(IsOnnxDomain(node));
  node.set_domain("com.microsoft");
  EXPECT_FALSE(IsOnnxDomain(node));
}

}  // namespace
}  // namespace h8
