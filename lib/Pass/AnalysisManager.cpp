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

void AnalysisManager::Clear() {
  indexes_.clear();
  shapes_.clear();
}

}  // namespace h8
