//===- DriverOutput.cpp - Writing the outputs, all or nothing -------------===//
//
// Every output path is checked before the pipeline runs (it must not
// replace the input, its external data, another output or the report), and
// every file is complete before any goes into place: the model, its
// external data, and the host part of a split are committed together,
// only when the whole run succeeded. --emit=dot is written also when the
// model has problems, since it shows them.
//
//===----------------------------------------------------------------------===//
#include <climits>
#include <filesystem>

#include "Driver.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/Support/ExternalData.h"
#include "h8/Support/TextIO.h"

namespace h8 {
namespace {

// Commits `outputs` and the host files together: none goes into place
// unless all were written.
absl::Status CommitFiles(std::vector<PendingFile>& host_files, std::vector<PendingFile*> outputs) {
  for (PendingFile& f : host_files) outputs.push_back(&f);
  if (outputs.empty()) return absl::OkStatus();
  return CommitAll(std::move(outputs));
}

// The models as text, separated as --split-input-file reads them.
std::string ModelsText(const std::vector<onnx::ModelProto*>& models, const PrintOptions& options) {
  std::string text;
  for (size_t i = 0; i < models.size(); ++i) {
    if (i > 0) absl::StrAppend(&text, kSplitMarker, "\n");
    absl::StrAppend(&text, PrintModelText(*models[i], options));
  }
  return text;
}

// Keeps the models read alive until the process exits (reachable from a
// static, so leak checkers do not report them).
void KeepUntilExit(std::unique_ptr<google::protobuf::Arena>& arena,
                   std::deque<onnx::ModelProto>& text_models) {
  static auto* arenas = new std::vector<std::unique_ptr<google::protobuf::Arena>>();
  static auto* texts = new std::vector<std::deque<onnx::ModelProto>>();
  if (arena != nullptr) arenas->push_back(std::move(arena));
  texts->push_back(std::move(text_models));
}

}  // namespace

int Driver::WriteOutputs(std::vector<onnx::ModelProto*>& results, ModelFormat out_format,
                         int exit_code, const PassManager& pm) {
  // The CLI exits after writing: freeing a large model message by message
  // costs more than the operating system takes to drop the whole process.
  struct KeepOnReturn {
    Driver& driver;
    bool exiting;
    ~KeepOnReturn() {
      if (exiting) KeepUntilExit(driver.arena_, driver.text_models_);
    }
  } keep{*this, request_.exiting};
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
    if (absl::Status s = WriteFileAtomically(config_.output, absl::StrJoin(dots_, "")); !s.ok())
      return Fail(config_.output == "-" ? "<stdout>" : config_.output, s, kExitUsageError);
    if (absl::Status s = commit({}); !s.ok()) return Fail("", s, kExitUsageError);
    return exit_code;
  }
  if (exit_code != kExitOk) return exit_code;
  if (out_format == ModelFormat::kBinary && results.size() != 1)
    return Fail("",
                UsageError("binary output needs exactly one model; drop "
                           "--split-input-file or use --emit=text"),
                kExitUsageError);
  if (Capturing()) {
    int code = CaptureOutput(results, out_format);
    if (code != kExitOk) return code;
    if (absl::Status s = commit({}); !s.ok()) return Fail(host_path_, s, kExitUsageError);
    return kExitOk;
  }

  if (out_format == ModelFormat::kBinary) return WriteBinaryOutput(*results[0], host_files);
  // A lint run (the pipeline ends with a lint such as check-hailo8) with
  // no -o prints only its report.
  if (config_.output == "-" && !pm.passes().empty() && pm.passes().back()->IsLint()) {
    if (absl::Status s = commit({}); !s.ok()) return Fail("", s, kExitUsageError);
    return kExitOk;
  }
  auto out = PrepareFile(config_.output, ModelsText(results, config_.pm.print_options));
  absl::Status s = out.ok() ? commit({&*out}) : out.status();
  if (!s.ok()) return Fail(config_.output == "-" ? "<stdout>" : config_.output, s, kExitUsageError);
  return kExitOk;
}

