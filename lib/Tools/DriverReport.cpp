//===- DriverReport.cpp - The run record for --report and --emit=dot ------===//
//
// What --report shows is collected while the run goes: per model the
// timings, statistics, lint verdicts, verification tables and the
// drawings before and after the pipeline. The report file is created before
// anything runs (an unwritable report is refused up front) and committed
// last, whatever the run's outcome: a failed run is when it is needed most.
//
//===----------------------------------------------------------------------===//
#include <sys/stat.h>

#include "Driver.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "h8/Passes/CheckHailo8.h"
#include "h8/Passes/SplitHailo8.h"
#include "h8/Report/Dot.h"

namespace h8 {

// Creates the report's temporary file; refuses a report that would replace
// the output or the input, or whose folder does not exist.
int Driver::OpenReport() {
  if (config_.report.empty()) return kExitOk;
  // A report that cannot be written is refused before anything runs,
  // so it never turns a finished run (and its written output) into a
  // failure: its temporary file is created now.
  if (SameFile(config_.report, config_.output) && (config_.report != "-" || config_.output_given))
    return Fail(config_.report,
                UsageError("--report and -o name the same file; give them different ones"),
                kExitUsageError);
  if (!config_.input.empty() && config_.input != "-" && SameFile(config_.report, config_.input))
    return Fail(config_.report, UsageError("--report names the input file"), kExitUsageError);
  const std::string dir = DirName(config_.report);
  struct stat st;
  if (config_.report != "-" && (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)))
    return Fail(config_.report,
                absl::NotFoundError(
                    absl::StrCat("cannot write the report: folder '", dir, "' does not exist")),
                kExitUsageError);
  auto file = PendingFile::Create(config_.report);
  if (!file.ok()) return Fail(config_.report, file.status(), kExitUsageError);
  report_file_ = std::move(*file);
  return kExitOk;
}

// Writes the report and puts it into place. Only an unwritable report
// changes the exit code.
int Driver::CommitReport(int code) {
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

// The figures of one model's pipeline run.
void Driver::RecordRun(const PassManager& pm, PassContext& ctx) {
  ModelRunRecord& mr = report_.models[current_model_];
  for (const auto& [pass, seconds] : pm.timings())
    mr.timings.push_back(PassTiming{pass, seconds, IsNestedPassRow(pass)});
  mr.stats = ctx.stats();
  if (const auto* findings = ctx.artifacts().Get<Hailo8Findings>()) mr.lints = findings->verdicts;
  if (!mr.lints.empty()) mr.end_nodes = mr.lints.back().end_nodes;
  if (const auto* split = ctx.artifacts().Get<SplitHostModel>()) mr.host_model_path = split->path;
}

// The drawings of one model: before (--report) and after the pipeline.
void Driver::Draw(const onnx::ModelProto& original, const onnx::ModelProto& model, bool stopped,
                  int code) {
  ModelRunRecord& mr = report_.models[current_model_];
  // The file and its folder (fixtures are all model.onnx).
  std::string file = mr.where;
  if (size_t slash = file.find_last_of('/'); slash != std::string::npos && slash > 0) {
    size_t parent = file.find_last_of('/', slash - 1);
    file = file.substr(parent == std::string::npos ? 0 : parent + 1);
  }
  std::vector<std::string> passes;
  for (const PassTiming& t : mr.timings)
    if (!absl::StartsWith(t.pass, "(") && !t.nested)  // not "(verify-each)"
      passes.push_back(t.pass);
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
  if (stopped && !passes.empty()) {
    after.title.push_back(
        absl::StrCat("the pipeline stopped at ", passes.back(), "; the model as it was then"));
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

}  // namespace h8
