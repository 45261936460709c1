//===- EvaluatorTest.cpp - Reference evaluator op tests -------------------===//
//
// Each test runs a tiny graph or node and checks it against values worked
// out by hand in the comments, grouped by op family: convolution, pooling,
// normalization, GEMM, elementwise, reductions, shape ops and errors.
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <limits>

#include "EvalTestUtil.h"
#include "gtest/gtest.h"
#include "h8/Eval/Evaluator.h"

namespace h8 {
namespace {

using evaltest::ExpectFloats;
using evaltest::ExpectInts;
using evaltest::F;
using evaltest::I;
using evaltest::RunModel;
using evaltest::RunNode;
using onnx::TensorProto;

//===----------------------------------------------------------------------===//
// Conv
//===----------------------------------------------------------------------===//

TEST(EvaluatorTest, ConvStridedPadded) {
  // Padded x = [0,1,2,3,4,5,0]; windows start at 0,2,4 with w = [1,0,-1]:
  // 0-2 = -2, 2-4 = -2, 4-0 = 4.
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunModel(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1,1,5] x) => (float[1,1,3] y)
      <float[1,1,3] w = {1, 0, -1}>
    { y = Conv <kernel_shape = [3], pads = [1, 1], strides = [2]> (x, w) })",
                                             {{"x", F({1, 1, 5}, {1, 2, 3, 4, 5})}}));
  ExpectFloats(out[0], {1, 1, 3}, {-2, -2, 4});
}

TEST(EvaluatorTest, ConvMultiChannelBias) {
  // x ch0 = [1,2,3], ch1 = [4,5,6]. Filter 0: ch0 [1,1], ch1 [0,1], bias 10:
  // [1+2+5, 2+3+6] + 10 = [18, 21]. Filter 1: ch0 [1,0], ch1 [0,0], bias 20:
  // [1, 2] + 20 = [21, 22].
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunModel(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1,2,3] x) => (float[1,2,2] y)
      <float[2,2,2] w = {1, 1, 0, 1, 1, 0, 0, 0}, float[2] b = {10, 20}>
    { y = Conv (x, w, b) })",
                                             {{"x", F({1, 2, 3}, {1, 2, 3, 4, 5, 6})}}));
  ExpectFloats(out[0], {1, 2, 2}, {18, 21, 21, 22});
}

TEST(EvaluatorTest, ConvDilated) {
  // w = [1,1] with dilation 2 sums x[i] + x[i+2]: 1+3, 2+4, 3+5.
  Tensor x = F({1, 1, 5}, {1, 2, 3, 4, 5});
  Tensor w = F({1, 1, 2}, {1, 1});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode("y = Conv <dilations = [2]> (x, w)", 13, {&x, &w}));
  ExpectFloats(out[0], {1, 1, 3}, {4, 6, 8});
}

