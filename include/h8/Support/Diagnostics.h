//===- Diagnostics.h - Errors, warnings, remarks and notes ------*- C++ -*-===//
//
// Every message the tool prints about a model goes through a
// DiagnosticEngine. The default handler writes one line per diagnostic to
// stderr in the format
//
//   <file>: <severity>: <pass>: node '<name>' (<op>): <message>
//
// (parts that are unknown are left out), followed by `note:` lines; with
// --diagnostics-format=json it writes one JSON object per line instead.
// stdout is reserved for IR.
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_DIAGNOSTICS_H
#define H8_SUPPORT_DIAGNOSTICS_H

#include <functional>
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
  std::string file;    // input file, with ":<chunk>" for split input
  std::string pass;    // pass argument, e.g. "lift-conv1d"
  std::string graph;   // graph path for nodes inside subgraphs, else empty
  std::string node;    // node name, else first output, else #index
  std::string op;      // node op_type
  std::string message;
  std::vector<std::string> notes;
};

/// Formats `d` in the text format (several lines when it has notes, no
/// trailing newline).
std::string FormatDiagnosticText(const Diagnostic& d);

/// Formats `d` as one JSON object on one line.
std::string FormatDiagnosticJson(const Diagnostic& d);

/// Collects diagnostics and hands each to the installed handler.
class DiagnosticEngine {
 public:
  using Handler = std::function<void(const Diagnostic&)>;

  /// Installs the stderr text handler.
  DiagnosticEngine();

  void SetHandler(Handler handler) { handler_ = std::move(handler); }
  /// Switches the default handler between text and JSON lines.
  void SetJson(bool json);
  /// Whether diagnostics are printed as JSON (--diagnostics-format=json).
  bool json() const { return json_; }

  void Emit(Diagnostic d);

  int num_errors() const { return num_errors_; }
  int num_warnings() const { return num_warnings_; }
  /// When true, warnings count as errors (--Werror).
  void set_warnings_as_errors(bool on) { warnings_as_errors_ = on; }

 private:
  Handler handler_;
  int num_errors_ = 0;
  int num_warnings_ = 0;
  bool warnings_as_errors_ = false;
  bool json_ = false;
};

/// Builds a diagnostic with `<<` and emits it when destroyed (MLIR's
/// InFlightDiagnostic). A null engine discards it.
class InFlightDiagnostic {
 public:
  InFlightDiagnostic(DiagnosticEngine* engine, Diagnostic d)
      : engine_(engine), d_(std::move(d)) {}
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
