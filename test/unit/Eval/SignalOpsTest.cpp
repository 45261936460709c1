//===- SignalOpsTest.cpp - DFT, STFT, windows, MelWeightMatrix ----------===//
//
// Expected values worked out by hand in the comments. The window cases matter
// most: ONNX 1.12's own window test data uses pi = 3.1415, so these are the
// checks of the exact formulas.
//
//===----------------------------------------------------------------------===//

#include "EvalTestUtil.h"
#include "gtest/gtest.h"

namespace h8 {
namespace evaltest {
namespace {

using Code = absl::StatusCode;

TEST(SignalOpsTest, Windows) {
  Tensor four = I({}, {4}, onnx::TensorProto::INT32);
  Tensor five = I({}, {5}, onnx::TensorProto::INT32);
  // Hann, periodic N=4: 0.5 - 0.5*cos(pi*n/2) = 0, 0.5, 1, 0.5.
  H8_ASSERT_OK_AND_ASSIGN(auto hann, RunNode("y = HannWindow (n)", 17, {&four}));
  ExpectFloats(hann[0], {4}, {0, 0.5, 1, 0.5}, 1e-7f);
  // Symmetric size 5 (N=4): 0, 0.5, 1, 0.5, 0.
  H8_ASSERT_OK_AND_ASSIGN(auto sym, RunNode("y = HannWindow <periodic = 0> (n)", 17, {&five}));
  ExpectFloats(sym[0], {5}, {0, 0.5, 1, 0.5, 0}, 1e-7f);
  // Hamming (a0 = 25/46): 4/46, 25/46, 1, 25/46.
  H8_ASSERT_OK_AND_ASSIGN(auto ham, RunNode("y = HammingWindow (n)", 17, {&four}));
  ExpectFloats(ham[0], {4}, {4.0f / 46, 25.0f / 46, 1, 25.0f / 46}, 1e-7f);
  // Blackman: 0.42 - 0.5*cos(pi*n/2) + 0.08*cos(pi*n) = 0, 0.34, 1, 0.34.
  H8_ASSERT_OK_AND_ASSIGN(auto bl, RunNode("y = BlackmanWindow (n)", 17, {&four}));
  ExpectFloats(bl[0], {4}, {0, 0.34f, 1, 0.34f}, 1e-7f);
  Tensor negative = I({}, {-1});
  EXPECT_EQ(RunNode("y = HannWindow (n)", 17, {&negative}).status().code(), Code::kInvalidArgument);
}

TEST(SignalOpsTest, Dft) {
  // x = 1, 2, 3, 4: X_k = sum x_n e^{-2 pi i k n / 4} = 10, -2+2i, -2, -2-2i.
  Tensor x = F({1, 4, 1}, {1, 2, 3, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto full, RunNode("y = DFT (x)", 17, {&x}));
  ExpectFloats(full[0], {1, 4, 2}, {10, 0, -2, 2, -2, 0, -2, -2});
  H8_ASSERT_OK_AND_ASSIGN(auto half, RunNode("y = DFT <onesided = 1> (x)", 17, {&x}));
  ExpectFloats(half[0], {1, 3, 2}, {10, 0, -2, 2, -2, 0});
  // dft_length 2 keeps 1, 2: 3, -1. dft_length 5 zero-pads; bin 0 is 10.
  Tensor two = I({}, {2});
  H8_ASSERT_OK_AND_ASSIGN(auto cut, RunNode("y = DFT (x, n)", 17, {&x, &two}));
  ExpectFloats(cut[0], {1, 2, 2}, {3, 0, -1, 0});
  Tensor five = I({}, {5});
  H8_ASSERT_OK_AND_ASSIGN(auto pad, RunNode("y = DFT (x, n)", 17, {&x, &five}));
  ASSERT_EQ(pad[0].dims, (std::vector<int64_t>{1, 5, 2}));
  EXPECT_NEAR(pad[0].f[0], 10, 1e-5);
  // The inverse of the full spectrum gives x back (imaginary parts 0).
  H8_ASSERT_OK_AND_ASSIGN(auto back, RunNode("y = DFT <inverse = 1> (x)", 17, {&full[0]}));
  ExpectFloats(back[0], {1, 4, 2}, {1, 0, 2, 0, 3, 0, 4, 0});
  // Opset 20: axis is the third input (default -2). Along axis 1 of a
  // [1, 2, 2, 1] input [[1,2],[3,4]]: columns 1,3 -> 4,-2 and 2,4 -> 6,-2.
  Tensor m = F({1, 2, 2, 1}, {1, 2, 3, 4});
  Tensor axis1 = I({}, {1});
  H8_ASSERT_OK_AND_ASSIGN(auto a20, RunNode("y = DFT (x, , axis)", 20, {&m, nullptr, &axis1}));
  ExpectFloats(a20[0], {1, 2, 2, 2}, {4, 0, 6, 0, -2, 0, -2, 0});
  // Default -2 is the last signal axis: rows 1,2 -> 3,-1 and 3,4 -> 7,-1.
  H8_ASSERT_OK_AND_ASSIGN(auto d20, RunNode("y = DFT (x)", 20, {&m}));
  ExpectFloats(d20[0], {1, 2, 2, 2}, {3, 0, -1, 0, 7, 0, -1, 0});
  // Opset 17's attribute form on the same axis agrees with opset 20's input.
  H8_ASSERT_OK_AND_ASSIGN(auto a17, RunNode("y = DFT <axis = 1> (x)", 17, {&m}));
  EXPECT_EQ(a17[0].f, a20[0].f);
  EXPECT_EQ(RunNode("y = DFT <onesided = 1, inverse = 1> (x)", 17, {&x}).status().code(),
            Code::kUnimplemented);
  Tensor bad = F({1, 4, 3}, std::vector<float>(12, 0));
  EXPECT_EQ(RunNode("y = DFT (x)", 17, {&bad}).status().code(), Code::kInvalidArgument);
}

TEST(SignalOpsTest, Stft) {
  // Frames of 4 every 2 over 1..6: [1,2,3,4] -> 10, -2+2i, -2 and
  // [3,4,5,6] -> 18, -2+2i, -2 (onesided by default).
  Tensor x = F({1, 6, 1}, {1, 2, 3, 4, 5, 6});
  Tensor step = I({}, {2});
  Tensor len = I({}, {4});
  H8_ASSERT_OK_AND_ASSIGN(auto y,
                          RunNode("y = STFT (x, step, , len)", 17, {&x, &step, nullptr, &len}));
  ExpectFloats(y[0], {1, 2, 3, 2}, {10, 0, -2, 2, -2, 0, 18, 0, -2, 2, -2, 0});
  // A window [0, 1, 1, 0] keeps the middle two samples: 2+3 = 5,
  // 2*(-i) + 3*(-1) = -3-2i, 2*(-1) + 3*1 = 1 for the first frame.
  Tensor w = F({4}, {0, 1, 1, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto yw, RunNode("y = STFT (x, step, w)", 17, {&x, &step, &w}));
  ExpectFloats(yw[0], {1, 2, 3, 2}, {5, 0, -3, -2, 1, 0, 9, 0, -5, -4, 1, 0});
  Tensor len3 = I({}, {3});
  EXPECT_EQ(RunNode("y = STFT (x, step, w, len)", 17, {&x, &step, &w, &len3}).status().code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace evaltest
}  // namespace h8
