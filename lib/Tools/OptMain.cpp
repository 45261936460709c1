//===- OptMain.cpp - The onnx-h8-opt driver -------------------------------===//
//
// Structure (as MlirOptMain): parse the command line (DriverFlags.cpp) ->
// build the pipeline (every pass and option validated before any input is
// read) -> read the input and run the pipeline on each model
// (DriverInput.cpp), then the hailo-compile stage when the pipeline planned
// one (DriverHailoCompile.cpp) -> verify (DriverVerify.cpp) -> write the
// outputs only when every model succeeded (DriverOutput.cpp) -> report
// (DriverReport.cpp). This file is that sequence and the exit-code policy.
//
//===----------------------------------------------------------------------===//
#include "h8/Tools/OptMain.h"

#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "Driver.h"
#include "DriverFlags.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/Verifier.h"
#include "h8/Pass/PassPipeline.h"
#include "h8/Passes/SplitHailo8.h"
#include "h8/Report/Report.h"
#include "h8/Support/ExternalData.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/Status.h"

namespace h8 {

absl::Status UsageError(absl::string_view message) { return absl::InvalidArgumentError(message); }

Driver::Driver(DriverConfig& config, const PassRegistry& registry, OptRunRequest& request,
               OptRunResult& result)
    : config_(config), registry_(registry), request_(request), result_(result) {
  diags_.SetFormat(config.diagnostics_format);
  diags_.set_warnings_as_errors(config.werror);
  // A tee: print as the CLI does, and keep every diagnostic for the
  // result, the drawings and the report.
  diags_.SetHandler([this](const Diagnostic& d) {
    if (request_.print) diags_.Print(d);
    result_.diagnostics.push_back(d);
    if (current_model_ >= 0) report_.models[current_model_].diagnostics.push_back(d);
    else report_.diagnostics.push_back(d);
  });
  // Lines besides diagnostics (hailo-compile's progress, check-hailo8's
  // JSON summary): printed as the CLI does. The report reads the run
  // record instead.
  diags_.SetOutputHandler([this](const std::string&, const std::string& text) {
    if (request_.print) {
      std::cerr << text;
      std::cerr.flush();
    }
  });
}

int Driver::Run() {
  // The inputs an earlier run in this process protected (the Python module
  // runs many) are not this run's: a reused inode must not block a write.
  UnprotectInputs();
  if (int code = OpenReport(); code != kExitOk) return code;
  return CommitReport(RunPipeline());
}

int Driver::RunPipeline() {
  auto pm = BuildPassManager();
  if (!pm.ok()) return Fail("", pm.status(), kExitUsageError);
  if (config_.input.empty())
    return Fail("", UsageError("no input file; see --help"), kExitUsageError);
  label_ = request_.input_bytes ? request_.label : config_.input == "-" ? "<stdin>" : config_.input;

  ModelFormat out_format = config_.emit.value_or(
      config_.output == "-" ? ModelFormat::kText : FormatFromPath(config_.output));
  if (out_format == ModelFormat::kAuto) out_format = ModelFormat::kText;

  std::vector<onnx::ModelProto*> results;
  const int exit_code = ReadAndRun(**pm, out_format, results);
  return WriteOutputs(results, out_format, exit_code, **pm);
}

absl::StatusOr<std::unique_ptr<PassManager>> Driver::BuildPassManager() {
  auto passes = BuildPipeline(config_.pipeline, registry_);
  if (!passes.ok()) return passes.status();
  // hailo-compile plans the hand-off of the pipeline's result, which the
  // driver carries out after the pipeline: nothing may change the model
  // after the plan was made.
  for (size_t i = 0; i + 1 < passes->size(); ++i)
    if ((*passes)[i]->Argument() == "hailo-compile")
      return UsageError(absl::StrCat("hailo-compile is the final stage; '",
                                     (*passes)[i + 1]->Argument(),
                                     "' cannot run after it (put --hailo-compile last)"));
  report_.pipeline = PrintPipeline(*passes);
  if (config_.dump_pipeline && request_.print)
    std::cerr << "onnx-h8-opt --passes='" << PrintPipeline(*passes) << "'\n";
  auto pm = std::make_unique<PassManager>(config_.pm);
  for (auto& p : *passes) pm->AddPass(std::move(p));
  if (config_.pm.verify_each == VerifyEachMode::kNumerics) {
    auto numerics = std::make_unique<NumericsVerification>(config_.verify);
    numerics_ = numerics.get();
    pm->AddVerifier(std::move(numerics));
  }
  return pm;
}

// Verifies and runs the pipeline on one model; returns its exit code.
// With --emit=dot or --report, also records what the report shows.
int Driver::ProcessModel(onnx::ModelProto& model, const std::string& where, PassManager& pm) {
  report_.models.emplace_back();
  current_model_ = static_cast<int>(report_.models.size()) - 1;
  report_.models.back().where = where;
  int code = RunOnModel(model, where, pm);
  report_.models[current_model_].exit_code = code;
  current_model_ = -1;
  return code;
}

int Driver::RunOnModel(onnx::ModelProto& model, const std::string& where, PassManager& pm) {
  // Verified by the use-def index the pipeline's first passes use, which is
  // built anyway (VerifyModelStructure(model, index): a graph without
  // bodies is checked by value id; bodies and problems go to the full
  // verifier). The build is safe on unverified input: duplicate and
  // undefined names are counted, not trusted, and the parse's recursion
  // limit bounds the bodies' nesting.
  auto index = std::make_shared<GraphIndex>(model.graph());
  if (absl::Status s = VerifyModelStructure(model, *index); !s.ok()) {
    Emit(where, absl::StrCat("invalid model: ", s.message()));
    return kExitUsageError;
  }
  // External data is checked once, up front, like inline data is by the
  // verifier: a short or oversized file is a broken input (exit 2) whether
  // or not a pass later reads the tensor.
  if (absl::Status s = VerifyExternalData(model, DirName(config_.input)); !s.ok()) {
    Emit(where, std::string(s.message()));
    return kExitUsageError;
  }
  PassContext ctx(diags_, where);
  ctx.set_base_dir(DirName(config_.input));
  for (const auto& p : config_.remark_passes) ctx.EnableRemarks(p);
  // The input model is kept only when something compares against it; with
  // --verify-each=numerics, the copy that instrumentation keeps serves.
  std::unique_ptr<onnx::ModelProto> copy;
  if ((config_.verify_numerics || Drawing()) && numerics_ == nullptr)
    copy = std::make_unique<onnx::ModelProto>(model);
  absl::Status s = pm.Run(model, ctx, std::move(index));
  if (s.ok()) s = RunHailoCompileStage(model, ctx);
  const onnx::ModelProto* original = numerics_ ? numerics_->original() : copy.get();
  RecordRun(pm, ctx);
  if (config_.pm.time_passes && request_.print) std::cerr << pm.FormatTimings();
  if (config_.pass_statistics && request_.print) std::cerr << FormatStatistics(ctx);
  int code = VerifyAndGetExitCode(s, model, original, ctx, where);
  // A lint's verdict after every pass ran judged the pipeline's result;
  // any other failure left the model as it was when the pipeline stopped.
  size_t passes_run = 0;
  for (const auto& [pass, seconds] : pm.timings())
    passes_run += pass[0] != '(' && !IsNestedPassRow(pass) ? 1 : 0;
  const bool stopped = !s.ok() && !(IsLintFindings(s) && passes_run == pm.passes().size());
  if (Drawing()) Draw(*original, model, stopped, code);
  const SplitHostModel* split = ctx.artifacts().Get<SplitHostModel>();
  if (split != nullptr && code == kExitOk) {
    if (host_model_) {
      Emit(where,
           "split-hailo8 names one host file but the input holds several models; "
           "split one model per run");
      return kExitUsageError;
    }
    host_model_ = split->model;
    host_path_ = split->path;
  }
  return code;
}

// --diagnostics-format=sarif: the log of the whole run, written last.
void Driver::FlushDiagnostics(int exit_code) {
  if (diags_.format() != DiagnosticsFormat::kSarif || !request_.print) return;
  SarifRunInfo run;
  run.tool_version = H8_VERSION;
  run.artifact = config_.input;
  run.command_line = config_.command_line;
  run.exit_code = exit_code;
  std::cerr << FormatDiagnosticsSarif(diags_.sarif_diagnostics(), run) << "\n";
  std::cerr.flush();
}

// I/O statuses already start with the file name; keep one copy of it.
absl::Status Driver::StripLabel(const absl::Status& s) {
  absl::string_view m = s.message();
  if (absl::ConsumePrefix(&m, label_ + ": ")) return absl::Status(s.code(), m);
  return s;
}

void Driver::Emit(const std::string& where, std::string message) {
  Diagnostic d;
  d.file = where;
  d.message = std::move(message);
  diags_.Emit(std::move(d));
}

int Driver::Fail(const std::string& where, const absl::Status& s, int code) {
  std::string file = where.empty() ? label_ : where;
  absl::string_view m = s.message();
  if (!file.empty()) absl::ConsumePrefix(&m, file + ": ");
  Diagnostic d;
  d.file = file.empty() ? "onnx-h8-opt" : file;
  d.message = std::string(m);
  diags_.Emit(std::move(d));
  return code;
}

OptRunResult RunOpt(OptRunRequest request, PassRegistry& registry) {
  OptRunResult result;
  // Command-line errors: one line `onnx-h8-opt: error: ...` on stderr, and
  // the same as a record.
  auto command_line_error = [&](absl::string_view message) {
    Diagnostic d;
    d.file = "onnx-h8-opt";
    d.message = std::string(message);
    if (request.print) std::cerr << "onnx-h8-opt: error: " << message << "\n";
    result.diagnostics.push_back(std::move(d));
    result.command_line_error = true;
    result.exit_code = kExitUsageError;
    return result;
  };
  DriverConfig config;
  if (absl::Status s = ParseDriverFlags(request.args, registry, config); !s.ok())
    return command_line_error(s.message());
  if (request.input_bytes) {
    if (!config.input.empty())
      return command_line_error(
          absl::StrCat("the model is given in memory; the arguments name "
                       "an input file too: '",
                       config.input, "'"));
    config.input = "-";
  }
  // A captured model is binary unless --emit says otherwise.
  if (request.capture_output && !config.output_given && !config.emit && !config.emit_dot)
    config.emit = ModelFormat::kBinary;
  config.command_line = QuoteCommandLine(request.args);
  // --help, --version and --list-passes print on stdout (or into the result).
  std::string info;
  if (config.help) {
    info = DriverUsage(registry);
  } else if (config.version) {
    info = absl::StrCat(
        "onnx-h8-opt ", H8_VERSION, " (ONNX 1.12, protobuf ", GOOGLE_PROTOBUF_VERSION / 1000000,
        ".", GOOGLE_PROTOBUF_VERSION / 1000 % 1000, ".", GOOGLE_PROTOBUF_VERSION % 1000, ")\n");
  } else if (config.list_passes) {
    info = FormatPassList(registry);
  }
  if (config.help || config.version || config.list_passes) {
    if (request.capture_output) result.output = std::move(info);
    else std::cout << info;
    return result;
  }
  Driver driver(config, registry, request, result);
  result.exit_code = driver.Run();
  driver.FlushDiagnostics(result.exit_code);
  result.pipeline = driver.report().pipeline;
  result.models = std::move(driver.report().models);
  return result;
}

int OptMain(int argc, char** argv, PassRegistry& registry) {
  // A size-limited output (ulimit -f) must end in a write error and a clean
  // exit, not in SIGXFSZ killing the process with a temporary file left.
  std::signal(SIGXFSZ, SIG_IGN);
  std::ios::sync_with_stdio(false);
  OptRunRequest request;
  request.exiting = true;
  for (int i = 1; i < argc; ++i) request.args.emplace_back(argv[i]);
  return RunOpt(std::move(request), registry).exit_code;
}

}  // namespace h8
