//===- DotAnnotate.cpp - What a run marks on a drawing --------------------===//
//
// The marks of DotAnnotations, indexed by node key (graph path + NodeRef):
// error and warning diagnostics (red, orange; graph inputs and outputs
// named by interface findings too), nodes rewritten or created by the run
// (green: their signature -- domain, op, inputs, attributes -- differs from
// the input model's node with the same key), nodes the run removed and the
// host side of the recommended cut (grey).
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <set>

#include "DotInternal.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "h8/IR/GraphIndex.h"

namespace h8 {
namespace dot {
namespace {

// What identifies a node's computation: compared across the run.
std::string Signature(const onnx::NodeProto& node) {
  std::string sig =
      absl::StrCat(node.domain(), "::", node.op_type(), "(", absl::StrJoin(node.input(), ","), ")");
  for (const auto& attr : node.attribute()) absl::StrAppend(&sig, "|", attr.SerializeAsString());
  return sig;
}

// Node key (graph path + NodeRef) -> signature, every graph of a model.
void CollectSignatures(const onnx::GraphProto& g, const std::string& path,
                       std::map<std::string, std::string>& out) {
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& node = g.node(i);
    out.emplace(NodeKey(path, NodeRef(node, i)), Signature(node));
    for (const auto& attr : node.attribute()) {
      std::string sub = SubgraphPath(g, path, node, i, attr.name());
      if (attr.has_g()) CollectSignatures(attr.g(), sub, out);
      for (const auto& sg : attr.graphs()) CollectSignatures(sg, sub, out);
    }
  }
}

}  // namespace

std::string NodeKey(const std::string& path, const std::string& ref) {
  return absl::StrCat(path, "\x1f", ref);
}

std::string SubgraphPath(const onnx::GraphProto& g, const std::string& path,
                         const onnx::NodeProto& node, int index, const std::string& attr) {
  return absl::StrCat(path.empty() ? g.name() : path, "/", NodeRef(node, index), ".", attr);
}

std::string MarkAttrs(Mark m, bool rewritten) {
  std::string s;
  switch (m) {
    case Mark::kError:
      s = absl::StrCat("fillcolor=\"", kDotErrorFill, "\", color=\"#c62828\"");
      break;
    case Mark::kWarning:
      s = absl::StrCat("fillcolor=\"", kDotWarningFill, "\", color=\"#e65100\"");
      break;
    case Mark::kRewritten:
      s = absl::StrCat("fillcolor=\"", kDotRewrittenFill, "\", color=\"#2e7d32\"");
      break;
    case Mark::kHost:
      s = absl::StrCat("fillcolor=\"", kDotHostFill,
                       "\", color=\"#9e9e9e\", fontcolor=\"#616161\"");
      break;
    case Mark::kNone: break;
  }
  if (rewritten && (m == Mark::kError || m == Mark::kWarning))
    s = absl::StrCat(s.substr(0, s.find(", color=")), ", color=\"#2e7d32\", penwidth=2.5");
  return s;
}

Marks::Marks(const DotAnnotations& a) : a_(a) {
  for (const Diagnostic& d : a.diagnostics) {
    if (d.node.empty() && d.graph.empty() &&
        (d.severity == Severity::kError || d.severity == Severity::kWarning)) {
      AddInterfaceFinding(d);
      continue;
    }
    if (d.node.empty()) continue;
    if (d.severity != Severity::kError && d.severity != Severity::kWarning) continue;
    std::string key = NodeKey(d.graph, d.node);
    Mark m = d.severity == Severity::kError ? Mark::kError : Mark::kWarning;
    auto [it, inserted] = severity_.emplace(key, m);
    if (!inserted && m > it->second) it->second = m;
    std::string& tip = tooltips_[key];
    if (!tip.empty()) tip += "\n";
    absl::StrAppend(&tip, SeverityName(d.severity), ": ", d.message);
  }
  if (a.before != nullptr) CollectSignatures(a.before->graph(), "", before_);
  if (a.after != nullptr) CollectSignatures(a.after->graph(), "", after_);
}

// Interface findings ("graph input 'x' has dynamic dims ...").
void Marks::AddInterfaceFinding(const Diagnostic& d) {
  for (absl::string_view prefix : {"graph input '", "graph output '"}) {
    absl::string_view m = d.message;
    if (!absl::ConsumePrefix(&m, prefix)) continue;
    size_t end = m.find('\'');
    if (end == absl::string_view::npos) continue;
    Mark mark = d.severity == Severity::kError ? Mark::kError : Mark::kWarning;
    Mark& slot = interface_[std::string(m.substr(0, end))];
    slot = std::max(slot, mark);
    std::string& tip = interface_tips_[std::string(m.substr(0, end))];
    absl::StrAppend(&tip, "\n", SeverityName(d.severity), ": ", d.message);
  }
}

std::vector<bool> Marks::HostSide(const onnx::GraphProto& g) const {
  const int n = g.node_size();
  std::vector<bool> host(n, false);
  if (a_.end_nodes.empty()) return host;
  std::set<std::string> ends(a_.end_nodes.begin(), a_.end_nodes.end());
  std::map<std::string, int> producer;
  for (int i = 0; i < n; ++i)
    for (const auto& o : g.node(i).output())
      if (!o.empty()) producer.emplace(o, i);
  std::vector<bool> device(n, false);
  std::vector<int> stack;
  for (int i = 0; i < n; ++i)
    if (ends.count(NodeRef(g.node(i), i)) > 0) {
      device[i] = true;
      stack.push_back(i);
    }
  if (stack.empty()) return host;
  while (!stack.empty()) {
    int u = stack.back();
    stack.pop_back();
    for (const auto& in : g.node(u).input()) {
      auto it = producer.find(in);
      if (it != producer.end() && !device[it->second]) {
        device[it->second] = true;
        stack.push_back(it->second);
      }
    }
  }
  for (int i = 0; i < n; ++i) host[i] = !device[i];
  return host;
}

Mark Marks::NodeMark(const std::string& path, const onnx::NodeProto& node, int i, bool host,
                     bool* rewritten) const {
  std::string key = NodeKey(path, NodeRef(node, i));
  *rewritten = false;
  if (a_.before != nullptr) {
    auto it = before_.find(key);
    *rewritten = it == before_.end() || it->second != Signature(node);
  }
  bool removed = a_.after != nullptr && after_.count(key) == 0;
  auto sev = severity_.find(key);
  if (sev != severity_.end()) return sev->second;
  if (*rewritten) return Mark::kRewritten;
  if (host || removed) return Mark::kHost;
  return Mark::kNone;
}

std::string Marks::NodeTooltip(const std::string& path, const std::string& ref, Mark mark,
                               bool rewritten) const {
  std::string tooltip = ref;
  auto tip = tooltips_.find(NodeKey(path, ref));
  if (tip != tooltips_.end()) absl::StrAppend(&tooltip, "\n", tip->second);
  else if (rewritten && mark == Mark::kRewritten)
    absl::StrAppend(
        &tooltip, "\n",
        before_.count(NodeKey(path, ref)) ? "rewritten by this run" : "new in this run");
  return tooltip;
}

std::string Marks::InterfaceAttrs(const std::string& path, const char* what,
                                  const std::string& name, const char* fill,
                                  const char* colour) const {
  std::string tip = absl::StrCat(what, name);
  std::string attrs = absl::StrCat(", fillcolor=\"", fill, "\", color=\"", colour, "\"");
  if (path.empty()) {
    auto it = interface_.find(name);
    if (it != interface_.end()) {
      attrs = absl::StrCat(", ", MarkAttrs(it->second, false));
      absl::StrAppend(&tip, interface_tips_.at(name));
    }
  }
  return absl::StrCat(", tooltip=", Quote(tip), attrs);
}

}  // namespace dot
}  // namespace h8
