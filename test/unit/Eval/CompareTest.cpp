//===- CompareTest.cpp - Tensor comparison, report and file I/O tests -----===//
//
// CompareAccumulator statistics on hand-checked vectors, the exact FormatStats
// line, .pb tensor file round trips and RandomTensor determinism and range.
//
//===----------------------------------------------------------------------===//

#include "h8/Eval/Compare.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>

#include "EvalTestUtil.h"
#include "gtest/gtest.h"
#include "onnx/onnx-data_pb.h"

namespace h8 {
namespace {

using evaltest::ExpectFloats;
using evaltest::ExpectInts;
using onnx::TensorProto;

// One (expected, actual) pair through the accumulator --verify-numerics uses.
absl::StatusOr<CompareStats> CompareOne(const Tensor& expected, const Tensor& actual,
                                        Tolerance tol = {}) {
  CompareAccumulator acc(tol);
  absl::Status st = acc.Add(expected, actual);
  if (!st.ok()) return st;
  return acc.Stats();
}

// Writes `tensor` as a serialized TensorProto named `name`.
void WriteTensor(const std::string& path, const Tensor& tensor, const std::string& name) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  ASSERT_TRUE(TensorToProto(tensor, name).SerializeToOstream(&out));
}

TEST(CompareTest, Statistics) {
  // e = [1,0], a = [1,1]: cos = 1/(1*sqrt 2), diff [0,-1] -> mse 0.5, max 1.
  Tensor e = MakeFloatTensor({2}, {1, 0});
  Tensor a = MakeFloatTensor({2}, {1, 1});
  H8_ASSERT_OK_AND_ASSIGN(CompareStats s, CompareOne(e, a));
  EXPECT_NEAR(s.cosine, 1 / std::sqrt(2.0), 1e-12);
  EXPECT_DOUBLE_EQ(s.mse, 0.5);
  EXPECT_DOUBLE_EQ(s.max_abs_diff, 1.0);
  EXPECT_EQ(s.count, 2);
}

TEST(CompareTest, ZerosIntsAndShapeMismatch) {
  Tensor z = MakeFloatTensor({3}, {0, 0, 0});
  H8_ASSERT_OK_AND_ASSIGN(CompareStats s, CompareOne(z, z));
  EXPECT_DOUBLE_EQ(s.cosine, 1.0);
  EXPECT_DOUBLE_EQ(s.mse, 0.0);
  // Integers compare as doubles: [1,2] vs [1,4] -> mse 2, max 2.
  H8_ASSERT_OK_AND_ASSIGN(CompareStats i,
                          CompareOne(MakeIntTensor({2}, {1, 2}), MakeIntTensor({2}, {1, 4})));
  EXPECT_DOUBLE_EQ(i.mse, 2.0);
  EXPECT_DOUBLE_EQ(i.max_abs_diff, 2.0);
  auto bad = CompareOne(MakeFloatTensor({1, 3}, {0, 0, 0}), z);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

constexpr float inf = std::numeric_limits<float>::infinity();
constexpr float nan = std::numeric_limits<float>::quiet_NaN();

void ExpectStats(const CompareStats& s, const CompareStats& want) {
  EXPECT_DOUBLE_EQ(s.cosine, want.cosine);
  EXPECT_DOUBLE_EQ(s.mse, want.mse);
  EXPECT_DOUBLE_EQ(s.max_abs_diff, want.max_abs_diff);
  EXPECT_EQ(s.count, want.count);
  EXPECT_EQ(s.outside_tolerance, want.outside_tolerance);
  EXPECT_EQ(s.nonfinite_mismatches, want.nonfinite_mismatches);
}

TEST(CompareTest, EqualNonFiniteValuesAgree) {
  // Like numpy.testing.assert_allclose: inf against the same inf and NaN
  // against NaN agree; the statistics cover the finite pairs (1,1), (2,2).
  Tensor t = MakeFloatTensor({5}, {1, inf, -inf, nan, 2});
  H8_ASSERT_OK_AND_ASSIGN(CompareStats s, CompareOne(t, t));
  ExpectStats(s, {1.0, 0.0, 0.0, 5, 0, 0});
  EXPECT_TRUE(StatsPass(s, 0.99999));
}

TEST(CompareTest, NonFiniteMismatchFails) {
  // NaN vs 3, inf vs -inf and 4 vs inf are mismatches; the finite pair
  // (2, 2.5) alone makes cos 1, mse 0.25, max|d| 0.5.
  Tensor e = MakeFloatTensor({4}, {nan, inf, 4, 2});
  Tensor a = MakeFloatTensor({4}, {3, -inf, inf, 2.5});
  H8_ASSERT_OK_AND_ASSIGN(CompareStats s, CompareOne(e, a));
  ExpectStats(s, {1.0, 0.25, 0.5, 4, 4, 3});
  EXPECT_FALSE(StatsPass(s, 0.99999));
  EXPECT_EQ(FormatStats("y", s, {4}),
            "y: cos 1.000000  mse 2.5e-01  max|d| 5.0e-01  (4)  outside tol 4/4  "
            "nan/inf mismatches 3");
}

TEST(CompareTest, ToleranceIsAtolPlusRtolTimesReference) {
  // e = [100, 0], a = [100.009, 2e-5]. Default atol 1e-5, rtol 1e-4:
  // |d0| = 0.009 <= 1e-5 + 0.01 passes, |d1| = 2e-5 > 1e-5 fails.
  Tensor e = MakeFloatTensor({2}, {100, 0});
  Tensor a = MakeFloatTensor({2}, {100.009f, 2e-5f});
  H8_ASSERT_OK_AND_ASSIGN(CompareStats dflt, CompareOne(e, a));
  EXPECT_EQ(dflt.outside_tolerance, 1);
  EXPECT_FALSE(StatsPass(dflt, 0.99999));
  // atol 3e-5 accepts both; rtol 0 with atol 1e-3 rejects the first only.
  H8_ASSERT_OK_AND_ASSIGN(CompareStats loose, CompareOne(e, a, Tolerance{3e-5, 1e-4}));
  EXPECT_EQ(loose.outside_tolerance, 0);
  EXPECT_TRUE(StatsPass(loose, 0.99999));
  H8_ASSERT_OK_AND_ASSIGN(CompareStats abs_only, CompareOne(e, a, Tolerance{1e-3, 0}));
  EXPECT_EQ(abs_only.outside_tolerance, 1);
  // Within tolerance but a cosine below the bar still fails.
  EXPECT_FALSE(StatsPass(loose, 1.0 + 1e-9));
}

TEST(CompareTest, AccumulatorSumsSeveralPairs) {
  // [1,0] vs [1,1] then [3] vs [3]: dot 1+9, |e|^2 10, |a|^2 11 ->
  // cos 10/sqrt(110); squared diffs 0,1,0 -> mse 1/3; one element outside.
  CompareAccumulator acc;
  ASSERT_TRUE(acc.Add(MakeFloatTensor({2}, {1, 0}), MakeFloatTensor({2}, {1, 1})).ok());
  ASSERT_TRUE(acc.Add(MakeFloatTensor({1}, {3}), MakeFloatTensor({1}, {3})).ok());
  EXPECT_FALSE(acc.Add(MakeFloatTensor({1}, {3}), MakeFloatTensor({2}, {3, 3})).ok());
  CompareStats s = acc.Stats();
  EXPECT_NEAR(s.cosine, 10 / std::sqrt(110.0), 1e-12);
  EXPECT_NEAR(s.mse, 1.0 / 3, 1e-12);
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.outside_tolerance, 1);
}

TEST(CompareTest, FormatStatsExactLine) {
  CompareStats s;
  s.cosine = 1.0;
  s.mse = 3.1e-15;
  s.max_abs_diff = 4.8e-07;
  s.count = 7;
  EXPECT_EQ(FormatStats("y", s, {1, 7}), "y: cos 1.000000  mse 3.1e-15  max|d| 4.8e-07  (1,7)");
  EXPECT_EQ(FormatStats("s", s, {}), "s: cos 1.000000  mse 3.1e-15  max|d| 4.8e-07  ()");
}

TEST(CompareTest, TensorFileRoundTrip) {
  const std::string path =
      (std::filesystem::path(::testing::TempDir()) / "h8_eval_tensor.pb").string();
  Tensor t = MakeFloatTensor({2, 2}, {1, -2, 3.5f, 0});
  WriteTensor(path, t, "input_0");
  H8_ASSERT_OK_AND_ASSIGN(Tensor back, ReadTensorFile(path));
  ExpectFloats(back, {2, 2}, t.f, 0.0f);
  Tensor i = MakeIntTensor({3}, {1, 2, 3});
  WriteTensor(path, i, "ids");
  H8_ASSERT_OK_AND_ASSIGN(Tensor iback, ReadTensorFile(path));
  ExpectInts(iback, {3}, {1, 2, 3});
  std::filesystem::remove(path);
  EXPECT_EQ(ReadTensorFile(path).status().code(), absl::StatusCode::kNotFound);
}

TEST(CompareTest, SequenceOrOptionalFileIsNamed) {
  // ONNX test data for sequence/optional outputs holds a SequenceProto or an
  // OptionalProto; read as a TensorProto it would give garbage dims.
  const std::string path =
      (std::filesystem::path(::testing::TempDir()) / "h8_eval_sequence.pb").string();
  auto expect_refused = [&path](const google::protobuf::MessageLite& message) {
    std::string bytes;
    ASSERT_TRUE(message.SerializeToString(&bytes));
    std::ofstream(path, std::ios::binary) << bytes;
    absl::Status st = ReadTensorFile(path).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(st.message(), path + ": holds a sequence/optional, not a tensor; not supported");
  };
  const TensorProto a = TensorToProto(MakeFloatTensor({2}, {1, 2}), "");
  const TensorProto b = TensorToProto(MakeFloatTensor({3}, {3, 4, 5}), "");
  // Sequences of two, zero tensors; optionals holding a tensor, nothing (an
  // UNDEFINED element type), a sequence.
  auto sequence = [](const std::string& name, std::vector<TensorProto> values) {
    onnx::SequenceProto seq;
    seq.set_name(name);
    seq.set_elem_type(onnx::SequenceProto::TENSOR);
    for (TensorProto& v : values) *seq.add_tensor_values() = std::move(v);
    return seq;
  };
  const onnx::SequenceProto seq = sequence("output_0", {a, b});
  expect_refused(seq);
  expect_refused(sequence("s", {}));
  auto optional = [](int32_t elem_type) {
    onnx::OptionalProto opt;
    opt.set_name("o");
    opt.set_elem_type(elem_type);
    return opt;
  };
  onnx::OptionalProto opt = optional(onnx::OptionalProto::TENSOR);
  *opt.mutable_tensor_value() = a;
  expect_refused(opt);
  expect_refused(optional(onnx::OptionalProto::UNDEFINED));
  onnx::OptionalProto opt_seq = optional(onnx::OptionalProto::SEQUENCE);
  *opt_seq.mutable_sequence_value() = seq;
  expect_refused(opt_seq);
  std::filesystem::remove(path);
}

TEST(CompareTest, RandomTensorIsDeterministicAndInRange) {
  Tensor a = RandomTensor(TensorProto::FLOAT, {4, 256}, 42);
  Tensor b = RandomTensor(TensorProto::FLOAT, {4, 256}, 42);
  Tensor c = RandomTensor(TensorProto::FLOAT, {4, 256}, 43);
  EXPECT_EQ(a.f, b.f);
  EXPECT_NE(a.f, c.f);
  float lo = 1, hi = -1;
  for (float v : a.f) {
    EXPECT_GE(v, -1.0f);
    EXPECT_LT(v, 1.0f);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_LT(lo, -0.9f);
  EXPECT_GT(hi, 0.9f);
  // The mapping is fixed: the top 24 bits k of each mt19937_64 draw give
  // k / 2^23 - 1 (mt19937_64's output sequence is itself standardized).
  std::mt19937_64 gen(42);
  const float first = static_cast<float>(static_cast<double>(gen() >> 40) / 8388608.0 - 1.0);
  EXPECT_EQ(a.f[0], first);
  Tensor ints = RandomTensor(TensorProto::INT64, {1000}, 1);
  for (int64_t v : ints.i) {
    EXPECT_GE(v, 0);
    EXPECT_LT(v, 4);
  }
}

}  // namespace
}  // namespace h8
