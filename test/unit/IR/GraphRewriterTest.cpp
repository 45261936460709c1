//===- GraphRewriterTest.cpp - Queued edits and linear commit -------------===//
#include "h8/IR/GraphRewriter.h"

#include <algorithm>
#include <string>
#include <vector>

#include "TestUtil.h"
#include "gtest/gtest.h"
#include "h8/IR/Verifier.h"

namespace h8 {
namespace {

onnx::NodeProto MakeNode(const std::string& op, std::vector<std::string> inputs,
                         const std::string& output) {
  onnx::NodeProto node;
  node.set_op_type(op);
  for (auto& in : inputs) node.add_input(in);
  node.add_output(output);
  return node;
}

std::vector<std::string> FirstOutputs(const onnx::GraphProto& graph) {
  std::vector<std::string> out;
  for (const auto& node : graph.node()) out.push_back(node.output(0));
  return out;
}

std::vector<std::string> Inputs(const onnx::NodeProto& node) {
  return {node.input().begin(), node.input().end()};
}

// Appends a value_info entry describing `name` as a float tensor of `dims`.
onnx::ValueInfoProto* AddFloatInfo(onnx::ModelProto& model, const std::string& name,
                                   const std::vector<int64_t>& dims) {
  onnx::ValueInfoProto* vi = model.mutable_graph()->add_value_info();
  vi->set_name(name);
  auto* t = vi->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
  return vi;
}

constexpr char kChain[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
{
  a = Relu (x)
  b = Relu (a)
  c = Relu (b)
  y = Relu (c)
}
)";

TEST(GraphRewriterTest, NothingQueuedMeansNoChange) {
  onnx::ModelProto model = ParseModelOrDie(kChain);
  std::string before = model.SerializeAsString();
  GraphRewriter rewriter(*model.mutable_graph());
  EXPECT_FALSE(rewriter.HasChanges());
  EXPECT_TRUE(rewriter.ReplaceAllUsesWith("a", "a").ok());
  EXPECT_FALSE(rewriter.HasChanges());
  rewriter.Commit();
  EXPECT_EQ(model.SerializeAsString(), before);
}

TEST(GraphRewriterTest, EditsAreQueuedUntilCommit) {
  onnx::ModelProto model = ParseModelOrDie(kChain);
  GraphRewriter rewriter(*model.mutable_graph());
  rewriter.Erase(1);
  rewriter.InsertBefore(0, MakeNode("Neg", {"x"}, "n"));
  EXPECT_TRUE(rewriter.HasChanges());
  EXPECT_EQ(rewriter.num_erased(), 1);
  EXPECT_EQ(model.graph().node_size(), 4);
  rewriter.Commit();
  EXPECT_EQ(model.graph().node_size(), 4);
  EXPECT_FALSE(rewriter.HasChanges());
  EXPECT_EQ(rewriter.num_erased(), 0);
}

TEST(GraphRewriterTest, EraseAndInsertKeepOrder) {
  onnx::ModelProto model = ParseModelOrDie(kChain);
  GraphRewriter rewriter(*model.mutable_graph());
  rewriter.InsertBefore(2, MakeNode("Neg", {"a"}, "p"));
  rewriter.InsertBefore(2, MakeNode("Neg", {"p"}, "q"));
  rewriter.Erase(1);
  rewriter.InsertBefore(0, MakeNode("Abs", {"x"}, "first"));
  rewriter.InsertBefore(model.graph().node_size(), MakeNode("Abs", {"y"}, "tail1"));
  rewriter.InsertBefore(model.graph().node_size(), MakeNode("Abs", {"tail1"}, "tail2"));
  rewriter.Erase(1);  // erasing twice is the same as once
  EXPECT_EQ(rewriter.num_erased(), 1);
  rewriter.Commit();
  EXPECT_EQ(FirstOutputs(model.graph()),
            (std::vector<std::string>{"first", "a", "p", "q", "c", "y", "tail1", "tail2"}));
}

TEST(GraphRewriterTest, InsertBeforeAnErasedAnchorStillInserts) {
  onnx::ModelProto model = ParseModelOrDie(kChain);
  GraphRewriter rewriter(*model.mutable_graph());
  rewriter.InsertBefore(1, MakeNode("Neg", {"a"}, "b"));
  rewriter.Erase(1);
  rewriter.Commit();
  EXPECT_EQ(FirstOutputs(model.graph()), (std::vector<std::string>{"a", "b", "c", "y"}));
  EXPECT_EQ(model.graph().node(1).op_type(), "Neg");
  EXPECT_TRUE(VerifyModelStructure(model).ok()) << VerifyModelStructure(model);
}

TEST(GraphRewriterTest, ReplaceAllUsesWithRenamesEveryUse) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
{
  a = Relu (x)
  b = Neg (x)
  y = Add (a, a)
}
)");
  GraphRewriter rewriter(*model.mutable_graph());
  ASSERT_TRUE(rewriter.ReplaceAllUsesWith("a", "b").ok());
  rewriter.Erase(0);
  rewriter.Commit();
  ASSERT_EQ(model.graph().node_size(), 2);
  EXPECT_EQ(Inputs(model.graph().node(1)), (std::vector<std::string>{"b", "b"}));
  EXPECT_TRUE(VerifyModelStructure(model).ok()) << VerifyModelStructure(model);
}

