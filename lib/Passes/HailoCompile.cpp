//===- HailoCompile.cpp - Plan the hand-off to the Hailo DFC --------------===//
//
// The final stage of a Hailo-8 pipeline, in two halves. This pass decides;
// the driver acts (lib/Tools/DriverHailoCompile.cpp), after the pipeline
// succeeded, so a pass never writes files or starts processes.
//
// The pass refuses a model check-hailo8 rejects (exit 1, with a hint to
// split when the errors form a tail) and otherwise leaves a
// HailoCompilePlan (h8/Passes/HailoCompile.h): the network name (net-name=,
// else the graph name made a valid identifier), the folder, the calibration
// source and the three DFC commands,
//   hailo parser onnx NAME.onnx --hw-arch A --net-name NAME --har-path NAME.har -y
//   hailo optimize NAME.har --hw-arch A (--calib-set-path calib.npy |
//       --use-random-calib-set) --output-har-path NAME_optimized.har
//   hailo compiler NAME_optimized.har --hw-arch A --output-dir .
// with paths relative to the folder, and compile_hailo.sh, the same
// commands as a script. The driver then writes into the folder NAME.onnx,
// calib.npy (calib=FILE converted to NHWC), compile_hailo.sh and logs/,
// and runs the commands (see the stage for the DFC's lookup and errors).
//
// The verdict it refuses on is check-hailo8's: the last one in the run's
// Hailo8Findings when it judged the model as it is now (same structural
// fingerprint), so `check-hailo8{profile=dfc3.27},hailo-compile` judges
// once, under that profile. Without one (no check ran, or a later pass
// changed the model), this pass runs check-hailo8 itself, with its default
// options, through the same code path as the pipeline would: its findings
// are printed as check-hailo8's, counted in its statistics and added to
// Hailo8Findings.
//
//===----------------------------------------------------------------------===//
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/IR/GraphIndex.h"
#include "h8/Passes/HailoCompile.h"
#include "h8/Passes/Passes.h"
#include "h8/Support/Process.h"
#include "h8/Support/Status.h"

namespace h8 {
namespace {

// A graph name as a DFC network name: letters, digits and '_', not
// starting with a digit.
std::string Sanitize(const std::string& name) {
  std::string out;
  for (char c : name) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "net" + out;
  return out;
}

std::string Script(const std::vector<HailoCompilePlan::Step>& steps) {
  std::string script =
      "#!/bin/sh\n"
      "# Compiles this folder's network with the Hailo Dataflow Compiler (DFC 3.x).\n"
      "# Written by onnx-h8-opt's hailo-compile stage; run where the DFC is installed.\n"
      "set -e\ncd \"$(dirname \"$0\")\"\n"
      "# The DFC refuses to run with these set.\n"
      "unset CC CXX LD AS AR LN DUMP CPY\n";
  for (const auto& step : steps) {
    std::vector<std::string> quoted;
    for (const auto& a : step.args) quoted.push_back(ShellQuote(a));
    absl::StrAppend(&script, "hailo ", absl::StrJoin(quoted, " "), "\n");
  }
  return script;
}

class HailoCompilePass : public Pass {
 public:
  explicit HailoCompilePass(const HailoCompileOptions& options) : options_(options) {}
  absl::string_view Argument() const override { return "hailo-compile"; }
  // It refuses on check-hailo8's findings, with a hint: a check before it
  // with errors does not stop the pipeline.
  bool ConsumesLintFindings() const override { return true; }
  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) override;

 private:
  // check-hailo8's verdict on `model` as it is now (running the check when
  // the run has none); nullptr only when the check itself failed to run.
  absl::StatusOr<const LintSummary*> Verdict(onnx::ModelProto& model, PassContext& ctx);
  // The dims of the model's one runtime input, which must be static and
  // rank 4 for calibration data to be checked against them.
  absl::StatusOr<std::vector<int64_t>> CalibrationInputDims(const onnx::ModelProto& model,
                                                            PassContext& ctx);

