//===- DriverHailoCompile.cpp - The hailo-compile stage -------------------===//
//
// Carries out the HailoCompilePlan the hailo-compile pass left
// (h8/Passes/HailoCompile.h) on the pipeline's result, after the pipeline
// succeeded, like an emit target. Into the plan's folder it writes
//   NAME.onnx            the model
//   calib.npy            calib=FILE converted to NHWC
//   compile_hailo.sh     the DFC commands, to run on a machine with the DFC
//                        (always written, also when the DFC is absent)
//   logs/<step>.log      the DFC's output per step
// and runs the steps in the folder with CC, CXX, LD, AS, AR, LN, DUMP and
// CPY removed from the environment (the DFC refuses to run with them set).
// The DFC is `dfc=`, else $HAILO_CLI, else `hailo` on PATH; when none is
// found the run exits 3 after writing everything but the HAR/HEF. A failing
// step exits 3 with its known messages turned into diagnostics (parser
// recommendations, dynamic shapes, unsupported ops, mapping failures).
// Unusable calibration data is refused (exit 2) before anything is written.
//
// What ran goes into the run record (HailoCompileRecord) for the report;
// each step's wall time into hailo-compile's declared statistics; the
// progress lines, made from the record, to the diagnostics engine's output.
//
//===----------------------------------------------------------------------===//
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <regex>

#include "Driver.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "h8/Passes/HailoCompile.h"
#include "h8/Support/Npy.h"
#include "h8/Support/Process.h"

namespace h8 {
namespace {

constexpr const char* kScrubbedEnv[] = {"CC", "CXX", "LD", "AS", "AR", "LN", "DUMP", "CPY"};

// `dfc=`, then $HAILO_CLI, then `hailo` on PATH. Returns "" when none, with
// what was tried in `looked_for`.
std::string FindDfc(const std::string& option, std::string& looked_for) {
  std::vector<std::string> tried;
  if (!option.empty()) {
    tried.push_back(absl::StrCat("dfc=", option));
    if (IsExecutableFile(option)) return option;
  }
  if (const char* env = std::getenv("HAILO_CLI"); env != nullptr && *env != '\0') {
    tried.push_back(absl::StrCat("$HAILO_CLI=", env));
    if (IsExecutableFile(env)) return env;
  } else {
    tried.push_back("$HAILO_CLI (unset)");
  }
  tried.push_back("'hailo' on PATH");
  if (std::string found = FindOnPath("hailo"); !found.empty()) return found;
  looked_for = absl::StrJoin(tried, ", ");
  return "";
}

absl::Status MakeDirs(const std::string& path) {
  std::string partial;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    partial += std::string(part);
    if (!partial.empty() && ::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST)
      return UsageStatus(absl::StrCat(path, ": cannot create folder: ", std::strerror(errno)));
    partial += "/";
  }
  return absl::OkStatus();
}

// The calibration file as the DFC wants it (NHWC .npy bytes), after
// checking it against the model's input dims (NCHW, first axis free).
absl::StatusOr<std::string> CalibrationNpy(const HailoCompilePlan& plan) {
  H8_ASSIGN_OR_RETURN(NpyArray calib, ReadNpyFile(plan.calib));
  std::vector<int64_t> want(plan.input_dims.begin() + 1, plan.input_dims.end());
  std::vector<int64_t> got;
  if (calib.shape.size() == 4) got.assign(calib.shape.begin() + 1, calib.shape.end());
  if (got != want)
    return UsageStatus(absl::StrCat(plan.calib, ": calibration data has shape (",
                                    absl::StrJoin(calib.shape, ","), "), the model needs (N,",
                                    absl::StrJoin(want, ","),
                                    ") in the model's NCHW layout (it is converted to NHWC here)"));
  return SerializeNpy(NchwToNhwc(calib));
}

// Writes the folder: the model, the calibration data, the script, logs/.
absl::Status WriteFolder(const HailoCompilePlan& plan, const onnx::ModelProto& model) {
  std::string calib;
  if (!plan.calib.empty()) {
    H8_ASSIGN_OR_RETURN(calib, CalibrationNpy(plan));
  }
  const std::string& dir = plan.dir;
  H8_RETURN_IF_ERROR(MakeDirs(absl::StrCat(dir, "/logs")));
  H8_RETURN_IF_ERROR(WriteBinaryModel(model, absl::StrCat(dir, "/", plan.net_name, ".onnx")));
  if (!plan.calib.empty())
    H8_RETURN_IF_ERROR(WriteFileAtomically(absl::StrCat(dir, "/calib.npy"), calib));
  const std::string script = absl::StrCat(dir, "/compile_hailo.sh");
  H8_RETURN_IF_ERROR(WriteFileAtomically(script, plan.script));
  ::chmod(script.c_str(), 0755);
  return absl::OkStatus();
}

// Runs argv with the scrubbed environment, output to `log`. Returns the
// exit status (or -1 when it could not start).
int RunLogged(const std::vector<std::string>& argv, const std::string& log) {
  SpawnOptions spawn;
  spawn.stdout_path = log;
  spawn.stderr_to_stdout = true;
  spawn.unset_env.assign(std::begin(kScrubbedEnv), std::end(kScrubbedEnv));
  const SpawnResult run = RunProcess(argv, spawn);
  return run.started ? run.exit_code : -1;
}

// Turns the DFC's known messages into diagnostics; returns how many errors.
int ReportDfcLog(const std::string& log_path, const std::string& step, PassContext& ctx) {
  std::ifstream in(log_path);
  std::string line;
  int errors = 0;
  static const std::regex kRecommend(R"(recommendations for end node names: \[(.*)\])");
  static const std::regex kUnsupported(R"(UnsupportedOperationError in op ([^:\s]+):?\s*(.*))");
  static const std::regex kContexts(R"((\d+)\s+contexts?)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kRecommend)) {
      std::string names = m[1].str();
      names.erase(std::remove(names.begin(), names.end(), '\''), names.end());
      names.erase(std::remove(names.begin(), names.end(), ','), names.end());
      ctx.Error() << "hailo " << step << ": the parser stopped early; it recommends "
                  << "--end-node-names " << names
                  << " (cut the unsupported tail off: run --split-hailo8)";
      ++errors;
    } else if (absl::StrContains(line, "Could not parse the model due to dynamic shapes")) {
      ctx.Error() << "hailo " << step << ": the model has dynamic shapes; pin them with "
                  << "--pin-shape before compiling";
      ++errors;
    } else if (std::regex_search(line, m, kUnsupported)) {
      ctx.Error() << "hailo " << step << ": node '" << m[1].str()
                  << "' is not supported: " << m[2].str()
                  << " (run --check-hailo8 for the full list)";
      ++errors;
    } else if (absl::StrContains(line, "Mapping Failed") ||
               absl::StrContains(line, "could not find a valid partition") ||
               absl::StrContains(line, "BackendAllocatorException") ||
               absl::StrContains(line, "Agent infeasible")) {
      ctx.Error() << "hailo " << step << ": the network does not fit the device ("
                  << std::string(absl::StripAsciiWhitespace(line))
                  << "); it is too big for one context at this temporal width: split "
                  << "channels or shorten the window";
      ++errors;
    } else if (absl::StrContains(line, "Reducing optimization level to 0")) {
      ctx.Warning() << "hailo " << step << ": no GPU, the optimizer ran at optimization "
                    << "level 0; expect lower accuracy than on a GPU machine";
    } else if (step == "compiler" && std::regex_search(line, m, kContexts)) {
      ctx.Remark() << "hailo compiler: the HEF uses " << m[1].str() << " context(s)";
    }
  }
  return errors;
}

