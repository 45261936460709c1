//===- LstmTest.cpp - Evaluator LSTM kernel tests ---------------------===//
//
// Hand-computed LSTM cases: gate order (i, o, f, c), both bias halves,
// initial states, the W/R layouts ([gate rows, inputs]), reverse and
// bidirectional runs, and the PyTorch export form with an empty
// sequence_lens. Expected values are the spec's equations written out for
// each case, with sigma(0) = 0.5 wherever a gate's weights are zero.
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <vector>

#include "EvalTestUtil.h"
#include "gtest/gtest.h"

namespace h8 {
namespace {

using evaltest::ExpectFloats;
using evaltest::F;
using evaltest::RunModel;
using evaltest::RunNode;

float Sig(double v) { return static_cast<float>(1 / (1 + std::exp(-v))); }

TEST(LstmTest, OneStepByHand) {
  // hidden 1, input 1, x = 1, h0 = 1, c0 = 2. Pre-activations (i, o, f, c):
  // W*x = (0.5, 1, -1, 2), R*h0 = (0.5, 0, 1, -1), Wb + Rb = (0, 1, 0, 0)
  // -> (1, 2, 0, 1). C = sig(0)*2 + sig(1)*tanh(1) = 1.55676994,
  // H = sig(2)*tanh(C) = 0.80583739.
  Tensor x = F({1, 1, 1}, {1});
  Tensor w = F({1, 4, 1}, {0.5, 1, -1, 2});
  Tensor r = F({1, 4, 1}, {0.5, 0, 1, -1});
  Tensor b = F({1, 8}, {0, 0.5, 0, 0, 0, 0.5, 0, 0});
  Tensor h0 = F({1, 1, 1}, {1});
  Tensor c0 = F({1, 1, 1}, {2});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode(
      "y, yh, yc = LSTM <hidden_size = 1> (x, w, r, b, lens, h0, c0)", 14,
      {&x, &w, &r, &b, nullptr, &h0, &c0}));
  const float c = 0.5f * 2 + Sig(1) * std::tanh(1.0f);
  const float h = Sig(2) * std::tanh(c);
  EXPECT_NEAR(c, 1.55676994f, 1e-6);
  EXPECT_NEAR(h, 0.80583739f, 1e-6);
  ExpectFloats(out[0], {1, 1, 1, 1}, {h});
  ExpectFloats(out[1], {1, 1, 1}, {h});
  ExpectFloats(out[2], {1, 1, 1}, {c});
}

TEST(LstmTest, WeightLayoutsWithTwoUnits) {
  // hidden 2, input 2, one step; only the c-gate rows (6, 7) are non-zero,
  // so i = o = f = 0.5. c pre-activation of unit j is W[6+j].x + R[6+j].h0:
  // x = (1, 2), h0 = (1, 2): unit 0: (1,0).x + (0,1).h0 = 1 + 2 = 3;
  // unit 1: (0,-1).x + (0,0.5).h0 = -2 + 1 = -1. c0 = (0.5, -1):
  // C = 0.5*c0 + 0.5*tanh(pre), H = 0.5*tanh(C).
  Tensor x = F({1, 1, 2}, {1, 2});
  std::vector<float> wv(16, 0.0f), rv(16, 0.0f);
  wv[12] = 1;   // W[6] = (1, 0)
  wv[15] = -1;  // W[7] = (0, -1)
  rv[13] = 1;   // R[6] = (0, 1)
  rv[15] = 0.5; // R[7] = (0, 0.5)
  Tensor w = F({1, 8, 2}, wv);
  Tensor r = F({1, 8, 2}, rv);
  Tensor h0 = F({1, 1, 2}, {1, 2});
  Tensor c0 = F({1, 1, 2}, {0.5, -1});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode(
      "y, yh, yc = LSTM <hidden_size = 2> (x, w, r, b, lens, h0, c0)", 14,
      {&x, &w, &r, nullptr, nullptr, &h0, &c0}));
  const float c_0 = 0.25f + 0.5f * std::tanh(3.0f);
  const float c_1 = -0.5f + 0.5f * std::tanh(-1.0f);
  ExpectFloats(out[0], {1, 1, 1, 2}, {0.5f * std::tanh(c_0), 0.5f * std::tanh(c_1)});
  ExpectFloats(out[2], {1, 1, 2}, {c_0, c_1});
}

