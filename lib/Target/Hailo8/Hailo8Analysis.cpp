//===- Hailo8Analysis.cpp - What Hailo-8 can run, and where to cut --------===//
//
// Moved out of check-hailo8 so the split (split-hailo8) and the DFC hand-off
// (hailo-compile) share one judgement. check-hailo8 formats diagnostics
// from the result; nothing here emits any.
// Here: the patterns, the nodes and their control-flow bodies; the graph's
// interface and the recommended cut are Hailo8Cut.cpp.
//
//===----------------------------------------------------------------------===//
#include "h8/Target/Hailo8/Hailo8Analysis.h"

#include <algorithm>

#include "Hailo8Analyzer.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/Match.h"

namespace h8 {
namespace hailo8_analyzer {

std::string NodeName(const onnx::NodeProto& node, int index) {
  if (!node.name().empty()) return node.name();
  if (node.output_size() > 0 && !node.output(0).empty()) return node.output(0);
  return absl::StrCat("#", index);
}

bool IsDynamic(const onnx::TypeProto& type, std::string* why) {
  if (!type.has_tensor_type()) return false;
  if (!type.tensor_type().has_shape()) {
    *why = "unknown shape";
    return true;
  }
  // Every value of a pinned graph is asked about: the shape is only
  // printed for the dynamic ones.
  const auto& shape = type.tensor_type().shape();
  bool dynamic = false;
  for (const auto& d : shape.dim()) dynamic |= !d.has_dim_value();
  if (!dynamic) return false;
  std::vector<std::string> dims;
  for (const auto& d : shape.dim())
    dims.push_back(d.has_dim_value()   ? absl::StrCat(d.dim_value())
                   : d.has_dim_param() ? d.dim_param()
                                       : "?");
  *why = absl::StrCat("[", absl::StrJoin(dims, ","), "]");
  return true;
}

// Where a control-flow body sits: "If 'cond' / then_branch", nested bodies
// joined the same way.
std::string BodyPath(const std::string& parent, const onnx::NodeProto& node, int index,
                     const std::string& attr) {
  return absl::StrCat(parent, parent.empty() ? "" : " / ", node.op_type(), " '",
                      NodeName(node, index), "' / ", attr);
}

Hailo8Analysis Analyzer::Run() {
  result_.num_nodes = n_;
  flagged_.assign(n_, false);
  MatchPatterns();
  JudgeNodes();
  JudgeInterface();
  std::stable_sort(result_.node_reports.begin(), result_.node_reports.end(),
                   [](const Hailo8NodeReport& a, const Hailo8NodeReport& b) {
                     return a.SortKey() < b.SortKey();
                   });
  for (int i = 0; i < n_; ++i)
    if (flagged_[i]) result_.flagged.push_back(i);
  result_.is_flagged = flagged_;
  result_.in_tail.assign(n_, false);
  if (!result_.flagged.empty()) FindCut();
  return std::move(result_);
}

void Analyzer::MatchPatterns() {
  const int p = static_cast<int>(profile_);
  pattern_of_.assign(n_, -1);
  int instances = 0;
  for (int i = 0; i < n_; ++i) {
    const auto& node = graph_.node(i);
    if (!IsOnnxDomain(node) || pattern_of_[i] >= 0) continue;
    for (int k : hailo8::PatternRulesRootedAt(node.op_type())) {
      const hailo8::PatternRule& rule = hailo8::PatternRules()[k];
      auto m = rule.match(i, index_, shapes_);
      if (!m) continue;
      bool free = std::all_of(m->members.begin(), m->members.end(),
                              [&](int k) { return pattern_of_[k] < 0; });
      if (!free) continue;
      for (int k : m->members) pattern_of_[k] = instances;
      ++instances;
      result_.pattern_instances.push_back(rule.equivalent);
      std::vector<Finding> findings;
      std::optional<FindingLevel> over = Override(rule.equivalent);
      if (over == FindingLevel::kError) {
        findings.push_back(
            {FindingLevel::kError, absl::StrCat("denied by deny=", rule.equivalent), ""});
      } else if (!over) {
        switch (rule.support[p]) {
          case OpSupport::kSupported: break;
          case OpSupport::kUnsupported:
            findings.push_back({FindingLevel::kError, rule.message, rule.hint});
            break;
          case OpSupport::kConstrained:
            if (rule.check) rule.check(*m, shapes_, profile_, findings);
            break;
        }
      }
      std::vector<std::string> member_names;
      for (int k : m->members)
        member_names.push_back(
            absl::StrCat("'", NodeName(graph_.node(k), k), "' (", graph_.node(k).op_type(), ")"));
      for (Finding& f : findings) {
        Hailo8NodeReport r;
        r.node = m->members.back();
        r.finding = f;
        r.finding.message =
            absl::StrCat(rule.name, " pattern (", m->members.size(), " nodes): ", f.message);
        r.notes.push_back(absl::StrCat("pattern members: ", absl::StrJoin(member_names, ", ")));
        if (f.level == FindingLevel::kError)
          for (int k : m->members) flagged_[k] = true;
        result_.node_reports.push_back(std::move(r));
      }
      break;
    }
  }
}

void Analyzer::JudgeNodes() {
  const int p = static_cast<int>(profile_);
  for (int i = 0; i < n_; ++i) {
    const auto& node = graph_.node(i);
    std::vector<Finding> findings;
    if (pattern_of_[i] < 0) {
      std::optional<FindingLevel> over = Override(node.op_type());
      const hailo8::OpRule* rule =
          IsOnnxDomain(node) ? hailo8::FindOpRule(node.op_type()) : nullptr;
      if (over == FindingLevel::kError) {
        findings.push_back(
            {FindingLevel::kError, absl::StrCat("denied by deny=", node.op_type()), ""});
      } else if (over == FindingLevel::kOk) {
        // allowed regardless of the profile
      } else if (!IsOnnxDomain(node)) {
        findings.push_back({FindingLevel::kError,
                            absl::StrCat("custom-domain op '", node.domain(), "::", node.op_type(),
                                         "' is not supported"),
                            "cut it off with --end-node-names and run it on the host"});
      } else if (rule == nullptr) {
        findings.push_back({FindingLevel::kWarning,
                            absl::StrCat(node.op_type(),
                                         " is not in the Hailo-8 support table; it may "
                                         "fail to parse"),
                            "allow=" + node.op_type() + " if you know your DFC maps it"});
      } else {
        switch (rule->support[p]) {
          case OpSupport::kSupported: break;
          case OpSupport::kUnsupported:
            findings.push_back({FindingLevel::kError, rule->message, rule->hint});
            break;
          case OpSupport::kConstrained:
            if (rule->check) {
              hailo8::RuleContext rc{node, index_, shapes_, opset_, profile_};
              rule->check(rc, findings);
            }
            break;
        }
      }
    }
    // Generic: Hailo-8 tensors are at most 4-D.
    for (const auto& out : node.output()) {
      if (out.empty()) continue;
      int rank = shapes_.Rank(out).value_or(-1);
      if (rank > 4) {
        findings.push_back(
            {FindingLevel::kError,
             absl::StrCat("produces the rank-", rank, " tensor '", out,
                          "': Hailo-8 tensors are at most 4-D (UnsupportedShuffleLayerError)"),
             "keep tensors 4-D (fold the extra axis into channels)"});
        break;
      }
    }
    const bool own_error = std::any_of(findings.begin(), findings.end(), [](const Finding& f) {
      return f.level == FindingLevel::kError;
    });
    for (Finding& f : findings) {
      if (f.level == FindingLevel::kError) flagged_[i] = true;
      result_.node_reports.push_back(Report(i, std::move(f)));
    }
    JudgeBodies(i, own_error);
  }
}

Hailo8NodeReport Analyzer::Report(int node, Finding finding) {
  Hailo8NodeReport r;
  r.node = node;
  r.finding = std::move(finding);
  return r;
}

void Analyzer::JudgeBodies(int i, bool own_error) {
  const onnx::NodeProto& node = graph_.node(i);
  int inner_flagged = 0;
  std::vector<Hailo8NodeReport> inner;
  for (const auto& attr : node.attribute()) {
    std::vector<const onnx::GraphProto*> bodies;
    if (attr.has_g()) bodies.push_back(&attr.g());
    for (const auto& g : attr.graphs()) bodies.push_back(&g);
    for (const onnx::GraphProto* body : bodies) {
      Analyzer sub(*body, opset_, options_, BodyPath(path_, node, i, attr.name()));
      Hailo8Analysis r = sub.RunBody();
      ++result_.subgraph_bodies;
      result_.subgraph_bodies += r.subgraph_bodies;
      result_.subgraph_nodes += r.num_nodes + r.subgraph_nodes;
      result_.subgraph_flagged += static_cast<int>(r.flagged.size()) + r.subgraph_flagged;
      inner_flagged += static_cast<int>(r.flagged.size()) + r.subgraph_flagged;
      for (Hailo8NodeReport& rep : r.node_reports) inner.push_back(std::move(rep));
    }
  }
  if (inner_flagged == 0) return;
  flagged_[i] = true;
  if (!own_error)
    result_.node_reports.push_back(Report(
        i, {FindingLevel::kError,
            absl::StrCat("control flow (", node.op_type(), ") whose bodies hold ", inner_flagged,
                         " node", inner_flagged == 1 ? "" : "s", " Hailo-8 cannot run"),
            kBodyHint}));
  // The node's own report (the last one pushed for it) counts the inner
  // reports that follow.
  if (own_error)
    result_.node_reports.back().notes.push_back(
        absl::StrCat("its bodies hold ", inner_flagged, " node", inner_flagged == 1 ? "" : "s",
                     " Hailo-8 cannot run (reported below with their path)"));
  for (Hailo8NodeReport& rep : inner) {
    rep.owner = i;  // ends as the main-graph node
    result_.node_reports.push_back(std::move(rep));
  }
}

Hailo8Analysis Analyzer::RunBody() {
  result_.num_nodes = n_;
  flagged_.assign(n_, false);
  MatchPatterns();
  JudgeNodes();
  std::vector<Hailo8NodeReport> kept;
  for (Hailo8NodeReport& r : result_.node_reports) {
    if (r.finding.level != FindingLevel::kError) continue;
    if (r.graph.empty()) {
      r.graph = path_;
      r.proto = &graph_.node(r.node);
    }
    kept.push_back(std::move(r));
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const Hailo8NodeReport& a, const Hailo8NodeReport& b) {
                     return a.SortKey() < b.SortKey();
                   });
  result_.node_reports = std::move(kept);
  for (int i = 0; i < n_; ++i)
    if (flagged_[i]) result_.flagged.push_back(i);
  return std::move(result_);
}

}  // namespace hailo8_analyzer

using hailo8_analyzer::Analyzer;

std::vector<std::string> Hailo8NodeReads(const onnx::NodeProto& node) {
  std::vector<std::string> out;
  for (const auto& in : node.input())
    if (!in.empty()) out.push_back(in);
  for (const auto& attr : node.attribute()) {
    absl::flat_hash_set<std::string> outer;
    if (attr.has_g()) GraphIndex::CollectOuterReferences(attr.g(), outer);
    for (const auto& g : attr.graphs()) GraphIndex::CollectOuterReferences(g, outer);
    std::vector<std::string> sorted(outer.begin(), outer.end());
    std::sort(sorted.begin(), sorted.end());
    out.insert(out.end(), sorted.begin(), sorted.end());
  }
  return out;
}

Hailo8Analysis AnalyzeForHailo8(const onnx::ModelProto& model, const Hailo8AnalysisOptions& options,
                                std::shared_ptr<const GraphIndex> index,
                                std::shared_ptr<const ShapeAnalysis> shapes) {
  return Analyzer(model.graph(), OnnxOpsetVersion(model), options, "", std::move(index),
                  std::move(shapes))
      .Run();
}

}  // namespace h8
