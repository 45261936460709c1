//===- LiftConv1dMatch.h - lift-conv1d's matching and analysis -*- C++ -*-===//
//
// The parts of lift-conv1d that read the graph without changing it: which
// ops have a 4-D form (Classify), the regions of rank-3 computation that
// hold a convolution (MatchRegions), and what fixes H to 1
// (FindRowBlocker). LiftConv1d.cpp rewrites what they found. Internal to
// lib/Passes.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_PASSES_LIFTCONV1DMATCH_H
#define H8_LIB_PASSES_LIFTCONV1DMATCH_H

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/GraphIndex.h"
#include "h8/Pass/Pass.h"
#include "onnx/onnx_pb.h"

namespace h8 {
namespace lift_conv1d {

constexpr int kLiftAxis = 2;

enum class Kind {
  kConv,  // Conv, ConvTranspose
  kPool,  // MaxPool, AveragePool, LpPool
  kUnary,  // elementwise on one data input, attributes unchanged
  kBinary,  // broadcasting elementwise
  kAxis,  // Concat, Split, Softmax family: `axis` remapped
  kSlice,
  kPad,
  kReduce,
  kTranspose,
  kRowMixing,  // InstanceNormalization: exact only for H = 1
};

/// The kind of every op with a 4-D form.
const absl::flat_hash_map<std::string, Kind>& OpKinds();

/// Maps an axis of the rank-3 tensor to the rank-4 one (T moves to 3).
int64_t MapAxis(int64_t axis);
std::vector<int64_t> MapAxes(const std::vector<int64_t>& axes);

/// Ranks of a graph's values keyed by GraphIndex id, each asked of the
/// shape analysis once (its lookups hash the name).
class ValueRanks {
 public:
  ValueRanks(const GraphIndex& index, const ShapeAnalysis& shapes)
      : shapes_(shapes), by_id_(shapes.index() == &index), ranks_(index.num_values(), kUnasked) {}
  /// Rank of the value `id` named `name`; -1 when unknown or `id` is -1.
  int Rank(int id, absl::string_view name) {
    if (id < 0) return -1;
    // An analysis built over this index answers by id.
    if (ranks_[id] == kUnasked)
      ranks_[id] = (by_id_ ? shapes_.RankById(id) : shapes_.Rank(name)).value_or(-1);
    return ranks_[id];
  }

 private:
  static constexpr int kUnasked = -2;
  const ShapeAnalysis& shapes_;
  bool by_id_;
  std::vector<int> ranks_;
};

/// A rank-3 value that becomes rank 4: its GraphIndex id and its name, a
/// view into the graph valid until the rewrite renames region values.
struct LiftedValue {
  int id;
  const std::string* name;
};

// Everything the rewrite needs, computed before anything is mutated. Per
// node arrays are indexed by node index, per value arrays by GraphIndex id.
struct LiftPlan {
  std::vector<int> nodes;  // region nodes, in graph order
  std::vector<char> in_region;  // per node
  std::vector<Kind> kind;  // per node; meaningful for region nodes
  std::vector<LiftedValue> lifted_values;  // in order of first use by a region node
  std::vector<char> lifted;  // per value
  // Value ids of the inputs the match read of liftable node i (every input
  // of a broadcasting op or Concat, a prefix of the others holding the data
  // slots; -1 for an empty input): input_ids[input_begin[i] .. input_begin[i + 1]).
  std::vector<int> input_begin;
  std::vector<int> input_ids;
  // Input slots of liftable node i that carry the lifted tensor (not
  // weights, pads, axes or scalars), ascending:
  // data_slots[slot_begin[i] .. slot_begin[i + 1]).
  std::vector<int> slot_begin;
  std::vector<int> data_slots;
  int regions = 0;
  int convs = 0;

  absl::Span<const int> InputIds(int node) const {
    return absl::MakeConstSpan(input_ids.data() + input_begin[node],
                               input_begin[node + 1] - input_begin[node]);
  }
  absl::Span<const int> DataSlots(int node) const {
    return absl::MakeConstSpan(data_slots.data() + slot_begin[node],
                               slot_begin[node + 1] - slot_begin[node]);
  }
};

/// Appends the input slots of `node` that carry the lifted tensor to
/// `slots`, ascending; `ranks[i]` is the rank of input i (-1 when unknown or empty),
/// given for a prefix of the inputs holding those Classify reads.
void DataSlots(const onnx::NodeProto& node, Kind kind, absl::Span<const int> ranks,
               std::vector<int>& slots);
/// Whether a Reduce* node takes its axes as input 1 (ReduceSum from opset
/// 13, the other reductions from 18).
bool ReduceAxesIsInput(const onnx::NodeProto& node, int64_t opset);
/// Whether `node` has a 4-D form in this graph; `ranks` as for DataSlots.
bool Classify(const onnx::NodeProto& node, Kind kind, int64_t opset, const GraphIndex& index,
              absl::Span<const int> ranks);

/// The regions to lift: nodes with a 4-D form connected through rank-3
/// values, in regions that hold a convolution; an empty plan when there is
/// none. A convolution whose input rank is unknown gets a remark (`path`
/// names the graph).
LiftPlan MatchRegions(const onnx::GraphProto& graph, int64_t opset, const GraphIndex& index,
                      const ShapeAnalysis& shapes, ValueRanks& ranks, PassContext& ctx,
                      const std::string& path);

/// The first thing that fixes H to 1, if any: a reader of a region value
/// outside the region, a graph output in keep mode, a computed rank-3 value
/// entering the region, or a node that mixes rows.
struct RowBlocker {
  std::string name;  // node reference or value name; empty when H is free
  std::string reason;  // for the remark; empty for a keep-mode graph output
  int index = -1;  // the node, when it is one
};
RowBlocker FindRowBlocker(const onnx::GraphProto& graph, const GraphIndex& index,
                          const LiftPlan& plan, bool lift_interface);

// Union-find over node indices.
struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(int n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int Find(int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void Union(int a, int b) { parent[Find(a)] = Find(b); }
};

/// Lifts the spatial attribute lists of a Conv, ConvTranspose or pool in
/// place: pads [b, e] -> [0, b, 0, e], output_padding [v] -> [0, v],
/// kernel_shape, strides, dilations and output_shape [v] -> [1, v]. Lists
/// of another length are left alone.
void LiftSpatialLists(onnx::NodeProto& node);
/// Inserts a dim at `axis` of a tensor type: `dim_param` when given, else 1.
void InsertUnitDim(onnx::TypeProto* type, int axis, const std::string& dim_param);

}  // namespace lift_conv1d
}  // namespace h8

#endif  // H8_LIB_PASSES_LIFTCONV1DMATCH_H
