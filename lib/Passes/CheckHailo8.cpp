//===- CheckHailo8.cpp - Report what Hailo-8's DFC will reject ------------===//
//
// A lint: judges the main graph against the Hailo-8 rule tables in
// lib/Target/Hailo8/Hailo8Rules.cpp and reports, per node, what the
// Dataflow Compiler will reject, with a fix hint. It never changes the
// model; errors make the pass fail (exit 1), and the pipeline stops there
// unless a later pass consumes the findings (split-hailo8, hailo-compile).
//
//   $ onnx-h8-opt model.onnx --check-hailo8
//   model.onnx: error: check-hailo8: node '/Softmax_1' (Softmax): Softmax is
//       not supported on the users' Hailo-8 toolchain
//   model.onnx: note: fix: cut it off with --end-node-names ...
//   model.onnx: note: check-hailo8: 1 errors, 0 warnings; Hailo-8 can run 5 of 6 nodes
//   model.onnx: note: check-hailo8: recommended cut: --end-node-names /fc/Gemm
//
// Order of work:
//  1. multi-node patterns (decomposed LayerNorm/Softmax/LogSoftmax, GroupNorm, Gelu)
//     are matched first; one diagnostic per instance, anchored at its last
//     node, with a note listing the members, which are then not judged
//     individually;
//  2. every other node is judged by its op rule (allow=/deny= override the
//     profile), plus a generic rank <= 4 check on its outputs;
//  3. the interface: dynamic dims (inputs, outputs, value_info), batch > 1,
//     non-float inputs;
//  4. the summary, and the end-node recommendation: everything downstream
//     of an unsupported node runs on the host (supported nodes there are
//     counted as moved); when an unsupported node reads a graph input
//     directly there is no Hailo-8 prefix and a note says so instead.
// With --diagnostics-format=json steps 4's text is replaced by one JSON
// object on its own line (FormatLintSummaryJson), handed to the diagnostics
// engine's output like every line a pass prints:
//   {"summary": {"errors":N,"warnings":M,"runnable_nodes":K,"total_nodes":T
//                [,"subgraph_bodies":B,"subgraph_nodes":S,
//                 "subgraph_unsupported_nodes":U]},
//    "end_node_names": [...], "file": "..."}
// (the subgraph counts when the graph has If/Loop/Scan bodies).
//
// The judgement itself (steps 1-4 without the text) is AnalyzeForHailo8
// (h8/Target/Hailo8/Hailo8Analysis.h), shared with split-hailo8 and
// hailo-compile; this pass only formats it.
//
// Shapes come from value_info, inputs, outputs and initializers propagated
// through common ops (hailo8::ShapeFacts); where a rank stays unknown the
// check says so instead of guessing. Nodes inside If/Loop/Scan bodies are
// judged by the same rules (errors only: the outer-scope values a body reads
// have no shapes there) and reported with their path,
//   error: check-hailo8: graph 'If 'cond' / then_branch', node 'lstm1' (LSTM): ...
// (JSON: "graph"; SARIF: the logical location's fullyQualifiedName); the
// summary counts them, and the Loop/If/Scan holding them is unsupported.
//
//===----------------------------------------------------------------------===//
#include "h8/Passes/CheckHailo8.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/Passes/Passes.h"
#include "h8/Support/Status.h"
#include "h8/Target/Hailo8/Hailo8Analysis.h"
#include "h8/Target/Hailo8/Hailo8Rules.h"

namespace h8 {
namespace {

using hailo8::FindingLevel;

class CheckHailo8Pass : public LintPass {
 public:
  explicit CheckHailo8Pass(const CheckHailo8Options& options)
      : options_{options.profile, options.allow, options.deny} {
    // One statistic per pattern the table knows, named after the op it
    // computes ("patterns-Softmax"): declared from the table, so a pattern
    // added there is counted without touching this pass.
    for (const hailo8::PatternRule& rule : hailo8::PatternRules()) {
      auto& stat = pattern_stats_[rule.equivalent];
      if (stat != nullptr) continue;
      pattern_owned_.push_back(
          std::make_unique<Statistic>(this, absl::StrCat("patterns-", rule.equivalent),
                                      absl::StrCat("Instances of the ", rule.name, " pattern")));
      stat = pattern_owned_.back().get();
    }
  }
  absl::string_view Argument() const override { return "check-hailo8"; }
  absl::Status Check(const onnx::ModelProto& model, PassContext& ctx) override;

