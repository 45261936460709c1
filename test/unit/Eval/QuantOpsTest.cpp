//===- QuantOpsTest.cpp - QuantizeLinear and DequantizeLinear -----------===//
//
// Expected values worked out by hand in the comments.
//
//===----------------------------------------------------------------------===//

#include "EvalTestUtil.h"
#include "gtest/gtest.h"

namespace h8 {
namespace evaltest {
namespace {

using onnx::TensorProto;

TEST(QuantOpsTest, QuantizeRoundsHalfToEvenAndSaturates) {
  // int8, scale 1, zero point 0: 2.5 -> 2, 3.5 -> 4, -2.5 -> -2, 300 -> 127,
  // -300 -> -128.
  Tensor x = F({5}, {2.5, 3.5, -2.5, 300, -300});
  Tensor scale = F({}, {1});
  Tensor zp = I({}, {0}, TensorProto::INT8);
  H8_ASSERT_OK_AND_ASSIGN(auto q, RunNode("y = QuantizeLinear (x, s, z)", 13, {&x, &scale, &zp}));
  EXPECT_EQ(q[0].dtype, TensorProto::INT8);
  ExpectInts(q[0], {5}, {2, 4, -2, 127, -128});
  // No zero point: uint8, so negatives clamp to 0; 1/0.5 = 2.
  Tensor half = F({}, {0.5});
  Tensor y = F({2}, {1, -1});
  H8_ASSERT_OK_AND_ASSIGN(auto u, RunNode("y = QuantizeLinear (x, s)", 13, {&y, &half}));
  EXPECT_EQ(u[0].dtype, TensorProto::UINT8);
  ExpectInts(u[0], {2}, {2, 0});
  EXPECT_EQ(RunNode("y = QuantizeLinear <block_size = 2> (x, s, z)", 21, {&x, &scale, &zp})
                .status()
                .code(),
            absl::StatusCode::kUnimplemented);
}

TEST(QuantOpsTest, DequantizePerAxis) {
  // Rows of [[1,2],[3,4]] (axis 0): (1-1)*0.5, (2-1)*0.5 and 3*2, 4*2.
  Tensor x = I({2, 2}, {1, 2, 3, 4}, TensorProto::UINT8);
  Tensor scale = F({2}, {0.5, 2});
  Tensor zp = I({2}, {1, 0}, TensorProto::UINT8);
  H8_ASSERT_OK_AND_ASSIGN(
      auto d, RunNode("y = DequantizeLinear <axis = 0> (x, s, z)", 13, {&x, &scale, &zp}));
  ExpectFloats(d[0], {2, 2}, {0, 0.5, 6, 8});
  // The default axis 1 pairs scale/zero point with columns (0.5, 1) and
  // (2, 0): (1-1)*0.5, (2-0)*2; (3-1)*0.5, (4-0)*2.
  H8_ASSERT_OK_AND_ASSIGN(auto c, RunNode("y = DequantizeLinear (x, s, z)", 13, {&x, &scale, &zp}));
  ExpectFloats(c[0], {2, 2}, {0, 4, 1, 8});
  Tensor three = F({3}, {1, 1, 1});
  EXPECT_EQ(RunNode("y = DequantizeLinear (x, s)", 13, {&x, &three}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace evaltest
}  // namespace h8
