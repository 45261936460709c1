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
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
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

// Everything the rewrite needs, computed before anything is mutated.
struct LiftPlan {
  std::vector<int> nodes;  // region nodes, in graph order
  absl::flat_hash_set<int> in_region;
  absl::flat_hash_map<int, Kind> kind;
  std::vector<std::string> lifted_values;  // rank-3 values that become rank 4
  absl::flat_hash_set<std::string> lifted;
  // Input slots of each region node that carry the lifted tensor.
  absl::flat_hash_map<int, std::vector<int>> data_slots;
  int regions = 0;
  int convs = 0;
};

/// Input slots of `node` that carry the lifted tensor (not weights, pads,
/// axes or scalars).
std::vector<int> DataSlots(const onnx::NodeProto& node, Kind kind, const ShapeAnalysis& shapes);
/// Whether a Reduce* node takes its axes as input 1 (ReduceSum from opset
/// 13, the other reductions from 18).
bool ReduceAxesIsInput(const onnx::NodeProto& node, int64_t opset);
/// Whether `node` has a 4-D form in this graph.
bool Classify(const onnx::NodeProto& node, Kind kind, int64_t opset, const GraphIndex& index,
              const ShapeAnalysis& shapes);

/// The regions to lift: nodes with a 4-D form connected through rank-3
/// values, in regions that hold a convolution; an empty plan when there is
/// none. A convolution whose input rank is unknown gets a remark (`path`
/// names the graph).
LiftPlan MatchRegions(const onnx::GraphProto& graph, int64_t opset, const GraphIndex& index,
                      const ShapeAnalysis& shapes, PassContext& ctx, const std::string& path);

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

/// Lifts a spatial attribute list: pads [b, e] -> [0, b, 0, e], others
/// [v] -> [unit, v].
void LiftSpatialList(onnx::NodeProto& node, absl::string_view name, int64_t unit);
/// Inserts a dim at `axis` of a tensor type: `dim_param` when given, else 1.
void InsertUnitDim(onnx::TypeProto* type, int axis, const std::string& dim_param);
/// Renames the reads of the outer value `from` inside `body` (and the bodies
/// nested in it) to `to`, unless a scope defines its own `from`.
void RenameOuterReads(onnx::GraphProto& body, const std::string& from, const std::string& to);

}  // namespace lift_conv1d
}  // namespace h8

#endif  // H8_LIB_PASSES_LIFTCONV1DMATCH_H
