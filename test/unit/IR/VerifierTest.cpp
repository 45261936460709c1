//===- VerifierTest.cpp - Structural verifier -----------------------------===//
#include "h8/IR/Verifier.h"

#include <string>

#include "TestUtil.h"
#include "gtest/gtest.h"
#include "h8/IR/GraphIndex.h"

namespace h8 {
namespace {

// The verdict of VerifyModelStructure, which the verification read off an
// index of the graph must repeat word for word.
std::string Verify(const std::string& text) {
  const onnx::ModelProto model = ParseModelOrDie(text);
  absl::Status s = VerifyModelStructure(model);
  const absl::Status by_index = VerifyModelStructure(model, GraphIndex(model.graph()));
  EXPECT_EQ(by_index, s) << text;
  if (s.ok()) return "ok";
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  return std::string(s.message());
}

TEST(VerifierTest, ValidModelPasses) {
  EXPECT_EQ(Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y, float[2] x2, float[2] w)
  <float[2] w = {1, 2}>
{
  t = Add (x, w)
  y = Relu (t)
  x2 = Identity (x)
}
)"),
            "ok");
}

TEST(VerifierTest, GraphOutputMayBeAnInputOrInitializer) {
  EXPECT_EQ(Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] x, float[2] w) <float[2] w = {1, 2}> { }
)"),
            "ok");
}

TEST(VerifierTest, ModelWithoutGraphFails) {
  onnx::ModelProto model;
  absl::Status s = VerifyModelStructure(model);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()), "the model has no graph");
}

TEST(VerifierTest, DuplicateDefinitionFails) {
  EXPECT_EQ(Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
{
  [first] t = Relu (x)
  [second] t = Neg (x)
  y = Relu (t)
}
)"),
            "node 'second' (Neg): value 't' is defined more than once");
  // A node may not redefine a graph input either.
  EXPECT_EQ(Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] x) { x = Relu (x) }
)"),
            "node 'x' (Relu): value 'x' is defined more than once");
}

TEST(VerifierTest, UndefinedInputFails) {
  EXPECT_EQ(Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y) { y = Relu (q) }
)"),
            "node 'y' (Relu): input 'q' is not defined");
}

TEST(VerifierTest, EmptyOptionalInputIsAllowed) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y) { y = Clip (x) }
)");
  model.mutable_graph()->mutable_node(0)->add_input("");
  absl::Status s = VerifyModelStructure(model);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(VerifierTest, UseBeforeDefinitionReportsCycleOrUnsorted) {
  std::string msg = Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
{
  y = Relu (t)
  t = Neg (x)
}
)");
  EXPECT_EQ(msg,
            "node 'y' (Relu): input 't' is used before its definition by node 't' "
            "(the graph has a cycle or is not topologically sorted)");
  // A real cycle.
  std::string cycle = Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] b)
{
  a = Add (x, b)
  b = Relu (a)
}
)");
  EXPECT_NE(cycle.find("cycle"), std::string::npos) << cycle;
  EXPECT_NE(cycle.find("input 'b'"), std::string::npos) << cycle;
}

TEST(VerifierTest, UndefinedGraphOutputFails) {
  EXPECT_EQ(Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y, float[2] z) { y = Relu (x) }
)"),
            "graph output 'z' is not produced by any node, input or initializer");
}

TEST(VerifierTest, DuplicateGraphInputFails) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y) { y = Relu (x) }
)");
  *model.mutable_graph()->add_input() = model.graph().input(0);
  absl::Status s = VerifyModelStructure(model);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()), "graph input 'x' is declared twice");
}

TEST(VerifierTest, EmptyOpTypeFails) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y) { y = Relu (x) }
)");
  model.mutable_graph()->mutable_node(0)->clear_op_type();
  absl::Status s = VerifyModelStructure(model);
  EXPECT_EQ(std::string(s.message()), "node 'y' (): empty op_type");
}

TEST(VerifierTest, SubgraphMayReadOuterValuesDefinedBeforeItsNode) {
  EXPECT_EQ(Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] y)
  <float[2] w = {1, 2}>
{
  t = Relu (x)
  y = If (c) <then_branch = th () => (float[2] z) { z = Add (t, w) }, else_branch = el () => (float[2] t) { }>
}
)"),
            "ok");
}

TEST(VerifierTest, SubgraphReadingUndefinedValueFails) {
  std::string msg = Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] y)
{
  [if] y = If (c) <then_branch = th () => (float[2] z) { z = Abs (q) }, else_branch = el () => (float[2] x) { }>
}
)");
  EXPECT_EQ(msg, "graph 'g/if.then_branch', node 'z' (Abs): input 'q' is not defined");
}

TEST(VerifierTest, SubgraphReadingLaterOuterValueFails) {
  std::string msg = Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] y, float[2] later)
{
  [if] y = If (c) <then_branch = th () => (float[2] z) { z = Abs (later) }, else_branch = el () => (float[2] x) { }>
  later = Relu (x)
}
)");
  EXPECT_NE(msg.find("graph 'g/if.then_branch', node 'z' (Abs): input 'later'"), std::string::npos)
      << msg;
}

TEST(VerifierTest, SubgraphOutputMustBeDefined) {
  std::string msg = Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] y)
{
  [if] y = If (c) <then_branch = th () => (float[2] x) { }, else_branch = el () => (float[2] nowhere) { }>
}
)");
  EXPECT_EQ(msg,
            "graph 'g/if.else_branch': graph output 'nowhere' is not produced by any node, "
            "input or initializer");
}

// Problems only the index's counts reveal: a node defining one name twice,
// an initializer given twice, a node reading its own output, a control-flow
// node without its body. (Verify checks the verdict read off the index.)
TEST(VerifierTest, TheIndexedCheckRejectsWhatTheFullOneDoes) {
  EXPECT_EQ(Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y) { [split] y, y = Split (x) }
)"),
            "node 'split' (Split): value 'y' is defined more than once");
  EXPECT_EQ(Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y) <float[2] w = {1, 2}, float[2] w = {3, 4}> { y = Add (x, w) }
)"),
            "initializer 'w' is defined twice");
  EXPECT_NE(Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y) { y = Add (x, y) }
)"),
            "ok");
  EXPECT_EQ(Verify(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] y) { [if] y = If (c) }
)"),
            "node 'if' (If): required attribute 'then_branch' is missing");
}

}  // namespace
}  // namespace h8
