//===- PassManager.cpp - Pipeline execution and instrumentation -----------===//
#include "h8/Pass/PassManager.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/Fingerprint.h"
#include "h8/IR/Verifier.h"
#include "h8/Support/OnnxBridge.h"
#include "h8/Support/Status.h"

namespace h8 {

PassInstrumentation::~PassInstrumentation() = default;
bool PassInstrumentation::NeedsModelBefore(const Pass&) const { return false; }
void PassInstrumentation::RunBeforePipeline(const onnx::ModelProto&, PassContext&) {}
void PassInstrumentation::RunBeforePass(const Pass&, const onnx::ModelProto&, PassContext&) {}
absl::Status PassInstrumentation::RunAfterPass(const Pass&, const PassRunInfo&,
                                               const onnx::ModelProto&, PassContext&) {
  return absl::OkStatus();
}
void PassInstrumentation::RunAfterPassFailed(const Pass&, const absl::Status&, PassContext&) {}
void PassInstrumentation::RunAfterPipeline(const onnx::ModelProto&, const absl::Status&,
                                           PassContext&) {}

namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// --print-ir-before/-after/-after-all/-after-change.
class IRPrinting : public PassInstrumentation {
 public:
  explicit IRPrinting(const PassManagerOptions& options) : options_(options) {}

  bool NeedsModelBefore(const Pass&) const override { return options_.print_ir_after_change; }

  void RunBeforePass(const Pass& pass, const onnx::ModelProto& model, PassContext&) override {
    const std::string name(pass.Argument());
    if (options_.print_ir_before.contains(name) || options_.print_ir_before.contains("all"))
      Dump(absl::StrCat("Before ", name), model);
  }

  absl::Status RunAfterPass(const Pass& pass, const PassRunInfo& info,
                            const onnx::ModelProto& model, PassContext&) override {
    const std::string name(pass.Argument());
    bool print = options_.print_ir_after_all || options_.print_ir_after.contains(name);
    if (!print && options_.print_ir_after_change && info.changed) {
      // "changed" from the pass is a claim (trusted outside
      // --verify-each=full); fingerprints make it a fact, and only when
      // they are equal (bytes inside a large tensor may differ) does a full
      // comparison decide.
      print = ModelFingerprint(*info.before) != ModelFingerprint(model) ||
              info.before->SerializeAsString() != model.SerializeAsString();
    }
    if (print) Dump(absl::StrCat("After ", name), model);
    return absl::OkStatus();
  }

 private:
  void Dump(const std::string& header, const onnx::ModelProto& model) {
    std::cerr << "# *** IR Dump " << header << " ***\n"
              << PrintModelText(model, options_.print_options);
    std::cerr.flush();
  }
  const PassManagerOptions& options_;
};

// --verify-each: structural after every pass that changed the model (an
// unchanged model is the one verified before), plus ONNX's checker after
// every pass (full). The numeric comparison of --verify-each=numerics is a
// verifier of its own (AddVerifier), run after this one.
class Verification : public PassInstrumentation {
 public:
  Verification(const PassManagerOptions& options, double* seconds)
      : options_(options), seconds_(seconds) {}

  absl::Status RunAfterPass(const Pass& pass, const PassRunInfo& info,
                            const onnx::ModelProto& model, PassContext& ctx) override {
    const VerifyEachMode mode = options_.verify_each;
    if (mode == VerifyEachMode::kNone || (mode != VerifyEachMode::kFull && !info.changed))
      return absl::OkStatus();
    // Verification proportional to the change, coarsely: a pass that only
    // changed the types of values (pin-shape without folding, infer-shapes)
    // cannot have broken what the structural verifier checks. Numerics and
    // full verification still run.
    if (mode == VerifyEachMode::kStructural && !info.topology_change) return absl::OkStatus();
    const auto start = std::chrono::steady_clock::now();
    absl::Status s = Verify(pass, info, model, ctx);
    *seconds_ += SecondsSince(start);
    return s;
  }

