//===- Pass.cpp - PassContext and GraphPass -------------------------------===//
#include "h8/Pass/Pass.h"

#include "absl/strings/str_cat.h"
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
  if (stats_.empty() || stats_.back().first != current_pass_)
    stats_.emplace_back(current_pass_, std::map<std::string, int64_t>());
  stats_.back().second[name] += delta;
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