TEST(GraphRewriterTest, ReplaceAllUsesWithReachesIntoSubgraphs) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] y)
{
  t = Relu (x)
  u = Neg (x)
  y = If (c) <then_branch = th () => (float[2] z) { z = Abs (t) }, else_branch = el () => (float[2] t) { }>
}
)");
  GraphRewriter rewriter(*model.mutable_graph());
  ASSERT_TRUE(rewriter.ReplaceAllUsesWith("t", "u").ok());
  rewriter.Erase(0);
  rewriter.Commit();
  ASSERT_EQ(model.graph().node_size(), 2);
  const onnx::NodeProto& if_node = model.graph().node(1);
  ASSERT_EQ(if_node.attribute_size(), 2);
  const onnx::GraphProto* then_g = nullptr;
  const onnx::GraphProto* else_g = nullptr;
  for (const auto& attr : if_node.attribute())
    (attr.name() == "then_branch" ? then_g : else_g) = &attr.g();
  ASSERT_NE(then_g, nullptr);
  ASSERT_NE(else_g, nullptr);
  EXPECT_EQ(Inputs(then_g->node(0)), (std::vector<std::string>{"u"}));
  // A subgraph output that passes the outer value through is a use too.
  EXPECT_EQ(else_g->output(0).name(), "u");
  EXPECT_TRUE(VerifyModelStructure(model).ok()) << VerifyModelStructure(model);
}

TEST(GraphRewriterTest, SetInputPastTheLastInputAddsEmptyInputs) {
  onnx::ModelProto model = ParseModelOrDie(kChain);
  GraphRewriter rewriter(*model.mutable_graph());
  rewriter.SetInput(1, 3, "x");
  EXPECT_EQ(Inputs(model.graph().node(1)), (std::vector<std::string>{"a"}));
  GraphIndex index(model.graph());
  rewriter.Commit(&index);
  EXPECT_EQ(Inputs(model.graph().node(1)), (std::vector<std::string>{"a", "", "", "x"}));
  EXPECT_EQ(index.FirstDifference(GraphIndex(model.graph())), "");
  EXPECT_EQ(index.TouchedNodes(), (std::vector<int>{1}));
}

TEST(GraphRewriterTest, ReplaceUsesInRenamesOneReaderAndItsBodies) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] y, float[2] r)
{
  t = Relu (x)
  u = Neg (x)
  r = Add (t, t)
  y = If (c) <then_branch = th () => (float[2] z) { z = Abs (t) }, else_branch = el () => (float[2] t) { }>
}
)");
  GraphIndex index(model.graph());
  GraphRewriter rewriter(*model.mutable_graph());
  rewriter.ReplaceUsesIn(3, "t", "u");
  rewriter.ReplaceUsesIn(2, "t", "t");  // no edit
  rewriter.Commit(&index);
  // The Add still reads t; the If's bodies read u, its pass-through too.
  EXPECT_EQ(Inputs(model.graph().node(2)), (std::vector<std::string>{"t", "t"}));
  const onnx::NodeProto& if_node = model.graph().node(3);
  for (const auto& attr : if_node.attribute()) {
    if (attr.name() == "then_branch") {
      EXPECT_EQ(Inputs(attr.g().node(0)), (std::vector<std::string>{"u"}));
    } else {
      EXPECT_EQ(attr.g().output(0).name(), "u");
    }
  }
  EXPECT_EQ(index.FirstDifference(GraphIndex(model.graph())), "");
  auto consumers = [&](const char* v) {
    const absl::Span<const int> c = index.Consumers(v);
    return std::vector<int>(c.begin(), c.end());
  };
  EXPECT_EQ(consumers("t"), (std::vector<int>{2}));
  EXPECT_EQ(consumers("u"), (std::vector<int>{3}));
  EXPECT_EQ(index.TouchedNodes(), (std::vector<int>{3}));
  EXPECT_TRUE(VerifyModelStructure(model).ok()) << VerifyModelStructure(model);
}