 private:
  absl::Status Verify(const Pass& pass, const PassRunInfo& info, const onnx::ModelProto& model,
                      PassContext& ctx) {
    const std::string name(pass.Argument());
    // A pass whose every structural edit went through the AnalysisManager's
    // commits is checked where it edited; full verification checks all.
    const GraphIndex* touched = ctx.analyses().LastKeptIndex(model.graph());
    absl::Status s = touched != nullptr && options_.verify_each != VerifyEachMode::kFull
                         ? VerifyTouchedStructure(model, *touched)
                         : VerifyModelStructure(model);
    if (s.ok() && options_.verify_each == VerifyEachMode::kFull) {
      OnnxCheckSkip skip;
      s = CheckModelWithOnnx(model, &skip);
      if (skip.skipped && !checker_skip_noted_) {
        // Said once: every later check skips for the same reason until a
        // pass lowers the IR or opset.
        checker_skip_noted_ = true;
        Diagnostic d;
        d.severity = Severity::kNote;
        d.file = ctx.file();
        d.pass = "verify-each";
        d.message = absl::StrCat("after pass '", name, "': ", skip.reason);
        ctx.diags().Emit(std::move(d));
      }
    }
    if (s.ok() && options_.verify_each == VerifyEachMode::kFull) {
      // A shape analysis the pass declared still valid must say what a
      // fresh one says.
      for (const auto& kept : ctx.analyses().last_kept()) {
        const ShapeAnalysis fresh(*kept.graph, kept.opset);
        if (std::string d = kept.shapes->FirstDifference(fresh, *kept.graph); !d.empty())
          s = absl::InternalError(
              absl::StrCat("the shape analysis it kept disagrees with a fresh one at ", d));
      }
      // So must an index its commits updated (an edit made outside them
      // leaves it stale).
      for (const auto& kept : ctx.analyses().last_kept_indexes()) {
        if (!s.ok()) break;
        if (std::string d = kept.index->FirstDifference(GraphIndex(*kept.graph)); !d.empty())
          s = absl::InternalError(absl::StrCat(
              "the use-def index its commits updated disagrees with a fresh one at ", d));
      }
    }
    if (!s.ok()) {
      ctx.set_current_pass("verify-each");
      ctx.Error() << "after pass '" << name << "': " << s.message();
      return absl::InternalError(absl::StrCat("verification failed after ", name));
    }
    return absl::OkStatus();
  }

  const PassManagerOptions& options_;
  double* seconds_;
  bool checker_skip_noted_ = false;
};

// A verifier added with AddVerifier: forwards every hook and charges its
// time to the manager's "(verify-each)" figure.
class TimedVerifier : public PassInstrumentation {
 public:
  TimedVerifier(std::unique_ptr<PassInstrumentation> inner, double* seconds)
      : inner_(std::move(inner)), seconds_(seconds) {}

  bool NeedsModelBefore(const Pass& pass) const override { return inner_->NeedsModelBefore(pass); }
  void RunBeforePipeline(const onnx::ModelProto& model, PassContext& ctx) override {
    Timed([&] { inner_->RunBeforePipeline(model, ctx); });
  }
  void RunBeforePass(const Pass& pass, const onnx::ModelProto& model, PassContext& ctx) override {
    Timed([&] { inner_->RunBeforePass(pass, model, ctx); });
  }
  absl::Status RunAfterPass(const Pass& pass, const PassRunInfo& info,
                            const onnx::ModelProto& model, PassContext& ctx) override {
    absl::Status s;
    Timed([&] { s = inner_->RunAfterPass(pass, info, model, ctx); });
    return s;
  }
  void RunAfterPassFailed(const Pass& pass, const absl::Status& status, PassContext& ctx) override {
    inner_->RunAfterPassFailed(pass, status, ctx);
  }
  void RunAfterPipeline(const onnx::ModelProto& model, const absl::Status& status,
                        PassContext& ctx) override {
    inner_->RunAfterPipeline(model, status, ctx);
  }

