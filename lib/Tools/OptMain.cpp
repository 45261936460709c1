//===- OptMain.cpp - The onnx-h8-opt driver -------------------------------===//
//
// Structure (as MlirOptMain): parse the command line -> build the pipeline
// (every pass and option validated before any input is read) -> read the
// input -> for each chunk: parse, verify, run the pipeline, print -> write
// the output only when every chunk succeeded.
//
// The command line is one flag table (DriverFlags.cpp) rather than
// absl::flags: per-pass flags (`--lift-conv1d --pin-shape=1,9,2,100`) come
// from the registry at run time, plugins included, and their order on the
// command line is the pipeline order; usage errors must exit with 2.
//
//===----------------------------------------------------------------------===//
#include "h8/Tools/OptMain.h"

#include "DriverFlags.h"

#include <climits>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "h8/IR/Verifier.h"
#include "h8/Pass/PassManager.h"
#include "h8/Pass/PassPipeline.h"
#include "h8/Plugin/PassPlugin.h"
#include "h8/Report/Dot.h"
#include "h8/Report/Report.h"
#include "h8/Support/Diagnostics.h"
#include "h8/Support/DimsText.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/Status.h"
#include "h8/Support/TextIO.h"
#include "h8/Tools/ExternalData.h"
#include "h8/Tools/OptRun.h"
#include "h8/Tools/VerifyNumerics.h"

#ifndef H8_VERSION
#define H8_VERSION "0.0.0"
#endif

namespace h8 {
namespace {

constexpr absl::string_view kSplitMarker = "# -----";

absl::Status UsageError(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}


// One '# -----' separated piece of the input.
struct Chunk {
  std::string text;
  int first_line = 1;
};

std::vector<Chunk> SplitInput(const std::string& text, bool split) {
  if (!split) return {Chunk{text, 1}};
  std::vector<Chunk> chunks;
  Chunk current;
  int line = 1;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    absl::string_view l = absl::StripAsciiWhitespace(
        absl::string_view(text).substr(pos, end - pos));
    if (l == kSplitMarker) {
      chunks.push_back(std::move(current));
      current = Chunk();
      current.first_line = line + 1;
    } else {
      current.text.append(text, pos, end - pos);
      current.text.push_back('\n');
    }
    ++line;
    pos = end + 1;
  }
  chunks.push_back(std::move(current));
  return chunks;
}

// Whether `text` has only whitespace and '#' comments.
bool IsBlank(absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty() && line[0] != '#') return false;
  }
  return true;
}

class Driver {
 public:
  Driver(DriverConfig& config, const PassRegistry& registry, OptRunRequest& request,
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
  }

  /// What the run collected per model (RunOpt moves it into its result).
  ReportData& report() { return report_; }