 private:
  Hailo8AnalysisOptions options_;
  Statistic errors_{this, "errors", "Findings Hailo-8 would reject"};
  Statistic warnings_{this, "warnings", "Findings that need attention"};
  Statistic runnable_nodes_{this, "runnable-nodes", "Main-graph nodes Hailo-8 can run"};
  Statistic supported_nodes_moved_{
      this, "supported-nodes-moved",
      "Supported nodes the recommended cut leaves to the host (after the first unsupported one)"};
  std::vector<std::unique_ptr<Statistic>> pattern_owned_;
  absl::flat_hash_map<std::string, const Statistic*> pattern_stats_;
};

absl::Status CheckHailo8Pass::Check(const onnx::ModelProto& model, PassContext& ctx) {
  const onnx::GraphProto& graph = model.graph();
  const int errors_before = ctx.diags().num_errors();
  const int warnings_before = ctx.diags().num_warnings();
  const Hailo8Analysis analysis =
      AnalyzeForHailo8(model, options_, ctx.analyses().Index(graph), ctx.analyses().Shapes(model));
  const int n = analysis.num_nodes;

  for (const std::string& op : analysis.pattern_instances)
    if (auto it = pattern_stats_.find(op); it != pattern_stats_.end()) it->second->Add(ctx);

  // The interface first, then the node reports in node order.
  for (const Hailo8InterfaceReport& r : analysis.interface_reports) {
    auto d = r.level == FindingLevel::kError ? ctx.Error() : ctx.Warning();
    d << r.message;
    for (const auto& note : r.notes) d.Note(note);
  }
  for (const Hailo8NodeReport& r : analysis.node_reports) {
    const auto* node = r.proto != nullptr ? r.proto : &graph.node(r.node);
    auto d = r.finding.level == FindingLevel::kError ? ctx.Error(node, r.node, r.graph)
                                                     : ctx.Warning(node, r.node, r.graph);
    d << r.finding.message;
    for (const auto& note : r.notes) d.Note(note);
    if (!r.finding.hint.empty()) d.Note(absl::StrCat("fix: ", r.finding.hint));
  }

  const int num_flagged = static_cast<int>(analysis.flagged.size());
  const std::vector<std::string> end_nodes =
      analysis.cut ? analysis.cut->end_nodes : std::vector<std::string>{};
  const std::string& region_note = analysis.region_note;
  const int errors = ctx.diags().num_errors() - errors_before;
  const int warnings = ctx.diags().num_warnings() - warnings_before;
  errors_.Add(ctx, errors);
  warnings_.Add(ctx, warnings);
  runnable_nodes_.Add(ctx, n - num_flagged);
  if (analysis.cut) supported_nodes_moved_.Add(ctx, analysis.cut->supported_moved);
  auto note = [&](std::string message, std::string extra = "") {
    Diagnostic d;
    d.severity = Severity::kNote;
    d.file = ctx.file();
    d.pass = ctx.current_pass();
    d.message = std::move(message);
    if (!extra.empty()) d.notes.push_back(std::move(extra));
    ctx.diags().Emit(std::move(d));
  };
  LintSummary summary;
  summary.pass = ctx.current_pass();
  summary.errors = errors;
  summary.warnings = warnings;
  summary.runnable_nodes = n - num_flagged;
  summary.total_nodes = n;
  summary.end_nodes = end_nodes;
  summary.region_note = region_note;
  summary.subgraph_bodies = analysis.subgraph_bodies;
  summary.subgraph_nodes = analysis.subgraph_nodes;
  summary.subgraph_unsupported_nodes = analysis.subgraph_flagged;
  summary.file = ctx.file();
  if (ctx.diags().json())
    ctx.diags().Output(ctx.current_pass(), FormatLintSummaryJson(summary) + "\n");
  Hailo8Findings& findings = ctx.artifacts().GetOrCreate<Hailo8Findings>();
  findings.verdicts.push_back(summary);
  findings.last_judged_fingerprint = ctx.ModelFingerprintAtPassStart(model);
  if (!ctx.diags().json()) {
    std::string bodies;
    if (analysis.subgraph_bodies > 0)
      bodies =
          absl::StrCat("; inside ", analysis.subgraph_bodies, " control-flow bod",
                       analysis.subgraph_bodies == 1 ? "y" : "ies", ": ", analysis.subgraph_flagged,
                       " of ", analysis.subgraph_nodes, " nodes unsupported");
    note(absl::StrCat(errors, " errors, ", warnings, " warnings; Hailo-8 can run ", n - num_flagged,
                      " of ", n, " nodes", bodies));
    if (!end_nodes.empty())
      note(absl::StrCat("recommended cut: --end-node-names ", absl::StrJoin(end_nodes, " ")),
           region_note);
    else if (!region_note.empty()) note(region_note);
  }
  // The verdict is the pass's status: with errors the pipeline stops here
  // unless a later pass consumes the findings (the errors are printed
  // once, above).
  if (errors > 0) return LintFindingsStatus(absl::StrCat("check-hailo8: ", errors, " errors"));
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<Pass> CreateCheckHailo8Pass(const CheckHailo8Options& options) {
  return std::make_unique<CheckHailo8Pass>(options);
}

}  // namespace h8