 private:
  template <typename F>
  void Timed(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    *seconds_ += SecondsSince(start);
  }
  std::unique_ptr<PassInstrumentation> inner_;
  double* seconds_;
};

}  // namespace

void PassManager::AddVerifier(std::unique_ptr<PassInstrumentation> verifier) {
  // After-hooks run in reverse order: [IR printing, verifiers, built-in
  // verification], each new verifier inserted right after IR printing, runs
  // the built-in verification first, then the verifiers in the order they
  // were added, then printing.
  instrumentations_.insert(instrumentations_.begin() + 1,
                           std::make_unique<TimedVerifier>(std::move(verifier), &verify_seconds_));
}

PassManager::PassManager(PassManagerOptions options) : options_(std::move(options)) {
  // After-hooks run in reverse order: verification, then printing, so a
  // model that fails verification is not printed as a pass's result.
  instrumentations_.push_back(std::make_unique<IRPrinting>(options_));
  instrumentations_.push_back(std::make_unique<Verification>(options_, &verify_seconds_));
}

PassManager::~PassManager() = default;

absl::Status PassManager::Run(onnx::ModelProto& model, PassContext& ctx) {
  return Run(model, ctx, nullptr);
}

absl::Status PassManager::Run(onnx::ModelProto& model, PassContext& ctx,
                              std::shared_ptr<GraphIndex> index) {
  timings_.clear();
  verify_seconds_ = 0;
  // The manager's own cost between passes is reported as one line so the
  // pass figures stay the passes'.
  struct VerifyTime {
    std::vector<std::pair<std::string, double>>& timings;
    double& seconds;
    ~VerifyTime() {
      if (seconds > 0) timings.emplace_back("(verify-each)", seconds);
    }
  } verify_time{timings_, verify_seconds_};
  RunState state;
  // Passes a pass runs inside itself (PassContext::RunNestedPass) are rows
  // after the running pass's, one per name, their runs added up.
  ctx.set_nested_timer([&](const std::string& nested, double seconds) {
    for (size_t k = state.running_row + 1; k < timings_.size(); ++k) {
      if (timings_[k].first != nested) continue;
      timings_[k].second += seconds;
      return;
    }
    timings_.emplace_back(nested, seconds);
  });
  struct StopTiming {
    PassContext& ctx;
    ~StopTiming() { ctx.set_nested_timer(nullptr); }
  } stop_timing{ctx};
  // Nothing a previous run (or a failed pass) cached or kept is trusted.
  ctx.analyses().Reset();
  for (auto& inst : instrumentations_) inst->RunBeforePipeline(model, ctx);
  auto finish = [&](absl::Status status) {
    for (auto it = instrumentations_.rbegin(); it != instrumentations_.rend(); ++it)
      (*it)->RunAfterPipeline(model, status, ctx);
    return status;
  };
  // Nothing to run, nothing to check (a plain read + write).
  if (passes_.empty()) return finish(absl::OkStatus());
  // The model as the previous pass left it (or as it was given, already
  // verified by whoever read it): its fingerprint when claims are checked,
  // else a stamp.
  if (ChecksClaims())
    state.fingerprint = ModelFingerprint(model, &state.main_fingerprint, &state.topology);
  else state.fingerprint = state.main_fingerprint = NextStamp();
  ctx.analyses().set_checking(ChecksClaims());
  // Fingerprints are remembered for this run only: the caller may edit the
  // model between runs.
  struct Remembering {
    AnalysisManager& analyses;
    explicit Remembering(AnalysisManager& a) : analyses(a) { analyses.set_remembering(true); }
    ~Remembering() { analyses.set_remembering(false); }
  } remembering(ctx.analyses());
  ctx.analyses().NoteFingerprint(model.graph(), state.main_fingerprint);
  if (index != nullptr) ctx.analyses().Adopt(model.graph(), std::move(index));
  size_t consumers_after = 0;
  for (const auto& pass : passes_) consumers_after += pass->ConsumesLintFindings() ? 1 : 0;
  for (const auto& pass : passes_) {
    if (pass->ConsumesLintFindings()) --consumers_after;
    if (absl::Status s = RunPass(*pass, model, ctx, state, consumers_after > 0); !s.ok())
      return finish(s);
  }
  // A lint's failure that a later pass consumed, returned at the end.
  return finish(state.lint_failure);
}

