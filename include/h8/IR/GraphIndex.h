//===- GraphIndex.h - Producer/consumer maps for one graph ------*- C++ -*-===//
//
// Built once per graph in linear time. Passes use it instead of scanning all
// nodes for the users of a value. Implicit uses by subgraphs (a value of
// this graph read inside an If/Loop/Scan body) count as uses by the node
// that owns the subgraph.
//
// Edits: GraphRewriter::Commit(&index) brings the index up to date with the
// edits it commits, in time proportional to the edits plus one pass over
// int arrays and the node list (names are hashed only for the nodes and
// values the edits touched): producers, consumer lists and slot ids are
// renumbered through the commit's node permutation, erased nodes' uses are
// dropped, renamed uses move to their new value and inserted nodes are
// added. Edits made to the graph directly, outside a rewriter (a node's
// inputs or outputs, the node list, value_info), are not seen: after those
// build a new index, or let the pass context's AnalysisManager decide.
// Type pointers and synthesized initializer types from before an update are
// invalid after it. The update gives what a fresh build gives
// (FirstDifference) on graphs that define each value once; a graph with two
// definitions of a name or two initializers of one name, which the
// verifier rejects, is rebuilt instead where it matters.
//
// The index also collects the nodes its updates touched (inserted nodes,
// nodes whose inputs were renamed or lost their producer, nodes whose
// outputs were renamed) and the initializers added, so the structural
// verifier can check only those (VerifyTouchedStructure).
//
// Layout: every name is interned once into an arena owned by the index and
// given a dense id; the per-value facts are arrays indexed by id and the
// consumer lists one flat array with offsets. A build does one hash
// insertion per distinct name and no allocation per value (the previous
// string-keyed maps allocated four times per value).
//
//===----------------------------------------------------------------------===//
#ifndef H8_IR_GRAPHINDEX_H
#define H8_IR_GRAPHINDEX_H

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "h8/Support/StringArena.h"
#include "onnx/onnx_pb.h"

namespace h8 {

class GraphIndex {
 public:
  explicit GraphIndex(const onnx::GraphProto& graph);

  const onnx::GraphProto& graph() const { return *graph_; }

  /// Index of the node producing `value`, or -1 (graph input, initializer,
  /// outer scope or undefined).
  int ProducerIndex(absl::string_view value) const;
  const onnx::NodeProto* Producer(absl::string_view value) const;

  /// Indices of the nodes reading `value`, in node order, once per node.
  absl::Span<const int> Consumers(absl::string_view value) const;

  /// Number of node uses (with multiplicity) plus graph-output uses.
  int NumUses(absl::string_view value) const;

  bool IsGraphInput(absl::string_view value) const;
  bool IsGraphOutput(absl::string_view value) const;
  /// The initializer named `value`, or nullptr.
  const onnx::TensorProto* Initializer(absl::string_view value) const;
  int InitializerIndex(absl::string_view value) const;
  /// A graph input that is not an initializer (the model's real inputs).
  bool IsRuntimeInput(absl::string_view value) const;
  /// An initializer that is not also a graph input: a constant the caller
  /// cannot override.
  bool IsConstantInitializer(absl::string_view value) const;

  /// Type recorded for `value` in graph inputs, outputs or value_info, or
  /// derived from its initializer; nullptr when unknown.
  const onnx::TypeProto* Type(absl::string_view value) const;
  /// Rank when the shape is known.
  std::optional<int> Rank(absl::string_view value) const;
  /// Static dims when every dim is known (-1 entries are not returned: the
  /// result is nullopt unless all dims are static).
  std::optional<std::vector<int64_t>> StaticShape(absl::string_view value) const;

  /// Number of nodes defining `value` (more than one is a broken graph).
  int NumDefinitions(absl::string_view value) const;

