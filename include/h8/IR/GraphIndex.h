//===- GraphIndex.h - Producer/consumer maps for one graph ------*- C++ -*-===//
//
// Built once per graph in linear time. Passes use it instead of scanning all
// nodes for the users of a value. Implicit uses by subgraphs (a value of
// this graph read inside an If/Loop/Scan body) count as uses by the node
// that owns the subgraph. The index does not follow edits; rebuild it after
// GraphRewriter::Commit(), or ask the pass context's AnalysisCache, which
// rebuilds it only when the graph's fingerprint changed.
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

  /// Type recorded for `value` in graph inputs, outputs or value_info, or
  /// derived from its initializer; nullptr when unknown.
  const onnx::TypeProto* Type(absl::string_view value) const;
  /// Rank when the shape is known.
  std::optional<int> Rank(absl::string_view value) const;
  /// Static dims when every dim is known (-1 entries are not returned: the
  /// result is nullopt unless all dims are static).
  std::optional<std::vector<int64_t>> StaticShape(absl::string_view value) const;

  /// Dense id of `value` in [0, num_values()), or -1 when the graph never
  /// mentions it: passes key their own per-value arrays by it. The *ById
  /// accessors answer for an id without hashing the name again.
  int Id(absl::string_view value) const { return Find(value); }
  int num_values() const { return static_cast<int>(values_.size()); }
  int ProducerIndexById(int id) const { return values_[id].producer; }
  bool IsGraphOutputById(int id) const { return values_[id].output; }
  absl::Span<const int> ConsumersById(int id) const {
    return absl::MakeConstSpan(consumer_nodes_.data() + consumer_begin_[id],
                               consumer_begin_[id + 1] - consumer_begin_[id]);
  }

  /// Names read inside `graph` (recursively) that it does not define.
  static void CollectOuterReferences(const onnx::GraphProto& graph,
                                     absl::flat_hash_set<std::string>& out);

 private:
  /// Dense id of `name`, interning it when new.
  int Intern(absl::string_view name);
  /// Id of `name`, or -1 when the graph never mentions it.
  int Find(absl::string_view name) const;

  struct ValueFacts {
    int producer = -1;
    int initializer = -1;
    int uses = 0;
    bool input = false;
    bool output = false;
    // Recorded in inputs, outputs or value_info; initializer types are
    // synthesized on first request, hence mutable.
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
};

/// The ai.onnx opset version the model imports (domain "" or "ai.onnx"),
/// or 0 when it imports none.
int64_t OnnxOpsetVersion(const onnx::ModelProto& model);

/// A human-readable reference to a node: its name, else its first output,
/// else "#<index>".
std::string NodeRef(const onnx::NodeProto& node, int index);

/// Whether `node` runs in the default ONNX domain.
bool IsOnnxDomain(const onnx::NodeProto& node);

}  // namespace h8

#endif  // H8_IR_GRAPHINDEX_H