// Whether the passes' change claims are checked against fingerprints. A
// claim is otherwise trusted, as LLVM's and MLIR's pass managers trust
// theirs: a fingerprint is a walk over the whole model, and checking every
// pass's claim was a third of a --hailo8 run on a 20k-node graph (9 walks of
// 35M instructions). The lit suite runs every fixture through the passes
// under --verify-each=full, where nothing is trusted.
bool PassManager::ChecksClaims() const { return options_.verify_each == VerifyEachMode::kFull; }

// Stands in for a fingerprint while claims are trusted: a fresh value after
// every reported change, unique in the process (a splitmix64 step over a
// counter: never 0, never repeated), so whatever was recorded against an
// earlier state (a kept analysis, check-hailo8's findings) is never taken
// for the current one.
uint64_t PassManager::NextStamp() {
  static std::atomic<uint64_t> counter{0};
  uint64_t z = (counter.fetch_add(1) + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return z != 0 ? z : 1;
}

absl::Status PassManager::FailPass(const Pass& pass, absl::Status status, PassContext& ctx) {
  for (auto it = instrumentations_.rbegin(); it != instrumentations_.rend(); ++it)
    (*it)->RunAfterPassFailed(pass, status, ctx);
  return status;
}

absl::Status PassManager::RunPass(Pass& pass, onnx::ModelProto& model, PassContext& ctx,
                                  RunState& state, bool findings_consumed_later) {
  const std::string name(pass.Argument());
  ctx.set_current_pass(name);
  ctx.analyses().BeforePass();
  for (auto& inst : instrumentations_) inst->RunBeforePass(pass, model, ctx);
  // A copy of the model is only kept when an instrumentation needs the
  // "before" state.
  std::unique_ptr<onnx::ModelProto> before;
  for (const auto& inst : instrumentations_)
    if (!before && inst->NeedsModelBefore(pass)) before = std::make_unique<onnx::ModelProto>(model);

  ctx.BeginPassRun();
  state.running_row = timings_.size();
  timings_.emplace_back(name, 0);
  const auto start = std::chrono::steady_clock::now();
  const int errors_before = ctx.diags().num_errors();
  ctx.set_model_fingerprint(state.fingerprint);
  absl::StatusOr<bool> changed = pass.Run(model, ctx);
  ctx.set_model_fingerprint(0);
  PassRunInfo info;
  info.seconds = SecondsSince(start);
  timings_[state.running_row].second = info.seconds;
  // A pass that emitted an error (a warning under --Werror included) has
  // failed, whatever it returned.
  if (changed.ok() && ctx.diags().num_errors() > errors_before)
    changed = MarkReported(absl::FailedPreconditionError(absl::StrCat(name, " reported errors")));
  if (!changed.ok()) {
    // A status whose diagnostics were emitted gets no second line.
    if (!IsReported(changed.status())) ctx.Error() << changed.status().message();
    absl::Status s = FailPass(pass, changed.status(), ctx);
    if (!IsLintFindings(s) || !findings_consumed_later) return s;
    // A lint only reads the model; the run goes on to the pass that
    // consumes its findings.
    state.lint_failure = s;
    if (ChecksClaims())
      state.fingerprint = ModelFingerprint(model, &state.main_fingerprint, &state.topology);
    ctx.analyses().NoteChange();
    ctx.analyses().NoteFingerprint(model.graph(), state.main_fingerprint);
    ctx.analyses().AfterPass(/*changed=*/false);
    return absl::OkStatus();
  }

  info.changed = *changed;
  info.before = before.get();
  if (!ChecksClaims()) {
    // Trusted: a claimed change is structural, and it reached what the
    // structural verifier reads unless the pass declared otherwise.
    info.structural_change = info.changed;
    info.topology_change = info.changed && !ctx.only_types_changed();
    if (info.changed) state.fingerprint = state.main_fingerprint = NextStamp();
  } else {
    // The pass's claim against the fact. A structural change the pass did
    // not report would leave stale analyses behind and skip verification:
    // that is a bug in the pass, reported as such. A claimed change with an
    // equal fingerprint may be a rewrite of tensor bytes the fingerprint
    // does not read; it counts as a change.
    const auto check_start = std::chrono::steady_clock::now();
    uint64_t topology_after = state.topology;
    const uint64_t after = ModelFingerprint(model, &state.main_fingerprint, &topology_after);
    info.structural_change = after != state.fingerprint;
    // A claimed change the fingerprint does not see may be anywhere, unless
    // the pass declared that it changed only types.
    const bool topology_moved = topology_after != state.topology;
    info.topology_change = topology_moved || (!info.structural_change && !ctx.only_types_changed());
    state.topology = topology_after;
    state.fingerprint = after;
    verify_seconds_ += SecondsSince(check_start);
    if (info.structural_change && !info.changed) {
      ctx.Error() << "pass '" << name << "' changed the model but reported no change";
      return FailPass(pass, absl::InternalError(absl::StrCat(name, " did not report its change")),
                      ctx);
    }
    if (topology_moved && ctx.only_types_changed()) {
      ctx.Error() << "pass '" << name
                  << "' declared that it changed only the types of values but changed more";
      return FailPass(
          pass, absl::InternalError(absl::StrCat(name, " changed more than it declared")), ctx);
    }
  }
  // A pass that asked for an analysis after editing the graph without
  // saying so may have been given a stale one (only seen in checking
  // mode, --verify-each=full).
  if (std::string stale = ctx.analyses().TakeStaleUse(); !stale.empty()) {
    ctx.Error() << "pass '" << name << "' asked for an analysis of " << stale
                << " after changing it without AnalysisManager::NoteChange()";
    return FailPass(pass, absl::InternalError(absl::StrCat(name, " used a stale analysis")), ctx);
  }
  ctx.analyses().NoteChange();
  ctx.analyses().NoteFingerprint(model.graph(), state.main_fingerprint);
  ctx.analyses().AfterPass(info.changed, ctx.only_types_changed());

  for (auto it = instrumentations_.rbegin(); it != instrumentations_.rend(); ++it)
    if (absl::Status s = (*it)->RunAfterPass(pass, info, model, ctx); !s.ok()) return s;
  return absl::OkStatus();
}

std::string PassManager::FormatTimings() const {
  double total = 0;
  for (const auto& [name, s] : timings_) total += IsNestedPassRow(name) ? 0 : s;
  std::string out =
      "===-------------------------------------------------------------------------===\n"
      "                         ... Execution time report ...\n"
      "===-------------------------------------------------------------------------===\n";
  absl::StrAppendFormat(&out, "  Total Execution Time: %.4f seconds\n\n", total);
  out += "  ----Wall Time----  ----Name----\n";
  for (const auto& [name, s] : timings_) {
    // A nested pass is indented under the pass that ran it, by its own name.
    const size_t slash = name.rfind('/');
    const std::string shown =
        slash == std::string::npos
            ? name
            : absl::StrCat(std::string(2 * std::count(name.begin(), name.end(), '/'), ' '),
                           name.substr(slash + 1));
    absl::StrAppendFormat(&out, "  %8.4f (%5.1f%%)  %s\n", s, total > 0 ? 100.0 * s / total : 0.0,
                          shown);
  }
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
    for (const auto& [name, value] : stats) absl::StrAppend(&out, "  (S) ", value, " ", name, "\n");
  }
  return out;
}

}  // namespace h8