// Writes the folder and runs the plan's steps, recording them.
absl::Status CarryOut(const HailoCompilePlan& plan, const onnx::ModelProto& model, PassContext& ctx,
                      HailoCompileRecord& record) {
  auto progress = [&ctx](const std::string& text) {
    if (!text.empty()) ctx.diags().Output(ctx.current_pass(), text);
  };
  progress(FormatHailoCompileSplitNote(record));
  H8_RETURN_IF_ERROR(WriteFolder(plan, model));
  const std::string& dir = plan.dir;
  std::string looked_for;
  const std::string dfc = FindDfc(plan.dfc, looked_for);
  if (dfc.empty())
    return ToolchainStatus(
        absl::StrCat("the Hailo Dataflow Compiler was not found (looked for ", looked_for, "); ",
                     dir, "/compile_hailo.sh runs the build where the DFC is installed"));

  for (const HailoCompilePlan::Step& step : plan.steps) {
    const size_t k = record.steps.size();
    HailoCompileRecord::Step& done = record.steps.emplace_back();
    done.name = step.name;
    done.output = absl::StrCat(dir, "/", step.output);
    progress(FormatHailoCompileStepStart(record, k));
    // Run inside `dir` like the script, so relative paths agree.
    std::vector<std::string> argv = {"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", dir, dfc};
    argv.insert(argv.end(), step.args.begin(), step.args.end());
    const std::string log = absl::StrCat(dir, "/logs/", step.name, ".log");
    const auto start = std::chrono::steady_clock::now();
    done.exit_code = RunLogged(argv, log);
    done.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int known = ReportDfcLog(log, step.name, ctx);
    struct stat st;
    if (::stat(done.output.c_str(), &st) == 0) done.output_bytes = st.st_size;
    progress(FormatHailoCompileStepEnd(record, k));
    if (done.exit_code != 0)
      return ToolchainStatus(absl::StrCat("hailo ", step.name, " failed (exit ", done.exit_code,
                                          ")", known > 0 ? "" : "; see ", known > 0 ? "" : log));
    ctx.Stat(step.statistic, static_cast<int64_t>(done.seconds * 1000));
  }
  record.built = true;
  progress(FormatHailoCompileBuilt(record));
  return absl::OkStatus();
}

}  // namespace

absl::Status Driver::RunHailoCompileStage(const onnx::ModelProto& model, PassContext& ctx) {
  const HailoCompilePlan* plan = ctx.artifacts().Get<HailoCompilePlan>();
  if (plan == nullptr) return absl::OkStatus();
  HailoCompileRecord& record = report_.models[current_model_].hailo_compile.emplace();
  record.dir = plan->dir;
  record.net_name = plan->net_name;
  record.hw_arch = plan->hw_arch;
  record.host_part = plan->host_part;
  record.planned_steps = static_cast<int>(plan->steps.size());
  // Its diagnostics and statistics are hailo-compile's, as the plan's are.
  ctx.set_current_pass("hailo-compile");
  absl::Status s = CarryOut(*plan, model, ctx, record);
  if (!s.ok()) {
    ctx.Error() << s.message();
    s = MarkReported(std::move(s));
  }
  return s;
}

}  // namespace h8