// Writes one binary model with its external data (tensors external in the
// input stay external; --external-data moves large ones out).
int Driver::WriteBinaryOutput(onnx::ModelProto& model, std::vector<PendingFile>& host_files) {
  std::string note;
  size_t size = 0;
  auto data = PrepareExternalData(model, DirName(config_.input), config_.output,
                                  config_.external_data, &note, &size);
  if (!data.ok()) return Fail(config_.output, data.status(), kExitUsageError);
  if (!note.empty()) {
    Diagnostic d;
    d.severity = Severity::kNote;
    d.file = config_.output;
    d.message = note;
    diags_.Emit(std::move(d));
  }
  auto written = PrepareBinaryModel(model, config_.output, size);
  if (!written.ok()) return Fail(config_.output, written.status(), kExitUsageError);
  // All files are complete before any goes into place; the data file
  // follows the model referencing it, the host part the device part.
  if (absl::Status s = CommitFiles(host_files, {&*written, &*data}); !s.ok())
    return Fail(config_.output, s, kExitUsageError);
  return kExitOk;
}

// The output of a successful run, kept in memory: what the CLI would have
// written to stdout, except that a model is binary by default (RunOpt
// sets --emit=binary) and a lint run keeps its model too.
int Driver::CaptureOutput(const std::vector<onnx::ModelProto*>& results, ModelFormat out_format) {
  std::string out;
  if (out_format == ModelFormat::kBinary) {
    if (results[0]->ByteSizeLong() > static_cast<size_t>(INT_MAX))
      return Fail("",
                  UsageError("the model serializes to more than protobuf's 2 GiB limit; "
                             "write it to a file (-o) with its tensors as external data"),
                  kExitUsageError);
    results[0]->SerializeToString(&out);
  } else {
    out = ModelsText(results, config_.pm.print_options);
  }
  result_.output = std::move(out);
  return kExitOk;
}

// Writes the host part of a split into pending files (the model, and for
// binary its data file: tensors that were external in the input move next
// to the host file, so it can be used where it is).
absl::Status Driver::PrepareHostFiles(std::vector<PendingFile>& files) {
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
  size_t size = 0;
  H8_ASSIGN_OR_RETURN(PendingFile data, PrepareExternalData(host, DirName(config_.input),
                                                            host_path_, options, &note, &size));
  H8_ASSIGN_OR_RETURN(PendingFile model, PrepareBinaryModel(host, host_path_, size));
  files.push_back(std::move(model));
  files.push_back(std::move(data));
  return absl::OkStatus();
}

// Protects `model`'s external data files (read by this run) from every
// output, and refuses, before the pipeline runs, an output path that
// would replace one of them or the input. Writing the model over its own
// input (in place) is atomic and allowed, and so then is its data file.
absl::Status Driver::GuardOutputs(onnx::ModelProto& model, ModelFormat out_format) {
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
std::string Driver::HostOutPath() const {
  for (const PassSpec& p : config_.pipeline)
    if (p.name == "split-hailo8")
      for (const auto& [key, value] : p.options)
        if (key == "host-out") return value;
  return "";
}

// Refuses, before the pipeline runs, a host file that would replace the
// input, its external data, the output (or its data file) or the report.
absl::Status Driver::GuardHostOutput(onnx::ModelProto& model) {
  const std::string host = HostOutPath();
  if (host.empty()) return absl::OkStatus();
  const std::string flag = absl::StrCat("--split-hailo8=", host);
  if (host == "-")
    return UsageError(flag + " needs a file; the host part is not written to stdout");
  if (IsProtectedInput(host) || (config_.input != "-" && SameFile(host, config_.input)))
    return UsageError(flag + " names a file this run reads (the input or its external data)");
  if (config_.output != "-" && SameFile(host, config_.output))
    return UsageError(flag +
                      " names the output file too; the device and host parts need two files");
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
      return UsageError(
          absl::StrCat("the host part's data file ", data, " would replace a file this run reads"));
    if (config_.output != "-" && SameFile(data, config_.output))
      return UsageError(absl::StrCat("the host part's data file ", data, " is the output file"));
  }
  return GuardTextReferences(model, host, host_format);
}

// Text keeps external tensors as references relative to its own folder:
// text written elsewhere than the input's folder would point at nothing.
// Refused before the pipeline runs (binary output copies the data).
absl::Status Driver::GuardTextReferences(onnx::ModelProto& model, const std::string& path,
                                         ModelFormat format) const {
  if (format != ModelFormat::kText || path == "-" || config_.input == "-") return absl::OkStatus();
  // A device (/dev/null) or FIFO is not a folder's file.
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    return absl::OkStatus();
  if (ExternalDataFiles(model, ".").empty()) return absl::OkStatus();
  if (SameFile(DirName(path), DirName(config_.input))) return absl::OkStatus();
  return UsageError(absl::StrCat(
      path,
      ": text output outside the input's folder cannot reference its external data; "
      "write binary output (.onnx), which copies the data, or write next to the input"));
}

}  // namespace h8
