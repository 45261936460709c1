//===- PassManager.h - Runs a pipeline with instrumentation -----*- C++ -*-===//
//
// Tooling belongs to the manager, not to passes: verification after each
// pass, timing, IR printing before/after passes, statistics, remarks. The
// options below install the built-in instrumentations (IR printing, then
// structural verification); AddVerifier adds a verification after those,
// AddInstrumentation any other hook (PassInstrumentation.h).
//
//===----------------------------------------------------------------------===//
#ifndef H8_PASS_PASSMANAGER_H
#define H8_PASS_PASSMANAGER_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "h8/Pass/Pass.h"
#include "h8/Pass/PassInstrumentation.h"
#include "h8/Support/TextIO.h"

namespace h8 {

enum class VerifyEachMode { kNone, kStructural, kFull, kNumerics };

struct PassManagerOptions {
  VerifyEachMode verify_each = VerifyEachMode::kStructural;
  bool time_passes = false;
  bool print_ir_after_all = false;
  bool print_ir_after_change = false;
  absl::flat_hash_set<std::string> print_ir_before;
  absl::flat_hash_set<std::string> print_ir_after;
  PrintOptions print_options;
};

class PassManager {
 public:
  explicit PassManager(PassManagerOptions options);
  ~PassManager();
  // The built-in instrumentations refer to options_.
  PassManager(const PassManager&) = delete;
  PassManager& operator=(const PassManager&) = delete;

  void AddPass(std::unique_ptr<Pass> pass) { passes_.push_back(std::move(pass)); }
  /// Runs after the built-in instrumentations' before-hooks and before
  /// their after-hooks.
  void AddInstrumentation(std::unique_ptr<PassInstrumentation> instrumentation) {
    instrumentations_.push_back(std::move(instrumentation));
  }
  /// Adds a verification between passes (the numeric one of
  /// --verify-each=numerics, VerifyNumerics.h): its after-pass hook runs
  /// after the built-in structural verification, so it only sees
  /// well-formed models, and before IR printing, so a model it rejects is
  /// not printed as the pass's result; verifiers run in the order added.
  /// Its hooks' time is reported with the manager's as "(verify-each)".
  void AddVerifier(std::unique_ptr<PassInstrumentation> verifier);
  const std::vector<std::unique_ptr<Pass>>& passes() const { return passes_; }

  /// Runs every pass in order. A failing pass or verifier emits an error
  /// diagnostic (none when the status is marked reported: its diagnostics
  /// were emitted) and returns its status; the model is then unspecified
  /// and must not be written. A pass that emitted an error diagnostic has
  /// failed whatever it returned. A lint's failure (LintFindingsStatus) is
  /// held while a later pass ConsumesLintFindings(), and returned at the end.
  absl::Status Run(onnx::ModelProto& model, PassContext& ctx);
  /// The same for a model whose main graph `index` describes as it is (a
  /// fresh build, e.g. the one the driver verified the input with): the
  /// first pass that asks for the index gets this one.
  absl::Status Run(onnx::ModelProto& model, PassContext& ctx, std::shared_ptr<GraphIndex> index);

  /// Wall time per pass of the last Run(), for --time-passes.
  std::string FormatTimings() const;
  /// The same figures as data: (pass, seconds) in run order, then
  /// "(verify-each)" for the verification between passes when it ran. A
  /// pass's row is followed by the rows of the passes it ran inside itself
  /// (PassContext::RunNestedPass), named "<pass>/<nested>" and included in
  /// its time (IsNestedPassRow).
  const std::vector<std::pair<std::string, double>>& timings() const { return timings_; }

 private:
  // What Run() carries from one pass to the next.
  struct RunState {
    // The whole model's fingerprint as the previous pass left it, the main
    // graph's, and the main graph's without value types; while claims are
    // trusted (ChecksClaims), the first two are a stamp and the last unused.
    uint64_t fingerprint = 0;
    uint64_t main_fingerprint = 0;
    uint64_t topology = 0;
    // The running pass's row in timings_.
    size_t running_row = 0;
    // A lint's failure that a later pass consumes, returned at the end.
    absl::Status lint_failure;
  };
  // Runs `pass` with its hooks and the checks after it; a status that is
  // not OK ends the run.
  absl::Status RunPass(Pass& pass, onnx::ModelProto& model, PassContext& ctx, RunState& state,
                       bool findings_consumed_later);
  // Runs the after-failed hooks; returns `status`.
  absl::Status FailPass(const Pass& pass, absl::Status status, PassContext& ctx);
  bool ChecksClaims() const;
  static uint64_t NextStamp();
  PassManagerOptions options_;
  std::vector<std::unique_ptr<Pass>> passes_;
  std::vector<std::unique_ptr<PassInstrumentation>> instrumentations_;
  /// Seconds the manager spent between passes (fingerprints and the
  /// built-in verification), reported as "(verify-each)".
  double verify_seconds_ = 0;
  std::vector<std::pair<std::string, double>> timings_;
};

/// Whether a timings() row is a nested pass's ("<pass>/<nested>"): its
/// time is part of the row of the pass that ran it.
inline bool IsNestedPassRow(absl::string_view name) {
  return name.find('/') != absl::string_view::npos;
}

/// Formats collected statistics (--pass-statistics).
std::string FormatStatistics(PassContext& ctx);

}  // namespace h8

#endif  // H8_PASS_PASSMANAGER_H