TEST(GraphRewriterTest, AddedValueInfoComesAfterThePruningAndTypesItsValue) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
<float[2] a, float[2] b>
{
  a = Relu (x)
  b = Relu (a)
  y = Relu (b)
}
)");
  GraphIndex index(model.graph());
  GraphRewriter rewriter(*model.mutable_graph());
  ASSERT_TRUE(rewriter.ReplaceAllUsesWith("b", "n").ok());
  rewriter.Erase(1);
  rewriter.InsertBefore(1, MakeNode("Neg", {"a"}, "n"));
  onnx::ValueInfoProto vi;
  vi.set_name("n");
  auto* tt = vi.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_value(2);
  rewriter.AddValueInfo(vi);
  EXPECT_EQ(model.graph().value_info_size(), 2);
  rewriter.Commit(&index);
  // b's entry went with b; n's came after the pruning.
  ASSERT_EQ(model.graph().value_info_size(), 2);
  EXPECT_EQ(model.graph().value_info(0).name(), "a");
  EXPECT_EQ(model.graph().value_info(1).name(), "n");
  EXPECT_EQ(index.Type("n"), &model.graph().value_info(1).type());
  EXPECT_EQ(index.StaticShape("n"), (std::vector<int64_t>{2}));
  EXPECT_EQ(index.FirstDifference(GraphIndex(model.graph())), "");
}

TEST(GraphRewriterTest, RefusesToRenameAGraphOutput) {
  onnx::ModelProto model = ParseModelOrDie(kChain);
  GraphRewriter rewriter(*model.mutable_graph());
  absl::Status s = rewriter.ReplaceAllUsesWith("y", "c");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("'y'"), absl::string_view::npos) << s;
  EXPECT_FALSE(rewriter.HasChanges());
}

TEST(GraphRewriterTest, RenameChainsResolveInEitherOrder) {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
{
  a = Relu (x)
  b = Neg (x)
  c = Abs (x)
  y = Sum (a, b, c)
}
)";
  for (bool forward : {true, false}) {
    onnx::ModelProto model = ParseModelOrDie(text);
    GraphRewriter rewriter(*model.mutable_graph());
    if (forward) {
      ASSERT_TRUE(rewriter.ReplaceAllUsesWith("a", "b").ok());
      ASSERT_TRUE(rewriter.ReplaceAllUsesWith("b", "c").ok());
    } else {
      ASSERT_TRUE(rewriter.ReplaceAllUsesWith("b", "c").ok());
      ASSERT_TRUE(rewriter.ReplaceAllUsesWith("a", "b").ok());
    }
    // An inserted node reading a renamed value is renamed too.
    rewriter.InsertBefore(3, MakeNode("Neg", {"a"}, "extra"));
    rewriter.Commit();
    ASSERT_EQ(model.graph().node_size(), 5);
    EXPECT_EQ(Inputs(model.graph().node(3)), (std::vector<std::string>{"c"})) << forward;
    EXPECT_EQ(Inputs(model.graph().node(4)), (std::vector<std::string>{"c", "c", "c"})) << forward;
  }
}

TEST(GraphRewriterTest, EraseAndAddInitializers) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
  <float[2] w0 = {1, 2}, float[2] w1 = {3, 4}, float[2] w2 = {5, 6}>
{
  y = Sum (x, w0, w2)
}
)");
  GraphRewriter rewriter(*model.mutable_graph());
  onnx::TensorProto w3 = model.graph().initializer(0);
  w3.set_name("w3");
  rewriter.EraseInitializer(1);
  rewriter.AddInitializer(w3);
  EXPECT_TRUE(rewriter.HasChanges());
  rewriter.Commit();
  std::vector<std::string> names;
  for (const auto& t : model.graph().initializer()) names.push_back(t.name());
  EXPECT_EQ(names, (std::vector<std::string>{"w0", "w2", "w3"}));
  EXPECT_EQ(model.graph().initializer(2).raw_data(), model.graph().initializer(0).raw_data());
}

TEST(GraphRewriterTest, DropsValueInfoOfErasedValues) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
  <float[2] a, float[2] b, float[2] c>
{
  a = Relu (x)
  b = Relu (a)
  c = Relu (b)
  y = Relu (c)
}
)");
  ASSERT_EQ(model.graph().value_info_size(), 3);
  GraphRewriter rewriter(*model.mutable_graph());
  ASSERT_TRUE(rewriter.ReplaceAllUsesWith("b", "a").ok());
  rewriter.Erase(1);
  rewriter.Commit();
  std::vector<std::string> names;
  for (const auto& vi : model.graph().value_info()) names.push_back(vi.name());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(VerifyModelStructure(model).ok()) << VerifyModelStructure(model);
}

