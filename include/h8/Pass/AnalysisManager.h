//===- AnalysisManager.h - Analyses kept across passes ----------*- C++ -*-===//
//
// The use-def index and the shape analysis of a graph are computed on first
// request and kept for as long as the graph does not change, so passes that
// leave the model alone (most of a pipeline, most of the time) do not pay
// for rebuilding them. Every request compares the graph's fingerprint
// (h8/IR/Fingerprint.h) with the one the cached result was built from.
// Between passes the pass manager hands over the main graph's; while it
// trusts the passes' change claims (everywhere but --verify-each=full) that
// is a stamp it draws after each reported change, so validity across
// passes is declared by the claims, as with LLVM's PreservedAnalyses. The
// pass manager also drops everything after a pass that changed the model,
// since a changed model may have moved the protos the cached results point
// into, except the shape analyses the pass declared still true (Keep,
// KeepShapes): shape facts are keyed by value name, so removing nodes does
// not disturb them. A wrong declaration is caught under --verify-each=full,
// which compares every kept analysis with a fresh one.
//
// Results are shared pointers: one a pass still holds stays valid after a
// later request rebuilt the cache entry.
//
// The index through edits: a pass that commits its GraphRewriter through
// Commit(rewriter, graph) has the cached index of `graph` brought up to
// date by the commit (GraphIndex.h) instead of dropped, and the manager
// keeps it after the pass. By committing there the pass declares that all
// its structural edits of `graph` (node inputs, outputs and order, the
// initializer list, value_info) go through such commits; the structural
// verifier then checks only the nodes the commits touched. Under
// --verify-each=full every kept index is compared with a fresh build and
// the whole model is verified.
//
// Fingerprints: computing one is a walk over the whole graph (0.23 µs
// per node), so they are remembered. Between passes the pass manager hands
// over the main graph's (or its stamp, see above); within a pass a graph's
// is computed on the first request and remembered.
// A pass that edits a graph and then asks for an analysis calls
// NoteChange() in between (GraphPass does so for the enclosing graphs when
// a subgraph changed). --verify-each=full turns on checking: every request
// recomputes, and a remembered fingerprint that no longer matches fails
// the run, naming the pass that forgot to say it changed the graph.
//
//===----------------------------------------------------------------------===//
#ifndef H8_PASS_ANALYSISMANAGER_H
#define H8_PASS_ANALYSISMANAGER_H

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/GraphRewriter.h"
#include "onnx/onnx_pb.h"

namespace h8 {

class AnalysisManager {
 public:
  /// The index of `graph`.
  std::shared_ptr<const GraphIndex> Index(const onnx::GraphProto& graph);
  /// The index of `graph` when a valid one is cached, else nullptr: nothing
  /// is built and no fingerprint computed (validity is judged by the
  /// remembered one only; under checking, never cached). For a pass whose
  /// own walk costs less than a build but more than a lookup per name.
  /// A cached index handed out counts as a hit.
  std::shared_ptr<const GraphIndex> CachedIndex(const onnx::GraphProto& graph);
  /// The shape analysis of `model` (main graph and subgraphs; no bindings).
  std::shared_ptr<const ShapeAnalysis> Shapes(const onnx::ModelProto& model);
  /// The shape analysis of one graph alone at `opset` (what
  /// ShapeAnalysis(graph, opset) computes).
  std::shared_ptr<const ShapeAnalysis> Shapes(const onnx::GraphProto& graph, int64_t opset);

  /// Caches `index`, a fresh build of `graph` as it is now, as if it had
  /// been requested (for the pass manager: the index the driver verified
  /// the input with).
  void Adopt(const onnx::GraphProto& graph, std::shared_ptr<GraphIndex> index);

  /// Declares, from inside a pass, that `shapes` describes `graph` (at
  /// `opset`) as the running pass leaves it: an analysis the pass computed
  /// for its own result (pin-shape's, with the pinned dims bound). After
  /// the pass the manager keeps it, keyed by the graph's new fingerprint,
  /// instead of dropping it with the rest.
  void Keep(const onnx::GraphProto& graph, int64_t opset,
            std::shared_ptr<const ShapeAnalysis> shapes);
  /// Declares that the shape analyses valid for `graph` now stay true
  /// through the running pass's edits: the pass only removes values or
  /// renames a value to one with the same facts (cleanup's forwarding and
  /// dead-node removal). Call it before the first edit.
  void KeepShapes(const onnx::GraphProto& graph);

  /// Commits `rewriter`'s queued edits of `graph`, updating the cached index
  /// of `graph` (built first when there is none) and keeping it through the
  /// running pass (see "The index through edits" above). Indexes of other
  /// graphs are dropped: `graph` may enclose them (a removed node takes its
  /// bodies along) or be enclosed by them (their uses of outer values
  /// change).
  void Commit(GraphRewriter& rewriter, onnx::GraphProto& graph);

