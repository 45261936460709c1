//===- VerifyNumerics.h - Prove a rewrite numerically -----------*- C++ -*-===//
//
// Runs the original and the rewritten model with the reference evaluator on
// the same seeded random inputs (or on a stored ONNX test-data set) and
// compares every output: cosine similarity, MSE and max |difference|, the
// figures users accept a rewrite by, and every element against
// |d| <= atol + rtol*|ref| (see CompareAccumulator). Interface changes
// recorded by passes are honoured: an input that gained a unit axis gets the
// same data with that axis; when the axis was pinned to H > 1 rows, row h of
// each output is compared with the original model run on row h of each
// input (lift-conv1d's LiftedInterface artifact). After split-hailo8 (a
// SplitHostModel artifact) the rewritten model is the device part: its
// outputs feed the host model by name, and the host's outputs are compared
// with the original's.
//
//===----------------------------------------------------------------------===//
#ifndef H8_TOOLS_VERIFYNUMERICS_H
#define H8_TOOLS_VERIFYNUMERICS_H

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "h8/Eval/Compare.h"
#include "h8/Eval/Evaluator.h"
#include "h8/Pass/ArtifactStore.h"
#include "h8/Pass/Pass.h"
#include "h8/Pass/PassInstrumentation.h"
#include "onnx/onnx_pb.h"

namespace h8 {

struct VerifyOptions {
  int trials = 3;
  uint64_t seed = 0;
  /// An output passes when every element has |d| <= atol + rtol*|ref| and
  /// the cosine similarity is >= min_cosine.
  double atol = 1e-5;
  double rtol = 1e-4;
  double min_cosine = 0.99999;
  /// Values for symbolic dims by name (--verify-dims=batch=1,time=100);
  /// unnamed or unlisted dynamic dims are 1.
  std::map<std::string, int64_t> dims;
  /// Per evaluation: live tensor bytes (including the inputs, reference
  /// outputs and slices the verifier holds meanwhile) and estimated work
  /// (--verify-max-bytes, --verify-max-work). Over either, verification
  /// fails with ResourceExhausted naming the flag (exit 1).
  EvalBudget budget;
};

struct OutputComparison {
  std::string name;
  CompareStats stats;
  std::vector<int64_t> dims;
  bool ok = true;
};

/// Compares `original` and `rewritten` on `options.trials` random inputs.
absl::StatusOr<std::vector<OutputComparison>> VerifyNumerics(const onnx::ModelProto& original,
                                                             const onnx::ModelProto& rewritten,
                                                             const ArtifactStore& artifacts,
                                                             const VerifyOptions& options,
                                                             const std::string& base_dir);

/// Compares `rewritten` with an ONNX test-data set folder (input_N.pb,
/// output_N.pb in the original model's interface).
absl::StatusOr<std::vector<OutputComparison>> VerifyAgainstDataSet(
    const onnx::ModelProto& rewritten, const ArtifactStore& artifacts, const std::string& dir,
    const VerifyOptions& options, const std::string& base_dir);

/// --verify-each=numerics: keeps a copy of the pipeline's input (its
/// before-pipeline hook) and compares the model with it after each pass
/// that changed the model, so the first pass that breaks the numbers is
/// named: "pass 'P' changed the model's numerics: <output figures>", or
/// "cannot verify numerics after pass 'P': <why>" when the models could not
/// be evaluated. Add it with PassManager::AddVerifier.
class NumericsVerification : public PassInstrumentation {
 public:
  explicit NumericsVerification(VerifyOptions options) : options_(std::move(options)) {}

  void RunBeforePipeline(const onnx::ModelProto& model, PassContext& ctx) override;
  absl::Status RunAfterPass(const Pass& pass, const PassRunInfo& info,
                            const onnx::ModelProto& model, PassContext& ctx) override;

  /// The input of the last pipeline run (kept until the next run), so
  /// whoever compares with it after the pipeline needs no copy of its own.
  const onnx::ModelProto* original() const { return original_.get(); }

 private:
  VerifyOptions options_;
  std::unique_ptr<onnx::ModelProto> original_;
};

/// The acceptance rule, e.g.
/// `pass when cos >= 0.99999 and |d| <= 1e-05 + 0.0001*|ref|`.
std::string FormatCriteria(const VerifyOptions& options);

}  // namespace h8

#endif  // H8_TOOLS_VERIFYNUMERICS_H
