//===- VerifyNumericsTest.cpp - --verify-numerics acceptance -----------===//
//
// VerifyNumerics on small models given as ONNX text: outputs holding
// infinities and NaNs that agree pass, and the acceptance rule line.
//
//===----------------------------------------------------------------------===//

#include "h8/Tools/VerifyNumerics.h"

#include <memory>
#include <string>
#include <vector>

#include "EvalTestUtil.h"
#include "gtest/gtest.h"
#include "h8/Pass/PassManager.h"
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
  for (const OutputComparison& r : reports) {
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

// Sets node `index`'s op type (claims a change).
class SetOpPass : public Pass {
 public:
  SetOpPass(std::string name, int index, std::string op)
      : name_(std::move(name)), index_(index), op_(std::move(op)) {}
  absl::string_view Argument() const override { return name_; }
  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext&) override {
    model.mutable_graph()->mutable_node(index_)->set_op_type(op_);
    return true;
  }

 private:
  std::string name_;
  int index_;
  std::string op_;
};

TEST(VerifyNumericsTest, NumericsVerificationNamesTheFirstPassThatChangesTheNumbers) {
  // Relu(Relu(x)): swapping the inner Relu for Relu keeps the numbers;
  // the outer one for Neg does not; the pass after is never run.
  onnx::ModelProto m = Parse(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[64] x) => (float[64] y) {
      t = Relu (x)
      y = Relu (t)
    }
  )");
  const onnx::ModelProto input = m;
  DiagnosticEngine diags;
  std::vector<Diagnostic> seen;
  diags.SetHandler([&seen](const Diagnostic& d) { seen.push_back(d); });
  PassContext ctx(diags, "m.onnx");
  PassManager pm(PassManagerOptions{});
  auto numerics = std::make_unique<NumericsVerification>(VerifyOptions{});
  const NumericsVerification* kept = numerics.get();
  pm.AddVerifier(std::move(numerics));
  pm.AddPass(std::make_unique<SetOpPass>("same", 0, "Relu"));
  pm.AddPass(std::make_unique<SetOpPass>("negater", 1, "Neg"));
  pm.AddPass(std::make_unique<SetOpPass>("later", 1, "Relu"));
  absl::Status s = pm.Run(m, ctx);
  EXPECT_EQ(s.message(), "numerics broken by negater");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].pass, "verify-each");
  EXPECT_EQ(seen[0].message.rfind("pass 'negater' changed the model's numerics: y: cos ", 0), 0u)
      << seen[0].message;
  // It compared with the pipeline's input, which it keeps for the driver.
  ASSERT_NE(kept->original(), nullptr);
  EXPECT_EQ(kept->original()->SerializeAsString(), input.SerializeAsString());
  EXPECT_EQ(m.graph().node(1).op_type(), "Neg");
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