  /// For the pass manager, before each pass: what the next pass commits is
  /// tracked from here.
  void BeforePass();
  /// For the pass manager, after a pass and after NoteFingerprint of the
  /// model as the pass left it: drops every result except the kept ones
  /// (all of them when the pass `changed` the model; a pass that changed
  /// nothing keeps everything), which are re-keyed to their graphs'
  /// current fingerprints. A pass that changed `only_types`
  /// (PassContext::DeclareOnlyTypesChanged) keeps every index too: the
  /// wiring they describe did not change. Kept indexes get their types
  /// refreshed (GraphIndex::RefreshTypes).
  void AfterPass(bool changed, bool only_types = false);
  /// What the last pass kept, until the next AfterPass: the verifier
  /// compares each with a fresh analysis under --verify-each=full.
  struct Kept {
    const onnx::GraphProto* graph;
    int64_t opset;
    std::shared_ptr<const ShapeAnalysis> shapes;
  };
  const std::vector<Kept>& last_kept() const { return last_kept_; }
  /// The index the last pass kept for `graph` by committing through
  /// Commit(), with the nodes its commits touched; nullptr when it did not,
  /// or when it also committed another graph whose index a later commit
  /// dropped (a body, then the main graph: what the body's commits touched
  /// is lost, so the whole model is verified). Until the next AfterPass.
  const GraphIndex* LastKeptIndex(const onnx::GraphProto& graph) const;
  struct KeptIndex {
    const onnx::GraphProto* graph;
    std::shared_ptr<const GraphIndex> index;
  };
  const std::vector<KeptIndex>& last_kept_indexes() const { return last_kept_indexes_; }

  /// A pass that changed a graph (or a subgraph of it) and then asks for an
  /// analysis must call this in between: it forgets the fingerprints
  /// remembered since the change (see "Fingerprints" above). GraphPass
  /// calls it after a graph it visited changed.
  void NoteChange() { fingerprints_.clear(); }
  /// For the pass manager: `graph`'s fingerprint as it just computed it.
  void NoteFingerprint(const onnx::GraphProto& graph, uint64_t fingerprint) {
    if (remembering_) fingerprints_[&graph] = fingerprint;
  }
  /// Checking mode (--verify-each=full): every request recomputes the
  /// fingerprint, and a remembered one that no longer matches (a pass
  /// changed the graph without NoteChange) is recorded as a stale use.
  void set_checking(bool checking) { checking_ = checking; }
  /// Fingerprints are remembered only while a pass manager runs (it
  /// brackets each pass with NoteChange/NoteFingerprint); a pass run
  /// directly, outside one, gets every fingerprint recomputed.
  void set_remembering(bool remembering) {
    remembering_ = remembering;
    fingerprints_.clear();
  }
  /// The first stale use since the last call, as "graph 'g'", or "".
  std::string TakeStaleUse();

  /// Drops every cached result.
  void Clear();
  /// Drops every cached result and every declaration not yet applied.
  void Reset();

  /// How often a request was answered from the cache or rebuilt, for tests
  /// and --pass-statistics.
  struct Counters {
    int64_t hits = 0;
    int64_t builds = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  template <typename T>
  struct Entry {
    uint64_t fingerprint = 0;
    std::shared_ptr<const T> value;
  };
  // Key: the graph, and for shapes the opset.
  struct IndexEntry {
    uint64_t fingerprint = 0;
    // Brought up to date by Commit() during the running pass: valid
    // without a fingerprint check until the pass ends.
    bool committed = false;
    std::shared_ptr<GraphIndex> value;
  };
  absl::flat_hash_map<const onnx::GraphProto*, IndexEntry> indexes_;
  absl::flat_hash_map<std::pair<const onnx::GraphProto*, int64_t>, Entry<ShapeAnalysis>> shapes_;
  /// The fingerprint of `graph`: remembered, or computed and remembered.
  uint64_t FingerprintOf(const onnx::GraphProto& graph);

  Counters counters_;
  absl::flat_hash_map<const onnx::GraphProto*, uint64_t> fingerprints_;
  bool checking_ = false;
  bool remembering_ = false;
  // A commit during the running pass dropped another graph's committed
  // index (see LastKeptIndex).
  bool commits_lost_ = false;
  std::string stale_use_;
  std::vector<Kept> kept_;
  std::vector<Kept> last_kept_;
  std::vector<KeptIndex> last_kept_indexes_;
};

}  // namespace h8

#endif  // H8_PASS_ANALYSISMANAGER_H
