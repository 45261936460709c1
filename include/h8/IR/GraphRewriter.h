//===- GraphRewriter.h - Queued edits, committed in one pass ----*- C++ -*-===//
//
// Passes queue edits while they match (the graph stays untouched, so a
// pass can still give up), then Commit() applies them all in time linear
// in the graph size: one permutation of the node pointers and one tail
// DeleteSubrange, never DeleteSubrange(i, 1) in a loop (1.70 s against
// 0.028 s on a 200k-node graph).
//
// Commit(&index) also brings a GraphIndex of the graph up to date (see
// GraphIndex.h), which is cheaper than building a new one; the index must
// describe the graph as it was before the commit.
//
// Guarantees after Commit(): inserted nodes stand right before their anchor
// (in insertion order), so a topologically sorted graph stays sorted when
// every inserted node only reads values defined before its anchor; renamed
// uses are applied everywhere, subgraphs included; graph output names never
// change.
//
//===----------------------------------------------------------------------===//
#ifndef H8_IR_GRAPHREWRITER_H
#define H8_IR_GRAPHREWRITER_H

#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "h8/IR/GraphIndex.h"
#include "onnx/onnx_pb.h"

namespace h8 {

class GraphRewriter {
 public:
  explicit GraphRewriter(onnx::GraphProto& graph);

  /// Queues `node` to be inserted before node `anchor` (node_size() appends).
  void InsertBefore(int anchor, onnx::NodeProto node);
  /// Queues node `index` for removal.
  void Erase(int index);
  /// Makes every reader of `from` read `to` instead. Refuses, with
  /// FailedPrecondition, when `from` is a graph output: an output's name is
  /// ABI, so the caller must make the new producer write that name instead.
  absl::Status ReplaceAllUsesWith(const std::string& from, const std::string& to);
  /// Queues renaming output `slot` of node `index` to `name` (the node then
  /// defines `name`; readers of the old name are not changed).
  void SetOutput(int index, int slot, std::string name);
  /// Queues setting input `slot` of node `index` to `name` (applied before
  /// the queued renames, like any input the node already has). A slot past
  /// the node's last input adds empty (omitted) inputs up to it.
  void SetInput(int index, int slot, std::string name);
  /// Queues making node `index` read `to` wherever it reads `from`: its
  /// inputs and its bodies' reads of the outer value (If/Loop/Scan). Other
  /// readers of `from` keep reading it. Applied after SetInput's edits.
  void ReplaceUsesIn(int index, std::string from, std::string to);
  /// Queues a new initializer.
  void AddInitializer(onnx::TensorProto tensor);
  /// Queues removal of initializer `index`.
  void EraseInitializer(int index);
  /// Queues a value_info entry (the type of a value the commit leaves
  /// defined, e.g. an inserted node's output), appended after the commit
  /// pruned value_info, in queue order.
  void AddValueInfo(onnx::ValueInfoProto value_info);

  bool HasChanges() const;
  int num_erased() const { return static_cast<int>(erased_.size()); }

  /// Applies every queued edit, drops value_info entries of values that no
  /// longer exist, appends the queued ones, and clears the queue. With
  /// `index`, an index of the graph as it was, updates it to describe the
  /// graph as it is now.
  void Commit(GraphIndex* index = nullptr);

 private:
  // Commit's steps, in order; each updates `index` when given.
  void ApplySlotEdits(GraphIndex* index);
  void ApplyRenames(GraphIndex* index);
  void ApplyNodeOrder(GraphIndex* index);
  void ApplyInitializerEdits(GraphIndex* index);
  // Reads `index` (up to date with this commit's definitions) when given.
  void PruneValueInfo(const GraphIndex* index);
  void AppendValueInfo();

  onnx::GraphProto& graph_;
  std::map<int, std::vector<onnx::NodeProto>> inserts_;
  absl::flat_hash_set<int> erased_;
  absl::flat_hash_map<std::string, std::string> renames_;
  absl::flat_hash_set<std::string> outputs_;
  std::vector<onnx::TensorProto> new_initializers_;
  std::vector<onnx::ValueInfoProto> new_value_info_;
  absl::flat_hash_set<int> erased_initializers_;
  struct OutputRename {
    int node;
    int slot;
    std::string name;
  };
  std::vector<OutputRename> output_renames_;
  std::vector<OutputRename> input_sets_;
  struct NodeRename {
    int node;
    std::string from;
    std::string to;
  };
  std::vector<NodeRename> node_renames_;
};

}  // namespace h8

#endif  // H8_IR_GRAPHREWRITER_H
