//===- IndexOpsTest.cpp - CumSum, Mod, Trilu, GatherElements, ... ------===//
//
// Expected values worked out by hand in the comments, or the ONNX spec's
// own examples (GatherElements, ScatterElements) where noted.
//
//===----------------------------------------------------------------------===//

#include "EvalTestUtil.h"
#include "gtest/gtest.h"

// Inside evaltest, so its helpers need no using-declarations.
namespace h8 {
namespace evaltest {
namespace {

using Code = absl::StatusCode;

TEST(IndexOpsTest, CumSum) {
  Tensor x = F({3}, {1, 2, 3});
  Tensor axis0 = I({}, {0});
  auto run = [&](const std::string& attrs, const Tensor& in, const Tensor& axis) {
    return RunNode("y = CumSum <" + attrs + "> (x, axis)", 14, {&in, &axis});
  };
  // [1, 1+2, 1+2+3]; exclusive shifts by one; reverse sums from the end.
  H8_ASSERT_OK_AND_ASSIGN(auto plain, run("exclusive = 0", x, axis0));
  ExpectFloats(plain[0], {3}, {1, 3, 6});
  H8_ASSERT_OK_AND_ASSIGN(auto excl, run("exclusive = 1", x, axis0));
  ExpectFloats(excl[0], {3}, {0, 1, 3});
  H8_ASSERT_OK_AND_ASSIGN(auto rev, run("reverse = 1", x, axis0));
  ExpectFloats(rev[0], {3}, {6, 5, 3});
  H8_ASSERT_OK_AND_ASSIGN(auto both, run("exclusive = 1, reverse = 1", x, axis0));
  ExpectFloats(both[0], {3}, {5, 3, 0});
  // [[1,2],[3,4]]: along axis 1 -> [[1,3],[3,7]]; along -2 -> [[1,2],[4,6]].
  Tensor m = F({2, 2}, {1, 2, 3, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto rows, run("reverse = 0", m, I({}, {1})));
  ExpectFloats(rows[0], {2, 2}, {1, 3, 3, 7});
  H8_ASSERT_OK_AND_ASSIGN(auto cols, run("reverse = 0", m, I({1}, {-2})));
  ExpectFloats(cols[0], {2, 2}, {1, 2, 4, 6});
  H8_ASSERT_OK_AND_ASSIGN(auto ints, run("reverse = 0", I({3}, {1, 2, 3}), axis0));
  ExpectInts(ints[0], {3}, {1, 3, 6});
}

TEST(IndexOpsTest, Mod) {
  // fmod 0 takes the divisor's sign (Python %): -7%3 = 2, 7%-3 = -2,
  // -7%-3 = -1, 7%3 = 1; fmod 1 the dividend's (C fmod): -1, 1, -1, 1.
  Tensor a = I({4}, {-7, 7, -7, 7});
  Tensor b = I({4}, {3, -3, -3, 3});
  H8_ASSERT_OK_AND_ASSIGN(auto py, RunNode("y = Mod (a, b)", 13, {&a, &b}));
  ExpectInts(py[0], {4}, {2, -2, -1, 1});
  H8_ASSERT_OK_AND_ASSIGN(auto c, RunNode("y = Mod <fmod = 1> (a, b)", 13, {&a, &b}));
  ExpectInts(c[0], {4}, {-1, 1, -1, 1});
  // Floats (fmod = 1 required), broadcast: 5.5 fmod 2 = 1.5, -5.5 fmod 2 = -1.5.
  Tensor fa = F({2}, {5.5, -5.5});
  Tensor two = F({1}, {2});
  H8_ASSERT_OK_AND_ASSIGN(auto f, RunNode("y = Mod <fmod = 1> (a, b)", 13, {&fa, &two}));
  ExpectFloats(f[0], {2}, {1.5, -1.5});
  EXPECT_EQ(RunNode("y = Mod (a, b)", 13, {&fa, &two}).status().code(), Code::kInvalidArgument);
  Tensor zero = I({1}, {0});
  EXPECT_EQ(RunNode("y = Mod (a, b)", 13, {&a, &zero}).status().code(), Code::kInvalidArgument);
}

TEST(IndexOpsTest, Trilu) {
  // 3x3 of 1..9; upper keeps j - i >= k, lower keeps j - i <= k.
  Tensor x = F({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto run = [&](const std::string& attrs, int64_t k) {
    Tensor kt = I({}, {k});
    return RunNode("y = Trilu <" + attrs + "> (x, k)", 14, {&x, &kt});
  };
  H8_ASSERT_OK_AND_ASSIGN(auto up, run("upper = 1", 0));
  ExpectFloats(up[0], {3, 3}, {1, 2, 3, 0, 5, 6, 0, 0, 9});
  H8_ASSERT_OK_AND_ASSIGN(auto low, run("upper = 0", 0));
  ExpectFloats(low[0], {3, 3}, {1, 0, 0, 4, 5, 0, 7, 8, 9});
  H8_ASSERT_OK_AND_ASSIGN(auto up1, run("upper = 1", 1));
  ExpectFloats(up1[0], {3, 3}, {0, 2, 3, 0, 0, 6, 0, 0, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto low_m1, run("upper = 0", -1));
  ExpectFloats(low_m1[0], {3, 3}, {0, 0, 0, 4, 0, 0, 7, 8, 0});
}

TEST(IndexOpsTest, GatherElements) {
  // The spec's examples: axis 1 on [[1,2],[3,4]] with [[0,0],[1,0]] ->
  // [[1,1],[4,3]]; axis 0 on 1..9 with [[1,2,0],[2,0,0]] -> [[4,8,3],[7,2,3]].
  Tensor d2 = F({2, 2}, {1, 2, 3, 4});
  Tensor i2 = I({2, 2}, {0, 0, 1, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto a1, RunNode("y = GatherElements <axis = 1> (d, i)", 13, {&d2, &i2}));
  ExpectFloats(a1[0], {2, 2}, {1, 1, 4, 3});
  Tensor d3 = F({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor i3 = I({2, 3}, {1, 2, 0, 2, 0, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto a0, RunNode("y = GatherElements (d, i)", 13, {&d3, &i3}));
  ExpectFloats(a0[0], {2, 3}, {4, 8, 3, 7, 2, 3});
  // Negative index -1 is the last along the axis: row 0 of d2 -> (2, 1).
  Tensor neg = I({1, 2}, {-1, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto n, RunNode("y = GatherElements <axis = 1> (d, i)", 13, {&d2, &neg}));
  ExpectFloats(n[0], {1, 2}, {2, 1});
  Tensor bad = I({1, 2}, {2, 0});
  EXPECT_EQ(RunNode("y = GatherElements <axis = 1> (d, i)", 13, {&d2, &bad}).status().code(),
            Code::kInvalidArgument);
}

TEST(IndexOpsTest, ScatterElements) {
  // The spec's examples. Axis 0: updates row r goes to row indices[r][c]
  // of column c -> [[2.0,1.1,0],[1.0,0,2.2],[0,2.1,1.2]].
  Tensor zeros = F({3, 3}, std::vector<float>(9, 0.0f));
  Tensor idx = I({2, 3}, {1, 0, 2, 0, 2, 1});
  Tensor upd = F({2, 3}, {1.0, 1.1, 1.2, 2.0, 2.1, 2.2});
  H8_ASSERT_OK_AND_ASSIGN(auto a0,
                          RunNode("y = ScatterElements (d, i, u)", 13, {&zeros, &idx, &upd}));
  ExpectFloats(a0[0], {3, 3}, {2.0, 1.1, 0, 1.0, 0, 2.2, 0, 2.1, 1.2});
  // Axis 1: [[1,2,3,4,5]], indices [[1,3]], updates [[1.1,2.1]] -> [[1,1.1,3,2.1,5]].
  Tensor row = F({1, 5}, {1, 2, 3, 4, 5});
  Tensor i1 = I({1, 2}, {1, 3});
  Tensor u1 = F({1, 2}, {1.1, 2.1});
  H8_ASSERT_OK_AND_ASSIGN(
      auto a1, RunNode("y = ScatterElements <axis = 1> (d, i, u)", 13, {&row, &i1, &u1}));
  ExpectFloats(a1[0], {1, 5}, {1, 1.1, 3, 2.1, 5});
  // reduction add: 2+1.1, 4+2.1.
  H8_ASSERT_OK_AND_ASSIGN(
      auto added, RunNode("y = ScatterElements <axis = 1, reduction = \"add\"> (d, i, u)", 16,
                          {&row, &i1, &u1}));
  ExpectFloats(added[0], {1, 5}, {1, 3.1, 3, 6.1, 5});
}

TEST(IndexOpsTest, TopK) {
  // Largest 3 of each row of [[0..3],[4..7],[8..11]]: the row reversed.
  Tensor x = F({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  Tensor k3 = I({1}, {3});
  H8_ASSERT_OK_AND_ASSIGN(auto top, RunNode("v, i = TopK (x, k)", 11, {&x, &k3}));
  ExpectFloats(top[0], {3, 3}, {3, 2, 1, 7, 6, 5, 11, 10, 9});
  ExpectInts(top[1], {3, 3}, {3, 2, 1, 3, 2, 1, 3, 2, 1});
  // Ties keep the lower index first: [3,1,3,1] smallest 2 -> 1@1, 1@3;
  // largest 2 -> 3@0, 3@2.
  Tensor tie = F({4}, {3, 1, 3, 1});
  Tensor k2 = I({1}, {2});
  H8_ASSERT_OK_AND_ASSIGN(auto low, RunNode("v, i = TopK <largest = 0> (x, k)", 11, {&tie, &k2}));
  ExpectFloats(low[0], {2}, {1, 1});
  ExpectInts(low[1], {2}, {1, 3});
  H8_ASSERT_OK_AND_ASSIGN(auto high, RunNode("v, i = TopK (x, k)", 11, {&tie, &k2}));
  ExpectInts(high[1], {2}, {0, 2});
  // Axis 0 of [[1,5],[4,2],[3,6]]: column 0 -> 4@1, 3@2; column 1 -> 6@2, 5@0.
  Tensor cols = F({3, 2}, {1, 5, 4, 2, 3, 6});
  H8_ASSERT_OK_AND_ASSIGN(auto a0, RunNode("v, i = TopK <axis = 0> (x, k)", 11, {&cols, &k2}));
  ExpectFloats(a0[0], {2, 2}, {4, 6, 3, 5});
  ExpectInts(a0[1], {2, 2}, {1, 2, 2, 0});
}

TEST(IndexOpsTest, Einsum) {
  auto run = [](const std::string& eq, const Tensor& a, const Tensor& b) {
    return RunNode("y = Einsum <equation = \"" + eq + "\"> (a, b)", 12, {&a, &b});
  };
  // [[1,2],[3,4]] [[5,6],[7,8]] = [[1*5+2*7, 1*6+2*8], [3*5+4*7, 3*6+4*8]].
  Tensor a = F({2, 2}, {1, 2, 3, 4});
  Tensor b = F({2, 2}, {5, 6, 7, 8});
  H8_ASSERT_OK_AND_ASSIGN(auto mm, run("ij,jk->ik", a, b));
  ExpectFloats(mm[0], {2, 2}, {19, 22, 43, 50});
  // Batch 1 multiplies the identity by [[2,3],[4,5]].
  Tensor ab = F({2, 2, 2}, {1, 2, 3, 4, 1, 0, 0, 1});
  Tensor bb = F({2, 2, 2}, {5, 6, 7, 8, 2, 3, 4, 5});
  H8_ASSERT_OK_AND_ASSIGN(auto bmm, run("bij,bjk->bik", ab, bb));
  ExpectFloats(bmm[0], {2, 2, 2}, {19, 22, 43, 50, 2, 3, 4, 5});
  // Attention scores q_i . k_j: q = (1,2), (3,4); k = (1,1), (2,0) ->
  // [[3, 2], [7, 6]].
  Tensor q = F({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor k = F({1, 1, 2, 2}, {1, 1, 2, 0});
  H8_ASSERT_OK_AND_ASSIGN(auto qk, run("bhid,bhjd->bhij", q, k));
  ExpectFloats(qk[0], {1, 1, 2, 2}, {3, 2, 7, 6});
  // Weights times values, two heads: [[1,0],[.5,.5]] [[1,2],[3,4]] =
  // [[1,2],[2,3]]; [[0,1],[1,0]] [[5,6],[7,8]] = [[7,8],[5,6]].
  Tensor p = F({1, 2, 2, 2}, {1, 0, 0.5, 0.5, 0, 1, 1, 0});
  Tensor v = F({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  H8_ASSERT_OK_AND_ASSIGN(auto pv, run("bhij,bhjd->bhid", p, v));
  ExpectFloats(pv[0], {1, 2, 2, 2}, {1, 2, 2, 3, 7, 8, 5, 6});
  // "..." over no dims is plain matmul; over a batch, a [1,2,2] operand
  // broadcasts against [2,2,2]: batch 0 is [[1,2],[3,4]] [[5,6],[7,8]], batch
  // 1 [[1,2],[3,4]] [[2,3],[4,5]] = [[10,13],[22,29]].
  H8_ASSERT_OK_AND_ASSIGN(auto e0, run("...ij,...jk->...ik", a, b));
  ExpectFloats(e0[0], {2, 2}, {19, 22, 43, 50});
  H8_ASSERT_OK_AND_ASSIGN(auto eb, run("...ij,...jk->...ik", F({1, 2, 2}, {1, 2, 3, 4}), bb));
  ExpectFloats(eb[0], {2, 2, 2}, {19, 22, 43, 50, 10, 13, 22, 29});
  // Implicit output: "...ij,jk" is "...ik" (dims of '...' first).
  H8_ASSERT_OK_AND_ASSIGN(auto imp, run("...ij,jk", ab, b));
  ExpectFloats(imp[0], {2, 2, 2}, {19, 22, 43, 50, 5, 6, 7, 8});
  // A repeated letter reads the diagonal: y[i,k] = a[i,i] * sum_j b[j,k] =
  // diag(1, 4) times column sums (12, 14).
  H8_ASSERT_OK_AND_ASSIGN(auto diag, run("ii,jk->ik", a, b));
  ExpectFloats(diag[0], {2, 2}, {12, 14, 48, 56});
  // One operand: transpose, row sums, trace; three operands: a b a.
  auto one = [](const std::string& eq, const Tensor& x) {
    return RunNode("y = Einsum <equation = \"" + eq + "\"> (a)", 12, {&x});
  };
  H8_ASSERT_OK_AND_ASSIGN(auto tr, one("ij->ji", a));
  ExpectFloats(tr[0], {2, 2}, {1, 3, 2, 4});
  H8_ASSERT_OK_AND_ASSIGN(auto rows, one("ij->i", a));
  ExpectFloats(rows[0], {2}, {3, 7});
  H8_ASSERT_OK_AND_ASSIGN(auto trace, one("ii", a));
  ExpectFloats(trace[0], {}, {5});
  H8_ASSERT_OK_AND_ASSIGN(
      auto three, RunNode("y = Einsum <equation = \"ij,jk,kl->il\"> (a, b, c)", 12, {&a, &b, &a}));
  // [[19,22],[43,50]] [[1,2],[3,4]] = [[85,126],[193,286]].
  ExpectFloats(three[0], {2, 2}, {85, 126, 193, 286});
  EXPECT_EQ(run("ij,jk,kl->il", a, b).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(run("ij,jk->ik", a, F({3, 2}, {1, 2, 3, 4, 5, 6})).status().code(),
            Code::kInvalidArgument);
}

TEST(IndexOpsTest, OneHotOutOfRange) {
  // depth 3, values [off 0, on 5]: -1 counts from the end (index 2); 3 and
  // -4 lie outside [-3, 3) and give an all-off row (the spec's rule).
  Tensor idx = I({4}, {0, -1, 3, -4});
  Tensor depth = I({}, {3});
  Tensor vals = F({2}, {0, 5});
  H8_ASSERT_OK_AND_ASSIGN(auto y, RunNode("y = OneHot (i, d, v)", 11, {&idx, &depth, &vals}));
  ExpectFloats(y[0], {4, 3}, {5, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0});
  // axis 0 puts the new axis first: [3, 4].
  H8_ASSERT_OK_AND_ASSIGN(auto y0,
                          RunNode("y = OneHot <axis = 0> (i, d, v)", 11, {&idx, &depth, &vals}));
  ExpectFloats(y0[0], {3, 4}, {5, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0});
}

TEST(IndexOpsTest, ScatterReductions) {
  // data [1,2,3,4]; updates 10 and 20 both at index 1, then 5 at index 3.
  Tensor data = F({4}, {1, 2, 3, 4});
  Tensor idx = I({3, 1}, {1, 1, 3});
  Tensor upd = F({3}, {10, 20, 5});
  auto run = [&](const std::string& r) {
    return RunNode("y = ScatterND <reduction = \"" + r + "\"> (d, i, u)", 18, {&data, &idx, &upd});
  };
  H8_ASSERT_OK_AND_ASSIGN(auto none, run("none"));  // the later update wins
  ExpectFloats(none[0], {4}, {1, 20, 3, 5});
  H8_ASSERT_OK_AND_ASSIGN(auto add, run("add"));  // 2+10+20, 4+5
  ExpectFloats(add[0], {4}, {1, 32, 3, 9});
  H8_ASSERT_OK_AND_ASSIGN(auto mul, run("mul"));  // 2*10*20, 4*5
  ExpectFloats(mul[0], {4}, {1, 400, 3, 20});
  H8_ASSERT_OK_AND_ASSIGN(auto mx, run("max"));
  ExpectFloats(mx[0], {4}, {1, 20, 3, 5});
  H8_ASSERT_OK_AND_ASSIGN(auto mn, run("min"));
  ExpectFloats(mn[0], {4}, {1, 2, 3, 4});
  EXPECT_EQ(run("avg").status().code(), Code::kInvalidArgument);
  // Slices: indices [[1]] into a [2,2] replaces row 1 with [7,8]; -2 is row 0.
  Tensor m = F({2, 2}, {1, 2, 3, 4});
  Tensor row = I({1, 1}, {1});
  Tensor neg = I({1, 1}, {-2});
  Tensor rowupd = F({1, 2}, {7, 8});
  H8_ASSERT_OK_AND_ASSIGN(auto r1, RunNode("y = ScatterND (d, i, u)", 13, {&m, &row, &rowupd}));
  ExpectFloats(r1[0], {2, 2}, {1, 2, 7, 8});
  H8_ASSERT_OK_AND_ASSIGN(auto r0, RunNode("y = ScatterND (d, i, u)", 13, {&m, &neg, &rowupd}));
  ExpectFloats(r0[0], {2, 2}, {7, 8, 3, 4});
  Tensor far = I({1, 1}, {2});
  EXPECT_EQ(RunNode("y = ScatterND (d, i, u)", 13, {&m, &far, &rowupd}).status().code(),
            Code::kInvalidArgument);
  // ScatterElements max/min (opset 18) on ints: [5,5] with 3 and 9 at 0 and 1.
  Tensor id = I({2}, {5, 5});
  Tensor ei = I({2}, {0, 1});
  Tensor eu = I({2}, {3, 9});
  H8_ASSERT_OK_AND_ASSIGN(auto emax, RunNode("y = ScatterElements <reduction = \"max\"> (d, i, u)",
                                             18, {&id, &ei, &eu}));
  ExpectInts(emax[0], {2}, {5, 9});
  H8_ASSERT_OK_AND_ASSIGN(auto emin, RunNode("y = ScatterElements <reduction = \"min\"> (d, i, u)",
                                             18, {&id, &ei, &eu}));
  ExpectInts(emin[0], {2}, {3, 5});
}

TEST(IndexOpsTest, DepthToSpaceRoundTrip) {
  // 4 channels of 1x1 (values 0..3), blocksize 2: DCR places channel
  // bi*2+bj at (bi,bj) -> [[0,1],[2,3]]; CRD with one output channel is the
  // same order here. SpaceToDepth undoes DCR.
  Tensor x = F({1, 4, 1, 1}, {0, 1, 2, 3});
  H8_ASSERT_OK_AND_ASSIGN(auto dcr, RunNode("y = DepthToSpace <blocksize = 2> (x)", 13, {&x}));
  ExpectFloats(dcr[0], {1, 1, 2, 2}, {0, 1, 2, 3});
  H8_ASSERT_OK_AND_ASSIGN(auto back,
                          RunNode("y = SpaceToDepth <blocksize = 2> (x)", 13, {&dcr[0]}));
  ExpectFloats(back[0], {1, 4, 1, 1}, {0, 1, 2, 3});
  // 8 channels, blocksize 2 -> 2 output channels. DCR: out channel c reads
  // input channel (bi*2+bj)*2 + c; CRD: c*4 + bi*2 + bj.
  std::vector<float> v(8);
  for (int k = 0; k < 8; ++k) v[k] = static_cast<float>(k);
  Tensor x8 = F({1, 8, 1, 1}, v);
  H8_ASSERT_OK_AND_ASSIGN(
      auto d8, RunNode("y = DepthToSpace <blocksize = 2, mode = \"DCR\"> (x)", 13, {&x8}));
  ExpectFloats(d8[0], {1, 2, 2, 2}, {0, 2, 4, 6, 1, 3, 5, 7});
  H8_ASSERT_OK_AND_ASSIGN(
      auto c8, RunNode("y = DepthToSpace <blocksize = 2, mode = \"CRD\"> (x)", 13, {&x8}));
  ExpectFloats(c8[0], {1, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  Tensor odd = F({1, 3, 1, 1}, {0, 1, 2});
  EXPECT_EQ(RunNode("y = DepthToSpace <blocksize = 2> (x)", 13, {&odd}).status().code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace evaltest
}  // namespace h8
