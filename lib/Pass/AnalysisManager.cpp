//===- AnalysisManager.cpp - Analyses kept across passes ------------------===//
#include "h8/Pass/AnalysisManager.h"

#include "h8/IR/Fingerprint.h"

namespace h8 {
namespace {

// Returns the cached value when its fingerprint matches, else stores and
// returns what `build` makes.
template <typename T, typename Entry, typename Build>
std::shared_ptr<const T> Lookup(Entry& entry, uint64_t fingerprint,
                                AnalysisManager::Counters& counters, Build build) {
  if (entry.value != nullptr && entry.fingerprint == fingerprint) {
    ++counters.hits;
    return entry.value;
  }
  ++counters.builds;
  entry.value = nullptr;  // free the old result before building the new one
  entry.value = build();
  entry.fingerprint = fingerprint;
  return entry.value;
}

}  // namespace

std::shared_ptr<const GraphIndex> AnalysisManager::Index(const onnx::GraphProto& graph) {
  return Lookup<GraphIndex>(indexes_[&graph], GraphFingerprint(graph), counters_,
                            [&] { return std::make_shared<const GraphIndex>(graph); });
}

std::shared_ptr<const ShapeAnalysis> AnalysisManager::Shapes(const onnx::ModelProto& model) {
  // ShapeAnalysis(model) is the analysis of its main graph at its opset.
  return Shapes(model.graph(), OnnxOpsetVersion(model));
}

std::shared_ptr<const ShapeAnalysis> AnalysisManager::Shapes(const onnx::GraphProto& graph,
                                                             int64_t opset) {
  return Lookup<ShapeAnalysis>(shapes_[{&graph, opset}], GraphFingerprint(graph), counters_,
                               [&] { return std::make_shared<const ShapeAnalysis>(graph, opset); });
}

void AnalysisManager::Keep(const onnx::GraphProto& graph, int64_t opset,
                           std::shared_ptr<const ShapeAnalysis> shapes) {
  kept_.push_back({&graph, opset, std::move(shapes)});
}

void AnalysisManager::KeepShapes(const onnx::GraphProto& graph) {
  const uint64_t fingerprint = GraphFingerprint(graph);
  for (const auto& [key, entry] : shapes_)
    if (key.first == &graph && entry.value != nullptr && entry.fingerprint == fingerprint)
      kept_.push_back({&graph, key.second, entry.value});
}

void AnalysisManager::AfterPass(bool changed) {
  last_kept_.clear();
  if (changed) Clear();
  // One fingerprint per kept graph, however many opsets it was kept at.
  absl::flat_hash_map<const onnx::GraphProto*, uint64_t> fingerprints;
  for (Kept& k : kept_) {
    auto it = fingerprints.find(k.graph);
    if (it == fingerprints.end())
      it = fingerprints.emplace(k.graph, GraphFingerprint(*k.graph)).first;
    Entry<ShapeAnalysis>& entry = shapes_[{k.graph, k.opset}];
    entry.value = k.shapes;
    entry.fingerprint = it->second;
    last_kept_.push_back(std::move(k));
  }
  kept_.clear();
}

void AnalysisManager::Reset() {
  Clear();
  kept_.clear();
  last_kept_.clear();
}

void AnalysisManager::Clear() {
  indexes_.clear();
  shapes_.clear();
}

}  // namespace h8