  // The report is written whatever the run's outcome: a failed run is when
  // it is needed most. Only an unwritable report changes the exit code.
  int Run() {
    if (!config_.report.empty()) {
      // A report that cannot be written is refused before anything runs,
      // so it never turns a finished run (and its written output) into a
      // failure: its temporary file is created now.
      if (SameFile(config_.report, config_.output) &&
          (config_.report != "-" || config_.output_given))
        return Fail(config_.report,
                    UsageError("--report and -o name the same file; give them different ones"),
                    kExitUsageError);
      if (!config_.input.empty() && config_.input != "-" &&
          SameFile(config_.report, config_.input))
        return Fail(config_.report, UsageError("--report names the input file"), kExitUsageError);
      const std::string dir = DirName(config_.report);
      struct stat st;
      if (config_.report != "-" && (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)))
        return Fail(config_.report,
                    absl::NotFoundError(absl::StrCat("cannot write the report: folder '", dir,
                                                     "' does not exist")),
                    kExitUsageError);
      auto file = PendingFile::Create(config_.report);
      if (!file.ok()) return Fail(config_.report, file.status(), kExitUsageError);
      report_file_ = std::move(*file);
    }
    int code = RunPipeline();
    if (!report_file_) return code;
    report_.exit_code = code;
    report_.version = H8_VERSION;
    report_.command_line = config_.command_line;
    const std::string html = RenderReportHtml(report_);
    absl::Status s = report_file_->Close(report_file_->Write(html.data(), html.size()));
    if (s.ok()) s = report_file_->Commit();
    if (!s.ok()) {
      Fail(config_.report == "-" ? "<stdout>" : config_.report, s, kExitUsageError);
      return code == kExitOk ? static_cast<int>(kExitUsageError) : code;
    }
    return code;
  }

  // --diagnostics-format=sarif: the log of the whole run, written last.
  void FlushDiagnostics(int exit_code) {
    if (diags_.format() != DiagnosticsFormat::kSarif || !request_.print) return;
    SarifRunInfo run;
    run.tool_version = H8_VERSION;
    run.artifact = config_.input;
    run.command_line = config_.command_line;
    run.exit_code = exit_code;
    std::cerr << FormatDiagnosticsSarif(diags_.sarif_diagnostics(), run) << "\n";
    std::cerr.flush();
  }

 private:
  bool Drawing() const { return config_.emit_dot || !config_.report.empty(); }
  // RunOpt keeps the output (no -o) in its result instead of stdout.
  bool Capturing() const { return request_.capture_output && !config_.output_given; }

  // The output of a successful run, kept in memory: what the CLI would have
  // written to stdout, except that a model is binary by default (RunOpt
  // sets --emit=binary) and a lint run keeps its model too.
  int CaptureOutput(const std::vector<onnx::ModelProto>& results, ModelFormat out_format) {
    std::string out;
    if (out_format == ModelFormat::kBinary) {
      if (results.size() != 1)
        return Fail("", UsageError("binary output needs exactly one model; drop "
                                   "--split-input-file or use --emit=text"),
                    kExitUsageError);
      if (results[0].ByteSizeLong() > static_cast<size_t>(INT_MAX))
        return Fail("", UsageError("the model serializes to more than protobuf's 2 GiB limit; "
                                   "write it to a file (-o) with its tensors as external data"),
                    kExitUsageError);
      results[0].SerializeToString(&out);
    } else {
      for (size_t i = 0; i < results.size(); ++i) {
        if (i > 0) absl::StrAppend(&out, kSplitMarker, "\n");
        absl::StrAppend(&out, PrintModelText(results[i], config_.pm.print_options));
      }
    }
    result_.output = std::move(out);
    return kExitOk;
  }

  int RunPipeline() {
    if (config_.pm.verify_each == VerifyEachMode::kNumerics) {
      // Each pass's result is compared with the pipeline's input (kept by
      // ProcessModel), so the first failing pass is the one that broke it.
      config_.pm.numerics_check = [this](const onnx::ModelProto&,
                                         const onnx::ModelProto& after, PassContext& ctx) {
        auto reports = VerifyNumerics(*current_original_, after, ctx.interface_map(),
                                      config_.verify, ctx.base_dir());
        if (!reports.ok()) return reports.status();
        for (const OutputReport& r : *reports)
          if (!r.ok) return absl::FailedPreconditionError(FormatStats(r.name, r.stats, r.dims));
        return absl::OkStatus();
      };
    }
    auto passes = BuildPipeline(config_.pipeline, registry_);
    if (!passes.ok()) return Fail("", passes.status(), kExitUsageError);
    report_.pipeline = PrintPipeline(*passes);
    if (config_.dump_pipeline && request_.print)
      std::cerr << "onnx-h8-opt --passes='" << PrintPipeline(*passes) << "'\n";
    PassManager pm(config_.pm);
    for (auto& p : *passes) pm.AddPass(std::move(p));

    if (config_.input.empty())
      return Fail("", UsageError("no input file; see --help"), kExitUsageError);
    label_ = request_.input_bytes ? request_.label
                                  : config_.input == "-" ? "<stdin>" : config_.input;

    ModelFormat out_format = config_.emit.value_or(
        config_.output == "-" ? ModelFormat::kText : FormatFromPath(config_.output));
    if (out_format == ModelFormat::kAuto) out_format = ModelFormat::kText;

    std::vector<onnx::ModelProto> results;
    int exit_code = kExitOk;
    ModelFormat in_format = config_.input_format;
    if (in_format == ModelFormat::kAuto && config_.input != "-")
      in_format = FormatFromPath(config_.input);

    std::string bytes;
    if (request_.input_bytes) {
      bytes = std::move(*request_.input_bytes);
      request_.input_bytes.emplace();  // still "from memory"
    } else if (absl::Status s = ReadFileToString(config_.input, bytes); !s.ok()) {
      return Fail("", s, kExitUsageError);
    }
    ProtectInput(config_.input);
    if (in_format == ModelFormat::kAuto) in_format = SniffFormat(bytes);
    if (in_format == ModelFormat::kBinary) {
      if (config_.split_input_file)
        return Fail("", UsageError("--split-input-file needs textual input"), kExitUsageError);
      auto model = ParseBinaryModel(bytes.data(), bytes.size(), label_);
      bytes.clear();
      bytes.shrink_to_fit();
      if (!model.ok()) return Fail("", StripLabel(model.status()), kExitUsageError);
      if (absl::Status s = GuardOutputs(*model, out_format); !s.ok())
        return Fail("", s, kExitUsageError);
      exit_code = ProcessModel(*model, label_, pm);
      if (exit_code == kExitOk) results.push_back(std::move(*model));
    } else {
      if (absl::StripAsciiWhitespace(bytes).empty())
        return Fail("", UsageError("empty file"), kExitUsageError);
      std::vector<Chunk> chunks = SplitInput(bytes, config_.split_input_file);
      for (const Chunk& chunk : chunks) {
        // A chunk of only blanks and comments (e.g. after a trailing
        // separator) holds no model.
        if (config_.split_input_file && chunks.size() > 1 && IsBlank(chunk.text)) continue;
        std::string where = chunks.size() > 1 ? absl::StrCat(label_, ":", chunk.first_line)
                                              : label_;
        auto model = ParseModelText(chunk.text, chunk.first_line);
        if (!model.ok()) {
          Emit(label_, absl::StrCat("parse error: ", model.status().message()));
          exit_code = std::max(exit_code, static_cast<int>(kExitUsageError));
          continue;
        }
        if (absl::Status s = GuardOutputs(*model, out_format); !s.ok())
          return Fail("", s, kExitUsageError);
        int code = ProcessModel(*model, where, pm);
        exit_code = std::max(exit_code, code);
        if (code == kExitOk) results.push_back(std::move(*model));
      }
    }
    // split-hailo8's host part is written only when the whole run
    // succeeded, and goes into place with the output.
    std::vector<PendingFile> host_files;
    if (exit_code == kExitOk) {
      if (absl::Status s = PrepareHostFiles(host_files); !s.ok())
        return Fail(host_path_, s, kExitUsageError);
    }
    auto commit = [&](std::vector<PendingFile*> files) {
      return CommitFiles(host_files, std::move(files));
    };
    // --report=- owns stdout.
    if (config_.output == "-" && config_.report == "-") {
      if (absl::Status s = commit({}); !s.ok()) return Fail("", s, kExitUsageError);
      return exit_code;
    }
    // Writing over the input itself (in place) is atomic, and so allowed.
    if (config_.input != "-" && SameFile(config_.output, config_.input)) UnprotectInputs();
    if (config_.emit_dot) {
      // The drawing is written also when the model has problems (exit 1 or
      // 3): it shows them. Not after usage, I/O or parse errors.
      if (exit_code == kExitUsageError) return exit_code;
      if (Capturing()) {
        result_.output = absl::StrJoin(dots_, "");
        return exit_code;
      }
      if (absl::Status s = WriteFileAtomically(config_.output, absl::StrJoin(dots_, ""));
          !s.ok())
        return Fail(config_.output == "-" ? "<stdout>" : config_.output, s, kExitUsageError);
      if (absl::Status s = commit({}); !s.ok()) return Fail("", s, kExitUsageError);
      return exit_code;
    }
    if (exit_code != kExitOk) return exit_code;
    if (Capturing()) {
      int code = CaptureOutput(results, out_format);
      if (code != kExitOk) return code;
      if (absl::Status s = commit({}); !s.ok()) return Fail(host_path_, s, kExitUsageError);
      return kExitOk;
    }

    if (out_format == ModelFormat::kBinary) {
      if (results.size() != 1)
        return Fail("", UsageError("binary output needs exactly one model; drop "
                                   "--split-input-file or use --emit=text"),
                    kExitUsageError);
      std::string note;
      auto data = PrepareExternalData(results[0], DirName(config_.input), config_.output,
                                      config_.external_data, &note);
      if (!data.ok()) return Fail(config_.output, data.status(), kExitUsageError);
      if (!note.empty()) {
        Diagnostic d;
        d.severity = Severity::kNote;
        d.file = config_.output;
        d.message = note;
        diags_.Emit(std::move(d));
      }
      auto written = PrepareBinaryModel(results[0], config_.output);
      if (!written.ok()) return Fail(config_.output, written.status(), kExitUsageError);
      // All files are complete before any goes into place; the data file
      // follows the model referencing it, the host part the device part.
      if (absl::Status s = commit({&*written, &*data}); !s.ok())
        return Fail(config_.output, s, kExitUsageError);
      return kExitOk;
    }
    // A lint run (the pipeline ends with a lint such as check-hailo8) with
    // no -o prints only its report.
    if (config_.output == "-" && !pm.passes().empty() && pm.passes().back()->IsLint()) {
      if (absl::Status s = commit({}); !s.ok()) return Fail("", s, kExitUsageError);
      return kExitOk;
    }
    std::string text;
    for (size_t i = 0; i < results.size(); ++i) {
      if (i > 0) absl::StrAppend(&text, kSplitMarker, "\n");
      absl::StrAppend(&text, PrintModelText(results[i], config_.pm.print_options));
    }
    auto out = PrepareFile(config_.output, text);
    absl::Status s = out.ok() ? commit({&*out}) : out.status();
    if (!s.ok()) return Fail(config_.output == "-" ? "<stdout>" : config_.output, s, kExitUsageError);
    return kExitOk;
  }

  // Writes the host part of a split into pending files (the model, and for
  // binary its data file: tensors that were external in the input move next
  // to the host file, so it can be used where it is).
  absl::Status PrepareHostFiles(std::vector<PendingFile>& files) {
    if (!host_model_) return absl::OkStatus();
    onnx::ModelProto& host = *host_model_;
    if (FormatFromPath(host_path_) == ModelFormat::kText) {
      H8_ASSIGN_OR_RETURN(PendingFile f, PrepareFile(host_path_, PrintModelText(host)));
      files.push_back(std::move(f));
      return absl::OkStatus();
    }
    ExternalDataOptions options;
    options.none = config_.external_data.none;
    std::string note;
    H8_ASSIGN_OR_RETURN(PendingFile data, PrepareExternalData(host, DirName(config_.input),
                                                              host_path_, options, &note));
    H8_ASSIGN_OR_RETURN(PendingFile model, PrepareBinaryModel(host, host_path_));
    files.push_back(std::move(model));
    files.push_back(std::move(data));
    return absl::OkStatus();
  }

  // Commits `outputs` and the host files together: none goes into place
  // unless all were written.
  static absl::Status CommitFiles(std::vector<PendingFile>& host_files,
                                  std::vector<PendingFile*> outputs) {
    for (PendingFile& f : host_files) outputs.push_back(&f);
    if (outputs.empty()) return absl::OkStatus();
    return CommitAll(std::move(outputs));
  }

  // Protects `model`'s external data files (read by this run) from every
  // output, and refuses, before the pipeline runs, an output path that
  // would replace one of them or the input. Writing the model over its own
  // input (in place) is atomic and allowed, and so then is its data file.
  absl::Status GuardOutputs(onnx::ModelProto& model, ModelFormat out_format) {
    const std::vector<std::string> data_files = ExternalDataFiles(model, DirName(config_.input));
    for (const std::string& f : data_files) ProtectInput(f);
    if (report_file_ && config_.report != "-" && IsProtectedInput(config_.report)) {
      report_file_.reset();
      return UsageError(absl::StrCat("--report=", config_.report,
                                     " names a file this run reads (the input's external data)"));
    }
    H8_RETURN_IF_ERROR(GuardHostOutput(model));
    H8_RETURN_IF_ERROR(GuardTextReferences(model, config_.output, out_format));
    if (config_.output == "-" || (config_.input != "-" && SameFile(config_.output, config_.input)))
      return absl::OkStatus();
    if (IsProtectedInput(config_.output))
      return UsageError(absl::StrCat("-o ", config_.output,
                                     " names a file this run reads (the input's external data)"));
    const std::string data = ExternalDataPath(config_.output, config_.external_data);
    if (out_format == ModelFormat::kBinary && !config_.external_data.none &&
        (!config_.external_data.file.empty() || !data_files.empty()) && IsProtectedInput(data))
      return UsageError(absl::StrCat("the external data file ", data,
                                     " would replace a file this run reads; choose another "
                                     "--external-data name or output folder"));
    return absl::OkStatus();
  }

  // The host file of --split-hailo8 (or split-hailo8{host-out=...}), or "".
  std::string HostOutPath() const {
    for (const PassSpec& p : config_.pipeline)
      if (p.name == "split-hailo8")
        for (const auto& [key, value] : p.options)
          if (key == "host-out") return value;
    return "";
  }

  // Refuses, before the pipeline runs, a host file that would replace the
  // input, its external data, the output (or its data file) or the report.
  absl::Status GuardHostOutput(onnx::ModelProto& model) {
    const std::string host = HostOutPath();
    if (host.empty()) return absl::OkStatus();
    const std::string flag = absl::StrCat("--split-hailo8=", host);
    if (host == "-") return UsageError(flag + " needs a file; the host part is not written to stdout");
    if (IsProtectedInput(host) || (config_.input != "-" && SameFile(host, config_.input)))
      return UsageError(flag + " names a file this run reads (the input or its external data)");
    if (config_.output != "-" && SameFile(host, config_.output))
      return UsageError(flag + " names the output file too; the device and host parts need two files");
    if (!config_.report.empty() && config_.report != "-" && SameFile(host, config_.report))
      return UsageError(flag + " names the report file too");
    {
      // A destination that cannot be written (missing folder, a directory)
      // fails now, not after the pipeline.
      auto probe = PendingFile::Create(host);
      if (!probe.ok()) return UsageError(probe.status().message());
      probe->Abandon();
    }
    const ModelFormat host_format = FormatFromPath(host);
    if (host_format != ModelFormat::kText) {
      const std::string data = ExternalDataPath(host, ExternalDataOptions());
      if (IsProtectedInput(data))
        return UsageError(absl::StrCat("the host part's data file ", data,
                                       " would replace a file this run reads"));
      if (config_.output != "-" && SameFile(data, config_.output))
        return UsageError(absl::StrCat("the host part's data file ", data, " is the output file"));
    }
    return GuardTextReferences(model, host, host_format);
  }

  // Text keeps external tensors as references relative to its own folder:
  // text written elsewhere than the input's folder would point at nothing.
  // Refused before the pipeline runs (binary output copies the data).
  absl::Status GuardTextReferences(onnx::ModelProto& model, const std::string& path,
                                   ModelFormat format) {
    if (format != ModelFormat::kText || path == "-" || config_.input == "-") return absl::OkStatus();
    // A device (/dev/null) or FIFO is not a folder's file.
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
      return absl::OkStatus();
    if (ExternalDataFiles(model, ".").empty()) return absl::OkStatus();
    if (SameFile(DirName(path), DirName(config_.input))) return absl::OkStatus();
    return UsageError(absl::StrCat(
        path, ": text output outside the input's folder cannot reference its external data; "
              "write binary output (.onnx), which copies the data, or write next to the input"));
  }

  // Verifies and runs the pipeline on one model; returns its exit code.
  // With --emit=dot or --report, also records what the report shows.
  int ProcessModel(onnx::ModelProto& model, const std::string& where, PassManager& pm) {
    report_.models.emplace_back();
    current_model_ = static_cast<int>(report_.models.size()) - 1;
    report_.models.back().where = where;
    int code = RunOnModel(model, where, pm);
    report_.models[current_model_].exit_code = code;
    current_model_ = -1;
    return code;
  }

  int RunOnModel(onnx::ModelProto& model, const std::string& where, PassManager& pm) {
    if (absl::Status s = VerifyModelStructure(model); !s.ok()) {
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
    int errors_before = diags_.num_errors();
    // The input model is kept only when something compares against it.
    std::unique_ptr<onnx::ModelProto> original;
    if (config_.verify_numerics || config_.pm.verify_each == VerifyEachMode::kNumerics ||
        Drawing())
      original = std::make_unique<onnx::ModelProto>(model);
    current_original_ = original.get();
    absl::Status s;
    {
      // hailo-compile prints its steps, and check-hailo8 its JSON summary,
      // on stderr: keep a copy for the report.
      std::optional<StderrTee> tee;
      if (Drawing()) tee.emplace();
      s = pm.Run(model, ctx);
      ModelReport& mr = report_.models[current_model_];
      for (const auto& [pass, seconds] : pm.timings()) mr.timings.push_back(PassTiming{pass, seconds});
      mr.stats = ctx.stats();
      mr.lints = ctx.lint_summaries();
      if (!mr.lints.empty()) mr.end_nodes = mr.lints.back().end_nodes;
      mr.host_model_path = ctx.interface_map().host_model_path;
      if (tee) mr.hailo_compile = ExtractHailoCompileOutput(tee->text());
    }
    current_original_ = nullptr;
    if (config_.pm.time_passes && request_.print) std::cerr << pm.TimingReport();
    if (config_.pass_statistics && request_.print) std::cerr << FormatStatistics(ctx);
    int code = Judge(s, model, original.get(), ctx, where, errors_before);
    if (Drawing()) Draw(*original, model, s, code);
    const InterfaceMap& map = ctx.interface_map();
    if (map.host_model && code == kExitOk) {
      if (host_model_) {
        Emit(where, "split-hailo8 names one host file but the input holds several models; "
                    "split one model per run");
        return kExitUsageError;
      }
      host_model_ = map.host_model;
      host_path_ = map.host_model_path;
    }
    return code;
  }

  // The drawings of one model: before (--report) and after the pipeline.
  void Draw(const onnx::ModelProto& original, const onnx::ModelProto& model,
            const absl::Status& pipeline_status, int code) {
    ModelReport& mr = report_.models[current_model_];
    // The file and its folder (fixtures are all model.onnx).
    std::string file = mr.where;
    if (size_t slash = file.find_last_of('/'); slash != std::string::npos && slash > 0) {
      size_t parent = file.find_last_of('/', slash - 1);
      file = file.substr(parent == std::string::npos ? 0 : parent + 1);
    }
    std::vector<std::string> passes;
    for (const PassTiming& t : mr.timings)
      if (!absl::StartsWith(t.pass, "(")) passes.push_back(t.pass);  // not "(verify-each)"
    DotAnnotations after;
    after.diagnostics = mr.diagnostics;
    after.before = &original;
    after.end_nodes = mr.end_nodes;
    // The title names the passes, a few per line.
    std::string line = passes.empty() ? file : absl::StrCat(file, " after");
    for (size_t k = 0; k < passes.size(); ++k) {
      std::string item = absl::StrCat(passes[k], k + 1 < passes.size() ? "," : "");
      if (line.size() + item.size() > 48) {
        after.title.push_back(line);
        line.clear();
      }
      absl::StrAppend(&line, line.empty() ? "" : " ", item);
    }
    after.title.push_back(line);
    if (!pipeline_status.ok() && !passes.empty()) {
      after.title.push_back(absl::StrCat("the pipeline stopped at ", passes.back(),
                                         "; the model as it was then"));
      mr.after_caption = absl::StrCat("After: the model when the pipeline stopped at '",
                                      passes.back(), "' (not written)");
    } else if (code != kExitOk) {
      mr.after_caption = absl::StrCat("After: the pipeline's result (not written: exit ", code, ")");
    }
    std::string dot = ModelToDot(model, after);
    if (!config_.report.empty()) {
      DotAnnotations before;
      before.after = &model;
      before.title.push_back(absl::StrCat(file, " (input)"));
      mr.before_dot = ModelToDot(original, before);
      mr.after_dot = dot;
    }
    if (config_.emit_dot) dots_.push_back(std::move(dot));
  }

  // The exit code of one model's run; runs the numeric verification.
  int Judge(const absl::Status& s, onnx::ModelProto& model, const onnx::ModelProto* original,
            PassContext& ctx, const std::string& where, int errors_before) {
    // Files that cannot be read or written (calibration data, a host model:
    // ModelIO marks them as usage errors) are I/O problems: 2.
    if (!s.ok() && IsUsageError(s)) return kExitUsageError;
    if (!s.ok() && IsToolchainError(s)) return kExitToolchainError;
    if (!s.ok() || diags_.num_errors() > errors_before) return kExitModelError;
    if (config_.verify_numerics) {
      auto reports = VerifyNumerics(*original, model, ctx.interface_map(), config_.verify,
                                    ctx.base_dir());
      if (!Report(reports, absl::StrCat(config_.verify.trials, " random inputs (seed ",
                                        config_.verify.seed, ")"),
                  where))
        return !reports.ok() && IsUsageError(reports.status()) ? kExitUsageError
                                                                : kExitModelError;
    }
    if (!config_.verify_against.empty()) {
      // A missing or unreadable test-data file is an I/O problem.
      auto reports = VerifyAgainstDataSet(model, ctx.interface_map(), config_.verify_against,
                                          config_.verify, ctx.base_dir());
      if (!Report(reports, absl::StrCat("test data in ", config_.verify_against), where))
        return !reports.ok() && IsIoError(reports.status()) ? kExitUsageError : kExitModelError;
    }
    return kExitOk;
  }

  // Prints a verification table on stderr; false (with an error) on a
  // mismatch or when the models could not be evaluated.
  bool Report(const absl::StatusOr<std::vector<OutputReport>>& reports,
              const std::string& what, const std::string& where) {
    ModelReport::Verification* record = nullptr;
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
      for (const OutputReport& r : *reports)
        record->rows.push_back(VerifyRow{r.name, r.stats.cosine, r.stats.mse,
                                         r.stats.max_abs_diff, absl::StrJoin(r.dims, ","), r.ok});
    }
    if (request_.print) {
      std::cerr << "verify-numerics: " << what << "; " << criteria << "\n";
      for (const OutputReport& r : *reports)
        std::cerr << "  " << FormatStats(r.name, r.stats, r.dims) << "\n";
    }
    bool ok = true;
    for (const OutputReport& r : *reports) {
      if (r.ok) continue;
      ok = false;
      Emit(where, absl::StrCat("verify-numerics: output '", r.name,
                               "' differs from the original: ",
                               FormatStats(r.name, r.stats, r.dims)));
    }
    return ok;
  }

  // I/O statuses already start with the file name; keep one copy of it.
  absl::Status StripLabel(const absl::Status& s) {
    absl::string_view m = s.message();
    if (absl::ConsumePrefix(&m, label_ + ": ")) return absl::Status(s.code(), m);
    return s;
  }

  void Emit(const std::string& where, std::string message) {
    Diagnostic d;
    d.file = where;
    d.message = std::move(message);
    diags_.Emit(std::move(d));
  }

  int Fail(const std::string& where, const absl::Status& s, int code) {
    std::string file = where.empty() ? label_ : where;
    absl::string_view m = s.message();
    if (!file.empty()) absl::ConsumePrefix(&m, file + ": ");
    Diagnostic d;
    d.file = file.empty() ? "onnx-h8-opt" : file;
    d.message = std::string(m);
    diags_.Emit(std::move(d));
    return code;
  }

  DriverConfig& config_;
  const PassRegistry& registry_;
  OptRunRequest& request_;
  OptRunResult& result_;
  DiagnosticEngine diags_;
  std::string label_;
  const onnx::ModelProto* current_original_ = nullptr;
  // What --report shows, collected while running; the model being run.
  ReportData report_;
  int current_model_ = -1;
  // --emit=dot: one digraph per model.
  std::vector<std::string> dots_;
  // --report: created before the pipeline runs, committed after.
  std::optional<PendingFile> report_file_;
  // The host part of a split and its file: split-hailo8 leaves it in
  // memory, and it is written with the outputs.
  std::shared_ptr<onnx::ModelProto> host_model_;
  std::string host_path_;
};

}  // namespace

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
      return command_line_error(absl::StrCat("the model is given in memory; the arguments name "
                                             "an input file too: '", config.input, "'"));
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
    info = absl::StrCat("onnx-h8-opt ", H8_VERSION, " (ONNX 1.12, protobuf ",
                        GOOGLE_PROTOBUF_VERSION / 1000000, ".",
                        GOOGLE_PROTOBUF_VERSION / 1000 % 1000, ".",
                        GOOGLE_PROTOBUF_VERSION % 1000, ")\n");
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
  for (int i = 1; i < argc; ++i) request.args.emplace_back(argv[i]);
  return RunOpt(std::move(request), registry).exit_code;
}

}  // namespace h8