TEST(EvaluatorTest, ConvGrouped2D) {
  // group = 2, one 1x1 filter per channel: ch0 * 2, ch1 * -1.
  Tensor x = F({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor w = F({2, 1, 1, 1}, {2, -1});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode("y = Conv <group = 2> (x, w)", 13, {&x, &w}));
  ExpectFloats(out[0], {1, 2, 2, 2}, {2, 4, 6, 8, -5, -6, -7, -8});
}

TEST(EvaluatorTest, ConvAsymmetricPads2D) {
  // pads [top=1, left=0, bottom=0, right=1] around [[1,2],[3,4]] gives
  // [[0,0,0],[1,2,0],[3,4,0]]; a 2x2 box filter yields [[3,2],[10,6]].
  // kernel_shape is absent and comes from the weights.
  Tensor x = F({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor w = F({1, 1, 2, 2}, {1, 1, 1, 1});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode("y = Conv <pads = [1, 0, 0, 1]> (x, w)", 13, {&x, &w}));
  ExpectFloats(out[0], {1, 1, 2, 2}, {3, 2, 10, 6});
}

TEST(EvaluatorTest, ConvAutoPadSame) {
  // in 4, k 2, stride 1: out 4, one pad. SAME_UPPER pads the end:
  // [1,2,3,4,0] -> [3,5,7,4]; SAME_LOWER pads the start: [0,1,2,3,4] -> [1,3,5,7].
  Tensor x = F({1, 1, 4}, {1, 2, 3, 4});
  Tensor w = F({1, 1, 2}, {1, 1});
  H8_ASSERT_OK_AND_ASSIGN(auto up,
                          RunNode("y = Conv <auto_pad = \"SAME_UPPER\"> (x, w)", 13, {&x, &w}));
  ExpectFloats(up[0], {1, 1, 4}, {3, 5, 7, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto lo,
                          RunNode("y = Conv <auto_pad = \"SAME_LOWER\"> (x, w)", 13, {&x, &w}));
  ExpectFloats(lo[0], {1, 1, 4}, {1, 3, 5, 7});
  H8_ASSERT_OK_AND_ASSIGN(
      auto valid, RunNode("y = Conv <auto_pad = \"VALID\", strides = [2]> (x, w)", 13, {&x, &w}));
  ExpectFloats(valid[0], {1, 1, 2}, {3, 7});
}

TEST(EvaluatorTest, Conv3D) {
  // A 2x2x2 box filter over a 2x2x2 input of 1..8 sums to 36.
  Tensor x = F({1, 1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor w = F({1, 1, 2, 2, 2}, {1, 1, 1, 1, 1, 1, 1, 1});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode("y = Conv (x, w)", 13, {&x, &w}));
  ExpectFloats(out[0], {1, 1, 1, 1, 1}, {36});
}

TEST(EvaluatorTest, ConvChannelMismatchIsInvalidArgument) {
  Tensor x = F({1, 3, 5}, std::vector<float>(15, 1.0f));
  Tensor w = F({1, 2, 3}, std::vector<float>(6, 1.0f));
  auto out = RunNode("y = Conv (x, w)", 13, {&x, &w});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("node 'y' (Conv)"), std::string::npos) << out.status();
}

//===----------------------------------------------------------------------===//
// ConvTranspose
//===----------------------------------------------------------------------===//

TEST(EvaluatorTest, ConvTransposeStrideOutputPadding) {
  // Each x[i] scatters x[i]*[1,2] at 2i: [1,2 | 2,4 | 3,6] then output_padding
  // adds one trailing zero: full length 2*(3-1) + 1 + 2 = 7. Bias +1.
  Tensor x = F({1, 1, 3}, {1, 2, 3});
  Tensor w = F({1, 1, 2}, {1, 2});
  Tensor b = F({1}, {1});
  H8_ASSERT_OK_AND_ASSIGN(
      auto out, RunNode("y = ConvTranspose <strides = [2], output_padding = [1]> (x, w, b)", 13,
                        {&x, &w, &b}));
  ExpectFloats(out[0], {1, 1, 7}, {2, 3, 3, 5, 4, 7, 1});
}

TEST(EvaluatorTest, ConvTransposePads2D) {
  // Stride 2 with a 2x2 ones kernel turns [[1,2],[3,4]] into 2x2 blocks:
  // [[1,1,2,2],[1,1,2,2],[3,3,4,4],[3,3,4,4]]; pads of 1 crop the border.
  Tensor x = F({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor w = F({1, 1, 2, 2}, {1, 1, 1, 1});
  H8_ASSERT_OK_AND_ASSIGN(auto full,
                          RunNode("y = ConvTranspose <strides = [2, 2]> (x, w)", 13, {&x, &w}));
  ExpectFloats(full[0], {1, 1, 4, 4}, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  H8_ASSERT_OK_AND_ASSIGN(
      auto out,
      RunNode("y = ConvTranspose <strides = [2, 2], pads = [1, 1, 1, 1]> (x, w)", 13, {&x, &w}));
  ExpectFloats(out[0], {1, 1, 2, 2}, {1, 2, 3, 4});
}

TEST(EvaluatorTest, ConvTransposeOutputShape) {
  // Full output (k=3, s=2): [1,1,1+2,2,2+3,3,3] = [1,1,3,2,5,3,3] (length 7).
  // output_shape 6 -> total padding 1, put at the start: [1,3,2,5,3,3].
  Tensor x = F({1, 1, 3}, {1, 2, 3});
  Tensor w = F({1, 1, 3}, {1, 1, 1});
  H8_ASSERT_OK_AND_ASSIGN(
      auto out,
      RunNode("y = ConvTranspose <strides = [2], output_shape = [6]> (x, w)", 13, {&x, &w}));
  ExpectFloats(out[0], {1, 1, 6}, {1, 3, 2, 5, 3, 3});
}

TEST(EvaluatorTest, ConvTransposeOutputShapeLargerThanFull) {
  // ONNX backend case test_convtranspose_output_shape: x = 0..8 as 3x3, two
  // 3x3 ones kernels, strides [3, 2], output_shape [10, 8]. The full result
  // is 9x7 (3*2+3, 2*2+3), so total padding is -1 in both dims and the spec's
  // floor division gives pads begin 0, end -1: the full result followed by
  // one zero row and one zero column. Full rows: row h reads x row h/3
  // (stride 3 = kernel height); column w sums x[j] over 2j <= w <= 2j+2:
  // [x0, x0, x0+x1, x1, x1+x2, x2, x2].
  std::vector<float> xs(9);
  for (int k = 0; k < 9; ++k) xs[k] = static_cast<float>(k);
  Tensor x = F({1, 1, 3, 3}, xs);
  Tensor w = F({1, 2, 3, 3}, std::vector<float>(18, 1.0f));
  H8_ASSERT_OK_AND_ASSIGN(
      auto out,
      RunNode("y = ConvTranspose <strides = [3, 2], output_shape = [10, 8]> (x, w)", 13, {&x, &w}));
  std::vector<float> want;
  for (int c = 0; c < 2; ++c) {
    for (int h = 0; h < 10; ++h) {
      // Row 9 is the zero padding row (and x has no row h/3 = 3).
      std::vector<float> row(8, 0.0f);
      if (h < 9) {
        const float* r = xs.data() + 3 * (h / 3);
        row = {r[0], r[0], r[0] + r[1], r[1], r[1] + r[2], r[2], r[2], 0};
      }
      want.insert(want.end(), row.begin(), row.end());
    }
  }
  ExpectFloats(out[0], {1, 2, 10, 8}, want);
  // Spot checks against the ONNX backend test's literal output.
  EXPECT_EQ(out[0].f[3 * 8 + 2], 7.0f);  // [0][0][3][2]
  EXPECT_EQ(out[0].f[6 * 8 + 4], 15.0f);  // [0][0][6][4]
  EXPECT_EQ(out[0].f[7], 0.0f);  // last column is zero
}

TEST(EvaluatorTest, ConvTransposeSameNegativeTotalPadding) {
  // Runs a 1-D ConvTranspose with `stride` and `auto_pad`; expects 6 values.
  auto expect_same = [](const Tensor& x, const Tensor& w, int stride, const std::string& pad,
                        const std::vector<float>& want) {
    std::string text = "y = ConvTranspose <strides = [" + std::to_string(stride) +
                       "], auto_pad = \"" + pad + "\"> (x, w)";
    H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode(text, 13, {&x, &w}));
    ExpectFloats(out[0], {1, 1, 6}, want);
  };
  // k 2, s 3, length 2: full = 3*1 + 2 = 5 = [1,2,0,3,6] (x=[1,3], w=[1,2]);
  // SAME wants 2*3 = 6, total padding -1. Floor division: SAME_UPPER pads
  // begin -1, end 0 (the extra zero first); SAME_LOWER begin 0, end -1.
  Tensor x = F({1, 1, 2}, {1, 3});
  Tensor w = F({1, 1, 2}, {1, 2});
  expect_same(x, w, 3, "SAME_UPPER", {0, 1, 2, 0, 3, 6});
  expect_same(x, w, 3, "SAME_LOWER", {1, 2, 0, 3, 6, 0});
  // Positive odd total keeps the spec's split: k 3, s 2, length 3 -> full
  // [1,1,3,2,5,3,3], SAME 6, total 1: SAME_UPPER crops the end, SAME_LOWER
  // the start.
  Tensor x3 = F({1, 1, 3}, {1, 2, 3});
  Tensor w3 = F({1, 1, 3}, {1, 1, 1});
  expect_same(x3, w3, 2, "SAME_UPPER", {1, 1, 3, 2, 5, 3});
  expect_same(x3, w3, 2, "SAME_LOWER", {1, 3, 2, 5, 3, 3});
}

TEST(EvaluatorTest, ConvTransposeGrouped) {
  // group 2: channel 0 * 3, channel 1 * 4.
  Tensor x = F({1, 2, 1}, {1, 2});
  Tensor w = F({2, 1, 1}, {3, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode("y = ConvTranspose <group = 2> (x, w)", 13, {&x, &w}));
  ExpectFloats(out[0], {1, 2, 1}, {3, 8});
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

TEST(EvaluatorTest, MaxPoolCeilMode) {
  // x = [1,3,2,5,4], k 2, s 2: floor mode windows [1,3],[2,5] -> [3,5];
  // ceil mode adds the partial window [4] -> [3,5,4].
  Tensor x = F({1, 1, 5}, {1, 3, 2, 5, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto fl,
                          RunNode("y = MaxPool <kernel_shape = [2], strides = [2]> (x)", 13, {&x}));
  ExpectFloats(fl[0], {1, 1, 2}, {3, 5});
  H8_ASSERT_OK_AND_ASSIGN(
      auto ce,
      RunNode("y = MaxPool <kernel_shape = [2], strides = [2], ceil_mode = 1> (x)", 13, {&x}));
  ExpectFloats(ce[0], {1, 1, 3}, {3, 5, 4});
}

TEST(EvaluatorTest, MaxPoolPadded2DAndDilated) {
  // [[1,2],[3,4]] padded by 1 (padding never wins), k 2x2, s 1 -> 3x3:
  // [[1,2,2],[3,4,4],[3,4,4]].
  Tensor x = F({1, 1, 2, 2}, {1, 2, 3, 4});
  H8_ASSERT_OK_AND_ASSIGN(
      auto out, RunNode("y = MaxPool <kernel_shape = [2, 2], pads = [1, 1, 1, 1]> (x)", 13, {&x}));
  ExpectFloats(out[0], {1, 1, 3, 3}, {1, 2, 2, 3, 4, 4, 3, 4, 4});
  // Dilation 2 on a 3x3 input of 1..9 reads the corners: max(1,3,7,9) = 9.
  Tensor x3 = F({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  H8_ASSERT_OK_AND_ASSIGN(
      auto dil, RunNode("y = MaxPool <kernel_shape = [2, 2], dilations = [2, 2]> (x)", 13, {&x3}));
  ExpectFloats(dil[0], {1, 1, 1, 1}, {9});
}

TEST(EvaluatorTest, MaxPoolIndices) {
  // [1,3,2,0] k 2 s 2: maxima 3 at flat index 1 and 2 at index 2.
  Tensor x = F({1, 1, 4}, {1, 3, 2, 0});
  H8_ASSERT_OK_AND_ASSIGN(
      auto out, RunNode("y, idx = MaxPool <kernel_shape = [2], strides = [2]> (x)", 13, {&x}));
  ExpectFloats(out[0], {1, 1, 2}, {3, 2});
  ExpectInts(out[1], {1, 1, 2}, {1, 2});
}

TEST(EvaluatorTest, AveragePoolCountIncludePad) {
  // x = [1,2,3], k 2, pads 1/1 -> windows [p,1],[1,2],[2,3],[3,p].
  // Excluding pads: [1, 1.5, 2.5, 3]; including: [0.5, 1.5, 2.5, 1.5].
  Tensor x = F({1, 1, 3}, {1, 2, 3});
  H8_ASSERT_OK_AND_ASSIGN(
      auto ex, RunNode("y = AveragePool <kernel_shape = [2], pads = [1, 1]> (x)", 13, {&x}));
  ExpectFloats(ex[0], {1, 1, 4}, {1, 1.5, 2.5, 3});
  H8_ASSERT_OK_AND_ASSIGN(
      auto in,
      RunNode("y = AveragePool <kernel_shape = [2], pads = [1, 1], count_include_pad = 1> (x)", 13,
              {&x}));
  ExpectFloats(in[0], {1, 1, 4}, {0.5, 1.5, 2.5, 1.5});
}

TEST(EvaluatorTest, AveragePoolCeilMode) {
  // [1..5], k 2, s 2, ceil: windows [1,2],[3,4],[5] -> [1.5, 3.5, 5]. The
  // overhanging tap is not padding, so count_include_pad still divides by 1.
  Tensor x = F({1, 1, 5}, {1, 2, 3, 4, 5});
  for (const char* text : {"y = AveragePool <kernel_shape = [2], strides = [2], ceil_mode = 1> (x)",
                           "y = AveragePool <kernel_shape = [2], strides = [2], ceil_mode = 1, "
                           "count_include_pad = 1> (x)"}) {
    H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode(text, 13, {&x}));
    ExpectFloats(out[0], {1, 1, 3}, {1.5, 3.5, 5});
  }
}

TEST(EvaluatorTest, GlobalPools) {
  // ch0 = [1,3] -> avg 2, max 3; ch1 = [2,6] -> avg 4, max 6.
  Tensor x = F({1, 2, 2}, {1, 3, 2, 6});
  H8_ASSERT_OK_AND_ASSIGN(auto avg, RunNode("y = GlobalAveragePool (x)", 13, {&x}));
  ExpectFloats(avg[0], {1, 2, 1}, {2, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto mx, RunNode("y = GlobalMaxPool (x)", 13, {&x}));
  ExpectFloats(mx[0], {1, 2, 1}, {3, 6});
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

TEST(EvaluatorTest, BatchNormalization) {
  // ch0: (x-1)/sqrt(4)*1 + 0 -> [0, 0.5]; ch1: (x-2)/sqrt(0.25)*2 + 1 -> [5, 9].
  Tensor x = F({1, 2, 1, 2}, {1, 2, 3, 4});
  Tensor scale = F({2}, {1, 2}), bias = F({2}, {0, 1});
  Tensor mean = F({2}, {1, 2}), var = F({2}, {4, 0.25});
  H8_ASSERT_OK_AND_ASSIGN(auto out,
                          RunNode("y = BatchNormalization <epsilon = 0.0> (x, s, b, m, v)", 15,
                                  {&x, &scale, &bias, &mean, &var}));
  ExpectFloats(out[0], {1, 2, 1, 2}, {0, 0.5, 5, 9});
  // training_mode present but 0 (opset 14/15 exports) is the inference form;
  // 1 (batch statistics) is refused.
  H8_ASSERT_OK_AND_ASSIGN(
      auto inf, RunNode("y = BatchNormalization <epsilon = 0.0, training_mode = 0> (x, s, b, m, v)",
                        15, {&x, &scale, &bias, &mean, &var}));
  ExpectFloats(inf[0], {1, 2, 1, 2}, {0, 0.5, 5, 9});
  EXPECT_EQ(RunNode("y = BatchNormalization <training_mode = 1> (x, s, b, m, v)", 15,
                    {&x, &scale, &bias, &mean, &var})
                .status()
                .code(),
            absl::StatusCode::kUnimplemented);
}

TEST(EvaluatorTest, InstanceNormalization) {
  // Per (n,c) over [1,3]: mean 2, var 1 -> [-1, 1]; scale 2, bias 1 -> [-1, 3].
  Tensor x = F({1, 1, 2}, {1, 3});
  Tensor scale = F({1}, {2}), bias = F({1}, {1});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode("y = InstanceNormalization <epsilon = 0.0> (x, s, b)",
                                            13, {&x, &scale, &bias}));
  ExpectFloats(out[0], {1, 1, 2}, {-1, 3});
}

TEST(EvaluatorTest, LayerNormalization) {
  // Row [1,3]: mean 2, std 1 -> [-1,1]; row [0,4]: mean 2, std 2 -> [-1,1].
  // Scale [2,1], bias [0,1] -> [-2, 2] per row. InvStdDev = [1, 0.5].
  Tensor x = F({2, 2}, {1, 3, 0, 4});
  Tensor scale = F({2}, {2, 1}), bias = F({2}, {0, 1});
  H8_ASSERT_OK_AND_ASSIGN(auto out,
                          RunNode("y, mean, inv = LayerNormalization <epsilon = 0.0> (x, s, b)", 17,
                                  {&x, &scale, &bias}));
  ExpectFloats(out[0], {2, 2}, {-2, 2, -2, 2});
  ExpectFloats(out[1], {2, 1}, {2, 2});
  ExpectFloats(out[2], {2, 1}, {1, 0.5});
  // Without bias, normalizing over both axes: mean 2, var (1+1+4+4)/4 = 2.5.
  H8_ASSERT_OK_AND_ASSIGN(
      auto all,
      RunNode("y = LayerNormalization <axis = 0, epsilon = 0.0> (x, s)", 17, {&x, &scale}));
  const float inv = 1.0f / std::sqrt(2.5f);
  ExpectFloats(all[0], {2, 2}, {-2 * inv, 1 * inv, -4 * inv, 2 * inv});
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

TEST(EvaluatorTest, SoftmaxOpset11CoercesTo2D) {
  // Opset 11, default axis 1 on [1,2,2]: one row of 4 -> each 0.25.
  // Opset 13, default axis -1: rows of 2 -> each 0.5.
  const char* model = R"(
    <ir_version: 8, opset_import: ["" : %d]>
    g (float[1,2,2] x) => (float[1,2,2] y) { y = Softmax (x) })";
  char text11[256], text13[256];
  std::snprintf(text11, sizeof(text11), model, 11);
  std::snprintf(text13, sizeof(text13), model, 13);
  Tensor x = F({1, 2, 2}, {0, 0, 0, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto out11, RunModel(text11, {{"x", x}}));
  ExpectFloats(out11[0], {1, 2, 2}, {0.25, 0.25, 0.25, 0.25});
  H8_ASSERT_OK_AND_ASSIGN(auto out13, RunModel(text13, {{"x", x}}));
  ExpectFloats(out13[0], {1, 2, 2}, {0.5, 0.5, 0.5, 0.5});
}

TEST(EvaluatorTest, SoftmaxAndLogSoftmaxValues) {
  // [0, ln 3] -> [1/4, 3/4]; log-softmax -> [ln 1/4, ln 3/4].
  Tensor x = F({1, 2}, {0, std::log(3.0f)});
  H8_ASSERT_OK_AND_ASSIGN(auto sm, RunNode("y = Softmax <axis = 1> (x)", 13, {&x}));
  ExpectFloats(sm[0], {1, 2}, {0.25, 0.75});
  H8_ASSERT_OK_AND_ASSIGN(auto lsm, RunNode("y = LogSoftmax (x)", 13, {&x}));
  ExpectFloats(lsm[0], {1, 2}, {std::log(0.25f), std::log(0.75f)});
  // Opset 13 along axis 0 of a [2,1] column: softmax over the column.
  Tensor col = F({2, 1}, {0, std::log(3.0f)});
  H8_ASSERT_OK_AND_ASSIGN(auto c, RunNode("y = Softmax <axis = 0> (x)", 13, {&col}));
  ExpectFloats(c[0], {2, 1}, {0.25, 0.75});
}

//===----------------------------------------------------------------------===//
// Gemm / MatMul
//===----------------------------------------------------------------------===//

TEST(EvaluatorTest, GemmTransposesAlphaBeta) {
  // A' = [[1,3,5],[2,4,6]], B' = [[1,0],[0,1],[1,1]]: A'B' = [[6,8],[8,10]].
  // alpha 2 -> [[12,16],[16,20]]; beta 0.5 * C=[1,2] -> + [0.5, 1].
  Tensor a = F({3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor b = F({2, 3}, {1, 0, 1, 0, 1, 1});
  Tensor c = F({2}, {1, 2});
  H8_ASSERT_OK_AND_ASSIGN(
      auto out, RunNode("y = Gemm <transA = 1, transB = 1, alpha = 2.0, beta = 0.5> (a, b, c)", 13,
                        {&a, &b, &c}));
  ExpectFloats(out[0], {2, 2}, {12.5, 17, 16.5, 21});
  // No C (optional since opset 11).
  H8_ASSERT_OK_AND_ASSIGN(auto noc,
                          RunNode("y = Gemm <transA = 1, transB = 1> (a, b)", 13, {&a, &b}));
  ExpectFloats(noc[0], {2, 2}, {6, 8, 8, 10});
}

TEST(EvaluatorTest, MatMulBroadcastAndVectors) {
  // Batched [2,1,2] x [2,1]: [1,2].[1,1] = 3, [3,4].[1,1] = 7.
  Tensor a = F({2, 1, 2}, {1, 2, 3, 4});
  Tensor b = F({2, 1}, {1, 1});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode("y = MatMul (a, b)", 13, {&a, &b}));
  ExpectFloats(out[0], {2, 1, 1}, {3, 7});
  // Broadcast batch dims [2,1] x [3]: A [2,1,1,2], B [3,2,1] -> [2,3,1,1];
  // A rows [1,2],[3,4]; B columns [1,0],[0,1],[1,1].
  Tensor a4 = F({2, 1, 1, 2}, {1, 2, 3, 4});
  Tensor b3 = F({3, 2, 1}, {1, 0, 0, 1, 1, 1});
  H8_ASSERT_OK_AND_ASSIGN(auto bb, RunNode("y = MatMul (a, b)", 13, {&a4, &b3}));
  ExpectFloats(bb[0], {2, 3, 1, 1}, {1, 2, 3, 3, 4, 7});
  // 1-D left operand: [1,2] x [[1,2],[3,4]] = [7,10], rank 1.
  Tensor v = F({2}, {1, 2});
  Tensor m = F({2, 2}, {1, 2, 3, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto left, RunNode("y = MatMul (a, b)", 13, {&v, &m}));
  ExpectFloats(left[0], {2}, {7, 10});
  // 1-D right operand: [[1,2],[3,4]] x [1,2] = [5, 11].
  H8_ASSERT_OK_AND_ASSIGN(auto right, RunNode("y = MatMul (a, b)", 13, {&m, &v}));
  ExpectFloats(right[0], {2}, {5, 11});
  // Mismatched inner dims are an error.
  Tensor bad = F({3, 1}, {1, 1, 1});
  auto err = RunNode("y = MatMul (a, b)", 13, {&m, &bad});
  EXPECT_EQ(err.status().code(), absl::StatusCode::kInvalidArgument);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST(EvaluatorTest, BroadcastingAdd) {
  // [[1],[2]] + [10,20,30] -> [[11,21,31],[12,22,32]].
  Tensor a = F({2, 1}, {1, 2});
  Tensor b = F({3}, {10, 20, 30});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode("y = Add (a, b)", 13, {&a, &b}));
  ExpectFloats(out[0], {2, 3}, {11, 21, 31, 12, 22, 32});
  Tensor c = F({4}, {1, 2, 3, 4});
  Tensor d = F({2, 3}, {1, 2, 3, 4, 5, 6});
  auto err = RunNode("y = Add (a, b)", 13, {&d, &c});
  EXPECT_EQ(err.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EvaluatorTest, ArithmeticFloatAndInt) {
  Tensor a = F({3}, {1, 4, 9});
  Tensor b = F({1}, {2});
  H8_ASSERT_OK_AND_ASSIGN(auto sub, RunNode("y = Sub (a, b)", 13, {&a, &b}));
  ExpectFloats(sub[0], {3}, {-1, 2, 7});
  H8_ASSERT_OK_AND_ASSIGN(auto mul, RunNode("y = Mul (a, b)", 13, {&a, &b}));
  ExpectFloats(mul[0], {3}, {2, 8, 18});
  H8_ASSERT_OK_AND_ASSIGN(auto div, RunNode("y = Div (a, b)", 13, {&a, &b}));
  ExpectFloats(div[0], {3}, {0.5, 2, 4.5});
  H8_ASSERT_OK_AND_ASSIGN(auto pw, RunNode("y = Pow (a, b)", 13, {&a, &b}));
  ExpectFloats(pw[0], {3}, {1, 16, 81});
  // Integer division truncates toward zero: 7/2 = 3, -7/2 = -3.
  Tensor ia = I({2}, {7, -7}), ib = I({1}, {2});
  H8_ASSERT_OK_AND_ASSIGN(auto idiv, RunNode("y = Div (a, b)", 13, {&ia, &ib}));
  ExpectInts(idiv[0], {2}, {3, -3});
  Tensor zero = I({1}, {0});
  auto err = RunNode("y = Div (a, b)", 13, {&ia, &zero});
  EXPECT_EQ(err.status().code(), absl::StatusCode::kInvalidArgument);
  // Mixing float and int operands is an error.
  auto mixed = RunNode("y = Add (a, b)", 13, {&a, &ib});
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EvaluatorTest, UnaryActivations) {
  Tensor x = F({4}, {-2, -0.5, 0, 3});
  struct Case {
    const char* text;
    std::vector<float> want;
  } cases[] = {
      {"y = Relu (x)", {0, 0, 0, 3}},
      {"y = LeakyRelu <alpha = 0.1> (x)", {-0.2f, -0.05f, 0, 3}},
      {"y = Neg (x)", {2, 0.5, 0, -3}},
      {"y = Abs (x)", {2, 0.5, 0, 3}},
      {"y = Floor (x)", {-2, -1, 0, 3}},
      {"y = Ceil (x)", {-2, 0, 0, 3}},
      // HardSigmoid: clamp(0.2x + 0.5, 0, 1) -> [0.1, 0.4, 0.5, 1].
      {"y = HardSigmoid (x)", {0.1f, 0.4f, 0.5f, 1}},
      // HardSwish: x * clamp(x/6 + 0.5, 0, 1) -> [-2/6, -0.5*5/12, 0, 3].
      {"y = HardSwish (x)", {-2.0f / 6, -0.5f * (5.0f / 12), 0, 3}},
      {"y = Elu (x)", {std::expm1(-2.0f), std::expm1(-0.5f), 0, 3}},
      {"y = Sigmoid (x)",
       {1 / (1 + std::exp(2.0f)), 1 / (1 + std::exp(0.5f)), 0.5, 1 / (1 + std::exp(-3.0f))}},
      {"y = Tanh (x)", {std::tanh(-2.0f), std::tanh(-0.5f), 0, std::tanh(3.0f)}},
      {"y = Erf (x)", {std::erf(-2.0f), std::erf(-0.5f), 0, std::erf(3.0f)}},
      {"y = Exp (x)", {std::exp(-2.0f), std::exp(-0.5f), 1, std::exp(3.0f)}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode(c.text, 13, {&x}));
    ExpectFloats(out[0], {4}, c.want);
  }
  Tensor pos = F({3}, {0.25, 1, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto sq, RunNode("y = Sqrt (x)", 13, {&pos}));
  ExpectFloats(sq[0], {3}, {0.5, 1, 2});
  H8_ASSERT_OK_AND_ASSIGN(auto rc, RunNode("y = Reciprocal (x)", 13, {&pos}));
  ExpectFloats(rc[0], {3}, {4, 1, 0.25});
  H8_ASSERT_OK_AND_ASSIGN(auto lg, RunNode("y = Log (x)", 13, {&pos}));
  ExpectFloats(lg[0], {3}, {std::log(0.25f), 0, std::log(4.0f)});
}

TEST(EvaluatorTest, GeluAndMish) {
  // Reference values from the definitions in double precision:
  // Gelu(x) = x/2 (1 + erf(x/sqrt 2)); tanh form
  // x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); Mish(x) = x tanh(ln(1 + e^x)).
  Tensor x = F({5}, {-2, -1, 0, 1, 2});
  H8_ASSERT_OK_AND_ASSIGN(auto exact, RunNode("y = Gelu (x)", 20, {&x}));
  ExpectFloats(exact[0], {5}, {-0.0455002639f, -0.1586552539f, 0, 0.8413447461f, 1.9544997361f},
               1e-6f);
  H8_ASSERT_OK_AND_ASSIGN(auto approx, RunNode("y = Gelu <approximate = \"tanh\"> (x)", 20, {&x}));
  ExpectFloats(approx[0], {5}, {-0.0454023059f, -0.1588080094f, 0, 0.8411919906f, 1.9545976941f},
               1e-6f);
  H8_ASSERT_OK_AND_ASSIGN(auto mish, RunNode("y = Mish (x)", 18, {&x}));
  ExpectFloats(mish[0], {5}, {-0.2525014827f, -0.3034014614f, 0, 0.8650983883f, 1.9439589595f},
               1e-6f);
  // Far tails: Mish(40) = 40 (no overflow in e^x), Mish(-40) ~ -40 e^-40 ~ 0.
  Tensor tails = F({2}, {40, -40});
  H8_ASSERT_OK_AND_ASSIGN(auto mt, RunNode("y = Mish (x)", 18, {&tails}));
  ExpectFloats(mt[0], {2}, {40, 0}, 1e-6f);
  // Not in the default domain before their opsets; unknown approximation.
  EXPECT_EQ(RunNode("y = Gelu (x)", 17, {&x}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunNode("y = Mish (x)", 17, {&x}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunNode("y = Gelu <approximate = \"erf\"> (x)", 20, {&x}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EvaluatorTest, PReluBroadcastsSlope) {
  // Per-channel slope [0.5, 2] over [1,2,2]: negatives scaled per channel.
  Tensor x = F({1, 2, 2}, {-2, 1, -3, 4});
  Tensor s = F({2, 1}, {0.5, 2});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode("y = PRelu (x, s)", 13, {&x, &s}));
  ExpectFloats(out[0], {1, 2, 2}, {-1, 1, -6, 4});
}

TEST(EvaluatorTest, ClipAttributesAndInputs) {
  Tensor x = F({4}, {-2, 0, 0.5, 3});
  // Opset 6..10: attributes.
  H8_ASSERT_OK_AND_ASSIGN(auto a, RunNode("y = Clip <min = 0.0, max = 1.0> (x)", 6, {&x}));
  ExpectFloats(a[0], {4}, {0, 0, 0.5, 1});
  // Opset 11+: inputs, max omitted.
  Tensor lo = F({}, {-1});
  H8_ASSERT_OK_AND_ASSIGN(auto b, RunNode("y = Clip (x, lo)", 13, {&x, &lo}));
  ExpectFloats(b[0], {4}, {-1, 0, 0.5, 3});
  Tensor hi = F({}, {0.25});
  H8_ASSERT_OK_AND_ASSIGN(auto c, RunNode("y = Clip (x, lo, hi)", 13, {&x, nullptr, &hi}));
  ExpectFloats(c[0], {4}, {-2, 0, 0.25, 0.25});
}

TEST(EvaluatorTest, ComparisonsLogicAndWhere) {
  Tensor a = F({3}, {1, 2, 3});
  Tensor b = F({1}, {2});
  H8_ASSERT_OK_AND_ASSIGN(auto eq, RunNode("y = Equal (a, b)", 13, {&a, &b}));
  ExpectInts(eq[0], {3}, {0, 1, 0});
  EXPECT_EQ(eq[0].dtype, TensorProto::BOOL);
  H8_ASSERT_OK_AND_ASSIGN(auto lt, RunNode("y = Less (a, b)", 13, {&a, &b}));
  ExpectInts(lt[0], {3}, {1, 0, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto gt, RunNode("y = Greater (a, b)", 13, {&a, &b}));
  ExpectInts(gt[0], {3}, {0, 0, 1});
  Tensor p = I({4}, {0, 0, 1, 1}, TensorProto::BOOL);
  Tensor q = I({4}, {0, 1, 0, 1}, TensorProto::BOOL);
  H8_ASSERT_OK_AND_ASSIGN(auto an, RunNode("y = And (a, b)", 13, {&p, &q}));
  ExpectInts(an[0], {4}, {0, 0, 0, 1});
  H8_ASSERT_OK_AND_ASSIGN(auto orr, RunNode("y = Or (a, b)", 13, {&p, &q}));
  ExpectInts(orr[0], {4}, {0, 1, 1, 1});
  H8_ASSERT_OK_AND_ASSIGN(auto nt, RunNode("y = Not (a)", 13, {&p}));
  ExpectInts(nt[0], {4}, {1, 1, 0, 0});
  // Where(cond [1,2], X [2,1], Y scalar) -> [[1,0],[2,0]].
  Tensor cond = I({1, 2}, {1, 0}, TensorProto::BOOL);
  Tensor x = F({2, 1}, {1, 2});
  Tensor y = F({}, {0});
  H8_ASSERT_OK_AND_ASSIGN(auto wh, RunNode("z = Where (c, x, y)", 13, {&cond, &x, &y}));
  ExpectFloats(wh[0], {2, 2}, {1, 0, 2, 0});
}

TEST(EvaluatorTest, VariadicMinMaxSumMean) {
  Tensor a = F({2}, {1, 5});
  Tensor b = F({2}, {3, 2});
  Tensor c = F({1}, {4});
  H8_ASSERT_OK_AND_ASSIGN(auto mn, RunNode("y = Min (a, b, c)", 13, {&a, &b, &c}));
  ExpectFloats(mn[0], {2}, {1, 2});
  H8_ASSERT_OK_AND_ASSIGN(auto mx, RunNode("y = Max (a, b, c)", 13, {&a, &b, &c}));
  ExpectFloats(mx[0], {2}, {4, 5});
  H8_ASSERT_OK_AND_ASSIGN(auto sm, RunNode("y = Sum (a, b, c)", 13, {&a, &b, &c}));
  ExpectFloats(sm[0], {2}, {8, 11});
  H8_ASSERT_OK_AND_ASSIGN(auto me, RunNode("y = Mean (a, b, c)", 13, {&a, &b, &c}));
  ExpectFloats(me[0], {2}, {8.0f / 3, 11.0f / 3});
}

TEST(EvaluatorTest, Cast) {
  // float -> int64 truncates toward zero; -> bool is "nonzero";
  // int 300 -> uint8 wraps to 44; 0.1 -> float16 is 0.0999755859375.
  Tensor x = F({3}, {1.7f, -1.7f, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto i64, RunNode("y = Cast <to = 7> (x)", 13, {&x}));
  ExpectInts(i64[0], {3}, {1, -1, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto bl, RunNode("y = Cast <to = 9> (x)", 13, {&x}));
  ExpectInts(bl[0], {3}, {1, 1, 0});
  EXPECT_EQ(bl[0].dtype, TensorProto::BOOL);
  Tensor big = I({1}, {300});
  H8_ASSERT_OK_AND_ASSIGN(auto u8, RunNode("y = Cast <to = 2> (x)", 13, {&big}));
  ExpectInts(u8[0], {1}, {44});
  Tensor tenth = F({1}, {0.1f});
  H8_ASSERT_OK_AND_ASSIGN(auto h, RunNode("y = Cast <to = 10> (x)", 13, {&tenth}));
  ExpectFloats(h[0], {1}, {0.0999755859375f}, 0.0f);
  H8_ASSERT_OK_AND_ASSIGN(auto back, RunNode("y = Cast <to = 1> (x)", 13, {&big}));
  ExpectFloats(back[0], {1}, {300});
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

TEST(EvaluatorTest, ReduceSumAxesAttributeVsInput) {
  // [[1,2,3],[4,5,6]] summed over axis 1 -> [6, 15].
  Tensor x = F({2, 3}, {1, 2, 3, 4, 5, 6});
  H8_ASSERT_OK_AND_ASSIGN(auto v11,
                          RunNode("y = ReduceSum <axes = [1], keepdims = 0> (x)", 11, {&x}));
  ExpectFloats(v11[0], {2}, {6, 15});
  Tensor axes = I({1}, {1});
  H8_ASSERT_OK_AND_ASSIGN(auto v13,
                          RunNode("y = ReduceSum <keepdims = 0> (x, axes)", 13, {&x, &axes}));
  ExpectFloats(v13[0], {2}, {6, 15});
  // Opset 13 without axes reduces everything (keepdims default 1) ...
  H8_ASSERT_OK_AND_ASSIGN(auto all, RunNode("y = ReduceSum (x)", 13, {&x}));
  ExpectFloats(all[0], {1, 1}, {21});
  // ... unless noop_with_empty_axes is set.
  H8_ASSERT_OK_AND_ASSIGN(auto noop,
                          RunNode("y = ReduceSum <noop_with_empty_axes = 1> (x)", 13, {&x}));
  ExpectFloats(noop[0], {2, 3}, {1, 2, 3, 4, 5, 6});
  // The attribute form is rejected at 13.
  auto bad = RunNode("y = ReduceSum <axes = [1]> (x)", 13, {&x});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EvaluatorTest, ReduceFamily) {
  Tensor x = F({2, 3}, {1, 2, 3, 4, 5, 6});
  // ReduceMean still takes the axes attribute at opset 13.
  H8_ASSERT_OK_AND_ASSIGN(auto mean,
                          RunNode("y = ReduceMean <axes = [0], keepdims = 0> (x)", 13, {&x}));
  ExpectFloats(mean[0], {3}, {2.5, 3.5, 4.5});
  H8_ASSERT_OK_AND_ASSIGN(auto mx, RunNode("y = ReduceMax <axes = [1]> (x)", 13, {&x}));
  ExpectFloats(mx[0], {2, 1}, {3, 6});
  H8_ASSERT_OK_AND_ASSIGN(auto mn,
                          RunNode("y = ReduceMin <axes = [-1], keepdims = 0> (x)", 13, {&x}));
  ExpectFloats(mn[0], {2}, {1, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto pr, RunNode("y = ReduceProd <keepdims = 0> (x)", 13, {&x}));
  ExpectFloats(pr[0], {}, {720});
  Tensor v = F({2}, {3, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto l2, RunNode("y = ReduceL2 <keepdims = 0> (x)", 13, {&v}));
  ExpectFloats(l2[0], {}, {5});
  // log(e^0 + e^0) = ln 2, shifted by the max so large inputs do not overflow.
  Tensor z = F({2}, {1000, 1000});
  H8_ASSERT_OK_AND_ASSIGN(auto lse, RunNode("y = ReduceLogSumExp <keepdims = 0> (x)", 13, {&z}));
  ExpectFloats(lse[0], {}, {1000 + std::log(2.0f)}, 1e-3f);
  // Opset 18 moves ReduceMean's axes to an input too.
  Tensor axes = I({1}, {1});
  H8_ASSERT_OK_AND_ASSIGN(auto m18,
                          RunNode("y = ReduceMean <keepdims = 0> (x, axes)", 18, {&x, &axes}));
  ExpectFloats(m18[0], {2}, {2, 5});
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

TEST(EvaluatorTest, SliceNegativeStepsAndClamping) {
  Tensor x = F({5}, {0, 1, 2, 3, 4});
  // start -1 -> 4, end -6 -> -1 (before the start), step -2: 4, 2, 0.
  Tensor s = I({1}, {-1}), e = I({1}, {-6}), ax = I({1}, {0}), st = I({1}, {-2});
  H8_ASSERT_OK_AND_ASSIGN(auto rev,
                          RunNode("y = Slice (x, s, e, a, t)", 13, {&x, &s, &e, &ax, &st}));
  ExpectFloats(rev[0], {3}, {4, 2, 0});
  // INT64_MAX end is clamped to the dim.
  Tensor s1 = I({1}, {1}), emax = I({1}, {std::numeric_limits<int64_t>::max()});
  H8_ASSERT_OK_AND_ASSIGN(auto tail, RunNode("y = Slice (x, s, e)", 13, {&x, &s1, &emax}));
  ExpectFloats(tail[0], {4}, {1, 2, 3, 4});
  // 2-D along axis 1 only: [[0,1,2],[3,4,5]][:, 1:3].
  Tensor m = F({2, 3}, {0, 1, 2, 3, 4, 5});
  Tensor e3 = I({1}, {3}), a1 = I({1}, {1});
  H8_ASSERT_OK_AND_ASSIGN(auto cols, RunNode("y = Slice (x, s, e, a)", 13, {&m, &s1, &e3, &a1}));
  ExpectFloats(cols[0], {2, 2}, {1, 2, 4, 5});
  // Opset 1..9 attribute form.
  H8_ASSERT_OK_AND_ASSIGN(auto old,
                          RunNode("y = Slice <starts = [1], ends = [3], axes = [1]> (x)", 9, {&m}));
  ExpectFloats(old[0], {2, 2}, {1, 2, 4, 5});
}

TEST(EvaluatorTest, PadModes) {
  Tensor x = F({3}, {1, 2, 3});
  Tensor pads = I({2}, {2, 2});
  // reflect excludes the edge: [3,2 | 1,2,3 | 2,1]; edge repeats it.
  H8_ASSERT_OK_AND_ASSIGN(auto refl,
                          RunNode("y = Pad <mode = \"reflect\"> (x, p)", 13, {&x, &pads}));
  ExpectFloats(refl[0], {7}, {3, 2, 1, 2, 3, 2, 1});
  H8_ASSERT_OK_AND_ASSIGN(auto edge, RunNode("y = Pad <mode = \"edge\"> (x, p)", 13, {&x, &pads}));
  ExpectFloats(edge[0], {7}, {1, 1, 1, 2, 3, 3, 3});
  Tensor p10 = I({2}, {1, 0});
  Tensor val = F({}, {9});
  H8_ASSERT_OK_AND_ASSIGN(auto cst, RunNode("y = Pad (x, p, v)", 13, {&x, &p10, &val}));
  ExpectFloats(cst[0], {4}, {9, 1, 2, 3});
  // Negative pads crop: drop one at the start, add a zero at the end.
  Tensor crop = I({2}, {-1, 1});
  H8_ASSERT_OK_AND_ASSIGN(auto cr, RunNode("y = Pad (x, p)", 13, {&x, &crop}));
  ExpectFloats(cr[0], {3}, {2, 3, 0});
  // Opset 2..10 attribute form on 2-D: pad one column of 5 on the left.
  Tensor m = F({1, 2}, {1, 2});
  H8_ASSERT_OK_AND_ASSIGN(auto old,
                          RunNode("y = Pad <pads = [0, 1, 0, 0], value = 5.0> (x)", 10, {&m}));
  ExpectFloats(old[0], {1, 3}, {5, 1, 2});
}

TEST(EvaluatorTest, ReshapeZeroAndMinusOne) {
  Tensor x = F({2, 3, 4}, std::vector<float>(24, 1.0f));
  Tensor shape = I({2}, {0, -1});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode("y = Reshape (x, s)", 13, {&x, &shape}));
  EXPECT_EQ(out[0].dims, (std::vector<int64_t>{2, 12}));
  Tensor bad = I({2}, {5, -1});
  auto err = RunNode("y = Reshape (x, s)", 13, {&x, &bad});
  EXPECT_EQ(err.status().code(), absl::StatusCode::kInvalidArgument);
  Tensor two = I({2}, {-1, -1});
  EXPECT_FALSE(RunNode("y = Reshape (x, s)", 13, {&x, &two}).ok());
  // allowzero = 1 keeps a literal 0 (only valid for empty tensors).
  Tensor empty = F({0, 3}, {});
  Tensor z = I({2}, {3, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto az, RunNode("y = Reshape <allowzero = 1> (x, s)", 14, {&empty, &z}));
  EXPECT_EQ(az[0].dims, (std::vector<int64_t>{3, 0}));
}

TEST(EvaluatorTest, FlattenTransposeConcatSplit) {
  Tensor x = F({2, 3}, {1, 2, 3, 4, 5, 6});
  H8_ASSERT_OK_AND_ASSIGN(auto fl, RunNode("y = Flatten <axis = 0> (x)", 13, {&x}));
  EXPECT_EQ(fl[0].dims, (std::vector<int64_t>{1, 6}));
  H8_ASSERT_OK_AND_ASSIGN(auto tr, RunNode("y = Transpose (x)", 13, {&x}));
  ExpectFloats(tr[0], {3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor x3 = F({1, 2, 3}, {1, 2, 3, 4, 5, 6});
  H8_ASSERT_OK_AND_ASSIGN(auto tp, RunNode("y = Transpose <perm = [2, 0, 1]> (x)", 13, {&x3}));
  ExpectFloats(tp[0], {3, 1, 2}, {1, 4, 2, 5, 3, 6});
  Tensor b = F({2, 1}, {7, 8});
  H8_ASSERT_OK_AND_ASSIGN(auto cat, RunNode("y = Concat <axis = -1> (a, b)", 13, {&x, &b}));
  ExpectFloats(cat[0], {2, 4}, {1, 2, 3, 7, 4, 5, 6, 8});
  // Split sizes: attribute at 11, input at 13; equal split by default.
  H8_ASSERT_OK_AND_ASSIGN(auto s11,
                          RunNode("p, q = Split <axis = 1, split = [1, 2]> (x)", 11, {&x}));
  ExpectFloats(s11[0], {2, 1}, {1, 4});
  ExpectFloats(s11[1], {2, 2}, {2, 3, 5, 6});
  Tensor sizes = I({2}, {2, 1});
  H8_ASSERT_OK_AND_ASSIGN(auto s13, RunNode("p, q = Split <axis = 1> (x, s)", 13, {&x, &sizes}));
  ExpectFloats(s13[0], {2, 2}, {1, 2, 4, 5});
  ExpectFloats(s13[1], {2, 1}, {3, 6});
  H8_ASSERT_OK_AND_ASSIGN(auto eq, RunNode("p, q = Split (x)", 13, {&x}));
  ExpectFloats(eq[0], {1, 3}, {1, 2, 3});
  ExpectFloats(eq[1], {1, 3}, {4, 5, 6});
  // Opset 18 num_outputs with an uneven split: ceil(3/2) = 2, then 1.
  H8_ASSERT_OK_AND_ASSIGN(auto n18,
                          RunNode("p, q = Split <axis = 1, num_outputs = 2> (x)", 18, {&x}));
  ExpectFloats(n18[0], {2, 2}, {1, 2, 4, 5});
  ExpectFloats(n18[1], {2, 1}, {3, 6});
}

TEST(EvaluatorTest, GatherNegativeIndices) {
  Tensor data = F({3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor idx = I({2}, {-1, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto rows, RunNode("y = Gather (d, i)", 13, {&data, &idx}));
  ExpectFloats(rows[0], {2, 2}, {5, 6, 1, 2});
  Tensor col = I({1, 1}, {1});
  H8_ASSERT_OK_AND_ASSIGN(auto cols, RunNode("y = Gather <axis = 1> (d, i)", 13, {&data, &col}));
  ExpectFloats(cols[0], {3, 1, 1}, {2, 4, 6});
  Tensor scalar = I({}, {1});
  H8_ASSERT_OK_AND_ASSIGN(auto sc, RunNode("y = Gather (d, i)", 13, {&data, &scalar}));
  ExpectFloats(sc[0], {2}, {3, 4});
}

TEST(EvaluatorTest, GatherOutOfBoundsIsInvalidArgument) {
  Tensor data = F({3}, {1, 2, 3});
  Tensor idx = I({1}, {3});
  auto out = RunNode("y = Gather (d, i)", 13, {&data, &idx});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("node 'y' (Gather)"), std::string::npos);
  Tensor neg = I({1}, {-4});
  EXPECT_EQ(RunNode("y = Gather (d, i)", 13, {&data, &neg}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EvaluatorTest, SqueezeUnsqueezeAcrossOpsets) {
  Tensor x = F({1, 3, 1}, {1, 2, 3});
  H8_ASSERT_OK_AND_ASSIGN(auto s11, RunNode("y = Squeeze <axes = [0]> (x)", 11, {&x}));
  EXPECT_EQ(s11[0].dims, (std::vector<int64_t>{3, 1}));
  Tensor ax = I({1}, {-1});
  H8_ASSERT_OK_AND_ASSIGN(auto s13, RunNode("y = Squeeze (x, a)", 13, {&x, &ax}));
  EXPECT_EQ(s13[0].dims, (std::vector<int64_t>{1, 3}));
  H8_ASSERT_OK_AND_ASSIGN(auto sall, RunNode("y = Squeeze (x)", 13, {&x}));
  EXPECT_EQ(sall[0].dims, (std::vector<int64_t>{3}));
  Tensor bad_axis = I({1}, {1});
  EXPECT_EQ(RunNode("y = Squeeze (x, a)", 13, {&x, &bad_axis}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Unsqueeze [3] at [0, -1]: axes index the output rank 3 -> [1,3,1].
  Tensor v = F({3}, {1, 2, 3});
  H8_ASSERT_OK_AND_ASSIGN(auto u11, RunNode("y = Unsqueeze <axes = [0, -1]> (x)", 11, {&v}));
  EXPECT_EQ(u11[0].dims, (std::vector<int64_t>{1, 3, 1}));
  Tensor uax = I({2}, {0, -1});
  H8_ASSERT_OK_AND_ASSIGN(auto u13, RunNode("y = Unsqueeze (x, a)", 13, {&v, &uax}));
  EXPECT_EQ(u13[0].dims, (std::vector<int64_t>{1, 3, 1}));
  EXPECT_EQ(u13[0].f, v.f);
}

TEST(EvaluatorTest, RangeExpandTile) {
  Tensor s = I({}, {1}), l = I({}, {6}), d = I({}, {2});
  H8_ASSERT_OK_AND_ASSIGN(auto r, RunNode("y = Range (s, l, d)", 13, {&s, &l, &d}));
  ExpectInts(r[0], {3}, {1, 3, 5});
  Tensor fs = F({}, {0}), fl = F({}, {1}), fd = F({}, {0.25});
  H8_ASSERT_OK_AND_ASSIGN(auto fr, RunNode("y = Range (s, l, d)", 13, {&fs, &fl, &fd}));
  ExpectFloats(fr[0], {4}, {0, 0.25, 0.5, 0.75});
  Tensor down_s = I({}, {5}), down_l = I({}, {0}), down_d = I({}, {-2});
  H8_ASSERT_OK_AND_ASSIGN(auto dr, RunNode("y = Range (s, l, d)", 13, {&down_s, &down_l, &down_d}));
  ExpectInts(dr[0], {3}, {5, 3, 1});
  // Expand [3,1] to [2,1,2] -> [2,3,2], each row repeated along the last axis.
  Tensor x = F({3, 1}, {1, 2, 3});
  Tensor shape = I({3}, {2, 1, 2});
  H8_ASSERT_OK_AND_ASSIGN(auto ex, RunNode("y = Expand (x, s)", 13, {&x, &shape}));
  ExpectFloats(ex[0], {2, 3, 2}, {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  // Tile [[1,2]] by [2,2] -> [[1,2,1,2],[1,2,1,2]].
  Tensor t = F({1, 2}, {1, 2});
  Tensor reps = I({2}, {2, 2});
  H8_ASSERT_OK_AND_ASSIGN(auto ti, RunNode("y = Tile (x, r)", 13, {&t, &reps}));
  ExpectFloats(ti[0], {2, 4}, {1, 2, 1, 2, 1, 2, 1, 2});
}

TEST(EvaluatorTest, ShapeSizeConstants) {
  Tensor x = F({2, 3, 4}, std::vector<float>(24, 0.0f));
  H8_ASSERT_OK_AND_ASSIGN(auto sh, RunNode("y = Shape (x)", 13, {&x}));
  ExpectInts(sh[0], {3}, {2, 3, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto sh15, RunNode("y = Shape <start = 1, end = -1> (x)", 15, {&x}));
  ExpectInts(sh15[0], {1}, {3});
  H8_ASSERT_OK_AND_ASSIGN(auto sz, RunNode("y = Size (x)", 13, {&x}));
  ExpectInts(sz[0], {}, {24});
  H8_ASSERT_OK_AND_ASSIGN(auto cf, RunNode("y = Constant <value_float = 1.5> ()", 13, {}));
  ExpectFloats(cf[0], {}, {1.5});
  H8_ASSERT_OK_AND_ASSIGN(auto ci, RunNode("y = Constant <value_ints = [1, 2]> ()", 13, {}));
  ExpectInts(ci[0], {2}, {1, 2});
  H8_ASSERT_OK_AND_ASSIGN(auto ct, RunNode("y = Constant <value = float[2] {3, 4}> ()", 13, {}));
  ExpectFloats(ct[0], {2}, {3, 4});
  Tensor shape = I({2}, {2, 2});
  H8_ASSERT_OK_AND_ASSIGN(auto cz, RunNode("y = ConstantOfShape (s)", 13, {&shape}));
  ExpectFloats(cz[0], {2, 2}, {0, 0, 0, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto c7,
                          RunNode("y = ConstantOfShape <value = int64[1] {7}> (s)", 13, {&shape}));
  ExpectInts(c7[0], {2, 2}, {7, 7, 7, 7});
}

TEST(EvaluatorTest, IdentityAndDropout) {
  Tensor x = F({2}, {1, 2});
  H8_ASSERT_OK_AND_ASSIGN(auto id, RunNode("y = Identity (x)", 13, {&x}));
  ExpectFloats(id[0], {2}, {1, 2});
  H8_ASSERT_OK_AND_ASSIGN(auto dr, RunNode("y, m = Dropout (x)", 13, {&x}));
  ExpectFloats(dr[0], {2}, {1, 2});
  ExpectInts(dr[1], {2}, {1, 1});
  // Opset 12+ inputs: ratio 0.7 with training_mode false is the identity
  // (mask all true); training_mode true with a non-zero ratio is refused,
  // with ratio 0 it is the identity again.
  Tensor ratio = F({}, {0.7f}), zero = F({}, {0.0f});
  Tensor off = I({}, {0}, onnx::TensorProto::BOOL), on = I({}, {1}, onnx::TensorProto::BOOL);
  H8_ASSERT_OK_AND_ASSIGN(auto dr_off, RunNode("y, m = Dropout (x, r, t)", 13, {&x, &ratio, &off}));
  ExpectFloats(dr_off[0], {2}, {1, 2});
  ExpectInts(dr_off[1], {2}, {1, 1});
  EXPECT_EQ(RunNode("y = Dropout (x, r, t)", 13, {&x, &ratio, &on}).status().code(),
            absl::StatusCode::kUnimplemented);
  H8_ASSERT_OK_AND_ASSIGN(auto dr_zero, RunNode("y = Dropout (x, r, t)", 13, {&x, &zero, &on}));
  ExpectFloats(dr_zero[0], {2}, {1, 2});
}

TEST(EvaluatorTest, DetAndBitShift) {
  // det [[2,1],[1,3]] = 5; [[0,1],[1,0]] = -1 (needs a row swap);
  // [[1,2],[2,4]] = 0 (singular).
  Tensor m = F({3, 2, 2}, {2, 1, 1, 3, 0, 1, 1, 0, 1, 2, 2, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto det, RunNode("y = Det (x)", 11, {&m}));
  ExpectFloats(det[0], {3}, {5, -1, 0});
  // uint8: 200 << 1 = 400 wraps to 144; 3 << 7 = 384 -> 128; 1 >> 8 = 0
  // (shift by the width); 255 >> 4 = 15.
  Tensor a = I({4}, {200, 3, 1, 255}, onnx::TensorProto::UINT8);
  Tensor n = I({4}, {1, 7, 8, 4}, onnx::TensorProto::UINT8);
  H8_ASSERT_OK_AND_ASSIGN(auto l,
                          RunNode("y = BitShift <direction = \"LEFT\"> (a, n)", 11, {&a, &n}));
  ExpectInts(l[0], {4}, {144, 128, 0, 240});
  H8_ASSERT_OK_AND_ASSIGN(auto r,
                          RunNode("y = BitShift <direction = \"RIGHT\"> (a, n)", 11, {&a, &n}));
  ExpectInts(r[0], {4}, {100, 0, 0, 15});
}

TEST(EvaluatorTest, ResizeCropAndResizeExtrapolates) {
  // One axis of 3 values [0, 10, 20], roi [-0.5, 1.5] on it, 3 outputs:
  // source = x * (2 * 2) / 2 - 0.5 * 2 = 2x - 1 -> -1 (outside: 7), 1 (10),
  // 3 (outside: 7).
  Tensor x = F({1, 1, 1, 3}, {0, 10, 20});
  Tensor roi = F({8}, {0, 0, 0, -0.5, 1, 1, 1, 1.5});
  Tensor sizes = I({4}, {1, 1, 1, 3});
  for (const char* m : {"linear", "cubic"}) {
    H8_ASSERT_OK_AND_ASSIGN(auto y,
                            RunNode(std::string("y = Resize <mode = \"") + m +
                                        "\", coordinate_transformation_mode = "
                                        "\"tf_crop_and_resize\", extrapolation_value = 7.0> "
                                        "(x, roi, , sizes)",
                                    13, {&x, &roi, nullptr, &sizes}));
    ExpectFloats(y[0], {1, 1, 1, 3}, {7, 10, 7});
  }
}

TEST(EvaluatorTest, ResizeLinearAndNearest) {
  // [0, 4] upsampled x2 along the last axis.
  // half_pixel: src = (o+0.5)/2-0.5 = -0.25,0.25,0.75,1.25 -> clamp -> [0,1,3,4].
  // align_corners: o/3 -> [0, 4/3, 8/3, 4]. asymmetric: o/2 -> [0,2,4,4].
  // nearest (half_pixel, round_prefer_floor): -0.25->0, 0.25->0, 0.75->1, 1.25->1.
  Tensor x = F({1, 1, 1, 2}, {0, 4});
  Tensor scales = F({4}, {1, 1, 1, 2});
  struct Case {
    const char* text;
    std::vector<float> want;
  } cases[] = {
      {"y = Resize <mode = \"linear\"> (x, r, s)", {0, 1, 3, 4}},
      {"y = Resize <mode = \"linear\", coordinate_transformation_mode = \"align_corners\"> (x, r, "
       "s)",
       {0, 4.0f / 3, 8.0f / 3, 4}},
      {"y = Resize <mode = \"linear\", coordinate_transformation_mode = \"asymmetric\"> (x, r, s)",
       {0, 2, 4, 4}},
      {"y = Resize (x, r, s)", {0, 0, 4, 4}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode(c.text, 13, {&x, nullptr, &scales}));
    ExpectFloats(out[0], {1, 1, 1, 4}, c.want);
  }
  // sizes instead of scales.
  Tensor sizes = I({4}, {1, 1, 1, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto sz, RunNode("y = Resize <mode = \"linear\"> (x, r, s, z)", 13,
                                           {&x, nullptr, nullptr, &sizes}));
  ExpectFloats(sz[0], {1, 1, 1, 4}, {0, 1, 3, 4});
  // Antialiasing (opset 18) is refused, naming the attribute.
  auto aa = RunNode("y = Resize <mode = \"linear\", antialias = 1> (x, r, s)", 18,
                    {&x, nullptr, &scales});
  EXPECT_EQ(aa.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(aa.status().message().find("antialias"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Model-level behaviour and errors
//===----------------------------------------------------------------------===//

TEST(EvaluatorTest, ModelChainsNodesAndFreesIntermediates) {
  // y = Relu(x - 1) * 2, z = Shape(y); outputs in graph order.
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunModel(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[3] x) => (float[3] y, int64[1] z)
      <float[1] one = {1}, float[1] two = {2}>
    {
      a = Sub (x, one)
      b = Relu (a)
      y = Mul (b, two)
      z = Shape (y)
    })",
                                             {{"x", F({3}, {0, 1, 3})}}));
  ASSERT_EQ(out.size(), 2u);
  ExpectFloats(out[0], {3}, {0, 0, 4});
  ExpectInts(out[1], {1}, {3});
}

TEST(EvaluatorTest, InitializerInputCanBeOverridden) {
  const char* text = R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[2] x, float[1] b) => (float[2] y)
      <float[1] b = {10}>
    { y = Add (x, b) })";
  H8_ASSERT_OK_AND_ASSIGN(auto dflt, RunModel(text, {{"x", F({2}, {1, 2})}}));
  ExpectFloats(dflt[0], {2}, {11, 12});
  H8_ASSERT_OK_AND_ASSIGN(auto over, RunModel(text, {{"x", F({2}, {1, 2})}, {"b", F({1}, {100})}}));
  ExpectFloats(over[0], {2}, {101, 102});
}

TEST(EvaluatorTest, UnknownOpIsUnimplemented) {
  auto out = RunModel(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[2] x) => (float[2] y) { y = FooBar (x) })",
                      {{"x", F({2}, {1, 2})}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(out.status().message().find("node 'y' (FooBar)"), std::string::npos) << out.status();
  EXPECT_FALSE(EvaluatorSupportsOp("FooBar"));
  EXPECT_TRUE(EvaluatorSupportsOp("Conv"));
  EXPECT_TRUE(EvaluatorSupportsOp("Loop"));
  EXPECT_FALSE(EvaluatorSupportsOp("NonMaxSuppression"));
}

TEST(EvaluatorTest, OtherDomainIsUnimplemented) {
  auto out = RunModel(R"(
    <ir_version: 8, opset_import: ["" : 13, "com.microsoft" : 1]>
    g (float[2] x) => (float[2] y) { y = com.microsoft.Gelu (x) })",
                      {{"x", F({2}, {1, 2})}});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnimplemented) << out.status();
}

TEST(EvaluatorTest, MissingAndMismatchedInputs) {
  const char* text = R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1,2] x) => (float[1,2] y) { y = Relu (x) })";
  auto missing = RunModel(text, {});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("'x'"), std::string::npos) << missing.status();
  auto shape = RunModel(text, {{"x", F({2, 1}, {1, 2})}});
  EXPECT_EQ(shape.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(shape.status().message().find("'x'"), std::string::npos) << shape.status();
  auto rank = RunModel(text, {{"x", F({2}, {1, 2})}});
  EXPECT_EQ(rank.status().code(), absl::StatusCode::kInvalidArgument);
  auto type = RunModel(text, {{"x", I({1, 2}, {1, 2})}});
  EXPECT_EQ(type.status().code(), absl::StatusCode::kInvalidArgument);
  auto extra = RunModel(text, {{"x", F({1, 2}, {1, 2})}, {"nope", F({1}, {1})}});
  EXPECT_EQ(extra.status().code(), absl::StatusCode::kInvalidArgument);
  // Symbolic dims accept any size.
  H8_ASSERT_OK_AND_ASSIGN(auto sym, RunModel(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,2] x) => (float[N,2] y) { y = Relu (x) })",
                                             {{"x", F({2, 2}, {-1, 1, 2, -2})}}));
  ExpectFloats(sym[0], {2, 2}, {0, 1, 2, 0});
}

TEST(EvaluatorTest, UndefinedNodeInputIsAnError) {
  auto out = RunModel(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[2] x) => (float[2] y) { y = Add (x, ghost) })",
                      {{"x", F({2}, {1, 2})}});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("ghost"), std::string::npos) << out.status();
}

TEST(EvaluatorTest, MissingRequiredNodeInput) {
  Tensor x = F({2}, {1, 2});
  auto out = RunNode("y = Add (a, b)", 13, {&x, nullptr});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  auto conv = RunNode("y = Conv (x, w)", 13, {&x});
  EXPECT_EQ(conv.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace h8
