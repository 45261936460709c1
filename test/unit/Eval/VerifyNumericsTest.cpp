//===- VerifyNumericsTest.cpp - --verify-numerics acceptance -----------===//
//
// VerifyNumerics on small models given as ONNX text: outputs holding
// infinities and NaNs that agree pass, and the acceptance rule line.
//
//===----------------------------------------------------------------------===//

#include "h8/Tools/VerifyNumerics.h"

#include <string>
#include <vector>

#include "EvalTestUtil.h"
#include "gtest/gtest.h"
#include "onnx/defs/parser.h"

namespace h8 {
namespace {

onnx::ModelProto Parse(const std::string& text) {
  onnx::ModelProto model;
  auto st = onnx::OnnxParser::Parse(model, text.c_str());
  EXPECT_TRUE(st.IsOK()) << st.ErrorMessage();
  return model;
}

TEST(VerifyNumericsTest, IdenticalNonFiniteOutputsPass) {
  // Random x in [-1, 1): Log(Relu(x)) is -inf wherever x <= 0, Sqrt(x) is
  // NaN wherever x < 0. The same model on both sides must agree exactly.
  onnx::ModelProto m = Parse(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[64] x) => (float[64] y, float[64] z) {
      r = Relu (x)
      y = Log (r)
      z = Sqrt (x)
    }
  )");
  VerifyOptions options;
  H8_ASSERT_OK_AND_ASSIGN(auto reports, VerifyNumerics(m, m, ArtifactStore{}, options, ""));
  ASSERT_EQ(reports.size(), 2u);
  for (const OutputReport& r : reports) {
    EXPECT_TRUE(r.ok) << FormatStats(r.name, r.stats, r.dims);
    EXPECT_DOUBLE_EQ(r.stats.cosine, 1.0) << r.name;
    EXPECT_DOUBLE_EQ(r.stats.max_abs_diff, 0.0) << r.name;
    EXPECT_EQ(r.stats.count, 3 * 64) << r.name;
  }
}

TEST(VerifyNumericsTest, StaticZeroDimStaysZero) {
  // A static dim of 0 is a real (empty) shape, not a dynamic one: the random
  // input for e must be float[0] (the evaluator rejects [1]); only the
  // symbolic n becomes 1.
  onnx::ModelProto m = Parse(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[n,3] x, float[0,3] e) => (float[n,3] y) {
      y = Concat <axis = 0> (x, e)
    }
  )");
  H8_ASSERT_OK_AND_ASSIGN(auto reports, VerifyNumerics(m, m, ArtifactStore{}, VerifyOptions{}, ""));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_TRUE(reports[0].ok);
  EXPECT_EQ(reports[0].dims, (std::vector<int64_t>{1, 3}));
}

TEST(VerifyNumericsTest, CriteriaLine) {
  VerifyOptions options;
  EXPECT_EQ(FormatCriteria(options), "pass when cos >= 0.99999 and |d| <= 1e-05 + 0.0001*|ref|");
  options.atol = 1e-6;
  options.rtol = 0;
  EXPECT_EQ(FormatCriteria(options), "pass when cos >= 0.99999 and |d| <= 1e-06 + 0*|ref|");
}

}  // namespace
}  // namespace h8
