//===- PassManager.cpp - Pipeline execution and instrumentation -----------===//
#include "h8/Pass/PassManager.h"

#include <chrono>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "h8/IR/Verifier.h"
#include "h8/Support/OnnxBridge.h"
#include "h8/Support/Status.h"

namespace h8 {
namespace {

void DumpIR(const std::string& header, const onnx::ModelProto& model,
            const PrintOptions& options) {
  std::cerr << "# *** IR Dump " << header << " ***\n" << PrintModelText(model, options);
  std::cerr.flush();
}

}  // namespace

absl::Status PassManager::Run(onnx::ModelProto& model, PassContext& ctx) {
  timings_.clear();
  // Verification between passes is the manager's own cost; it is reported
  // as one line so the pass figures stay the passes'.
  double verify_seconds = 0;
  struct VerifyTime {
    std::vector<std::pair<std::string, double>>& timings;
    double& seconds;
    ~VerifyTime() {
      if (seconds > 0) timings.emplace_back("(verify-each)", seconds);
    }
  } verify_time{timings_, verify_seconds};
  // A lint's failure that a later pass consumes, returned at the end.
  absl::Status lint_failure;
  size_t consumers_after = 0;
  for (const auto& pass : passes_) consumers_after += pass->ConsumesLintFindings() ? 1 : 0;
  for (const auto& pass : passes_) {
    if (pass->ConsumesLintFindings()) --consumers_after;
    const std::string name(pass->Argument());
    ctx.set_current_pass(name);
    if (options_.print_ir_before.contains(name) || options_.print_ir_before.contains("all"))
      DumpIR(absl::StrCat("Before ", name), model, options_.print_options);

    // A copy of the model is only kept when an instrumentation needs the
    // "before" state: change detection for printing, or numeric checking.
    std::unique_ptr<onnx::ModelProto> before;
    if (options_.print_ir_after_change || options_.verify_each == VerifyEachMode::kNumerics)
      before = std::make_unique<onnx::ModelProto>(model);

    auto start = std::chrono::steady_clock::now();
    const int errors_before = ctx.diags().num_errors();
    absl::StatusOr<bool> changed = pass->Run(model, ctx);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    timings_.emplace_back(name, seconds);
    // A pass that emitted an error (a warning under --Werror included) has
    // failed, whatever it returned.
    if (changed.ok() && ctx.diags().num_errors() > errors_before)
      changed = MarkReported(absl::FailedPreconditionError(absl::StrCat(name, " reported errors")));
    if (!changed.ok()) {
      // A status whose diagnostics were emitted gets no second line.
      if (!IsReported(changed.status())) ctx.Error() << changed.status().message();
      if (IsLintFindings(changed.status()) && consumers_after > 0) {
        lint_failure = changed.status();
        continue;
      }
      return changed.status();
    }

    if (options_.verify_each != VerifyEachMode::kNone) {
      auto verify_start = std::chrono::steady_clock::now();
      absl::Status s = VerifyModelStructure(model);
      if (s.ok() && options_.verify_each == VerifyEachMode::kFull) {
        OnnxCheckSkip skip;
        s = CheckModelWithOnnx(model, &skip);
        if (skip.skipped && !checker_skip_noted_) {
          checker_skip_noted_ = true;
          Diagnostic d;
          d.severity = Severity::kNote;
          d.file = ctx.file();
          d.pass = "verify-each";
          d.message = absl::StrCat("after pass '", name, "': ", skip.reason);
          ctx.diags().Emit(std::move(d));
        }
      }
      if (!s.ok()) {
        ctx.set_current_pass("verify-each");
        ctx.Error() << "after pass '" << name << "': " << s.message();
        return absl::InternalError(absl::StrCat("verification failed after ", name));
      }
      if (options_.verify_each == VerifyEachMode::kNumerics && options_.numerics_check) {
        s = options_.numerics_check(*before, model, ctx);
        if (!s.ok()) {
          ctx.set_current_pass("verify-each");
          // FailedPrecondition is a measured mismatch; anything else means
          // the models could not be evaluated at all.
          if (absl::IsFailedPrecondition(s))
            ctx.Error() << "pass '" << name << "' changed the model's numerics: " << s.message();
          else
            ctx.Error() << "cannot verify numerics after pass '" << name << "': " << s.message();
          return absl::InternalError(absl::StrCat("numerics broken by ", name));
        }
      }
      verify_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                      verify_start).count();
    }

    bool print_after = options_.print_ir_after_all || options_.print_ir_after.contains(name);
    if (!print_after && options_.print_ir_after_change && *changed) {
      // "changed" from the pass is a claim; the comparison makes it a fact.
      print_after = before->SerializeAsString() != model.SerializeAsString();
    }
    if (print_after) DumpIR(absl::StrCat("After ", name), model, options_.print_options);
  }
  return lint_failure;
}

std::string PassManager::TimingReport() const {
  double total = 0;
  for (const auto& [name, s] : timings_) total += s;
  std::string out =
      "===-------------------------------------------------------------------------===\n"
      "                         ... Execution time report ...\n"
      "===-------------------------------------------------------------------------===\n";
  absl::StrAppendFormat(&out, "  Total Execution Time: %.4f seconds\n\n", total);
  out += "  ----Wall Time----  ----Name----\n";
  for (const auto& [name, s] : timings_)
    absl::StrAppendFormat(&out, "  %8.4f (%5.1f%%)  %s\n", s,
                          total > 0 ? 100.0 * s / total : 0.0, name);
  absl::StrAppendFormat(&out, "  %8.4f (100.0%%)  Total\n", total);
  return out;
}

std::string FormatStatistics(PassContext& ctx) {
  std::string out =
      "===-------------------------------------------------------------------------===\n"
      "                         ... Pass statistics report ...\n"
      "===-------------------------------------------------------------------------===\n";
  for (const auto& [pass, stats] : ctx.stats()) {
    absl::StrAppend(&out, pass, "\n");
    for (const auto& [name, value] : stats)
      absl::StrAppend(&out, "  (S) ", value, " ", name, "\n");
  }
  return out;
}

}  // namespace h8
