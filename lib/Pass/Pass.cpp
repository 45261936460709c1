//===- Pass.cpp - PassContext and GraphPass -------------------------------===//
#include "h8/Pass/Pass.h"

#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "h8/IR/Fingerprint.h"
#include "h8/IR/GraphIndex.h"
#include "h8/Support/Status.h"

namespace h8 {

InFlightDiagnostic PassContext::Make(Severity severity, const onnx::NodeProto* node, int index,
                                     const std::string& graph_path, bool enabled) {
  Diagnostic d;
  d.severity = severity;
  d.file = file_;
  d.pass = current_pass_;
  d.graph = graph_path;
  if (node != nullptr) {
    d.node = NodeRef(*node, index);
    d.op = node->op_type();
  }
  return InFlightDiagnostic(enabled ? &diags_ : nullptr, std::move(d));
}

InFlightDiagnostic PassContext::Error(const onnx::NodeProto* node, int index,
                                      const std::string& graph_path) {
  return Make(Severity::kError, node, index, graph_path, true);
}
InFlightDiagnostic PassContext::Warning(const onnx::NodeProto* node, int index,
                                        const std::string& graph_path) {
  return Make(Severity::kWarning, node, index, graph_path, true);
}
InFlightDiagnostic PassContext::Remark(const onnx::NodeProto* node, int index,
                                       const std::string& graph_path) {
  return Make(Severity::kRemark, node, index, graph_path, RemarksEnabled());
}

Statistic::Statistic(Pass* owner, std::string name, std::string description)
    : name_(std::move(name)), description_(std::move(description)) {
  if (owner != nullptr) owner->statistics_.push_back(this);
}

void PassContext::Stat(const std::string& name, int64_t delta) {
  const std::string& pass = nested_pass_.empty() ? current_pass_ : nested_pass_;
  // The entries of one top-level pass run are few (the pass and the
  // passes it nests): the one for `pass` is looked up among them. A pass's
  // first count in a run adds to the last entry when that is the same
  // pass's (the same pass run again right after).
  const size_t first = stats_run_begin_ > 0 && stats_run_begin_ == stats_.size()
                           ? stats_run_begin_ - 1
                           : stats_run_begin_;
  for (size_t i = stats_.size(); i-- > first;) {
    if (stats_[i].first != pass) continue;
    stats_[i].second[name] += delta;
    return;
  }
  // A pass that counts for the first time after passes it nested did goes
  // before their entries, as its timing row goes before theirs.
  const std::string nested_prefix = absl::StrCat(pass, "/");
  size_t at = stats_.size();
  for (size_t i = stats_run_begin_; i < stats_.size(); ++i) {
    if (!absl::StartsWith(stats_[i].first, nested_prefix)) continue;
    at = i;
    break;
  }
  stats_
      .emplace(stats_.begin() + static_cast<std::ptrdiff_t>(at), pass,
               std::map<std::string, int64_t>())
      ->second[name] += delta;
}

absl::StatusOr<bool> LintPass::Run(onnx::ModelProto& model, PassContext& ctx) {
  if (absl::Status s = Check(model, ctx); !s.ok()) return s;
  return false;
}

uint64_t PassContext::ModelFingerprintAtPassStart(const onnx::ModelProto& model) const {
  return model_fingerprint_ != 0 ? model_fingerprint_ : ModelFingerprint(model);
}

absl::StatusOr<bool> PassContext::RunNestedPass(Pass& pass, onnx::ModelProto& model) {
  const std::string& parent = nested_pass_.empty() ? current_pass_ : nested_pass_;
  const std::string name = absl::StrCat(parent, "/", pass.Argument());
  const std::string outer = std::exchange(nested_pass_, name);
  // Announced before it runs, so its row comes before those of the passes
  // it nests in turn.
  if (nested_timer_) nested_timer_(name, 0);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<bool> changed = pass.Run(model, *this);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nested_pass_ = outer;
  if (changed.ok() && *changed) {
    analyses_.NoteChange();
    model_fingerprint_ = 0;
  }
  if (nested_timer_) nested_timer_(name, seconds);
  return changed;
}

namespace {

absl::StatusOr<bool> VisitGraph(onnx::GraphProto& graph, const std::string& path, int64_t opset,
                                bool is_main,
                                const std::function<absl::StatusOr<bool>(GraphRef)>& run) {
  bool changed = false;
  for (int i = 0; i < graph.node_size(); ++i) {
    auto* node = graph.mutable_node(i);
    for (auto& attr : *node->mutable_attribute()) {
      if (!attr.has_g() && attr.graphs_size() == 0) continue;
      std::string sub = absl::StrCat(path.empty() ? graph.name() : path, "/", NodeRef(*node, i),
                                     ".", attr.name());
      if (attr.has_g()) {
        H8_ASSIGN_OR_RETURN(bool c, VisitGraph(*attr.mutable_g(), sub, opset, false, run));
        changed |= c;
      }
      for (auto& g : *attr.mutable_graphs()) {
        H8_ASSIGN_OR_RETURN(bool c, VisitGraph(g, sub, opset, false, run));
        changed |= c;
      }
    }
  }
  H8_ASSIGN_OR_RETURN(bool c, run(GraphRef{&graph, path, opset, is_main}));
  return changed || c;
}

}  // namespace

absl::Status GraphPass::BeginModel(onnx::ModelProto&, PassContext&) { return absl::OkStatus(); }

absl::StatusOr<bool> GraphPass::EndModel(onnx::ModelProto&, PassContext&, bool changed) {
  return changed;
}

absl::StatusOr<bool> GraphPass::Run(onnx::ModelProto& model, PassContext& ctx) {
  H8_RETURN_IF_ERROR(BeginModel(model, ctx));
  H8_ASSIGN_OR_RETURN(bool changed, VisitGraph(*model.mutable_graph(), "", OnnxOpsetVersion(model),
                                               true, [&](GraphRef ref) -> absl::StatusOr<bool> {
                                                 H8_ASSIGN_OR_RETURN(bool c, RunOnGraph(ref, ctx));
                                                 // The enclosing graphs changed with it.
                                                 if (c) ctx.analyses().NoteChange();
                                                 return c;
                                               }));
  return EndModel(model, ctx, changed);
}

}  // namespace h8
