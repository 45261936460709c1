//===- GraphIndex.h - Producer/consumer maps for one graph ------*- C++ -*-===//
//
// Built once per graph in linear time. Passes use it instead of scanning all
// nodes for the users of a value. Implicit uses by subgraphs (a value of
// this graph read inside an If/Loop/Scan body) count as uses by the node
// that owns the subgraph. The index does not follow edits; rebuild it after
// GraphRewriter::Commit().
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
  const std::vector<int>& Consumers(absl::string_view value) const;

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

  /// Names read inside `graph` (recursively) that it does not define.
  static void CollectOuterReferences(const onnx::GraphProto& graph,
                                     absl::flat_hash_set<std::string>& out);

 private:
  const onnx::GraphProto* graph_;
  absl::flat_hash_map<std::string, int> producer_;
  absl::flat_hash_map<std::string, std::vector<int>> consumers_;
  absl::flat_hash_map<std::string, int> uses_;
  absl::flat_hash_map<std::string, int> initializers_;
  absl::flat_hash_set<std::string> inputs_;
  absl::flat_hash_set<std::string> outputs_;
  // Types of initializers are synthesized lazily, hence mutable.
  mutable absl::flat_hash_map<std::string, const onnx::TypeProto*> types_;
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
