//===- AnalysisManager.cpp - Analyses kept across passes ------------------===//
#include "h8/Pass/AnalysisManager.h"

#include "absl/strings/str_cat.h"
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
  IndexEntry& entry = indexes_[&graph];
  if (entry.value != nullptr && (entry.committed || entry.fingerprint == FingerprintOf(graph))) {
    ++counters_.hits;
    return entry.value;
  }
  ++counters_.builds;
  entry.value = nullptr;  // free the old index before building the new one
  entry.value = std::make_shared<GraphIndex>(graph);
  entry.fingerprint = FingerprintOf(graph);
  return entry.value;
}

void AnalysisManager::Adopt(const onnx::GraphProto& graph, std::shared_ptr<GraphIndex> index) {
  IndexEntry& entry = indexes_[&graph];
  entry.value = std::move(index);
  entry.fingerprint = FingerprintOf(graph);
  entry.committed = false;
}

std::shared_ptr<const GraphIndex> AnalysisManager::CachedIndex(const onnx::GraphProto& graph) {
  auto it = indexes_.find(&graph);
  if (it == indexes_.end() || it->second.value == nullptr) return nullptr;
  if (!it->second.committed) {
    if (!remembering_ || checking_) return nullptr;
    auto known = fingerprints_.find(&graph);
    if (known == fingerprints_.end() || known->second != it->second.fingerprint) return nullptr;
  }
  ++counters_.hits;
  return it->second.value;
}

void AnalysisManager::Commit(GraphRewriter& rewriter, onnx::GraphProto& graph) {
  if (!rewriter.HasChanges()) {
    // Nothing queued: a cached index is already up to date with the
    // wiring (committing declares that the pass made no structural edit
    // elsewhere; its edits in place, types included, are refreshed after
    // the pass) and is kept through the pass.
    auto it = indexes_.find(&graph);
    if (it != indexes_.end() && it->second.value != nullptr) it->second.committed = true;
    return;
  }
  // A cached index is taken as it is, without a fingerprint check: edits
  // the pass made in place before committing (tensor bytes and dims,
  // attributes) change the fingerprint but not the index, and structural
  // ones outside rewriters are what committing here declares there are
  // none of.
  if (indexes_[&graph].value == nullptr) {
    ++counters_.builds;
    indexes_[&graph].value = std::make_shared<GraphIndex>(graph);
  }
  for (auto it = indexes_.begin(); it != indexes_.end();) {
    if (it->first == &graph) {
      ++it;
      continue;
    }
    // What this pass's commits of another graph touched goes with its
    // index: the whole model is verified after the pass.
    if (it->second.committed) commits_lost_ = true;
    indexes_.erase(it++);
  }
  IndexEntry& entry = indexes_[&graph];
  rewriter.Commit(entry.value.get());
  entry.committed = true;
  // The graph and the graphs enclosing it changed.
  fingerprints_.clear();
}

void AnalysisManager::BeforePass() {
  commits_lost_ = false;
  for (auto& [graph, entry] : indexes_)
    if (entry.value != nullptr) entry.value->ClearTouched();
}

const GraphIndex* AnalysisManager::LastKeptIndex(const onnx::GraphProto& graph) const {
  if (commits_lost_) return nullptr;
  for (const KeptIndex& k : last_kept_indexes_)
    if (k.graph == &graph) return k.index.get();
  return nullptr;
}

std::shared_ptr<const ShapeAnalysis> AnalysisManager::Shapes(const onnx::ModelProto& model) {
  // ShapeAnalysis(model) is the analysis of its main graph at its opset.
  return Shapes(model.graph(), OnnxOpsetVersion(model));
}

std::shared_ptr<const ShapeAnalysis> AnalysisManager::Shapes(const onnx::GraphProto& graph,
                                                             int64_t opset) {
  // Built over the graph's index (built first when there is none): the
  // passes that ask for shapes ask for the index too, and the analysis
  // walks by its value ids instead of hashing every name again.
  return Lookup<ShapeAnalysis>(shapes_[{&graph, opset}], FingerprintOf(graph), counters_, [&] {
    return std::make_shared<const ShapeAnalysis>(graph, opset, ShapeAnalysis::Options(),
                                                 Index(graph));
  });
}

void AnalysisManager::Keep(const onnx::GraphProto& graph, int64_t opset,
                           std::shared_ptr<const ShapeAnalysis> shapes) {
  kept_.push_back({&graph, opset, std::move(shapes)});
}

uint64_t AnalysisManager::FingerprintOf(const onnx::GraphProto& graph) {
  if (!remembering_) return GraphFingerprint(graph);
  auto it = fingerprints_.find(&graph);
  if (it != fingerprints_.end() && !checking_) return it->second;
  const uint64_t fingerprint = GraphFingerprint(graph);
  if (it == fingerprints_.end()) {
    fingerprints_.emplace(&graph, fingerprint);
  } else if (it->second != fingerprint) {
    if (stale_use_.empty()) stale_use_ = absl::StrCat("graph '", graph.name(), "'");
    it->second = fingerprint;
  }
  return fingerprint;
}

std::string AnalysisManager::TakeStaleUse() {
  std::string s = std::move(stale_use_);
  stale_use_.clear();
  return s;
}

void AnalysisManager::KeepShapes(const onnx::GraphProto& graph) {
  const uint64_t fingerprint = FingerprintOf(graph);
  for (const auto& [key, entry] : shapes_)
    if (key.first == &graph && entry.value != nullptr && entry.fingerprint == fingerprint)
      kept_.push_back({&graph, key.second, entry.value});
}

void AnalysisManager::AfterPass(bool changed, bool only_types) {
  last_kept_.clear();
  last_kept_indexes_.clear();
  // The indexes the pass committed through, or every index when it
  // changed only types: kept, their types refreshed (edits in place may
  // have reshaped an initializer or replaced value_info), re-keyed.
  std::vector<std::pair<const onnx::GraphProto*, std::shared_ptr<GraphIndex>>> committed;
  for (auto& [graph, entry] : indexes_)
    if ((entry.committed || (changed && only_types)) && entry.value != nullptr)
      committed.emplace_back(graph, entry.value);
  if (changed) Clear();
  for (auto& [graph, index] : committed) {
    index->RefreshTypes();
    IndexEntry& entry = indexes_[graph];
    entry.value = index;
    entry.committed = false;
    entry.fingerprint = FingerprintOf(*graph);
    last_kept_indexes_.push_back({graph, std::move(index)});
  }
  for (Kept& k : kept_) {
    Entry<ShapeAnalysis>& entry = shapes_[{k.graph, k.opset}];
    entry.value = k.shapes;
    entry.fingerprint = FingerprintOf(*k.graph);
    last_kept_.push_back(std::move(k));
  }
  kept_.clear();
}

void AnalysisManager::Reset() {
  Clear();
  fingerprints_.clear();
  stale_use_.clear();
  kept_.clear();
  last_kept_.clear();
  last_kept_indexes_.clear();
}

void AnalysisManager::Clear() {
  indexes_.clear();
  shapes_.clear();
}

}  // namespace h8