  /// Dense id of `value` in [0, num_values()), or -1 when the graph never
  /// mentions it: passes and analyses key their own per-value arrays by it.
  /// An id never changes for the life of the index object: an update,
  /// even one that ends in a rebuild, keeps ids and numbers new values
  /// after the old ones, and no name is forgotten. The *ById
  /// accessors answer for an id without hashing the name again.
  int Id(absl::string_view value) const { return Find(value); }
  int num_values() const { return static_cast<int>(values_.size()); }
  int ProducerIndexById(int id) const { return values_[id].producer; }
  bool IsGraphOutputById(int id) const { return values_[id].output >= 0; }
  bool IsGraphInputById(int id) const { return values_[id].input; }
  int InitializerIndexById(int id) const { return values_[id].initializer; }
  int NumDefinitionsById(int id) const { return values_[id].defs; }
  bool IsConstantInitializerById(int id) const {
    return values_[id].initializer >= 0 && !values_[id].input;
  }
  absl::Span<const int> ConsumersById(int id) const {
    return absl::MakeConstSpan(consumer_nodes_.data() + consumer_begin_[id],
                               consumer_begin_[id + 1] - consumer_begin_[id]);
  }
  /// Ids of node `node`'s inputs (-1 for an empty slot) and outputs, slot
  /// by slot, and of initializer `i`: what Id() gives, without hashing a
  /// name. The build records them as it interns; an update carries those
  /// of the nodes it did not touch and looks up the rest.
  /// The shape analysis walks the graph by them (ShapeAnalysis.h).
  absl::Span<const int> NodeInputIds(int node) const;
  absl::Span<const int> NodeOutputIds(int node) const;
  int InitializerId(int i) const;

  /// Names read inside `graph` (recursively) that it does not define.
  static void CollectOuterReferences(const onnx::GraphProto& graph,
                                     absl::flat_hash_set<std::string>& out);

  /// The first fact on which this index and `other` (of the same graph)
  /// disagree, as "value 'x': consumers ...", or "" when they agree. For
  /// tests and --verify-each=full, which compare an updated index with a
  /// fresh build.
  std::string FirstDifference(const GraphIndex& other) const;

  /// Nodes (current positions, sorted, once each) and initializers (by
  /// index) touched by the updates since the last ClearTouched().
  std::vector<int> TouchedNodes() const;
  const std::vector<int>& added_initializers() const { return added_initializers_; }
  /// Whether updates happened since the last ClearTouched().
  bool updated() const { return updated_; }
  void ClearTouched();

  /// Records the types a fresh build would, after edits that changed no
  /// wiring: dims pinned or lifted in place, value_info written or
  /// replaced, initializers reshaped in place. A walk over the graph's
  /// inputs, value_info and outputs (no node is read).
  void RefreshTypes();

 private:
  friend class GraphRewriter;
  // The update protocol GraphRewriter::Commit follows, in this order.
  void BeginUpdate();
  // While the graph is as before the commit: the erased nodes' definitions
  // and uses are dropped, so are erased initializers; a node's output slot
  // is renamed.
  void ForgetNodes(const std::vector<int>& erased);
  void ForgetInitializers(const std::vector<int>& erased);
  void RenameOutput(int node, absl::string_view old_name, absl::string_view new_name);
  // Before the commit changes the inputs of kept node `node`: its reads are
  // dropped now and counted afresh after the commit; it is touched.
  void ForgetReads(int node);
  // Before the commit renames uses of `from`: a body reading both `from`
  // and its new name reads one outer value fewer afterwards, so the
  // (kept) nodes owning bodies that read `from` are counted afresh.
  void PrepareRedirect(absl::string_view from);
  // After the commit renamed uses: every use of `from` is now a use of `to`.
  void RedirectUses(absl::string_view from, absl::string_view to);
  // After the commit permuted the nodes: old node i is now new_position[i]
  // (-1 when erased); `inserted` are the new positions of inserted nodes.
  void RenumberNodes(const std::vector<int>& new_position, const std::vector<int>& inserted);
  // After the commit changed the initializer list: old initializer i is now
  // new_position[i] (-1 when erased); those from `first_added` on are new.
  void RenumberInitializers(const std::vector<int>& new_position, int first_added);
  // After the commit pruned value_info and appended its new entries, from
  // `first_new_value_info` on (they record the types of their values).
  void FinishUpdate(int first_new_value_info);
  // Calls `read` for each input of `node` and, once each, for each name
  // its subgraphs read from outside (sorted).
  static void ForEachRead(const onnx::NodeProto& node,
                          absl::FunctionRef<void(absl::string_view)> read);
  // The subgraph part of ForEachRead.
  static void ForEachOuterRead(const onnx::NodeProto& node,
                               absl::FunctionRef<void(absl::string_view)> read);
  // Builds the index of `graph`, interning `names` first, in order, so a
  // rebuild keeps the ids the old index handed out.
  GraphIndex(const onnx::GraphProto& graph, absl::Span<const absl::string_view> names);
  void Build();
  // At the end of an update: slot ids of kept nodes the update did not
  // touch are carried to their new places, the others looked up.
  void UpdateSlotIds();
  // Intern() that keeps the update state sized.
  int InternForUpdate(absl::string_view name);
  // `node` no longer defines value `v`.
  void DropDefinition(int v, int node);