TEST(LstmTest, PyTorchFormBidirectional) {
  // As PyTorch exports it: B present, sequence_lens empty, initial states.
  // Both directions have only the c-gate weight 1 (i = o = f = 0.5, zero
  // states), so a step is C' = 0.5*C + 0.5*tanh(x), H = 0.5*tanh(C').
  // Batch 0 reads x = (1, 2); batch 1 reads (-1, -2) and, everything being
  // odd in x, gives the negated values.
  const std::string text = R"(
    <ir_version: 8, opset_import: ["" : 14]>
    g (float[2,2,1] X, float[2,2,1] h0, float[2,2,1] c0) => (float[2,2,2,1] Y, float[2,2,1] Y_h, float[2,2,1] Y_c) {
      W = Constant <value = float[2,4,1] {0, 0, 0, 1, 0, 0, 0, 1}> ()
      R = Constant <value = float[2,4,1] {0, 0, 0, 0, 0, 0, 0, 0}> ()
      B = Constant <value = float[2,8] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}> ()
      Y, Y_h, Y_c = LSTM <direction = "bidirectional", hidden_size = 1> (X, W, R, B, , h0, c0)
    }
  )";
  Tensor x = F({2, 2, 1}, {1, -1, 2, -2});  // [t][batch]
  Tensor zeros = F({2, 2, 1}, {0, 0, 0, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunModel(text, {{"X", x}, {"h0", zeros}, {"c0", zeros}}));
  // Forward: t0 from x=1, t1 from x=2 after it.
  const float f0 = 0.5f * std::tanh(1.0f), f1 = 0.5f * f0 + 0.5f * std::tanh(2.0f);
  // Reverse: x=2 first (its output at t1), then x=1 (output at t0).
  const float r1 = 0.5f * std::tanh(2.0f), r0 = 0.5f * r1 + 0.5f * std::tanh(1.0f);
  auto hid = [](float c) { return 0.5f * std::tanh(c); };
  // Y is [t][direction][batch][1].
  ExpectFloats(out[0], {2, 2, 2, 1},
               {hid(f0), -hid(f0), hid(r0), -hid(r0), hid(f1), -hid(f1), hid(r1), -hid(r1)});
  ExpectFloats(out[1], {2, 2, 1}, {hid(f1), -hid(f1), hid(r0), -hid(r0)});
  ExpectFloats(out[2], {2, 2, 1}, {f1, -f1, r0, -r0});

  // direction = reverse alone gives the bidirectional run's second half.
  Tensor w = F({1, 4, 1}, {0, 0, 0, 1});
  Tensor r = F({1, 4, 1}, {0, 0, 0, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto rev, RunNode(
      "y, yh, yc = LSTM <direction = \"reverse\", hidden_size = 1> (x, w, r)", 14, {&x, &w, &r}));
  ExpectFloats(rev[0], {2, 1, 2, 1}, {hid(r0), -hid(r0), hid(r1), -hid(r1)});
  ExpectFloats(rev[2], {1, 2, 1}, {r0, -r0});
}

TEST(LstmTest, PeepholesAndClip) {
  // x = 0 and zero W/R/B: every pre-activation is 0 plus its peephole term.
  // c0 = 2, P = (pi, po, pf) = (0.5, 1, -0.5): i = sig(1), f = sig(-1),
  // g = tanh(0) = 0, so C = 2 sig(-1); o = sig(1 * C) uses the new C.
  Tensor x = F({1, 1, 1}, {0});
  Tensor zero4 = F({1, 4, 1}, {0, 0, 0, 0});
  Tensor c0 = F({1, 1, 1}, {2});
  Tensor p = F({1, 3}, {0.5, 1, -0.5});
  H8_ASSERT_OK_AND_ASSIGN(auto peep, RunNode(
      "y, yh, yc = LSTM <hidden_size = 1> (x, w, r, b, lens, h0, c0, p)", 14,
      {&x, &zero4, &zero4, nullptr, nullptr, nullptr, &c0, &p}));
  const float c = 2 * Sig(-1);
  ExpectFloats(peep[2], {1, 1, 1}, {c});
  ExpectFloats(peep[0], {1, 1, 1, 1}, {Sig(c) * std::tanh(c)});
  // clip = 1 cuts the c-gate pre-activation 10 to 1: C = 0.5 tanh(1).
  Tensor one = F({1, 1, 1}, {1});
  Tensor wc = F({1, 4, 1}, {0, 0, 0, 10});
  H8_ASSERT_OK_AND_ASSIGN(auto clipped, RunNode(
      "y, yh, yc = LSTM <hidden_size = 1, clip = 1.0> (x, w, r)", 14, {&one, &wc, &zero4}));
  ExpectFloats(clipped[2], {1, 1, 1}, {0.5f * std::tanh(1.0f)});
}

TEST(LstmTest, UnsupportedFormsAreUnimplemented) {
  Tensor x = F({2, 1, 1}, {1, 2});
  Tensor w = F({1, 4, 1}, {0, 0, 0, 1});
  Tensor r = F({1, 4, 1}, {0, 0, 0, 0});
  Tensor short_lens = evaltest::I({1}, {1}, onnx::TensorProto::INT32);
  Tensor full_lens = evaltest::I({1}, {2}, onnx::TensorProto::INT32);
  auto code = [&](const std::string& attrs, const Tensor* lens) {
    auto out = RunNode("y, yh, yc = LSTM <hidden_size = 1" + attrs + "> (x, w, r, b, lens)", 14,
                       {&x, &w, &r, nullptr, lens});
    return out.status().code();
  };
  EXPECT_EQ(code(", layout = 1", nullptr), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(code(", input_forget = 1", nullptr), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(code(", activations = [\"Relu\", \"Tanh\", \"Tanh\"]", nullptr),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(code(", activations = [\"Sigmoid\", \"Tanh\", \"Tanh\"]", nullptr), absl::StatusCode::kOk);
  EXPECT_EQ(code("", &short_lens), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(code("", &full_lens), absl::StatusCode::kOk);
  EXPECT_EQ(code(", direction = \"sideways\"", nullptr), absl::StatusCode::kInvalidArgument);
  auto mismatch = RunNode("y = LSTM <hidden_size = 2> (x, w, r)", 14, {&x, &w, &r});
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace h8
