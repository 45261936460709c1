//===- Diagnostics.h - Errors, warnings, remarks and notes ------*- C++ -*-===//
//
// Every message the tool prints about a model goes through a
// DiagnosticEngine. The default handler writes one line per diagnostic to
// stderr in the format
//
//   <file>: <severity>: <pass>: node '<name>' (<op>): <message>
//
// (parts that are unknown are left out), followed by `note:` lines; with
// --diagnostics-format=json it writes one JSON object per line instead, and
// with --diagnostics-format=sarif it keeps every diagnostic and the driver
// writes one SARIF 2.1.0 log (FormatDiagnosticsSarif) to stderr at the end
// of the run. stdout is reserved for IR. What a pass prints besides
// diagnostics (progress lines, a JSON summary) goes through the same engine
// (Output), so the driver decides where it goes.
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_DIAGNOSTICS_H
#define H8_SUPPORT_DIAGNOSTICS_H

#include <cstdint>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace h8 {

enum class Severity { kError, kWarning, kRemark, kNote };

/// Returns "error", "warning", "remark" or "note".
const char* SeverityName(Severity severity);

/// One diagnostic. Fields that do not apply are empty.
struct Diagnostic {
  Severity severity = Severity::kError;
  std::string file;  // input file, with ":<chunk>" for split input
  std::string pass;  // pass argument, e.g. "lift-conv1d"
  std::string graph;  // graph path for nodes inside subgraphs, else empty
  std::string node;  // node name, else first output, else #index
  std::string op;  // node op_type
  std::string message;
  std::vector<std::string> notes;
  // Stable rule id for SARIF ("check-hailo8/unsupported-op"); when empty,
  // DiagnosticRuleId derives one from the pass and the message.
  std::string rule;
};

/// The closing verdict of a lint pass (check-hailo8) on one model, as data:
/// what its summary note and the recommended cut say in text. Kept in the
/// PassContext so embedders (h8::RunOpt, the Python module, the report) need
/// not read it back from the printed lines.
struct LintSummary {
  std::string pass;  // "check-hailo8"
  int errors = 0;
  int warnings = 0;
  int64_t runnable_nodes = 0;
  int64_t total_nodes = 0;
  /// The recommended cut (the DFC's --end-node-names); empty when none.
  std::vector<std::string> end_nodes;
  /// Where the Hailo-8 region ends, or why there is no cut; may be empty.
  std::string region_note;
  /// Control-flow bodies (If/Loop/Scan) judged, their nodes, and how many
  /// of those are unsupported; all 0 when the graph has none.
  int64_t subgraph_bodies = 0;
  int64_t subgraph_nodes = 0;
  int64_t subgraph_unsupported_nodes = 0;
  /// The model the verdict is about (as diagnostics name it).
  std::string file;
};

/// The lint verdict as the one-line JSON object --diagnostics-format=json
/// prints instead of the summary notes:
///   {"summary": {"errors":N,"warnings":M,"runnable_nodes":K,"total_nodes":T
///                [,"subgraph_bodies":B,"subgraph_nodes":S,
///                 "subgraph_unsupported_nodes":U]},
///    "end_node_names": [...], "file": "..." [,"region": "..."]}
/// (no trailing newline).
std::string FormatLintSummaryJson(const LintSummary& summary);

/// How the default handler prints (--diagnostics-format).
enum class DiagnosticsFormat { kText, kJson, kSarif };

/// Parses "text", "json" or "sarif".
std::optional<DiagnosticsFormat> ParseDiagnosticsFormat(const std::string& name);

/// Formats `d` in the text format (several lines when it has notes, no
/// trailing newline).
std::string FormatDiagnosticText(const Diagnostic& d);

/// Formats `d` as one JSON object on one line.
std::string FormatDiagnosticJson(const Diagnostic& d);

/// The SARIF ruleId of `d`: `d.rule` when set; else, for check-hailo8, the
/// kind of finding read from the message ("check-hailo8/unsupported-op",
/// "check-hailo8/dynamic-shape", ..., "check-hailo8/summary" for its notes);
/// else the pass name; "onnx-h8-opt" for diagnostics of the driver itself.
std::string DiagnosticRuleId(const Diagnostic& d);

