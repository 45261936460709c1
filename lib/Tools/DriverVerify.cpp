//===- DriverVerify.cpp - Numeric verification and its tables -------------===//
//
// --verify-numerics and --verify-against compare the rewritten model with
// the input model (or a test-data set) after the pipeline and print one
// table each. --verify-each=numerics is an instrumentation of its own
// (NumericsVerification, VerifyNumerics.h) that the driver adds to the pass
// manager.
//
//===----------------------------------------------------------------------===//
#include <iostream>

#include "Driver.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace h8 {

// The exit code of one model's run; runs the numeric verification.
int Driver::VerifyAndGetExitCode(const absl::Status& s, onnx::ModelProto& model,
                                 const onnx::ModelProto* original, PassContext& ctx,
                                 const std::string& where) {
  // Files that cannot be read or written (calibration data, a host model:
  // ModelIO marks them as usage errors) are I/O problems: 2.
  if (!s.ok() && IsUsageError(s)) return kExitUsageError;
  if (!s.ok() && IsToolchainError(s)) return kExitToolchainError;
  // A failing pass, a lint with errors, a pass that emitted an error: the
  // pass manager's status says so (no counting of diagnostics here).
  if (!s.ok()) return kExitModelError;
  if (config_.verify_numerics) {
    auto reports =
        VerifyNumerics(*original, model, ctx.artifacts(), config_.verify, ctx.base_dir());
    if (!PrintVerification(
            reports,
            absl::StrCat(config_.verify.trials, " random inputs (seed ", config_.verify.seed, ")"),
            where))
      return !reports.ok() && IsUsageError(reports.status()) ? kExitUsageError : kExitModelError;
  }
  if (!config_.verify_against.empty()) {
    // A missing or unreadable test-data file is an I/O problem.
    auto reports = VerifyAgainstDataSet(model, ctx.artifacts(), config_.verify_against,
                                        config_.verify, ctx.base_dir());
    if (!PrintVerification(reports, absl::StrCat("test data in ", config_.verify_against), where))
      return !reports.ok() && IsIoError(reports.status()) ? kExitUsageError : kExitModelError;
  }
  return kExitOk;
}

// Prints a verification table on stderr; false (with an error) on a
// mismatch or when the models could not be evaluated.
bool Driver::PrintVerification(const absl::StatusOr<std::vector<OutputComparison>>& reports,
                               const std::string& what, const std::string& where) {
  ModelRunRecord::Verification* record = nullptr;
  if (current_model_ >= 0) {
    report_.models[current_model_].verifications.emplace_back();
    record = &report_.models[current_model_].verifications.back();
    record->what = what;
  }
  if (!reports.ok()) {
    if (record != nullptr) record->error = std::string(reports.status().message());
    Emit(where, absl::StrCat("verify-numerics: ", reports.status().message()));
    return false;
  }
  const std::string criteria = FormatCriteria(config_.verify);
  if (record != nullptr) {
    record->criteria = criteria;
    for (const OutputComparison& r : *reports)
      record->rows.push_back(VerifyRow{r.name, r.stats.cosine, r.stats.mse, r.stats.max_abs_diff,
                                       absl::StrJoin(r.dims, ","), r.ok});
  }
  if (request_.print) {
    std::cerr << "verify-numerics: " << what << "; " << criteria << "\n";
    for (const OutputComparison& r : *reports)
      std::cerr << "  " << FormatStats(r.name, r.stats, r.dims) << "\n";
  }
  bool ok = true;
  for (const OutputComparison& r : *reports) {
    if (r.ok) continue;
    ok = false;
    Emit(where, absl::StrCat("verify-numerics: output '", r.name, "' differs from the original: ",
                             FormatStats(r.name, r.stats, r.dims)));
  }
  return ok;
}

}  // namespace h8
