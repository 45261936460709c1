//===- NameUniquer.cpp - Deterministic fresh value names ------------------===//
#include "h8/IR/NameUniquer.h"

#include "absl/strings/str_cat.h"

namespace h8 {

void NameUniquer::Load() const {
  if (pending_ == nullptr) return;
  const onnx::GraphProto* graph = pending_;
  pending_ = nullptr;
  used_.reserve(used_.size() + graph->node_size() * 3 + graph->initializer_size() +
                graph->value_info_size());
  ReserveGraph(*graph);
}

void NameUniquer::ReserveGraph(const onnx::GraphProto& graph) const {
  for (const auto& v : graph.input()) used_.insert(v.name());
  for (const auto& v : graph.output()) used_.insert(v.name());
  for (const auto& v : graph.value_info()) used_.insert(v.name());
  for (const auto& t : graph.initializer()) used_.insert(t.name());
  for (const auto& node : graph.node()) {
    if (!node.name().empty()) used_.insert(node.name());
    for (const auto& o : node.output()) used_.insert(o);
    for (const auto& i : node.input()) used_.insert(i);
    for (const auto& attr : node.attribute()) {
      if (attr.has_g()) ReserveGraph(attr.g());
      for (const auto& g : attr.graphs()) ReserveGraph(g);
    }
  }
}

std::string NameUniquer::Unique(absl::string_view base) {
  Load();
  std::string name(base);
  for (int n = 1; used_.contains(name); ++n) name = absl::StrCat(base, "_", n);
  used_.insert(name);
  return name;
}

}  // namespace h8