// The weight `w` (initializer 0) becomes [1, 2] in place, as lift-conv1d
// does, and node 0 (`a = Add (x, w)`) goes, its readers reading `x`.
void ReshapeWeightAndEraseAdd(onnx::ModelProto& model) {
  model.mutable_graph()->mutable_initializer(0)->clear_dims();
  model.mutable_graph()->mutable_initializer(0)->add_dims(1);
  model.mutable_graph()->mutable_initializer(0)->add_dims(2);
  GraphRewriter rewriter(*model.mutable_graph());
  ASSERT_TRUE(rewriter.ReplaceAllUsesWith("a", "x").ok());
  rewriter.Erase(0);
  rewriter.Commit();
}

void ExpectDims12(const onnx::TensorShapeProto& shape) {
  ASSERT_EQ(shape.dim_size(), 2);
  EXPECT_EQ(shape.dim(0).dim_value(), 1);
  EXPECT_EQ(shape.dim(1).dim_value(), 2);
}

// Exporters describe graph inputs and initializers in value_info too, with
// metadata_props: those entries stay, an initializer's taking the dims the
// tensor has now (a pass may reshape it in place).
TEST(GraphRewriterTest, KeepsValueInfoOfInputsAndInitializers) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
  <float[2] w = {1, 2}>
{
  a = Add (x, w)
  y = Relu (a)
}
)");
  for (const char* name : {"x", "w", "a"}) AddFloatInfo(model, name, {2})->set_doc_string("kept");
  ReshapeWeightAndEraseAdd(model);
  std::vector<std::string> names;
  for (const auto& vi : model.graph().value_info()) {
    names.push_back(vi.name());
    EXPECT_EQ(vi.doc_string(), "kept");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"x", "w"}));
  ExpectDims12(model.graph().value_info(1).type().tensor_type().shape());
}

// value_info may describe one name twice (nothing forbids it): each entry
// is judged on its own, kept or dropped with its value, and every entry of
// a reshaped initializer takes the tensor's dims.
TEST(GraphRewriterTest, JudgesEveryValueInfoEntryOfAName) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
  <float[2] w = {1, 2}>
{
  a = Add (x, w)
  c = Relu (a)
  y = Relu (c)
}
)");
  for (const char* name : {"w", "a", "c", "w", "a", "c"}) AddFloatInfo(model, name, {2});
  ReshapeWeightAndEraseAdd(model);
  std::vector<std::string> names;
  for (const auto& vi : model.graph().value_info()) {
    names.push_back(vi.name());
    if (vi.name() == "w") ExpectDims12(vi.type().tensor_type().shape());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"w", "c", "w", "c"}));
}

// Builds a chain of `nodes` Relus, erases every even node (rewiring its
// reader) and checks the committed graph.
void CheckCommitOnChain(int nodes) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  onnx::GraphProto& graph = *model.mutable_graph();
  graph.set_name("chain");
  graph.add_input()->set_name("x");
  auto value = [](int i) { return i < 0 ? std::string("x") : "v" + std::to_string(i); };
  for (int i = 0; i < nodes; ++i) {
    onnx::NodeProto* node = graph.add_node();
    node->set_op_type("Relu");
    node->add_input(value(i - 1));
    node->add_output(value(i));
  }
  graph.add_output()->set_name(value(nodes - 1));
  EXPECT_TRUE(VerifyModelStructure(model).ok());

  GraphRewriter rewriter(graph);
  // Erase the even nodes; the last node (odd) writes the graph output.
  for (int i = 0; i < nodes; i += 2) {
    EXPECT_TRUE(rewriter.ReplaceAllUsesWith(value(i), value(i - 1)).ok());
    rewriter.Erase(i);
  }
  rewriter.Commit();

  EXPECT_EQ(graph.node_size(), nodes / 2);
  EXPECT_EQ(graph.node(0).input(0), "x");
  EXPECT_EQ(graph.node(0).output(0), "v1");
  EXPECT_EQ(graph.node(1).input(0), "v1");
  EXPECT_EQ(graph.node(1).output(0), "v3");
  EXPECT_EQ(graph.node(nodes / 2 - 1).output(0), value(nodes - 1));
  absl::Status s = VerifyModelStructure(model);
  EXPECT_TRUE(s.ok()) << s;
}

// Commit's result on a long chain. Its cost (linear: one permutation and
// one tail delete, never one-by-one deletes) is measured by h8-ir-bench on
// the 20k- and 100k-node benchmark models, not timed here: a unit test on a
// shared machine cannot tell 4x from 16x reliably.
TEST(GraphRewriterTest, CommitErasesHalfOfALongChain) { CheckCommitOnChain(100000); }

}  // namespace
}  // namespace h8