  /// Dense id of `name`, interning it when new.
  int Intern(absl::string_view name);
  // Points each value at the type its graph records for it (types of
  // initializers are made on request); a build and RefreshTypes share it.
  void RecordTypes();
  /// Id of `name`, or -1 when the graph never mentions it.
  int Find(absl::string_view name) const;

  struct ValueFacts {
    int producer = -1;
    int initializer = -1;
    int uses = 0;
    int defs = 0;
    // Initializers of the name (more than one is a broken graph).
    int inits = 0;
    // Index in the graph's outputs, or -1.
    int output = -1;
    bool input = false;
    // Recorded in inputs, outputs or value_info; initializer types are
    // synthesized on first request, hence mutable.
    mutable bool synthesized = false;
    mutable const onnx::TypeProto* type = nullptr;
  };

  const onnx::GraphProto* graph_;
  // The names the keys view.
  StringArena names_;
  absl::flat_hash_map<absl::string_view, int> ids_;
  std::vector<ValueFacts> values_;
  // consumers of value v: consumer_nodes_[consumer_begin_[v] .. consumer_begin_[v + 1]).
  std::vector<int> consumer_begin_;
  std::vector<int> consumer_nodes_;
  mutable std::vector<std::unique_ptr<onnx::TypeProto>> owned_types_;
  // Slot ids: node n's input ids then output ids from
  // slot_ids_[slot_begin_[n]], its outputs from slot_ids_[slot_begin_[n] +
  // node.input_size()]; then the initializers' ids from
  // slot_ids_[slot_begin_[node_size]].
  std::vector<int> slot_begin_;
  std::vector<int> slot_ids_;

  // State of an update in progress (between ForgetNodes and FinishUpdate).
  // redirect_[v]: the value v's uses moved to, or -1. lost_[v]: v's readers
  // lost what they read (its producer was erased, or it was renamed).
  std::vector<int> redirect_;
  std::vector<char> lost_;
  // Nodes erased by the commit and nodes to count afresh (old positions).
  std::vector<char> erased_;
  std::vector<int> reread_;
  // Set when the update cannot be exact (duplicate definitions): the
  // update ends with a fresh build.
  bool rebuild_ = false;
  // The update's node and initializer renumbering (old position -> new,
  // -1 when erased; an empty initializer one keeps positions) and its
  // first added initializer, for UpdateSlotIds.
  std::vector<int> node_renumber_;
  std::vector<int> init_renumber_;
  int first_added_init_ = 0;
  // What updates touched, in current positions.
  std::vector<int> touched_;
  std::vector<int> added_initializers_;
  bool updated_ = false;
};

/// The ai.onnx opset version the model imports (domain "" or "ai.onnx"),
/// or 0 when it imports none.
int64_t OnnxOpsetVersion(const onnx::ModelProto& model);

/// A human-readable reference to a node: its name, else its first output,
/// else "#<index>".
std::string NodeRef(const onnx::NodeProto& node, int index);

/// Whether `node` carries a subgraph (an If/Loop/Scan body) in an attribute.
bool HasSubgraph(const onnx::NodeProto& node);

/// Whether `node` runs in the default ONNX domain.
bool IsOnnxDomain(const onnx::NodeProto& node);

}  // namespace h8

#endif  // H8_IR_GRAPHINDEX_H
