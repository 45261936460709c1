//===- Diagnostics.cpp - Diagnostic formatting and the engine -------------===//
#include "h8/Support/Diagnostics.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace h8 {

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kRemark:
      return "remark";
    case Severity::kNote:
      return "note";
  }
  return "error";
}

std::string FormatDiagnosticText(const Diagnostic& d) {
  std::string out;
  if (!d.file.empty()) absl::StrAppend(&out, d.file, ": ");
  absl::StrAppend(&out, SeverityName(d.severity), ": ");
  if (!d.pass.empty()) absl::StrAppend(&out, d.pass, ": ");
  if (!d.graph.empty()) absl::StrAppend(&out, "graph '", d.graph, "', ");
  if (!d.node.empty()) {
    absl::StrAppend(&out, "node '", d.node, "'");
    if (!d.op.empty()) absl::StrAppend(&out, " (", d.op, ")");
    absl::StrAppend(&out, ": ");
  }
  absl::StrAppend(&out, d.message);
  for (const std::string& note : d.notes) {
    absl::StrAppend(&out, "\n");
    if (!d.file.empty()) absl::StrAppend(&out, d.file, ": ");
    absl::StrAppend(&out, "note: ", note);
  }
  return out;
}

std::string FormatDiagnosticJson(const Diagnostic& d) {
  nlohmann::json j;
  j["file"] = d.file;
  j["severity"] = SeverityName(d.severity);
  j["pass"] = d.pass;
  j["graph"] = d.graph;
  j["node"] = d.node;
  j["op"] = d.op;
  j["message"] = d.message;
  j["notes"] = d.notes;
  // Names in models are arbitrary bytes; replace invalid UTF-8 rather than
  // failing to report.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

DiagnosticEngine::DiagnosticEngine() { SetJson(false); }

void DiagnosticEngine::SetJson(bool json) {
  json_ = json;
  if (json) {
    handler_ = [](const Diagnostic& d) {
      std::cerr << FormatDiagnosticJson(d) << "\n";
    };
  } else {
    handler_ = [](const Diagnostic& d) {
      std::cerr << FormatDiagnosticText(d) << "\n";
    };
  }
}

namespace {

// Diagnostics are one line each: messages from ONNX carry newlines
// ("\n\n==> Context: ...") and trailing blanks.
std::string OneLine(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

void DiagnosticEngine::Emit(Diagnostic d) {
  d.message = OneLine(d.message);
  for (auto& note : d.notes) note = OneLine(note);
  if (d.severity == Severity::kWarning && warnings_as_errors_) {
    d.severity = Severity::kError;
  }
  if (d.severity == Severity::kError) ++num_errors_;
  if (d.severity == Severity::kWarning) ++num_warnings_;
  if (handler_) handler_(d);
}

InFlightDiagnostic::~InFlightDiagnostic() {
  if (engine_ == nullptr) return;
  d_.message += os_.str();
  engine_->Emit(std::move(d_));
}

}  // namespace h8
