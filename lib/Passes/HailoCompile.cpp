//===- HailoCompile.cpp - Hand the legal graph to the Hailo DFC -----------===//
//
// The final lowering stage. On a graph check-hailo8 accepts (it runs the
// check itself and stops with its diagnostics otherwise, exit 1), it writes
// into the folder `out`:
//   NAME.onnx            the legal graph
//   calib.npy            calibration data converted to NHWC (calib=FILE)
//   compile_hailo.sh     the exact DFC commands, to run on a machine with
//                        the DFC (always written, also when the DFC is absent)
//   logs/<step>.log      the DFC's output per step
// and runs, with CC, CXX, LD, AS, AR, LN, DUMP and CPY removed from the
// environment (the DFC refuses to run with them set):
//   hailo parser onnx out/NAME.onnx --hw-arch A --net-name NAME --har-path out/NAME.har -y
//   hailo optimize out/NAME.har --hw-arch A (--calib-set-path out/calib.npy |
//       --use-random-calib-set) --output-har-path out/NAME_optimized.har
//   hailo compiler out/NAME_optimized.har --hw-arch A --output-dir out
// The DFC is `dfc=`, else $HAILO_CLI, else `hailo` on PATH; when none is
// found the run exits 3 after writing everything but the HAR/HEF. A failing
// step exits 3 with its known messages turned into diagnostics (parser
// recommendations, dynamic shapes, unsupported ops, mapping failures).
//
//===----------------------------------------------------------------------===//
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "h8/IR/GraphIndex.h"
#include "h8/Passes/Passes.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/Npy.h"
#include "h8/Support/Process.h"
#include "h8/Support/Status.h"
#include "h8/Target/Hailo8/Hailo8Analysis.h"

extern char** environ;

