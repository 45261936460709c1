//===- OnnxBridgeTest.cpp - ONNX exceptions become Status -----------------===//
#include "h8/Analysis/OnnxShapeInference.h"
#include "h8/Support/OnnxBridge.h"

#include <string>

#include "TestUtil.h"
#include "gtest/gtest.h"
#include "h8/IR/GraphIndex.h"

namespace h8 {
namespace {

constexpr char kReluChain[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,3] x) => (float[1,3] y)
{
  a = Relu (x)
  b = Relu (a)
  y = Relu (b)
}
)";

bool StartsWith(absl::string_view text, absl::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

TEST(OnnxBridgeTest, ValidModelPassesTheChecker) {
  absl::Status s = CheckModelWithOnnx(ParseModelOrDie(kReluChain));
  EXPECT_TRUE(s.ok()) << s;
}

TEST(OnnxBridgeTest, UnknownOpFailsTheChecker) {
  onnx::ModelProto model = ParseModelOrDie(kReluChain);
  model.mutable_graph()->mutable_node(1)->set_op_type("NoSuchOp");
  absl::Status s = CheckModelWithOnnx(model);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(StartsWith(s.message(), "ONNX checker: ")) << s;
  EXPECT_NE(s.message().find("NoSuchOp"), absl::string_view::npos) << s;
}

TEST(OnnxBridgeTest, MissingIrVersionFailsTheChecker) {
  onnx::ModelProto model = ParseModelOrDie(kReluChain);
  model.clear_ir_version();
  absl::Status s = CheckModelWithOnnx(model);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(StartsWith(s.message(), "ONNX checker: ")) << s;
}

TEST(OnnxBridgeTest, InferShapesFillsValueInfoForReluChain) {
  onnx::ModelProto model = ParseModelOrDie(kReluChain);
  ASSERT_EQ(model.graph().value_info_size(), 0);
  absl::Status s = InferShapesWithOnnx(model);
  ASSERT_TRUE(s.ok()) << s;
  GraphIndex index(model.graph());
  for (const char* name : {"a", "b"}) {
    bool found = false;
    for (const auto& vi : model.graph().value_info()) found |= vi.name() == name;
    EXPECT_TRUE(found) << name;
    EXPECT_EQ(index.StaticShape(name), (std::vector<int64_t>{1, 3})) << name;
    ASSERT_NE(index.Type(name), nullptr);
    EXPECT_EQ(index.Type(name)->tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  }
}

constexpr char kBadConv[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,5,5] x) => (float[1,3,4,4] y)
  <float[3,2,2] w = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}>
{
  y = Conv (x, w)
}
)";

TEST(OnnxBridgeTest, StrictInferenceOnInvalidConvReturnsInvalidArgument) {
  onnx::ModelProto model = ParseModelOrDie(kBadConv);
  OnnxInferOptions strict;
  strict.strict = true;
  absl::Status s;
  ASSERT_NO_THROW(s = InferShapesWithOnnx(model, strict));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(StartsWith(s.message(), "shape inference: ")) << s;
  EXPECT_NE(s.message().find("Conv"), absl::string_view::npos) << s;
}

// kernel_shape has one entry for a 2-D convolution: an error of the node's
// own inference, which only strict mode reports.
constexpr char kBadKernelShape[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,5,5] x) => (float y)
  <float[3,2,2,2] w = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}>
{
  y = Conv <kernel_shape = [2]> (x, w)
}
)";

TEST(OnnxBridgeTest, OnlyStrictInferenceFailsOnNodeErrors) {
  for (bool strict : {false, true}) {
    onnx::ModelProto model = ParseModelOrDie(kBadKernelShape);
    model.mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()->clear_shape();
    OnnxInferOptions options;
    options.strict = strict;
    absl::Status s;
    ASSERT_NO_THROW(s = InferShapesWithOnnx(model, options));
    if (strict) {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
      EXPECT_NE(s.message().find("kernel_shape"), absl::string_view::npos) << s;
    } else {
      EXPECT_TRUE(s.ok()) << s;
    }
  }
}

}  // namespace
}  // namespace h8
