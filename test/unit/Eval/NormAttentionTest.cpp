//===- NormAttentionTest.cpp - Layer/Group/RMS norm and Attention tests ---===//
//
// Every expected value is worked out by hand from the ONNX operator
// formulas in the comment above it (issue #16 item 4 / #18).
//
//===----------------------------------------------------------------------===//

#include <cmath>

#include "EvalTestUtil.h"
#include "gtest/gtest.h"

namespace h8 {
namespace {

using evaltest::ExpectFloats;
using evaltest::F;
using evaltest::I;
using evaltest::RunNode;
using onnx::TensorProto;

absl::StatusCode Code(const absl::StatusOr<std::vector<Tensor>>& r) { return r.status().code(); }

//===----------------------------------------------------------------------===//
// LayerNormalization (opset 17)
//===----------------------------------------------------------------------===//

TEST(NormAttentionTest, LayerNormFloat16KeepsTypeAndRoundsY) {
  // x = [0,1,2] (float16): mean 1, var (1+0+1)/3 = 2/3, InvStdDev = sqrt(3/2)
  // = 1.2247449. Y = (x-1)*1.2247449 rounded to float16: the float16 step in
  // [1,2) is 2^-10, 1.2247449*1024 = 1254.14 -> 1254/1024 = 1.224609375.
  // Mean and InvStdDev are float (stash_type 1), not rounded.
  Tensor x = F({1, 3}, {0, 1, 2});
  x.dtype = TensorProto::FLOAT16;
  Tensor s = F({3}, {1, 1, 1});
  s.dtype = TensorProto::FLOAT16;
  H8_ASSERT_OK_AND_ASSIGN(
      auto out, RunNode("y, mean, inv = LayerNormalization <epsilon = 0.0> (x, s)", 17, {&x, &s}));
  EXPECT_EQ(out[0].dtype, TensorProto::FLOAT16);
  ExpectFloats(out[0], {1, 3}, {-1.224609375f, 0, 1.224609375f}, 0.0f);
  EXPECT_EQ(out[1].dtype, TensorProto::FLOAT);
  ExpectFloats(out[1], {1, 1}, {1});
  ExpectFloats(out[2], {1, 1}, {1.2247449f}, 1e-6f);
}

TEST(NormAttentionTest, LayerNormOutputsSubsetAndRefusals) {
  // Rows [1,3] and [0,4] (axis -1): means [2,2]; Y with scale 1 = [-1,1,-1,1].
  Tensor x = F({2, 2}, {1, 3, 0, 4});
  Tensor s = F({2}, {1, 1});
  H8_ASSERT_OK_AND_ASSIGN(
      auto two, RunNode("y, mean = LayerNormalization <epsilon = 0.0> (x, s)", 17, {&x, &s}));
  ASSERT_EQ(two.size(), 2u);
  ExpectFloats(two[0], {2, 2}, {-1, 1, -1, 1});
  ExpectFloats(two[1], {2, 1}, {2, 2});
  EXPECT_EQ(Code(RunNode("y = LayerNormalization (x, s)", 16, {&x, &s})),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(RunNode("y = LayerNormalization <stash_type = 16> (x, s)", 17, {&x, &s})),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(Code(RunNode("y = LayerNormalization <stash_type = 7> (x, s)", 17, {&x, &s})),
            absl::StatusCode::kInvalidArgument);
}

//===----------------------------------------------------------------------===//
// GroupNormalization (opset 18 per group, opset 21 per channel)
//===----------------------------------------------------------------------===//

// X [1,4,2], 2 groups of 2 channels. Group 0 = ch0 [0,2] + ch1 [4,6]: mean 3,
// var (9+1+1+9)/4 = 5, so (x-3)/sqrt5 = [-3,-1,1,3]/sqrt5
// = [-1.3416408, -0.4472136, 0.4472136, 1.3416408]. Group 1 = ch2 [1,1] +
// ch3 [3,3]: mean 2, var 1, so (x-2) = [-1,-1,1,1].
Tensor GroupInput() { return F({1, 4, 2}, {0, 2, 4, 6, 1, 1, 3, 3}); }

TEST(NormAttentionTest, GroupNormOpset18ScalesPerGroup) {
  // scale [1,2], bias [0,10]: group 0 unchanged; group 1 -> 2*[-1,-1,1,1]+10.
  Tensor x = GroupInput();
  Tensor s = F({2}, {1, 2}), b = F({2}, {0, 10});
  H8_ASSERT_OK_AND_ASSIGN(
      auto out, RunNode("y = GroupNormalization <num_groups = 2, epsilon = 0.0> (x, s, b)", 18,
                        {&x, &s, &b}));
  ExpectFloats(out[0], {1, 4, 2}, {-1.3416408f, -0.4472136f, 0.4472136f, 1.3416408f, 8, 8, 12, 12});
  // Per-channel [4] scale is the opset-21 form: refused at opset 18.
  Tensor s4 = F({4}, {1, 2, 3, 4}), b4 = F({4}, {0, 0, 1, 1});
  EXPECT_EQ(Code(RunNode("y = GroupNormalization <num_groups = 2> (x, s, b)", 18, {&x, &s4, &b4})),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(RunNode("y = GroupNormalization <num_groups = 3> (x, s, b)", 18, {&x, &s, &b})),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(RunNode("y = GroupNormalization (x, s, b)", 18, {&x, &s, &b})),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(RunNode("y = GroupNormalization <num_groups = 2> (x, s, b)", 17, {&x, &s, &b})),
            absl::StatusCode::kInvalidArgument);
}

TEST(NormAttentionTest, GroupNormOpset21ScalesPerChannel) {
  // scale [1,2,3,4], bias [0,0,1,1]: ch0 [-3,-1]/sqrt5 = [-1.3416408,-0.4472136];
  // ch1 2*[1,3]/sqrt5 = [0.8944272, 2.6832816]; ch2 3*[-1,-1]+1 = [-2,-2];
  // ch3 4*[1,1]+1 = [5,5].
  Tensor x = GroupInput();
  Tensor s = F({4}, {1, 2, 3, 4}), b = F({4}, {0, 0, 1, 1});
  H8_ASSERT_OK_AND_ASSIGN(
      auto out, RunNode("y = GroupNormalization <num_groups = 2, epsilon = 0.0> (x, s, b)", 21,
                        {&x, &s, &b}));
  ExpectFloats(out[0], {1, 4, 2}, {-1.3416408f, -0.4472136f, 0.8944272f, 2.6832816f, -2, -2, 5, 5});
  // Per-group [2] scale is the opset-18 form: refused at opset 21.
  Tensor s2 = F({2}, {1, 2}), b2 = F({2}, {0, 10});
  EXPECT_EQ(Code(RunNode("y = GroupNormalization <num_groups = 2> (x, s, b)", 21, {&x, &s2, &b2})),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(RunNode("y = GroupNormalization <num_groups = 2, stash_type = 16> (x, s, b)", 21,
                         {&x, &s, &b})),
            absl::StatusCode::kUnimplemented);
  // Epsilon: one group of [1,3] (N=1, C=1, L=2) has mean 2, var 1; epsilon 3
  // gives inv = 1/sqrt(1+3) = 0.5, so Y = [-0.5, 0.5].
  Tensor x1 = F({1, 1, 2}, {1, 3}), one = F({1}, {1}), zero = F({1}, {0});
  H8_ASSERT_OK_AND_ASSIGN(
      auto eps, RunNode("y = GroupNormalization <num_groups = 1, epsilon = 3.0> (x, s, b)", 21,
                        {&x1, &one, &zero}));
  ExpectFloats(eps[0], {1, 1, 2}, {-0.5f, 0.5f});
}

//===----------------------------------------------------------------------===//
// RMSNormalization (opset 23)
//===----------------------------------------------------------------------===//

TEST(NormAttentionTest, RMSNormLastAxisAndAllAxes) {
  // Y = x / sqrt(mean(x^2) + eps) * scale. Row [3,4]: mean square
  // (9+16)/2 = 12.5, so [3,4]/sqrt(12.5)*[1,2] = [0.8485281, 2.2627417];
  // row [1,1]: mean square 1 -> [1, 2].
  Tensor x = F({2, 2}, {3, 4, 1, 1});
  Tensor s = F({2}, {1, 2});
  H8_ASSERT_OK_AND_ASSIGN(auto last,
                          RunNode("y = RMSNormalization <epsilon = 0.0> (x, s)", 23, {&x, &s}));
  ExpectFloats(last[0], {2, 2}, {0.8485281f, 2.2627417f, 1, 2});
  // axis 0: mean square over all (9+16+1+1)/4 = 6.75, sqrt = 2.5980762:
  // [3,4,1,1]/2.5980762 = [1.1547005, 1.5396007, 0.3849002, 0.3849002].
  Tensor ones = F({2, 2}, {1, 1, 1, 1});
  H8_ASSERT_OK_AND_ASSIGN(
      auto all, RunNode("y = RMSNormalization <axis = 0, epsilon = 0.0> (x, s)", 23, {&x, &ones}));
  ExpectFloats(all[0], {2, 2}, {1.1547005f, 1.5396007f, 0.3849002f, 0.3849002f});
  // Default epsilon 1e-5: [1] -> 1/sqrt(1.00001) = 0.999995.
  Tensor one = F({1}, {1}), s1 = F({1}, {1});
  H8_ASSERT_OK_AND_ASSIGN(auto eps, RunNode("y = RMSNormalization (x, s)", 23, {&one, &s1}));
  ExpectFloats(eps[0], {1}, {0.999995f}, 1e-7f);
  EXPECT_EQ(Code(RunNode("y = RMSNormalization (x, s)", 22, {&x, &s})),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(RunNode("y = RMSNormalization <stash_type = 16> (x, s)", 23, {&x, &s})),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(Code(RunNode("y = RMSNormalization (x, s, b)", 23, {&x, &s, &s})),
            absl::StatusCode::kInvalidArgument);
}

//===----------------------------------------------------------------------===//
// Attention (opset 23)
//===----------------------------------------------------------------------===//

// B=1, H=1, S=2, D=2: q0 = (1,1), q1 = (0,0); k0 = (1,1), k1 = (0,0);
// v0 = (10,0), v1 = (0,10).
struct Qkv {
  Tensor q = F({1, 1, 2, 2}, {1, 1, 0, 0});
  Tensor k = F({1, 1, 2, 2}, {1, 1, 0, 0});
  Tensor v = F({1, 1, 2, 2}, {10, 0, 0, 10});
};

TEST(NormAttentionTest, AttentionDefaultScale) {
  // scale 1/sqrt(2). Row 0: scores (2, 0)/sqrt2 = (sqrt2, 0), weights
  // w0 = 1/(1+e^-sqrt2) = 0.8044297, w1 = 0.1955703 -> Y = (8.044297, 1.955703).
  // Row 1: scores (0, 0) -> (0.5, 0.5) -> Y = (5, 5).
  Qkv t;
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode("y = Attention (q, k, v)", 23, {&t.q, &t.k, &t.v}));
  ExpectFloats(out[0], {1, 1, 2, 2}, {8.044297f, 1.955703f, 5, 5});
}

TEST(NormAttentionTest, AttentionExplicitScaleCausalAndMasks) {
  Qkv t;
  // scale ln3/2: row 0 scores (ln3, 0) -> weights (3/4, 1/4) -> (7.5, 2.5).
  H8_ASSERT_OK_AND_ASSIGN(
      auto sc, RunNode("y = Attention <scale = 0.54930614> (q, k, v)", 23, {&t.q, &t.k, &t.v}));
  ExpectFloats(sc[0], {1, 1, 2, 2}, {7.5f, 2.5f, 5, 5});
  // is_causal: row 0 sees only key 0 -> v0 = (10,0); row 1 sees both, equal
  // scores -> (5,5).
  H8_ASSERT_OK_AND_ASSIGN(
      auto causal, RunNode("y = Attention <is_causal = 1> (q, k, v)", 23, {&t.q, &t.k, &t.v}));
  ExpectFloats(causal[0], {1, 1, 2, 2}, {10, 0, 5, 5});
  // Bool mask [[0,1],[1,1]]: row 0 sees only key 1 -> v1 = (0,10).
  Tensor bmask = I({2, 2}, {0, 1, 1, 1}, TensorProto::BOOL);
  H8_ASSERT_OK_AND_ASSIGN(auto bm,
                          RunNode("y = Attention (q, k, v, m)", 23, {&t.q, &t.k, &t.v, &bmask}));
  ExpectFloats(bm[0], {1, 1, 2, 2}, {0, 10, 5, 5});
  // Float mask [1,2] = (0, ln3) broadcast over rows, with scale 0: every row
  // scores (0, ln3) -> weights (1/4, 3/4) -> (2.5, 7.5).
  Tensor fmask = F({1, 2}, {0, 1.0986123f});
  H8_ASSERT_OK_AND_ASSIGN(
      auto fm, RunNode("y = Attention <scale = 0.0> (q, k, v, m)", 23, {&t.q, &t.k, &t.v, &fmask}));
  ExpectFloats(fm[0], {1, 1, 2, 2}, {2.5f, 7.5f, 2.5f, 7.5f});
  // A mask that does not broadcast to [1,1,2,2].
  Tensor bad = F({3}, {0, 0, 0});
  EXPECT_EQ(Code(RunNode("y = Attention (q, k, v, m)", 23, {&t.q, &t.k, &t.v, &bad})),
            absl::StatusCode::kInvalidArgument);
}

TEST(NormAttentionTest, AttentionGroupedQueryHeadsRepeatInterleave) {
  // Hq = 4, Hkv = 2, one query (all zero) over 2 keys: uniform weights, so
  // each query head gets the mean of its kv head's values. kv head 0 values
  // (0,2) -> 1; kv head 1 values (10,20) -> 15. Query heads 0,1 read kv
  // head 0 and heads 2,3 read kv head 1 -> Y = [1, 1, 15, 15].
  Tensor q = F({1, 4, 1, 1}, {0, 0, 0, 0});
  Tensor k = F({1, 2, 2, 1}, {1, 2, 3, 4});
  Tensor v = F({1, 2, 2, 1}, {0, 2, 10, 20});
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunNode("y = Attention (q, k, v)", 23, {&q, &k, &v}));
  ExpectFloats(out[0], {1, 4, 1, 1}, {1, 1, 15, 15});
  // A per-head bool mask [1,4,1,2]: head 0 keeps key 0 -> 0 (kv head 0);
  // head 1 keeps key 1 -> 2; head 2 keeps both -> 15 (kv head 1); head 3
  // keeps key 1 -> 20.
  Tensor mask = I({1, 4, 1, 2}, {1, 0, 0, 1, 1, 1, 0, 1}, TensorProto::BOOL);
  H8_ASSERT_OK_AND_ASSIGN(auto masked,
                          RunNode("y = Attention (q, k, v, m)", 23, {&q, &k, &v, &mask}));
  ExpectFloats(masked[0], {1, 4, 1, 1}, {0, 2, 15, 20});
  // 3 query heads over 2 kv heads do not group.
  Tensor q3 = F({1, 3, 1, 1}, {0, 0, 0});
  EXPECT_EQ(Code(RunNode("y = Attention (q, k, v)", 23, {&q3, &k, &v})),
            absl::StatusCode::kInvalidArgument);
}

TEST(NormAttentionTest, AttentionPacked3D) {
  // Q [1, 2, 2*2] (q_num_heads 2, D 2), K [1, 2, 1*2], V [1, 2, 1*2]
  // (kv_num_heads 1), scale 1. Keys k0 = (1,0), k1 = (0,1); values
  // v0 = (4,0), v1 = (0,4). With L = ln3:
  //   s0 h0 q = (L,0): scores (L,0) -> w (3/4,1/4) -> (3,1)
  //   s0 h1 q = (0,L): scores (0,L) -> w (1/4,3/4) -> (1,3)
  //   s1 h0 q = (0,0): w (1/2,1/2) -> (2,2)
  //   s1 h1 q = (L,0): -> (3,1)
  // Y [1, 2, 2*2] = [3,1, 1,3, 2,2, 3,1].
  const float l = 1.0986123f;
  Tensor q = F({1, 2, 4}, {l, 0, 0, l, 0, 0, l, 0});
  Tensor k = F({1, 2, 2}, {1, 0, 0, 1});
  Tensor v = F({1, 2, 2}, {4, 0, 0, 4});
  H8_ASSERT_OK_AND_ASSIGN(
      auto out, RunNode("y = Attention <q_num_heads = 2, kv_num_heads = 1, scale = 1.0> (q, k, v)",
                        23, {&q, &k, &v}));
  ExpectFloats(out[0], {1, 2, 4}, {3, 1, 1, 3, 2, 2, 3, 1});
  EXPECT_EQ(Code(RunNode("y = Attention (q, k, v)", 23, {&q, &k, &v})),
            absl::StatusCode::kInvalidArgument);
}

TEST(NormAttentionTest, AttentionRefusesCacheSoftcapAndExtraOutputs) {
  Qkv t;
  EXPECT_EQ(Code(RunNode("y = Attention (q, k, v, m, pk, pv)", 23,
                         {&t.q, &t.k, &t.v, nullptr, &t.k, &t.v})),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(Code(RunNode("y = Attention <softcap = 30.0> (q, k, v)", 23, {&t.q, &t.k, &t.v})),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(Code(RunNode("y, pk = Attention (q, k, v)", 23, {&t.q, &t.k, &t.v})),
            absl::StatusCode::kUnimplemented);
  auto qk = RunNode("y, pk, pv, qk = Attention (q, k, v)", 23, {&t.q, &t.k, &t.v});
  EXPECT_EQ(Code(qk), absl::StatusCode::kUnimplemented);
  EXPECT_NE(qk.status().message().find("only output #0"), std::string::npos) << qk.status();
  Tensor k16 = t.k;
  k16.dtype = TensorProto::FLOAT16;
  EXPECT_EQ(Code(RunNode("y = Attention (q, k, v)", 23, {&t.q, &k16, &t.v})),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(RunNode("y = Attention (q, k, v)", 22, {&t.q, &t.k, &t.v})),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace h8