namespace h8 {
namespace {

constexpr const char* kScrubbedEnv[] = {"CC", "CXX", "LD", "AS", "AR", "LN", "DUMP", "CPY"};

// `dfc=`, then $HAILO_CLI, then `hailo` on PATH. Returns "" when none.
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

std::string Sanitize(const std::string& name) {
  std::string out;
  for (char c : name) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "net" + out;
  return out;
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

absl::Status WriteText(const std::string& path, const std::string& text, bool executable) {
  if (absl::Status s = WriteFileAtomically(path, text); !s.ok()) return s;
  if (executable) ::chmod(path.c_str(), 0755);
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

class HailoCompilePass : public Pass {
 public:
  explicit HailoCompilePass(const HailoCompileOptions& options) : options_(options) {}
  absl::string_view Argument() const override { return "hailo-compile"; }
  // It refuses on check-hailo8's findings, with a hint: a check before it
  // with errors does not stop the pipeline.
  bool ConsumesLintFindings() const override { return true; }

  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) override {
    // The DFC reports one failure at a time after minutes of work: refuse
    // what check-hailo8 already knows it will reject.
    if (options_.out.empty()) return UsageStatus("needs a folder (e.g. --hailo-compile=out)");
    bool rejected = false;
    {
      std::string pass = ctx.current_pass();
      ctx.set_current_pass("check-hailo8");
      auto checked = CreateCheckHailo8Pass({})->Run(model, ctx);
      ctx.set_current_pass(pass);
      if (!checked.ok() && !IsLintFindings(checked.status())) return checked.status();
      rejected = !checked.ok();
    }
    if (rejected) {
      // Errors confined to a tail (a Softmax/LayerNorm/Gemm head) are what
      // split-hailo8 is for; say so unless the split already ran.
      std::string hint;
      if (!ctx.artifacts().Has<SplitHostModel>()) {
        const Hailo8Analysis analysis = AnalyzeForHailo8(model);
        if (analysis.cut)
          hint = absl::StrCat(
              "; the unsupported nodes form a tail of the graph: --split-hailo8=host.onnx "
              "before --hailo-compile would make it compilable (",
              analysis.region_note, "; end nodes: ", absl::StrJoin(analysis.cut->end_nodes, " "),
              ")");
      }
      return absl::FailedPreconditionError(absl::StrCat(
          "check-hailo8 found errors; nothing was handed to the Hailo compiler", hint));
    }
    // Progress goes through the diagnostics engine's output (the driver
    // prints it and keeps it for the report).
    auto progress = [&ctx](const std::string& text) {
      ctx.diags().Output(ctx.current_pass(), text);
    };
    if (const auto* split = ctx.artifacts().Get<SplitHostModel>())
      progress(
          absl::StrCat("hailo-compile: compiling the Hailo-8 part of the split; the host part is ",
                       split->path, "\n"));

    const std::string dir = options_.out;
    const std::string net =
        options_.net_name.empty() ? Sanitize(model.graph().name()) : options_.net_name;
    const std::string arch = options_.hw_arch;
    H8_RETURN_IF_ERROR(MakeDirs(absl::StrCat(dir, "/logs")));
    H8_RETURN_IF_ERROR(WriteBinaryModel(model, absl::StrCat(dir, "/", net, ".onnx")));

    bool random_calib = options_.calib == "random";
    if (!random_calib) H8_RETURN_IF_ERROR(WriteCalibration(model, dir));
    else
      ctx.Warning() << "calib=random: the optimizer quantizes with random data, so the "
                    << "HEF's accuracy is meaningless; give calib=FILE.npy for a real build";

    // Paths in the commands are relative to `dir`; the script cd's there.
    std::vector<std::vector<std::string>> steps = {
        {"parser", "onnx", net + ".onnx", "--hw-arch", arch, "--net-name", net, "--har-path",
         net + ".har", "-y"},
        {"optimize", net + ".har", "--hw-arch", arch},
        {"compiler", net + "_optimized.har", "--hw-arch", arch, "--output-dir", "."}};
    if (random_calib) {
      steps[1].push_back("--use-random-calib-set");
    } else {
      steps[1].insert(steps[1].end(), {"--calib-set-path", "calib.npy"});
    }
    steps[1].insert(steps[1].end(), {"--output-har-path", net + "_optimized.har"});
    const char* outputs[] = {".har", "_optimized.har", ".hef"};

    std::string script =
        "#!/bin/sh\n"
        "# Compiles this folder's network with the Hailo Dataflow Compiler (DFC 3.x).\n"
        "# Written by onnx-h8-opt's hailo-compile stage; run where the DFC is installed.\n"
        "set -e\ncd \"$(dirname \"$0\")\"\n"
        "# The DFC refuses to run with these set.\n"
        "unset CC CXX LD AS AR LN DUMP CPY\n";
    for (const auto& step : steps) {
      std::vector<std::string> quoted;
      for (const auto& a : step) quoted.push_back(ShellQuote(a));
      absl::StrAppend(&script, "hailo ", absl::StrJoin(quoted, " "), "\n");
    }
    H8_RETURN_IF_ERROR(WriteText(absl::StrCat(dir, "/compile_hailo.sh"), script, true));

    std::string looked_for;
    const std::string dfc = FindDfc(options_.dfc, looked_for);
    if (dfc.empty())
      return ToolchainStatus(
          absl::StrCat("the Hailo Dataflow Compiler was not found (looked for ", looked_for, "); ",
                       dir, "/compile_hailo.sh runs the build where the DFC is installed"));

    std::string table = absl::StrFormat("  %-9s %9s  %s\n", "step", "time", "output");
    for (size_t k = 0; k < steps.size(); ++k) {
      const std::string& name = steps[k][0];
      progress(absl::StrCat("hailo-compile: [", k + 1, "/3] hailo ", name, " ...\n"));
      std::vector<std::string> argv = {dfc};
      for (const auto& a : steps[k]) argv.push_back(a);
      // Run inside `dir` like the script, so relative paths agree.
      std::vector<std::string> wrapped = {"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", dir};
      wrapped.insert(wrapped.end(), argv.begin(), argv.end());
      const std::string log = absl::StrCat(dir, "/logs/", name, ".log");
      auto start = std::chrono::steady_clock::now();
      int rc = RunLogged(wrapped, log);
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      int known = ReportDfcLog(log, name, ctx);
      std::string produced = absl::StrCat(dir, "/", net, outputs[k]);
      struct stat st;
      std::string size =
          ::stat(produced.c_str(), &st) == 0 ? absl::StrCat(st.st_size, " bytes") : "missing";
      absl::StrAppendFormat(&table, "  %-9s %8.2fs  %s (%s)\n", name, seconds, produced, size);
      progress(absl::StrCat("hailo-compile: [", k + 1, "/3] hailo ", name,
                            rc == 0 ? " done in " : " FAILED after ",
                            absl::StrFormat("%.2f", seconds), " s\n"));
      if (rc != 0)
        return ToolchainStatus(absl::StrCat("hailo ", name, " failed (exit ", rc, ")",
                                            known > 0 ? "" : "; see ", known > 0 ? "" : log));
      ctx.Stat(absl::StrCat("ms-", name), static_cast<int64_t>(seconds * 1000));
    }
    progress(absl::StrCat("hailo-compile: built ", dir, "/", net, ".hef for ", arch, "\n", table));
    return false;
  }

 private:
  absl::Status WriteCalibration(const onnx::ModelProto& model, const std::string& dir) {
    GraphIndex index(model.graph());
    std::vector<int64_t> input_dims;
    int runtime = 0;
    for (const auto& in : model.graph().input()) {
      if (!index.IsRuntimeInput(in.name())) continue;
      ++runtime;
      auto dims = index.StaticShape(in.name());
      if (dims) input_dims = *dims;
    }
    if (runtime != 1 || input_dims.size() != 4)
      return UsageStatus(
          "calib=FILE needs a model with one static rank-4 input; run --pin-shape first");
    H8_ASSIGN_OR_RETURN(NpyArray calib, ReadNpyFile(options_.calib));
    std::vector<int64_t> want(input_dims.begin() + 1, input_dims.end());
    std::vector<int64_t> got;
    if (calib.shape.size() == 4) got.assign(calib.shape.begin() + 1, calib.shape.end());
    if (got != want)
      return UsageStatus(absl::StrCat(
          options_.calib, ": calibration data has shape (", absl::StrJoin(calib.shape, ","),
          "), the model needs (N,", absl::StrJoin(want, ","),
          ") in the model's NCHW layout (it is converted to NHWC here)"));
    return WriteFileAtomically(absl::StrCat(dir, "/calib.npy"), SerializeNpy(NchwToNhwc(calib)));
  }

  HailoCompileOptions options_;
};

}  // namespace

std::unique_ptr<Pass> CreateHailoCompilePass(const HailoCompileOptions& options) {
  return std::make_unique<HailoCompilePass>(options);
}

}  // namespace h8
