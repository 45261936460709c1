//===- Report.h - The self-contained HTML report of a run -------*- C++ -*-===//
//
// `--report=FILE.html` writes one HTML file with no external resources (no
// scripts, style sheets, fonts or images from elsewhere): the pipeline with
// per-pass wall time and statistics, the numeric verification table, the
// Hailo-8 lint table, the Hailo hand-off (hailo-compile's steps), every
// other diagnostic, and before/after drawings of each model rendered to
// inline SVG by Graphviz (`dot -Tsvg`; without `dot` the DOT text is
// embedded instead, with a note saying so).
//
// The driver fills a RunRecord while it runs (diagnostics through a tee of
// the DiagnosticEngine handler, timings, statistics and artifacts from the
// pass manager and the run's PassContext, the Hailo hand-off from the
// driver's hailo-compile stage) and renders it at the end, also when the
// run failed.
//
//===----------------------------------------------------------------------===//
#ifndef H8_REPORT_REPORT_H
#define H8_REPORT_REPORT_H

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "h8/Support/Diagnostics.h"

namespace h8 {

struct PassTiming {
  std::string pass;  // "<pass>/<nested>" for a pass run inside another
  double seconds = 0;
  /// Run inside the pass of the row before it (PassContext::RunNestedPass);
  /// its time is part of that pass's.
  bool nested = false;
};

struct VerifyRow {
  std::string output;
  double cosine = 0, mse = 0, max_abs_diff = 0;
  std::string dims;  // "1,5"
  bool ok = true;
};

/// What the driver's hailo-compile stage did with the plan hailo-compile
/// left (lib/Tools/DriverHailoCompile.cpp).
struct HailoCompileRecord {
  struct Step {
    std::string name;  // "parser", "optimize", "compiler"
    double seconds = 0;
    int exit_code = 0;  // -1: it could not be started
    std::string output;  // the file it produces, "DIR/NAME.har"
    int64_t output_bytes = -1;  // -1: the file is missing
  };
  std::string dir, net_name, hw_arch;
  /// The host part's file when the model is the device part of a split.
  std::string host_part;
  /// How many steps were planned, and those that ran, in order.
  int planned_steps = 0;
  std::vector<Step> steps;
  /// Every step ran and succeeded.
  bool built = false;
};

/// The stage's progress lines as it prints them: the split note, "[k/N]
/// hailo NAME ..." when step k starts, its outcome when it ends, and when
/// everything was built the HEF and a table of step, time, file and size.
std::string FormatHailoCompileSplitNote(const HailoCompileRecord& record);
std::string FormatHailoCompileStepStart(const HailoCompileRecord& record, size_t step);
std::string FormatHailoCompileStepEnd(const HailoCompileRecord& record, size_t step);
std::string FormatHailoCompileBuilt(const HailoCompileRecord& record);
/// All of them, for the report.
std::string FormatHailoCompile(const HailoCompileRecord& record);

/// Everything the report shows about one model (one chunk with
/// --split-input-file).
struct ModelRunRecord {
  std::string where;  // file, or file:line for split input
  std::vector<PassTiming> timings;
  std::vector<std::pair<std::string, std::map<std::string, int64_t>>> stats;
  /// Numeric verification: one table per comparison that ran.
  struct Verification {
    std::string what;  // "3 random inputs (seed 0)"
    std::string criteria;
    std::string error;  // the comparison could not run
    std::vector<VerifyRow> rows;
  };
  std::vector<Verification> verifications;
  std::vector<Diagnostic> diagnostics;
  std::vector<std::string> end_nodes;
  /// What each lint pass concluded (check-hailo8's summary and cut).
  std::vector<LintSummary> lints;
  /// The host model split-hailo8 wrote, if it ran.
  std::string host_model_path;
  /// The Hailo hand-off, when the hailo-compile stage ran.
  std::optional<HailoCompileRecord> hailo_compile;
  std::string before_dot, after_dot;
  /// State of the "after" drawing when the pipeline did not finish.
  std::string after_caption;
  int exit_code = 0;
};

struct RunRecord {
  std::string version;
  std::string command_line;
  std::string pipeline;  // canonical pipeline text
  int exit_code = 0;
  /// Diagnostics not tied to one model (I/O, usage, parse errors).
  std::vector<Diagnostic> diagnostics;
  std::vector<ModelRunRecord> models;
};

/// Converts DOT to SVG with Graphviz's `dot` (found on PATH). NotFound when
/// `dot` is missing; other errors when it fails or runs past `timeout_s`.
absl::StatusOr<std::string> RenderDotToSvg(const std::string& dot, int timeout_s = 120);

/// Renders the report (drawings through RenderDotToSvg).
std::string RenderReportHtml(const RunRecord& data);

/// Escapes text for HTML element content and attribute values.
std::string EscapeHtml(const std::string& text);

}  // namespace h8

#endif  // H8_REPORT_REPORT_H