  HailoCompileOptions options_;
  // The wall time of each DFC step. The driver runs the steps after the
  // pipeline and counts them here (HailoCompilePlan::Step::statistic).
  Statistic ms_parser_{this, "ms-parser", "Wall time of `hailo parser`, in ms"};
  Statistic ms_optimize_{this, "ms-optimize", "Wall time of `hailo optimize`, in ms"};
  Statistic ms_compiler_{this, "ms-compiler", "Wall time of `hailo compiler`, in ms"};
};

absl::StatusOr<const LintSummary*> HailoCompilePass::Verdict(onnx::ModelProto& model,
                                                             PassContext& ctx) {
  const uint64_t fingerprint = ctx.ModelFingerprintAtPassStart(model);
  const Hailo8Findings* findings = ctx.artifacts().Get<Hailo8Findings>();
  if (findings != nullptr && !findings->verdicts.empty() &&
      findings->last_judged_fingerprint == fingerprint)
    return &findings->verdicts.back();
  // No verdict on this model: check it the way the pipeline would, as
  // check-hailo8 with its default options (its diagnostics, statistics and
  // verdict are check-hailo8's).
  const std::string pass = ctx.current_pass();
  ctx.set_current_pass("check-hailo8");
  auto checked = CreateCheckHailo8Pass({})->Run(model, ctx);
  ctx.set_current_pass(pass);
  if (!checked.ok() && !IsLintFindings(checked.status())) return checked.status();
  return &ctx.artifacts().Get<Hailo8Findings>()->verdicts.back();
}

absl::StatusOr<std::vector<int64_t>> HailoCompilePass::CalibrationInputDims(
    const onnx::ModelProto& model, PassContext& ctx) {
  const GraphIndex& index = *ctx.analyses().Index(model.graph());
  std::vector<int64_t> input_dims;
  int runtime = 0;
  for (const auto& in : model.graph().input()) {
    if (!index.IsRuntimeInput(in.name())) continue;
    ++runtime;
    if (auto dims = index.StaticShape(in.name())) input_dims = *dims;
  }
  if (runtime != 1 || input_dims.size() != 4)
    return UsageStatus(
        "calib=FILE needs a model with one static rank-4 input; run --pin-shape first");
  return input_dims;
}

absl::StatusOr<bool> HailoCompilePass::Run(onnx::ModelProto& model, PassContext& ctx) {
  if (options_.out.empty()) return UsageStatus("needs a folder (e.g. --hailo-compile=out)");
  // The DFC reports one failure at a time after minutes of work: refuse
  // what check-hailo8 already knows it will reject.
  H8_ASSIGN_OR_RETURN(const LintSummary* verdict, Verdict(model, ctx));
  if (verdict->errors > 0) {
    // Errors confined to a tail (a Softmax/LayerNorm/Gemm head) are what
    // split-hailo8 is for; say so unless the split already ran.
    std::string hint;
    if (!ctx.artifacts().Has<SplitHostModel>() && !verdict->end_nodes.empty())
      hint = absl::StrCat(
          "; the unsupported nodes form a tail of the graph: --split-hailo8=host.onnx "
          "before --hailo-compile would make it compilable (",
          verdict->region_note, "; end nodes: ", absl::StrJoin(verdict->end_nodes, " "), ")");
    return absl::FailedPreconditionError(
        absl::StrCat("check-hailo8 found errors; nothing was handed to the Hailo compiler", hint));
  }

  HailoCompilePlan plan;
  plan.dir = options_.out;
  plan.net_name = options_.net_name.empty() ? Sanitize(model.graph().name()) : options_.net_name;
  plan.hw_arch = options_.hw_arch;
  plan.dfc = options_.dfc;
  if (options_.calib == "random") {
    ctx.Warning() << "calib=random: the optimizer quantizes with random data, so the "
                  << "HEF's accuracy is meaningless; give calib=FILE.npy for a real build";
  } else {
    plan.calib = options_.calib;
    H8_ASSIGN_OR_RETURN(plan.input_dims, CalibrationInputDims(model, ctx));
  }
  if (const auto* split = ctx.artifacts().Get<SplitHostModel>()) plan.host_part = split->path;

  const std::string& net = plan.net_name;
  const std::string& arch = plan.hw_arch;
  std::vector<std::string> optimize = {"optimize", net + ".har", "--hw-arch", arch};
  if (plan.calib.empty()) {
    optimize.push_back("--use-random-calib-set");
  } else {
    optimize.insert(optimize.end(), {"--calib-set-path", "calib.npy"});
  }
  optimize.insert(optimize.end(), {"--output-har-path", net + "_optimized.har"});
  plan.steps = {{"parser",
                 {"parser", "onnx", net + ".onnx", "--hw-arch", arch, "--net-name", net,
                  "--har-path", net + ".har", "-y"},
                 net + ".har",
                 ms_parser_.name()},
                {"optimize", std::move(optimize), net + "_optimized.har", ms_optimize_.name()},
                {"compiler",
                 {"compiler", net + "_optimized.har", "--hw-arch", arch, "--output-dir", "."},
                 net + ".hef",
                 ms_compiler_.name()}};
  plan.script = Script(plan.steps);
  ctx.artifacts().Set(std::move(plan));
  return false;
}

}  // namespace

std::unique_ptr<Pass> CreateHailoCompilePass(const HailoCompileOptions& options) {
  return std::make_unique<HailoCompilePass>(options);
}

}  // namespace h8
