//===- PoolTest.cpp - LpPool and MaxPool's Indices output ---------------===//
//
// Expected values worked out by hand in the comments (ONNX 1.12 ships no
// LpPool node cases and no int8 MaxPool case).
//
//===----------------------------------------------------------------------===//

#include <cmath>

#include "EvalTestUtil.h"
#include "gtest/gtest.h"

namespace h8 {
namespace evaltest {
namespace {

TEST(PoolTest, LpPool) {
  Tensor x = F({1, 1, 4}, {3, 4, -6, 8});
  // Windows [3,4] and [-6,8]: p=2 gives 5 and 10, p=1 gives 7 and 14.
  H8_ASSERT_OK_AND_ASSIGN(auto l2,
                          RunNode("y = LpPool <kernel_shape = [2], strides = [2]> (x)", 11, {&x}));
  ExpectFloats(l2[0], {1, 1, 2}, {5, 10});
  H8_ASSERT_OK_AND_ASSIGN(
      auto l1, RunNode("y = LpPool <kernel_shape = [2], strides = [2], p = 1> (x)", 11, {&x}));
  ExpectFloats(l1[0], {1, 1, 2}, {7, 14});
  // Padding counts as zeros: [0,3], [4,-6], [8,0] -> 3, sqrt(52), 8.
  H8_ASSERT_OK_AND_ASSIGN(
      auto padded,
      RunNode("y = LpPool <kernel_shape = [2], strides = [2], pads = [1, 1]> (x)", 11, {&x}));
  ExpectFloats(padded[0], {1, 1, 3}, {3, std::sqrt(52.0f), 8});
  // 2-D, one 2x2 window over [[1,2],[2,4]]: sqrt(1+4+4+16) = 5.
  Tensor m = F({1, 1, 2, 2}, {1, 2, 2, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto two_d, RunNode("y = LpPool <kernel_shape = [2, 2]> (x)", 11, {&m}));
  ExpectFloats(two_d[0], {1, 1, 1, 1}, {5});
}

TEST(PoolTest, MaxPoolIndicesStorageOrder) {
  // Two channels of [[1,5,9],[7,3,2]] (the second shifted by 10), 2x2
  // windows: cols 0-1 max 7 at (1,0), cols 1-2 max 9 at (0,2). Row-major
  // flat indices 3 and 2, column-major (h + 2*w) 1 and 4; channel 1 adds 6.
  Tensor x = F({1, 2, 2, 3}, {1, 5, 9, 7, 3, 2, 11, 15, 19, 17, 13, 12});
  H8_ASSERT_OK_AND_ASSIGN(auto rm, RunNode("y, i = MaxPool <kernel_shape = [2, 2]> (x)", 12, {&x}));
  ExpectFloats(rm[0], {1, 2, 1, 2}, {7, 9, 17, 19});
  ExpectInts(rm[1], {1, 2, 1, 2}, {3, 2, 9, 8});
  H8_ASSERT_OK_AND_ASSIGN(
      auto cm, RunNode("y, i = MaxPool <kernel_shape = [2, 2], storage_order = 1> (x)", 12, {&x}));
  ExpectFloats(cm[0], {1, 2, 1, 2}, {7, 9, 17, 19});
  ExpectInts(cm[1], {1, 2, 1, 2}, {1, 4, 7, 10});
}

TEST(PoolTest, MaxPoolInt8) {
  // int8 [-5, 7, -128], k 2, pads 1/1: windows [pad,-5], [-5,7], [7,-128],
  // [-128,pad] -> -5, 7, 7, -128, still int8.
  Tensor x = I({1, 1, 3}, {-5, 7, -128}, onnx::TensorProto::INT8);
  H8_ASSERT_OK_AND_ASSIGN(auto y,
                          RunNode("y = MaxPool <kernel_shape = [2], pads = [1, 1]> (x)", 12, {&x}));
  EXPECT_EQ(y[0].dtype, onnx::TensorProto::INT8);
  ExpectInts(y[0], {1, 1, 4}, {-5, 7, 7, -128});
}

}  // namespace
}  // namespace evaltest
}  // namespace h8
