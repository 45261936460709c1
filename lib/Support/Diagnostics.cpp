//===- Diagnostics.cpp - Diagnostic formatting and the engine -------------===//
#include "h8/Support/Diagnostics.h"

#include <iostream>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"

namespace h8 {

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kRemark: return "remark";
    case Severity::kNote: return "note";
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

std::optional<DiagnosticsFormat> ParseDiagnosticsFormat(const std::string& name) {
  if (name == "text") return DiagnosticsFormat::kText;
  if (name == "json") return DiagnosticsFormat::kJson;
  if (name == "sarif") return DiagnosticsFormat::kSarif;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// SARIF
//===----------------------------------------------------------------------===//

namespace {

constexpr const char* kToolName = "onnx-h8-opt";
constexpr const char* kCheckHailo8 = "check-hailo8";

// check-hailo8's findings carry no rule id of their own (yet); the kind is
// read from the fixed parts of the messages in lib/Target/Hailo8. A message
// that matches none keeps a rule: "check-hailo8/op-constraint" at a node,
// "check-hailo8" elsewhere.
std::string CheckHailo8Kind(const Diagnostic& d) {
  const std::string& m = d.message;
  auto has = [&](absl::string_view part) { return absl::StrContains(m, part); };
  if (d.severity == Severity::kNote || d.severity == Severity::kRemark) return "summary";
  if (has("denied by deny=")) return "denied-op";
  if (has("dynamic dims") || has("due to dynamic shapes")) return "dynamic-shape";
  if (d.node.empty()) {
    if (has("' is of type ")) return "input-type";
    if (has("' has batch ")) return "batch-size";
    return "";
  }
  if (has(" nodes): ")) return "unsupported-pattern";
  if (absl::StartsWith(m, "custom-domain op")) return "custom-domain-op";
  if (has("is not in the Hailo-8 support table")) return "unknown-op";
  if (absl::StartsWith(m, "produces the rank-")) return "rank-over-4";
  if (absl::StartsWith(m, "cannot check:")) return "unknown-shape";
  if (has("not supported") || has("not available") || has("not native") || has("does not map") ||
      has("UnsupportedOperationError") || has("is unsupported") ||
      absl::StartsWith(m, "standalone "))
    return "unsupported-op";
  return "op-constraint";
}

// shortDescription of the rules known by id; other ids are pass names.
const std::map<std::string, std::string>& KnownRules() {
  static const auto* rules = new std::map<std::string, std::string>{
      {"check-hailo8", "Hailo-8 check finding"},
      {"check-hailo8/unsupported-op", "Operator the Hailo-8 Dataflow Compiler rejects"},
      {"check-hailo8/unsupported-pattern",
       "Multi-node pattern (decomposed LayerNormalization, Softmax, GroupNorm, ...) Hailo-8 "
       "does not map"},
      {"check-hailo8/op-constraint",
       "Operator outside the Hailo-8 constraints (rank, axes, attributes, mode)"},
      {"check-hailo8/unknown-op", "Operator not in the Hailo-8 support table"},
      {"check-hailo8/custom-domain-op", "Operator of a custom domain"},
      {"check-hailo8/denied-op", "Operator denied by the deny= option of check-hailo8"},
      {"check-hailo8/rank-over-4", "Tensor of rank above 4"},
      {"check-hailo8/unknown-shape", "Shape unknown, so a Hailo-8 constraint is not checked"},
      {"check-hailo8/dynamic-shape", "Dynamic shapes, which the Hailo-8 parser rejects"},
      {"check-hailo8/input-type", "Graph input that is not float32"},
      {"check-hailo8/batch-size", "Graph input with a batch above 1"},
      {"check-hailo8/summary", "Summary of the Hailo-8 check and the recommended cut"},
      {kToolName, "Diagnostics of onnx-h8-opt itself (input, output, verification)"},
  };
  return *rules;
}

std::string RuleDescription(const std::string& id) {
  auto it = KnownRules().find(id);
  if (it != KnownRules().end()) return it->second;
  return absl::StrCat("Diagnostics of the ", id, " pass");
}

// SARIF has no remark level.
const char* SarifLevel(Severity severity) {
  return severity == Severity::kRemark ? "note" : SeverityName(severity);
}

// A path as a URI reference: relative paths stay relative (code scanning
// resolves them against the checkout), absolute ones become file:// URIs;
// everything but unreserved characters and '/' is percent-encoded (so a ':'
// is never read as a scheme). Runs of '/' name the same file as one '/'
// and are written as one: "dir//m.onnx" is "dir/m.onnx", "//m.onnx" is
// "file:///m.onnx" (a URI path starting "//" would be read as a host).
std::string PathUri(const std::string& path) {
  std::string out = !path.empty() && path[0] == '/' ? "file://" : "";
  for (size_t i = 0; i < path.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(path[i]);
    if (c == '/' && i > 0 && path[i - 1] == '/') continue;
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      static const char* const kHex = "0123456789ABCDEF";
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

// The file of `d` (without a --split-input-file chunk suffix), and the chunk.
std::string DiagnosticArtifact(const Diagnostic& d, const SarifRunInfo& run, std::string* chunk) {
  std::string file = d.file;
  if (file.empty() || file == kToolName) file = run.artifact;
  if (!run.artifact.empty() && absl::StartsWith(file, run.artifact + ":")) {
    *chunk = file.substr(run.artifact.size() + 1);
    file = run.artifact;
  }
  // Standard input has no path to point at.
  if (file == "-" || file == "<stdin>") return "";
  return file;
}

nlohmann::ordered_json SarifResult(const Diagnostic& d, const std::string& rule_id, int rule_index,
                                   const SarifRunInfo& run) {
  nlohmann::ordered_json r;
  r["ruleId"] = rule_id;
  r["ruleIndex"] = rule_index;
  r["level"] = SarifLevel(d.severity);
  std::string text = d.message;
  for (const std::string& note : d.notes) absl::StrAppend(&text, "\n", note);
  r["message"] = {{"text", text}};

  nlohmann::ordered_json location = nlohmann::ordered_json::object();
  std::string chunk;
  const std::string file = DiagnosticArtifact(d, run, &chunk);
  if (!file.empty())
    location["physicalLocation"] = {{"artifactLocation", {{"uri", PathUri(file)}}}};
  if (!d.node.empty()) {
    nlohmann::ordered_json logical = {{"name", d.node}, {"kind", "function"}};
    // Inside a subgraph: the body's path, then the node written as the
    // path writes its owners ("If '/If' / then_branch / LSTM '/LSTM'"),
    // quoted because ONNX names (PyTorch's "/m/conv") hold slashes.
    if (!d.graph.empty())
      logical["fullyQualifiedName"] =
          absl::StrCat(d.graph, " / ", d.op, d.op.empty() ? "'" : " '", d.node, "'");
    location["logicalLocations"] = nlohmann::ordered_json::array({logical});
  }
  if (!location.empty()) r["locations"] = nlohmann::ordered_json::array({location});

  // SARIF requires artifactChanges in a fix; the hints are advice, not
  // edits, so the change is an empty insertion at the start of the model.
  nlohmann::ordered_json fixes = nlohmann::ordered_json::array();
  for (const std::string& note : d.notes) {
    absl::string_view hint = note;
    if (!absl::ConsumePrefix(&hint, "fix: ") || file.empty()) continue;
    nlohmann::ordered_json replacement;
    replacement["deletedRegion"] = {{"byteOffset", 0}, {"byteLength", 0}};
    nlohmann::ordered_json change;
    change["artifactLocation"] = {{"uri", PathUri(file)}};
    change["replacements"] = nlohmann::ordered_json::array({replacement});
    nlohmann::ordered_json fix;
    fix["description"] = {{"text", std::string(hint)}};
    fix["artifactChanges"] = nlohmann::ordered_json::array({change});
    fixes.push_back(std::move(fix));
  }
  if (!fixes.empty()) r["fixes"] = std::move(fixes);

  nlohmann::ordered_json properties = nlohmann::ordered_json::object();
  if (!d.pass.empty()) properties["pass"] = d.pass;
  if (!d.op.empty()) properties["op"] = d.op;
  if (!d.graph.empty()) properties["graph"] = d.graph;
  if (!chunk.empty()) properties["chunk"] = chunk;
  if (!properties.empty()) r["properties"] = std::move(properties);
  return r;
}

}  // namespace

std::string DiagnosticRuleId(const Diagnostic& d) {
  if (!d.rule.empty()) return d.rule;
  if (d.pass.empty()) return kToolName;
  if (d.pass != kCheckHailo8) return d.pass;
  const std::string kind = CheckHailo8Kind(d);
  return kind.empty() ? d.pass : absl::StrCat(d.pass, "/", kind);
}

std::string FormatDiagnosticsSarif(const std::vector<Diagnostic>& diags, const SarifRunInfo& run) {
  nlohmann::ordered_json rules = nlohmann::ordered_json::array();
  std::map<std::string, int> rule_index;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const Diagnostic& d : diags) {
    const std::string id = DiagnosticRuleId(d);
    auto [it, added] = rule_index.emplace(id, static_cast<int>(rules.size()));
    if (added) rules.push_back({{"id", id}, {"shortDescription", {{"text", RuleDescription(id)}}}});
    results.push_back(SarifResult(d, id, it->second, run));
  }

  nlohmann::ordered_json driver;
  driver["name"] = kToolName;
  if (!run.tool_version.empty()) driver["version"] = run.tool_version;
  driver["rules"] = std::move(rules);

  nlohmann::ordered_json sarif_run;
  sarif_run["tool"] = {{"driver", std::move(driver)}};
  if (run.exit_code) {
    // Exit 1 means the model has problems: the tool itself worked.
    nlohmann::ordered_json invocation;
    if (!run.command_line.empty()) invocation["commandLine"] = run.command_line;
    invocation["exitCode"] = *run.exit_code;
    invocation["executionSuccessful"] = *run.exit_code == 0 || *run.exit_code == 1;
    sarif_run["invocations"] = nlohmann::ordered_json::array({std::move(invocation)});
  }
  sarif_run["results"] = std::move(results);

  nlohmann::ordered_json log;
  log["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  log["version"] = "2.1.0";
  log["runs"] = nlohmann::ordered_json::array({std::move(sarif_run)});
  return log.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

//===----------------------------------------------------------------------===//
// The engine
//===----------------------------------------------------------------------===//

void DiagnosticEngine::SetFormat(DiagnosticsFormat format) {
  format_ = format;
  handler_ = nullptr;
}

void DiagnosticEngine::Output(const std::string& pass, const std::string& text) {
  if (output_handler_) {
    output_handler_(pass, text);
    return;
  }
  std::cerr << text;
  std::cerr.flush();
}

std::string FormatLintSummaryJson(const LintSummary& summary) {
  nlohmann::ordered_json j;
  j["summary"] = {{"errors", summary.errors},
                  {"warnings", summary.warnings},
                  {"runnable_nodes", summary.runnable_nodes},
                  {"total_nodes", summary.total_nodes}};
  if (summary.subgraph_bodies > 0) {
    j["summary"]["subgraph_bodies"] = summary.subgraph_bodies;
    j["summary"]["subgraph_nodes"] = summary.subgraph_nodes;
    j["summary"]["subgraph_unsupported_nodes"] = summary.subgraph_unsupported_nodes;
  }
  j["end_node_names"] = summary.end_nodes;
  j["file"] = summary.file;
  if (!summary.region_note.empty()) j["region"] = summary.region_note;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void DiagnosticEngine::Print(const Diagnostic& d) {
  switch (format_) {
    case DiagnosticsFormat::kText: std::cerr << FormatDiagnosticText(d) << "\n"; break;
    case DiagnosticsFormat::kJson: std::cerr << FormatDiagnosticJson(d) << "\n"; break;
    case DiagnosticsFormat::kSarif: sarif_.push_back(d); break;
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
  else Print(d);
}

InFlightDiagnostic::~InFlightDiagnostic() {
  if (engine_ == nullptr) return;
  d_.message += os_.str();
  engine_->Emit(std::move(d_));
}

}  // namespace h8
