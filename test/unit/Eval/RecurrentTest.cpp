//===- RecurrentTest.cpp - Evaluator LSTM, GRU and RNN kernel tests ---===//
//
// Hand-computed cases. LSTM: gate order (i, o, f, c), both bias halves,
// initial states, the W/R layouts ([gate rows, inputs]), reverse and
// bidirectional runs, peepholes, clip and the PyTorch export form with an
// empty sequence_lens. GRU (both reset forms) and RNN (default and explicit
// activations with alpha/beta), and what the shared driver adds to all
// three: layout = 1 and sequence_lens shorter than the sequence. Expected
// values are the ONNX spec's equations written out for each case, with
// sigma(0) = 0.5 wherever a gate's weights are zero:
//   GRU: z = f(W_z x + R_z h + Wb_z + Rb_z), r = f(W_r x + R_r h + Wb_r + Rb_r)
//        lbr 0: n = g(W_h x + R_h (r . h) + Rb_h + Wb_h)
//        lbr 1: n = g(W_h x + r . (R_h h + Rb_h) + Wb_h)
//        H = (1 - z) . n + z . h
//   RNN: H = f(W x + R h + Wb + Rb)
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <string>
#include <vector>

#include "EvalTestUtil.h"
#include "gtest/gtest.h"

namespace h8 {
namespace {

using evaltest::ExpectFloats;
using evaltest::F;
using evaltest::I;
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
  H8_ASSERT_OK_AND_ASSIGN(
      auto out, RunNode("y, yh, yc = LSTM <hidden_size = 1> (x, w, r, b, lens, h0, c0)", 14,
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
  wv[12] = 1;  // W[6] = (1, 0)
  wv[15] = -1;  // W[7] = (0, -1)
  rv[13] = 1;  // R[6] = (0, 1)
  rv[15] = 0.5;  // R[7] = (0, 0.5)
  Tensor w = F({1, 8, 2}, wv);
  Tensor r = F({1, 8, 2}, rv);
  Tensor h0 = F({1, 1, 2}, {1, 2});
  Tensor c0 = F({1, 1, 2}, {0.5, -1});
  H8_ASSERT_OK_AND_ASSIGN(
      auto out, RunNode("y, yh, yc = LSTM <hidden_size = 2> (x, w, r, b, lens, h0, c0)", 14,
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
  H8_ASSERT_OK_AND_ASSIGN(
      auto rev, RunNode("y, yh, yc = LSTM <direction = \"reverse\", hidden_size = 1> (x, w, r)", 14,
                        {&x, &w, &r}));
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
  H8_ASSERT_OK_AND_ASSIGN(
      auto peep, RunNode("y, yh, yc = LSTM <hidden_size = 1> (x, w, r, b, lens, h0, c0, p)", 14,
                         {&x, &zero4, &zero4, nullptr, nullptr, nullptr, &c0, &p}));
  const float c = 2 * Sig(-1);
  ExpectFloats(peep[2], {1, 1, 1}, {c});
  ExpectFloats(peep[0], {1, 1, 1, 1}, {Sig(c) * std::tanh(c)});
  // clip = 1 cuts the c-gate pre-activation 10 to 1: C = 0.5 tanh(1).
  Tensor one = F({1, 1, 1}, {1});
  Tensor wc = F({1, 4, 1}, {0, 0, 0, 10});
  H8_ASSERT_OK_AND_ASSIGN(
      auto clipped,
      RunNode("y, yh, yc = LSTM <hidden_size = 1, clip = 1.0> (x, w, r)", 14, {&one, &wc, &zero4}));
  ExpectFloats(clipped[2], {1, 1, 1}, {0.5f * std::tanh(1.0f)});
}

TEST(LstmTest, AttributeAndLengthErrors) {
  Tensor x = F({2, 1, 1}, {1, 2});
  Tensor w = F({1, 4, 1}, {0, 0, 0, 1});
  Tensor r = F({1, 4, 1}, {0, 0, 0, 0});
  Tensor short_lens = I({1}, {1}, onnx::TensorProto::INT32);
  Tensor zero_lens = I({1}, {0}, onnx::TensorProto::INT32);
  Tensor long_lens = I({1}, {3}, onnx::TensorProto::INT32);
  auto code = [&](const std::string& attrs, const Tensor* lens) {
    auto out = RunNode("y, yh, yc = LSTM <hidden_size = 1" + attrs + "> (x, w, r, b, lens)", 14,
                       {&x, &w, &r, nullptr, lens});
    return out.status().code();
  };
  EXPECT_EQ(code(", input_forget = 1", nullptr), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(code(", activations = [\"Gelu\", \"Tanh\", \"Tanh\"]", nullptr),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(code(", activations = [\"Sigmoid\", \"Tanh\"]", nullptr),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(", activations = [\"Relu\", \"Tanh\", \"Tanh\"]", nullptr), absl::StatusCode::kOk);
  EXPECT_EQ(code(", layout = 2", nullptr), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code("", &short_lens), absl::StatusCode::kOk);
  EXPECT_EQ(code("", &zero_lens), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(code("", &long_lens), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(", direction = \"sideways\"", nullptr), absl::StatusCode::kInvalidArgument);
  auto mismatch = RunNode("y = LSTM <hidden_size = 2> (x, w, r)", 14, {&x, &w, &r});
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kInvalidArgument);
}

/// One GRU step with hidden_size `hidden` and the given reset form, on
/// inputs (x, w, r, b, lens, h0).
absl::StatusOr<std::vector<Tensor>> RunGru(int lbr, int hidden,
                                           const std::vector<const Tensor*>& in) {
  return RunNode("y, yh = GRU <hidden_size = " + std::to_string(hidden) +
                     ", linear_before_reset = " + std::to_string(lbr) + "> (x, w, r, b, lens, h0)",
                 14, in);
}

TEST(GruTest, OneStepBothResetForms) {
  // hidden 1, input 1, x = 1, h0 = 0.5; W (z, r, h) = (1, -1, 2),
  // R = (0.5, 1, -1), Wb = (0, 0.5, 0), Rb = (0.5, 0, 0.25).
  // z = sig(1 + 0.25 + 0 + 0.5) = sig(1.75); r = sig(-1 + 0.5 + 0.5) = 0.5.
  // lbr 0: n = tanh(2 + (-1)(0.5 * 0.5) + 0.25) = tanh(2)
  // lbr 1: n = tanh(2 + 0.5 * ((-1)(0.5) + 0.25)) = tanh(1.875)
  Tensor x = F({1, 1, 1}, {1});
  Tensor w = F({1, 3, 1}, {1, -1, 2});
  Tensor r = F({1, 3, 1}, {0.5, 1, -1});
  Tensor b = F({1, 6}, {0, 0.5, 0, 0.5, 0, 0.25});
  Tensor h0 = F({1, 1, 1}, {0.5});
  const float z = Sig(1.75);
  for (int lbr : {0, 1}) {
    SCOPED_TRACE(lbr);
    H8_ASSERT_OK_AND_ASSIGN(auto out, RunGru(lbr, 1, {&x, &w, &r, &b, nullptr, &h0}));
    const float n = std::tanh(lbr == 0 ? 2.0f : 1.875f);
    const float h = (1 - z) * n + z * 0.5f;
    ExpectFloats(out[0], {1, 1, 1, 1}, {h});
    ExpectFloats(out[1], {1, 1, 1}, {h});
  }
}

TEST(GruTest, HiddenGateBlockWithTwoUnits) {
  // hidden 2, input 1, W = 0 and R_z = R_r = 0 so z = r = 0.5. R_h (rows
  // 4, 5) = [[1, 0], [0.5, -1]], Rb_h = (1, 0), h0 = (1, 2).
  // lbr 0: pre = R_h (0.5 h0) + Rb_h = (0.5, 0.25 - 1) + (1, 0) = (1.5, -0.75)
  // lbr 1: pre = 0.5 (R_h h0 + Rb_h) = 0.5 ((1, 0.5 - 2) + (1, 0)) = (1, -0.75)
  // H = 0.5 tanh(pre) + 0.5 h0.
  Tensor x = F({1, 1, 1}, {3});
  Tensor w = F({1, 6, 1}, {0, 0, 0, 0, 0, 0});
  std::vector<float> rv(12, 0.0f);
  rv[8] = 1;
  rv[10] = 0.5;
  rv[11] = -1;
  Tensor r = F({1, 6, 2}, rv);
  Tensor b = F({1, 12}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0});
  Tensor h0 = F({1, 1, 2}, {1, 2});
  const float pre[2][2] = {{1.5f, -0.75f}, {1.0f, -0.75f}};
  for (int lbr : {0, 1}) {
    SCOPED_TRACE(lbr);
    H8_ASSERT_OK_AND_ASSIGN(auto out, RunGru(lbr, 2, {&x, &w, &r, &b, nullptr, &h0}));
    ExpectFloats(out[1], {1, 1, 2},
                 {0.5f * std::tanh(pre[lbr][0]) + 0.5f, 0.5f * std::tanh(pre[lbr][1]) + 1.0f});
  }
}

TEST(GruTest, PyTorchFormBidirectional) {
  // As PyTorch exports it: linear_before_reset = 1, B, empty sequence_lens,
  // initial_h. Only W_h = 1 in both directions, everything else 0, so
  // z = r = 0.5 and a step is H' = 0.5 tanh(x) + 0.5 H from H = 0.
  // x = (1, 2): forward f0 = 0.5 tanh 1, f1 = 0.5 tanh 2 + 0.5 f0;
  // reverse r1 = 0.5 tanh 2, r0 = 0.5 tanh 1 + 0.5 r1.
  Tensor x = F({2, 1, 1}, {1, 2});
  Tensor w = F({2, 3, 1}, {0, 0, 1, 0, 0, 1});
  Tensor r = F({2, 3, 1}, {0, 0, 0, 0, 0, 0});
  Tensor b = F({2, 6}, std::vector<float>(12, 0.0f));
  Tensor h0 = F({2, 1, 1}, {0, 0});
  H8_ASSERT_OK_AND_ASSIGN(
      auto out,
      RunNode(
          "y, yh = GRU <direction = \"bidirectional\", hidden_size = 1, linear_before_reset = 1> "
          "(x, w, r, b, , h0)",
          14, {&x, &w, &r, &b, nullptr, &h0}));
  const float f0 = 0.5f * std::tanh(1.0f), f1 = 0.5f * std::tanh(2.0f) + 0.5f * f0;
  const float r1 = 0.5f * std::tanh(2.0f), r0 = 0.5f * std::tanh(1.0f) + 0.5f * r1;
  ExpectFloats(out[0], {2, 2, 1, 1}, {f0, r0, f1, r1});
  ExpectFloats(out[1], {2, 1, 1}, {f1, r0});
  // direction = reverse alone is the second half.
  Tensor w1 = F({1, 3, 1}, {0, 0, 1});
  Tensor r1t = F({1, 3, 1}, {0, 0, 0});
  H8_ASSERT_OK_AND_ASSIGN(
      auto rev, RunNode("y, yh = GRU <direction = \"reverse\", hidden_size = 1> (x, w, r)", 14,
                        {&x, &w1, &r1t}));
  ExpectFloats(rev[0], {2, 1, 1, 1}, {r0, r1});
}

TEST(RnnTest, DefaultTanhAndExplicitActivations) {
  // hidden 1, x = (1, 2), W = 0.5, R = -1, Wb = Rb = 0.25, h0 = 0.
  // tanh: h1 = tanh(0.5 + 0.5) = tanh 1, h2 = tanh(1 - tanh 1 + 0.5).
  // Relu: h1 = 1, h2 = relu(1 - 1 + 0.5) = 0.5.
  Tensor x = F({2, 1, 1}, {1, 2});
  Tensor w = F({1, 1, 1}, {0.5});
  Tensor r = F({1, 1, 1}, {-1});
  Tensor b = F({1, 2}, {0.25, 0.25});
  H8_ASSERT_OK_AND_ASSIGN(
      auto tanh_out, RunNode("y, yh = RNN <hidden_size = 1> (x, w, r, b)", 14, {&x, &w, &r, &b}));
  const float h1 = std::tanh(1.0f), h2 = std::tanh(1.5f - h1);
  ExpectFloats(tanh_out[0], {2, 1, 1, 1}, {h1, h2});
  ExpectFloats(tanh_out[1], {1, 1, 1}, {h2});
  H8_ASSERT_OK_AND_ASSIGN(
      auto relu_out, RunNode("y, yh = RNN <hidden_size = 1, activations = [\"Relu\"]> (x, w, r, b)",
                             14, {&x, &w, &r, &b}));
  ExpectFloats(relu_out[0], {2, 1, 1, 1}, {1, 0.5});

  // alpha/beta are consumed in order by the functions that take them:
  // LeakyRelu(alpha 0.1) forward, Affine(alpha 2, beta 1) reverse.
  // x = -2, W = 0.5, R = 0, no bias: pre = -1 -> -0.1 and 2(-1) + 1 = -1.
  Tensor xb = F({1, 1, 1}, {-2});
  Tensor wb = F({2, 1, 1}, {0.5, 0.5});
  Tensor rb = F({2, 1, 1}, {0, 0});
  H8_ASSERT_OK_AND_ASSIGN(
      auto bi, RunNode("y, yh = RNN <hidden_size = 1, direction = \"bidirectional\", "
                       "activations = [\"LeakyRelu\", \"Affine\"], activation_alpha = [0.1, 2.0], "
                       "activation_beta = [1.0]> (x, w, r)",
                       14, {&xb, &wb, &rb}));
  ExpectFloats(bi[1], {2, 1, 1}, {-0.1f, -1.0f});
}

// RNN with Relu, W = R = 1 and no bias is a running sum: H_t = x_t + H_{t-1}
// for positive values. Batch 0 has x = (1, 2, 3) (length 3), batch 1 has
// x = (10, 20, 30) with length 2, so 30 is never read.
const char kRunningSum[] =
    "y, yh = RNN <hidden_size = 1, direction = \"bidirectional\", activations = "
    "[\"Relu\", \"Relu\"], layout = LAYOUT> (x, w, r, , lens, h0)";

std::string WithLayout(int layout) {
  std::string text = kRunningSum;
  text.replace(text.find("LAYOUT"), 6, std::to_string(layout));
  return text;
}

TEST(RecurrentTest, SequenceLensLayout0) {
  // Forward: batch 0: 1, 3, 6; batch 1: 10, 30, then 0 past its length.
  // Reverse: batch 0 from t2: 3 (t2), 5 (t1), 6 (t0); batch 1 from t1:
  // 20 (t1), 30 (t0), 0 at t2. Y_h is the state after the last valid step.
  Tensor x = F({3, 2, 1}, {1, 10, 2, 20, 3, 30});  // [t][batch]
  Tensor w = F({2, 1, 1}, {1, 1});
  Tensor lens = I({2}, {3, 2}, onnx::TensorProto::INT32);
  H8_ASSERT_OK_AND_ASSIGN(auto out,
                          RunNode(WithLayout(0), 14, {&x, &w, &w, nullptr, &lens, nullptr}));
  // Y [t][direction][batch][1].
  ExpectFloats(out[0], {3, 2, 2, 1}, {1, 10, 6, 30, 3, 30, 5, 20, 6, 0, 3, 0});
  ExpectFloats(out[1], {2, 2, 1}, {6, 30, 6, 30});
}

TEST(RecurrentTest, SequenceLensLayout1WithInitialState) {
  // Same running sum, X as [batch][t], initial_h [batch][direction] =
  // ((1, 2), (3, 4)). Forward: batch 0: 2, 4, 7; batch 1: 13, 33.
  // Reverse: batch 0 from 2: 5 (t2), 7 (t1), 8 (t0); batch 1 from 4:
  // 24 (t1), 34 (t0).
  Tensor x = F({2, 3, 1}, {1, 2, 3, 10, 20, 30});
  Tensor w = F({2, 1, 1}, {1, 1});
  Tensor lens = I({2}, {3, 2});
  Tensor h0 = F({2, 2, 1}, {1, 2, 3, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode(WithLayout(1), 14, {&x, &w, &w, nullptr, &lens, &h0}));
  // Y [batch][t][direction][1], Y_h [batch][direction][1].
  ExpectFloats(out[0], {2, 3, 2, 1}, {2, 8, 4, 7, 7, 5, 13, 34, 33, 24, 0, 0});
  ExpectFloats(out[1], {2, 2, 1}, {7, 8, 33, 34});
}

TEST(RecurrentTest, LstmLayout1ShortSequence) {
  // Only the c-gate weight is 1, so i = o = f = 0.5 and a step is
  // C' = 0.5 C + 0.5 tanh(x), H = 0.5 tanh(C'). Batch 0: x = (1, 2),
  // batch 1: x = (3, ignored) with length 1.
  Tensor x = F({2, 2, 1}, {1, 2, 3, 99});
  Tensor w = F({1, 4, 1}, {0, 0, 0, 1});
  Tensor r = F({1, 4, 1}, {0, 0, 0, 0});
  Tensor lens = I({2}, {2, 1});
  H8_ASSERT_OK_AND_ASSIGN(
      auto out, RunNode("y, yh, yc = LSTM <hidden_size = 1, layout = 1> (x, w, r, , lens)", 14,
                        {&x, &w, &r, nullptr, &lens}));
  const float c0 = 0.5f * std::tanh(1.0f), c1 = 0.5f * c0 + 0.5f * std::tanh(2.0f);
  const float cb = 0.5f * std::tanh(3.0f);
  auto h = [](float c) { return 0.5f * std::tanh(c); };
  ExpectFloats(out[0], {2, 2, 1, 1}, {h(c0), h(c1), h(cb), 0});
  ExpectFloats(out[1], {2, 1, 1}, {h(c1), h(cb)});
  ExpectFloats(out[2], {2, 1, 1}, {c1, cb});
}

}  // namespace
}  // namespace h8
