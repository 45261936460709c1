//===- Report.cpp - The self-contained HTML report of a run ---------------===//
#include "h8/Report/Report.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "h8/Report/Dot.h"
#include "h8/Support/Process.h"

namespace h8 {

//===----------------------------------------------------------------------===//
// Graphviz.
//===----------------------------------------------------------------------===//

namespace {

bool ReadWholeFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

// A private temporary folder, removed with its files when destroyed.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/onnx-h8-opt-dot.XXXXXX");
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) != nullptr) path_ = buf.data();
  }
  ~TempDir() {
    if (path_.empty()) return;
    for (const char* f : {"/in.dot", "/out.svg", "/err.txt"}) ::unlink((path_ + f).c_str());
    ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

absl::StatusOr<std::string> RenderDotToSvg(const std::string& dot, int timeout_s) {
  const std::string exe = FindOnPath("dot");
  if (exe.empty())
    return absl::NotFoundError("Graphviz 'dot' is not on PATH (Debian package graphviz)");
  TempDir dir;
  if (dir.path().empty()) return absl::InternalError("cannot create a temporary folder");
  const std::string in = dir.path() + "/in.dot", out = dir.path() + "/out.svg",
                    err = dir.path() + "/err.txt";
  {
    std::ofstream f(in, std::ios::binary);
    f << dot;
    if (!f.good()) return absl::InternalError("cannot write the DOT file");
  }
  SpawnOptions spawn;
  spawn.stderr_path = err;
  spawn.file_mode = 0600;
  spawn.timeout_s = timeout_s;
  const SpawnResult run = RunProcess({exe, "-Tsvg", in, "-o", out}, spawn);
  if (!run.started) return absl::InternalError(absl::StrCat("cannot run ", exe));
  if (run.timed_out)
    return absl::DeadlineExceededError(absl::StrCat("dot did not finish within ", timeout_s, " s"));
  if (run.exit_code != 0) {
    std::string message;
    ReadWholeFile(err, message);
    return absl::InternalError(absl::StrCat("dot failed", message.empty() ? "" : ": ",
                                            absl::StripAsciiWhitespace(message)));
  }
  std::string svg;
  if (!ReadWholeFile(out, svg)) return absl::InternalError("dot wrote no SVG");
  // Inline SVG: drop the XML prolog, the DOCTYPE (it names an external DTD)
  // and the generator comments.
  size_t start = svg.find("\n<svg");
  if (start != std::string::npos) svg = svg.substr(start + 1);
  else if (!absl::StartsWith(svg, "<svg")) return absl::InternalError("dot wrote no <svg>");
  return svg;
}

//===----------------------------------------------------------------------===//
// Data extraction.
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// HTML.
//===----------------------------------------------------------------------===//

std::string EscapeHtml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

constexpr char kStyle[] = R"(
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px;
       color: #212121; background: #fff; font-size: 14px; }
h1 { font-size: 22px; margin: 0 0 8px 0; }
h2 { font-size: 18px; margin: 28px 0 8px 0; border-bottom: 2px solid #cfd8dc; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px 0; color: #37474f; }
table { border-collapse: collapse; margin: 4px 0 8px 0; }
th, td { border: 1px solid #cfd8dc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eceff1; }
td.num { text-align: right; font-variant-numeric: tabular-nums; font-family: monospace; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
pre { background: #f5f5f5; border: 1px solid #e0e0e0; padding: 8px; overflow-x: auto;
      white-space: pre-wrap; word-break: break-all; }
.status { display: inline-block; padding: 4px 10px; border-radius: 4px; font-weight: bold; }
.ok { background: #c8e6c9; color: #1b5e20; }
.fail { background: #ffcdd2; color: #b71c1c; }
.sev-error { color: #b71c1c; font-weight: bold; }
.sev-warning { color: #e65100; font-weight: bold; }
.sev-note, .sev-remark { color: #455a64; }
tr.bad td { background: #ffebee; }
.swatch { display: inline-block; width: 14px; height: 14px; border: 1px solid #757575;
          vertical-align: middle; margin: 0 4px 0 12px; border-radius: 3px; }
.drawings { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure { margin: 0; flex: 1 1 45%; min-width: 320px; border: 1px solid #e0e0e0; padding: 8px; }
figcaption { font-weight: bold; margin-bottom: 6px; }
figure svg { max-width: 100%; height: auto; }
.note { color: #546e7a; font-style: italic; }
)";

const char* ExitMeaning(int code) {
  switch (code) {
    case 0: return "success";
    case 1: return "the model has problems (a pass failed, lint errors, numeric mismatch)";
    case 2: return "usage, I/O or parse error";
    case 3: return "the Hailo toolchain is missing or failed";
  }
  return "unknown";
}

std::string Code(const std::string& s) { return absl::StrCat("<code>", EscapeHtml(s), "</code>"); }

std::string SeverityCell(Severity s) {
  return absl::StrCat("<td class=\"sev-", SeverityName(s), "\">", SeverityName(s), "</td>");
}

void DiagnosticTable(const std::vector<const Diagnostic*>& ds, std::string& out) {
  absl::StrAppend(&out,
                  "<table><tr><th>severity</th><th>pass</th><th>node</th><th>op</th>"
                  "<th>message</th></tr>\n");
  for (const Diagnostic* d : ds) {
    std::string message = EscapeHtml(d->message);
    for (const std::string& n : d->notes) absl::StrAppend(&message, "<br>note: ", EscapeHtml(n));
    std::string node = d->node;
    if (!d->graph.empty()) node = absl::StrCat(d->graph, ": ", node);
    absl::StrAppend(&out, "<tr>", SeverityCell(d->severity), "<td>", EscapeHtml(d->pass),
                    "</td><td>", Code(node), "</td><td>", EscapeHtml(d->op), "</td><td>", message,
                    "</td></tr>\n");
  }
  absl::StrAppend(&out, "</table>\n");
}

std::string Legend() {
  auto sw = [](const char* colour, const char* text) {
    return absl::StrCat("<span class=\"swatch\" style=\"background:", colour, "\"></span>", text);
  };
  return absl::StrCat("<p>", sw(kDotErrorFill, "Hailo-8 error"), sw(kDotWarningFill, "warning"),
                      sw(kDotRewrittenFill, "rewritten or new in this run"),
                      sw(kDotHostFill, "host side of the cut / removed by this run"),
                      " &nbsp; dashed: the recommended cut (DFC <code>--end-node-names</code>)"
                      "</p>\n");
}

void Drawing(const std::string& caption, const std::string& dot, std::string& out) {
  absl::StrAppend(&out, "<figure><figcaption>", EscapeHtml(caption), "</figcaption>\n");
  // Collapsing keeps repetitive graphs small; a huge graph without
  // repetition would take Graphviz minutes and make an unusable page.
  constexpr size_t kMaxDotBytes = 4 << 20;
  if (dot.size() > kMaxDotBytes) {
    absl::StrAppend(&out, "<p class=\"note\">Not drawn: the graph's DOT text is ", dot.size() >> 20,
                    " MiB even collapsed; write it with --emit=dot and "
                    "render parts of it.</p>\n</figure>\n");
    return;
  }
  auto svg = RenderDotToSvg(dot);
  if (svg.ok()) {
    absl::StrAppend(&out, *svg, "\n");
  } else {
    absl::StrAppend(
        &out, "<p class=\"note\">No drawing: ", EscapeHtml(std::string(svg.status().message())),
        ". The Graphviz source follows; render it with <code>dot -Tsvg</code>.</p>\n"
        "<pre class=\"dot\">",
        EscapeHtml(dot), "</pre>\n");
  }
  absl::StrAppend(&out, "</figure>\n");
}

// Pipeline: time and statistics per pass.
void PassTable(const ModelRunRecord& m, std::string& out) {
  absl::StrAppend(&out, "<h3>Passes</h3>\n");
  if (m.timings.empty()) {
    absl::StrAppend(&out, "<p class=\"note\">No pass ran.</p>\n");
  } else {
    double total = 0;
    for (const PassTiming& t : m.timings) total += t.nested ? 0 : t.seconds;
    // Statistics are recorded per pass run in pipeline order; a pass that
    // records none has no entry, so match them up by name in order.
    size_t next_stat = 0;
    absl::StrAppend(&out,
                    "<table><tr><th>#</th><th>pass</th><th>wall time</th><th>share</th>"
                    "<th>statistics</th></tr>\n");
    int number = 0;
    for (size_t k = 0; k < m.timings.size(); ++k) {
      const PassTiming& t = m.timings[k];
      // "(verify-each)" and the like: the pass manager's own work.
      const bool instrumentation = absl::StartsWith(t.pass, "(");
      std::string stats;
      if (instrumentation) {
        stats = "<span class=\"note\">pass manager instrumentation</span>";
      } else if (next_stat < m.stats.size() && m.stats[next_stat].first == t.pass) {
        std::vector<std::string> parts;
        for (const auto& [name, value] : m.stats[next_stat].second)
          parts.push_back(absl::StrCat(EscapeHtml(name), " = ", value));
        stats = absl::StrJoin(parts, "<br>");
        ++next_stat;
      }
      // A nested pass has no number of its own and is indented under the
      // pass that ran it.
      absl::StrAppend(&out, "<tr><td class=\"num\">",
                      instrumentation || t.nested ? std::string() : absl::StrCat(++number),
                      "</td><td>", t.nested ? "&nbsp;&nbsp;&nbsp;&nbsp;" : "", Code(t.pass),
                      "</td><td class=\"num\">", absl::StrFormat("%.1f ms", t.seconds * 1e3),
                      "</td><td class=\"num\">",
                      absl::StrFormat("%.1f%%", total > 0 ? 100 * t.seconds / total : 0.0),
                      "</td><td>", stats, "</td></tr>\n");
    }
    absl::StrAppend(&out, "<tr><th></th><th>total</th><td class=\"num\">",
                    absl::StrFormat("%.1f ms", total * 1e3),
                    "</td><td></td><td></td></tr>\n"
                    "</table>\n");
  }
}

void VerificationTables(const ModelRunRecord& m, std::string& out) {
  for (const auto& v : m.verifications) {
    absl::StrAppend(&out, "<h3>Numeric verification: ", EscapeHtml(v.what), "</h3>\n");
    if (!v.criteria.empty()) absl::StrAppend(&out, "<p>", EscapeHtml(v.criteria), "</p>\n");
    if (!v.error.empty()) {
      absl::StrAppend(&out, "<p class=\"sev-error\">", EscapeHtml(v.error), "</p>\n");
      continue;
    }
    absl::StrAppend(&out,
                    "<table><tr><th>output</th><th>shape</th><th>cos</th><th>MSE</th>"
                    "<th>max |d|</th><th>result</th></tr>\n");
    for (const VerifyRow& r : v.rows)
      absl::StrAppend(&out, "<tr", r.ok ? "" : " class=\"bad\"", "><td>", Code(r.output),
                      "</td><td>(", EscapeHtml(r.dims), ")</td><td class=\"num\">",
                      absl::StrFormat("%.6f", r.cosine), "</td><td class=\"num\">",
                      absl::StrFormat("%.1e", r.mse), "</td><td class=\"num\">",
                      absl::StrFormat("%.1e", r.max_abs_diff), "</td><td class=\"",
                      r.ok ? "ok" : "sev-error", "\">", r.ok ? "pass" : "FAIL", "</td></tr>\n");
    absl::StrAppend(&out, "</table>\n");
  }
}

// The Hailo-8 lint: check-hailo8's notes as paragraphs, its errors and
// warnings as a table with the fixes apart.
void LintSection(const std::vector<const Diagnostic*>& lint,
                 const std::vector<const Diagnostic*>& lint_notes, std::string& out) {
  if (!lint.empty() || !lint_notes.empty()) {
    absl::StrAppend(&out, "<h3>Hailo-8 lint (check-hailo8)</h3>\n");
    for (const Diagnostic* d : lint_notes) {
      absl::StrAppend(&out, "<p>", EscapeHtml(d->message));
      for (const std::string& n : d->notes) absl::StrAppend(&out, "<br>", EscapeHtml(n));
      absl::StrAppend(&out, "</p>\n");
    }
    if (!lint.empty()) {
      absl::StrAppend(&out,
                      "<table class=\"lint\"><tr><th>severity</th><th>node</th><th>op</th>"
                      "<th>message</th><th>fix</th></tr>\n");
      for (const Diagnostic* d : lint) {
        std::string fix, notes;
        for (const std::string& n : d->notes) {
          absl::string_view v = n;
          if (absl::ConsumePrefix(&v, "fix: "))
            absl::StrAppend(&fix, fix.empty() ? "" : "<br>", EscapeHtml(std::string(v)));
          else absl::StrAppend(&notes, "<br><small>", EscapeHtml(n), "</small>");
        }
        std::string node = d->node.empty() ? "(interface)" : d->node;
        absl::StrAppend(&out, "<tr>", SeverityCell(d->severity), "<td>", Code(node), "</td><td>",
                        EscapeHtml(d->op), "</td><td>", EscapeHtml(d->message), notes, "</td><td>",
                        fix, "</td></tr>\n");
      }
      absl::StrAppend(&out, "</table>\n");
    }
  }
}

void ModelSection(const ModelRunRecord& m, std::string& out) {
  absl::StrAppend(&out, "<section>\n<h2>", EscapeHtml(m.where), " &mdash; <span class=\"status ",
                  m.exit_code == 0 ? "ok" : "fail", "\">",
                  m.exit_code == 0 ? "ok" : absl::StrCat("exit ", m.exit_code), "</span></h2>\n");
  PassTable(m, out);
  VerificationTables(m, out);

  std::vector<const Diagnostic*> lint, lint_notes, others;
  for (const Diagnostic& d : m.diagnostics) {
    if (d.pass == "check-hailo8" &&
        (d.severity == Severity::kError || d.severity == Severity::kWarning))
      lint.push_back(&d);
    else if (d.pass == "check-hailo8" && d.severity == Severity::kNote) lint_notes.push_back(&d);
    else others.push_back(&d);
  }
  LintSection(lint, lint_notes, out);
  if (!m.end_nodes.empty())
    absl::StrAppend(&out, "<p>DFC hand-off: <code>hailo parser onnx ... --end-node-names ",
                    EscapeHtml(absl::StrJoin(m.end_nodes, " ")), "</code></p>\n");

  // Hailo hand-off.
  if (m.hailo_compile) {
    std::string steps = FormatHailoCompile(*m.hailo_compile);
    if (steps.empty()) steps = "No DFC step ran (see the diagnostics).\n";
    absl::StrAppend(&out, "<h3>Hailo hand-off (hailo-compile)</h3>\n<pre>", EscapeHtml(steps),
                    "</pre>\n");
  }

  if (!others.empty()) {
    absl::StrAppend(&out, "<h3>Diagnostics</h3>\n");
    DiagnosticTable(others, out);
  }

  if (!m.before_dot.empty() || !m.after_dot.empty()) {
    absl::StrAppend(&out, "<h3>Drawings</h3>\n", Legend(), "<div class=\"drawings\">\n");
    if (!m.before_dot.empty()) Drawing("Before: the input model", m.before_dot, out);
    if (!m.after_dot.empty())
      Drawing(m.after_caption.empty() ? "After: the output model" : m.after_caption, m.after_dot,
              out);
    absl::StrAppend(&out, "</div>\n");
  }
  absl::StrAppend(&out, "</section>\n");
}

}  // namespace

std::string RenderReportHtml(const RunRecord& data) {
  std::string title = "onnx-h8-opt report";
  if (!data.models.empty()) absl::StrAppend(&title, ": ", data.models.front().where);
  std::string out =
      absl::StrCat("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
                   EscapeHtml(title), "</title>\n<style>", kStyle, "</style>\n</head>\n<body>\n");
  absl::StrAppend(&out, "<h1>onnx-h8-opt report</h1>\n<p><span class=\"status ",
                  data.exit_code == 0 ? "ok" : "fail", "\">exit ", data.exit_code, ": ",
                  ExitMeaning(data.exit_code), "</span></p>\n");
  absl::StrAppend(&out, "<table>\n<tr><th>command</th><td>", Code(data.command_line),
                  "</td></tr>\n<tr><th>pipeline</th><td>",
                  data.pipeline.empty() ? "<span class=\"note\">(none)</span>"
                                        : Code(absl::StrCat("--passes='", data.pipeline, "'")),
                  "</td></tr>\n<tr><th>version</th><td>", EscapeHtml(data.version),
                  "</td></tr>\n</table>\n");
  if (!data.diagnostics.empty()) {
    absl::StrAppend(&out, "<h2>Diagnostics</h2>\n");
    std::vector<const Diagnostic*> ds;
    for (const Diagnostic& d : data.diagnostics) ds.push_back(&d);
    DiagnosticTable(ds, out);
  }
  for (const ModelRunRecord& m : data.models) ModelSection(m, out);
  absl::StrAppend(&out, "</body>\n</html>\n");
  return out;
}

}  // namespace h8
