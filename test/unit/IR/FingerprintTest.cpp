//===- FingerprintTest.cpp - Structural fingerprints ----------------------===//
#include "h8/IR/Fingerprint.h"

#include <functional>
#include <string>
#include <vector>

#include "TestUtil.h"
#include "gtest/gtest.h"

namespace h8 {
namespace {

constexpr char kModel[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,4] x) => (float[N,4] y)
  <int64[2] shape = {-1, 4}, float[N,4] t>
{
  t = Relu (x)
  r = Reshape (t, shape)
  y = LeakyRelu <alpha = 0.5> (r)
}
)";

TEST(FingerprintTest, EqualForACopyAndDifferentForEveryKindOfEdit) {
  const onnx::ModelProto base = ParseModelOrDie(kModel);
  const uint64_t fp = ModelFingerprint(base);
  EXPECT_EQ(ModelFingerprint(onnx::ModelProto(base)), fp);
  EXPECT_EQ(GraphFingerprint(base.graph()), GraphFingerprint(onnx::ModelProto(base).graph()));

  using Edit = std::function<void(onnx::ModelProto&)>;
  const std::vector<std::pair<std::string, Edit>> edits = {
      {"op type", [](auto& m) { m.mutable_graph()->mutable_node(0)->set_op_type("Abs"); }},
      {"input name", [](auto& m) { m.mutable_graph()->mutable_node(1)->set_input(0, "x"); }},
      {"node name", [](auto& m) { m.mutable_graph()->mutable_node(0)->set_name("n"); }},
      {"float attribute",
       [](auto& m) { m.mutable_graph()->mutable_node(2)->mutable_attribute(0)->set_f(0.25f); }},
      {"value_info dim",
       [](auto& m) {
         m.mutable_graph()
             ->mutable_value_info(0)
             ->mutable_type()
             ->mutable_tensor_type()
             ->mutable_shape()
             ->mutable_dim(0)
             ->set_dim_value(1);
       }},
      {"input dim",
       [](auto& m) {
         m.mutable_graph()
             ->mutable_input(0)
             ->mutable_type()
             ->mutable_tensor_type()
             ->mutable_shape()
             ->mutable_dim(1)
             ->set_dim_param("C");
       }},
      {"initializer contents",
       [](auto& m) {
         onnx::TensorProto* t = m.mutable_graph()->mutable_initializer(0);
         if (t->int64_data_size() == 2) t->set_int64_data(1, 2);
         else (*t->mutable_raw_data())[8] = 2;  // little-endian low byte of element 1
       }},
      {"initializer dims",
       [](auto& m) { m.mutable_graph()->mutable_initializer(0)->set_dims(0, 3); }},
      {"node order", [](auto& m) { m.mutable_graph()->mutable_node()->SwapElements(0, 1); }},
      {"opset", [](auto& m) { m.mutable_opset_import(0)->set_version(17); }},
      {"ir version", [](auto& m) { m.set_ir_version(9); }},
  };
  for (const auto& [what, edit] : edits) {
    onnx::ModelProto m = base;
    edit(m);
    EXPECT_NE(ModelFingerprint(m), fp) << what;
  }
}

TEST(FingerprintTest, SubgraphEditsChangeTheParent) {
  onnx::ModelProto m = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] y)
{
  y = If (c) <then_branch = th () => (float[2] z) { z = Abs (x) },
              else_branch = el () => (float[2] w) { w = Neg (x) }>
}
)");
  const uint64_t fp = GraphFingerprint(m.graph());
  m.mutable_graph()
      ->mutable_node(0)
      ->mutable_attribute(0)
      ->mutable_g()
      ->mutable_node(0)
      ->set_op_type("Relu");
  EXPECT_NE(GraphFingerprint(m.graph()), fp);
}

TEST(FingerprintTest, LargeTensorsAreSampledNotRead) {
  onnx::ModelProto m = ParseModelOrDie(kModel);
  onnx::TensorProto* t = m.mutable_graph()->add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(1024);
  t->set_raw_data(std::string(4096, '\0'));
  const uint64_t fp = ModelFingerprint(m);
  // Head and tail are hashed ...
  (*t->mutable_raw_data())[0] = 1;
  EXPECT_NE(ModelFingerprint(m), fp);
  (*t->mutable_raw_data())[0] = 0;
  (*t->mutable_raw_data())[4095] = 1;
  EXPECT_NE(ModelFingerprint(m), fp);
  (*t->mutable_raw_data())[4095] = 0;
  // ... the middle is not: such a change is known only from the pass's
  // own claim (the pass manager then drops analyses and re-verifies).
  (*t->mutable_raw_data())[2048] = 1;
  EXPECT_EQ(ModelFingerprint(m), fp);
}

// The topology part leaves out value types only: pinning a dim changes the
// fingerprint but not the topology; renaming a value changes both.
TEST(FingerprintTest, TopologyIgnoresValueTypesOnly) {
  onnx::ModelProto m = ParseModelOrDie(kModel);
  uint64_t graph = 0, topology = 0;
  const uint64_t fp = ModelFingerprint(m, &graph, &topology);
  EXPECT_EQ(graph, GraphFingerprint(m.graph()));
  auto* dim = m.mutable_graph()
                  ->mutable_input(0)
                  ->mutable_type()
                  ->mutable_tensor_type()
                  ->mutable_shape()
                  ->mutable_dim(0);
  dim->set_dim_value(7);
  uint64_t graph2 = 0, topology2 = 0;
  EXPECT_NE(ModelFingerprint(m, &graph2, &topology2), fp);
  EXPECT_NE(graph2, graph);
  EXPECT_EQ(topology2, topology);
  m.mutable_graph()->mutable_node(0)->set_output(0, "renamed");
  uint64_t topology3 = 0;
  ModelFingerprint(m, nullptr, &topology3);
  EXPECT_NE(topology3, topology);
}

}  // namespace
}  // namespace h8