/// What a SARIF log says about the run besides the diagnostics.
struct SarifRunInfo {
  std::string tool_version;
  /// The model file: the location of diagnostics that name no file, and the
  /// file whose ":<chunk>" suffixes (--split-input-file) are dropped.
  std::string artifact;
  std::string command_line;
  /// The process exit code, when known (invocations[0]).
  std::optional<int> exit_code;
};

/// Formats `diags` as one SARIF 2.1.0 log (indented JSON, no trailing
/// newline): one run; tool.driver.rules holds one rule per ruleId that
/// occurs; each result has ruleId, level (remarks and notes are "note"),
/// message.text (the message, then its notes on their own lines), the model
/// file as physical location, the node as logical location, and each
/// `fix: ...` note as a fix.
std::string FormatDiagnosticsSarif(const std::vector<Diagnostic>& diags, const SarifRunInfo& run);

/// Collects diagnostics and hands each to the installed handler.
class DiagnosticEngine {
 public:
  using Handler = std::function<void(const Diagnostic&)>;

  /// Uses the default handler (Print), in the text format.
  DiagnosticEngine() = default;

  /// Replaces the default handler; a handler can still call Print.
  void SetHandler(Handler handler) { handler_ = std::move(handler); }
  /// Goes back to the default handler, printing in `format`.
  void SetFormat(DiagnosticsFormat format);
  DiagnosticsFormat format() const { return format_; }
  /// SetFormat(kJson or kText).
  void SetJson(bool json) { SetFormat(json ? DiagnosticsFormat::kJson : DiagnosticsFormat::kText); }
  /// Whether diagnostics are printed as JSON lines (--diagnostics-format=json).
  bool json() const { return format_ == DiagnosticsFormat::kJson; }

  /// The default output of `d`: a line (or lines) on stderr in the text and
  /// JSON formats; under SARIF it is kept for the log (sarif_diagnostics).
  void Print(const Diagnostic& d);
  /// What Print kept under DiagnosticsFormat::kSarif, in emission order.
  const std::vector<Diagnostic>& sarif_diagnostics() const { return sarif_; }

  void Emit(Diagnostic d);

  /// Receives what a pass prints that is not a diagnostic (hailo-compile's
  /// progress, check-hailo8's JSON summary): the pass and whole lines.
  using OutputHandler = std::function<void(const std::string& pass, const std::string& text)>;
  /// Replaces the default output handler, which writes to stderr.
  void SetOutputHandler(OutputHandler handler) { output_handler_ = std::move(handler); }
  /// Hands `text` (whole lines, each ending in a newline) from `pass` to
  /// the output handler. Passes print only through this.
  void Output(const std::string& pass, const std::string& text);

  int num_errors() const { return num_errors_; }
  int num_warnings() const { return num_warnings_; }
  /// When true, warnings count as errors (--Werror).
  void set_warnings_as_errors(bool on) { warnings_as_errors_ = on; }

 private:
  Handler handler_;
  OutputHandler output_handler_;
  int num_errors_ = 0;
  int num_warnings_ = 0;
  bool warnings_as_errors_ = false;
  DiagnosticsFormat format_ = DiagnosticsFormat::kText;
  std::vector<Diagnostic> sarif_;
};

/// Builds a diagnostic with `<<` and emits it when destroyed (MLIR's
/// InFlightDiagnostic). A null engine discards it.
class InFlightDiagnostic {
 public:
  InFlightDiagnostic(DiagnosticEngine* engine, Diagnostic d) : engine_(engine), d_(std::move(d)) {}
  InFlightDiagnostic(InFlightDiagnostic&& other) noexcept
      : engine_(other.engine_), d_(std::move(other.d_)), os_(std::move(other.os_)) {
    other.engine_ = nullptr;
  }
  InFlightDiagnostic(const InFlightDiagnostic&) = delete;
  ~InFlightDiagnostic();

  template <typename T>
  InFlightDiagnostic& operator<<(const T& value) {
    if (engine_ != nullptr) os_ << value;
    return *this;
  }
  /// Attaches a note line.
  InFlightDiagnostic& Note(std::string note) {
    d_.notes.push_back(std::move(note));
    return *this;
  }

 private:
  DiagnosticEngine* engine_;
  Diagnostic d_;
  std::ostringstream os_;
};

}  // namespace h8

#endif  // H8_SUPPORT_DIAGNOSTICS_H
