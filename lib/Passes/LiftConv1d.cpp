//===- LiftConv1d.cpp - Rewrite 1-D convolution regions into 2-D (1,k) form ===//
//
// Hailo-8's parser cannot run Conv on rank-3 tensors. This pass rewrites
// every region of rank-3 ("1-D") computation that contains a Conv or
// ConvTranspose into the equivalent rank-4 computation with a unit H axis
// inserted at position 2: [N, C, T] becomes [N, C, H, T], a kernel k becomes
// (1, k). Because a (1, k) kernel treats each H row independently, H can
// carry a device axis (two sensors stacked as H = 2).
//
// Before (opset 13):
//   g (float[N,2,5] x) => (float[N,3,4] y)
//     <float[3,2,2] w = {...}>
//   {
//     t = Conv <kernel_shape = [2]> (x, w)
//     y = Relu (t)
//   }
// After (interface=lift):
//   g (float[N,2,H,5] x) => (float[N,3,H,4] y)
//     <float[3,2,1,2] w = {...}>
//   {
//     t = Conv <kernel_shape = [1, 2]> (x, w)
//     y = Relu (t)
//   }
//
// Match conditions: a node joins a region when it is an ONNX op with a 4-D
// equivalent (see Classify) and its data input is a rank-3 tensor; regions
// are the connected components of such nodes through rank-3 values, and only
// regions holding a convolution are rewritten. Ranks come from the shape
// analysis (declarations refined by a shape rule for every op), so exports
// without value_info work without infer-shapes; a convolution whose input
// rank stays unknown is reported by a remark naming the op that stopped
// the analysis.
//
// Boundaries: a region value read by an op outside the region is squeezed
// back to rank 3 (Squeeze of axis 2, which needs H = 1); a rank-3 value
// entering from outside is unsqueezed. With interface=lift (default) graph
// inputs and outputs inside a region become rank 4 under the same names;
// with interface=keep they stay rank 3 behind Unsqueeze/Squeeze. Reads of a
// lifted graph input from If/Loop/Scan bodies (outer scope) are uses like
// any other: the bodies read the rank-3 view.
//
// H stays a free symbolic dim only when no boundary squeezes a region value
// and no op mixes rows (InstanceNormalization); otherwise it is fixed to 1
// and a remark names the node that needs it. The pass records the interface
// change in the PassContext for --verify-numerics and pin-shape.
//
// Weights: a constant weight with no other reader changes dims in place (its
// bytes are not copied); a shared or computed weight gets an Unsqueeze.
// Not handled: subgraph bodies are lifted in keep mode only; Resize, LSTM
// and the like are boundaries.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <numeric>

#include "LiftConv1dMatch.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/GraphRewriter.h"
#include "h8/IR/Match.h"
#include "h8/IR/NameUniquer.h"
#include "h8/Passes/LiftConv1d.h"
#include "h8/Passes/Passes.h"

namespace h8 {
namespace {

using namespace lift_conv1d;  // NOLINT(google-build-using-namespace): the pass's own parts

class LiftConv1dPass : public GraphPass {
 public:
  explicit LiftConv1dPass(const LiftConv1dOptions& options) : options_(options) {}
  absl::string_view Argument() const override { return "lift-conv1d"; }

 protected:
  absl::StatusOr<bool> RunOnGraph(GraphRef ref, PassContext& ctx) override;

 private:
  LiftConv1dOptions options_;
  Statistic convs_lifted_{this, "convs-lifted", "Conv1d nodes rewritten as Conv2d over (1, k)"};
  Statistic boundaries_inserted_{this, "boundaries-inserted",
                                 "Unsqueeze and Squeeze nodes where a region meets rank-3 values"};
  Statistic regions_{this, "regions", "Connected regions of lifted nodes"};
};

absl::StatusOr<bool> LiftConv1dPass::RunOnGraph(GraphRef ref, PassContext& ctx) {
  onnx::GraphProto& graph = *ref.graph;
  const int64_t opset = ref.opset;
  const bool lift_interface = options_.interface == "lift" && ref.is_main;
  const std::shared_ptr<const GraphIndex> index_ptr = ctx.analyses().Index(graph);
  const GraphIndex& index = *index_ptr;
  // Ranks from the shape analysis: declared types where the exporter wrote
  // them, computed through every op with a shape rule otherwise.
  const std::shared_ptr<const ShapeAnalysis> shapes_ptr = ctx.analyses().Shapes(graph, opset);
  const ShapeAnalysis& shapes = *shapes_ptr;
  ValueRanks ranks(index, shapes);

  LiftPlan plan = MatchRegions(graph, opset, index, shapes, ranks, ctx, ref.path);
  if (plan.nodes.empty()) return false;

  const RowBlocker row_blocker = FindRowBlocker(graph, index, plan, lift_interface);
  const std::string& blocker = row_blocker.name;
  const std::string& blocker_reason = row_blocker.reason;
  const int blocker_index = row_blocker.index;
  const bool rows_free = lift_interface && blocker.empty();
  std::string h_param;
  if (rows_free) {
    absl::flat_hash_set<std::string> params;
    for (const auto* list : {&graph.input(), &graph.output()})
      for (const auto& vi : *list)
        for (const auto& d : vi.type().tensor_type().shape().dim())
          if (d.has_dim_param()) params.insert(d.dim_param());
    h_param = "H";
    for (int k = 1; params.contains(h_param); ++k) h_param = absl::StrCat("H_", k);
  } else if (blocker_index >= 0) {
    const auto& b = graph.node(blocker_index);
    ctx.Remark(&b, blocker_index, ref.path) << "H fixed to 1: " << blocker_reason;
  }

  // Rewrite. Nothing above mutated the graph.
  NameUniquer names(graph);
  GraphRewriter rewriter(graph);
  absl::flat_hash_map<int64_t, std::string> axes_inits;
  auto axes_input = [&](int64_t axis) -> std::string {
    if (!AxesAreInputs(opset)) return "";
    auto it = axes_inits.find(axis);
    if (it != axes_inits.end()) return it->second;
    std::string name = names.Unique(
        absl::StrCat("lift_conv1d_axes", axis == kLiftAxis ? "" : absl::StrCat("_", axis)));
    rewriter.AddInitializer(MakeInt64Tensor(name, {axis}));
    axes_inits.emplace(axis, name);
    return name;
  };
  // Inserts `Unsqueeze(value, [axis])` where `value` is defined.
  auto unsqueeze = [&](const std::string& value, int64_t axis, absl::string_view suffix) {
    std::string out = names.Unique(absl::StrCat(value, suffix));
    int p = index.ProducerIndex(value);
    rewriter.InsertBefore(p < 0 ? 0 : p + 1,
                          MakeAxesNode("Unsqueeze", value, out, {axis}, opset, axes_input(axis)));
    boundaries_inserted_.Add(ctx);
    return out;
  };
  // Gives initializer `init` a unit dim at `axis` (its bytes stay).
  auto reshape_in_place = [&](int init, int axis) {
    auto* dims = graph.mutable_initializer(init)->mutable_dims();
    dims->Add(1);
    for (int k = dims->size() - 1; k > axis; --k) dims->SwapElements(k, k - 1);
  };
  auto only_region_readers = [&](int id, const std::string& value) {
    if (index.IsGraphInput(value) || index.IsGraphOutputById(id)) return false;
    for (int c : index.ConsumersById(id))
      if (!plan.in_region[c]) return false;
    return true;
  };

  // The lifted values that get a new name (the others become rank 4 under
  // their own), in lifted order.
  struct Rename {
    int id;
    const std::string* name;
    std::string lifted;
  };
  std::vector<Rename> renames;
  std::vector<char> keeps_name(index.num_values());
  for (const LiftedValue& lv : plan.lifted_values) {
    const std::string& v = *lv.name;
    int p = index.ProducerIndexById(lv.id);
    bool produced_in_region = p >= 0 && plan.in_region[p];
    bool exits = false;
    for (int c : index.ConsumersById(lv.id)) exits |= !plan.in_region[c];
    if (produced_in_region) {
      if (exits || (!lift_interface && index.IsGraphOutputById(lv.id))) {
        std::string l = names.Unique(absl::StrCat(v, "_lifted"));
        // The Squeeze keeps the original name for readers outside.
        rewriter.InsertBefore(
            p + 1, MakeAxesNode("Squeeze", l, v, {kLiftAxis}, opset, axes_input(kLiftAxis)));
        boundaries_inserted_.Add(ctx);
        renames.push_back({lv.id, lv.name, std::move(l)});
      } else {
        keeps_name[lv.id] = 1;
      }
    } else if (lift_interface && index.IsRuntimeInput(v)) {
      keeps_name[lv.id] = 1;
      if (exits) {
        // Readers outside the region keep a rank-3 view under a new name.
        std::string sq = names.Unique(absl::StrCat(v, "_rank3"));
        rewriter.InsertBefore(
            0, MakeAxesNode("Squeeze", v, sq, {kLiftAxis}, opset, axes_input(kLiftAxis)));
        for (int c : index.ConsumersById(lv.id)) {
          if (plan.in_region[c]) continue;
          onnx::NodeProto& reader = *graph.mutable_node(c);
          for (auto& in : *reader.mutable_input())
            if (in == v) in = sq;
          // If/Loop/Scan bodies reading it from the outer scope read the view too.
          for (auto& attr : *reader.mutable_attribute()) {
            if (attr.has_g()) RenameOuterReads(*attr.mutable_g(), v, sq);
            for (auto& g : *attr.mutable_graphs()) RenameOuterReads(g, v, sq);
          }
        }
        boundaries_inserted_.Add(ctx);
      }
    } else if (const int init = index.InitializerIndex(v);
               init >= 0 && only_region_readers(lv.id, v)) {
      reshape_in_place(init, kLiftAxis);
      keeps_name[lv.id] = 1;
    } else {
      renames.push_back({lv.id, lv.name, unsqueeze(v, kLiftAxis, "_lifted")});
    }
  }
  // Region nodes read and write the new names: data slots of the readers
  // in the region, outputs of a producer in the region.
  for (const Rename& r : renames) {
    const std::string old = *r.name;
    for (int c : index.ConsumersById(r.id)) {
      if (!plan.in_region[c]) continue;
      onnx::NodeProto& node = *graph.mutable_node(c);
      const absl::Span<const int> ids = plan.InputIds(c);
      for (int slot : plan.DataSlots(c))
        if (ids[slot] == r.id) node.set_input(slot, r.lifted);
    }
    const int p = index.ProducerIndexById(r.id);
    if (p < 0 || !plan.in_region[p]) continue;
    onnx::NodeProto& producer = *graph.mutable_node(p);
    for (int o = 0; o < producer.output_size(); ++o)
      if (producer.output(o) == old) producer.set_output(o, r.lifted);
  }

  for (int i : plan.nodes) {
    onnx::NodeProto& node = *graph.mutable_node(i);
    const Kind kind = plan.kind[i];
    switch (kind) {
      case Kind::kConv: {
        const std::string& w = node.input(1);
        if (!GetIntsAttr(node, "kernel_shape")) {
          // Exporters sometimes omit kernel_shape; Hailo wants it explicit.
          if (auto shape = index.StaticShape(w); shape && shape->size() == 3)
            SetIntsAttr(node, "kernel_shape", {(*shape)[2]});
        }
        if (const int init = index.InitializerIndex(w);
            init >= 0 && index.NumUses(w) == 1 && !index.IsGraphInput(w)) {
          reshape_in_place(init, kLiftAxis);
        } else {
          node.set_input(1, unsqueeze(w, kLiftAxis, "_lifted"));
        }
        [[fallthrough]];
      }
      case Kind::kPool: LiftSpatialLists(node); break;
      case Kind::kBinary: {
        // Lower-rank operands broadcast from the right; a rank-k operand
        // (k >= 2) needs a unit dim before its last (time) axis. Data slots
        // are lifted values already.
        const absl::Span<const int> ids = plan.InputIds(i);
        const absl::Span<const int> data = plan.DataSlots(i);
        for (int slot = 0; slot < node.input_size(); ++slot) {
          if (ids[slot] < 0 || plan.lifted[ids[slot]] ||
              std::find(data.begin(), data.end(), slot) != data.end())
            continue;
          const std::string& in = node.input(slot);
          int k = ranks.Rank(ids[slot], in);
          if (k < 2) continue;
          if (const int init = index.InitializerIndex(in);
              init >= 0 && index.NumUses(in) == 1 && !index.IsGraphInput(in)) {
            reshape_in_place(init, k - 1);
          } else {
            node.set_input(slot, unsqueeze(in, k - 1, "_lifted"));
          }
        }
        break;
      }
      case Kind::kAxis:
        SetIntAttr(node, "axis",
                   MapAxis(GetIntAttr(node, "axis",
                                      node.op_type() == "Concat" || node.op_type() == "Split"
                                          ? 0
                                          : (opset >= 13 ? -1 : 1))));
        break;
      case Kind::kTranspose: {
        std::vector<int64_t> perm =
            GetIntsAttr(node, "perm").value_or(std::vector<int64_t>{2, 1, 0});
        if (perm.size() == 3)
          SetIntsAttr(node, "perm",
                      {MapAxis(perm[0]), MapAxis(perm[1]), kLiftAxis, MapAxis(perm[2])});
        break;
      }
      case Kind::kSlice:
        if (opset < 10) {
          auto starts = GetIntsAttr(node, "starts").value_or(std::vector<int64_t>{});
          std::vector<int64_t> axes(starts.size());
          std::iota(axes.begin(), axes.end(), 0);
          SetIntsAttr(node, "axes", MapAxes(GetIntsAttr(node, "axes").value_or(axes)));
        } else {
          std::vector<int64_t> axes;
          if (node.input_size() > 3 && !node.input(3).empty()) {
            axes = *ConstantInts(index, node.input(3));
          } else {
            axes.resize(ConstantInts(index, node.input(1))->size());
            std::iota(axes.begin(), axes.end(), 0);
          }
          std::string name = names.Unique(absl::StrCat(node.output(0), "_axes"));
          rewriter.AddInitializer(MakeInt64Tensor(name, MapAxes(axes)));
          while (node.input_size() < 4) node.add_input("");
          node.set_input(3, name);
        }
        break;
      case Kind::kPad: {
        if (opset >= 11 && node.input_size() > 3 && !node.input(3).empty()) {
          std::string name = names.Unique(absl::StrCat(node.output(0), "_axes"));
          rewriter.AddInitializer(
              MakeInt64Tensor(name, MapAxes(*ConstantInts(index, node.input(3)))));
          node.set_input(3, name);
          break;
        }
        std::vector<int64_t> pads = opset < 11
                                        ? GetIntsAttr(node, "pads").value_or(std::vector<int64_t>{})
                                        : *ConstantInts(index, node.input(1));
        if (pads.size() != 6) break;
        std::vector<int64_t> lifted = {pads[0], pads[1], 0, pads[2], pads[3], pads[4], 0, pads[5]};
        if (opset < 11) {
          SetIntsAttr(node, "pads", lifted);
        } else {
          std::string name = names.Unique(absl::StrCat(node.output(0), "_pads"));
          rewriter.AddInitializer(MakeInt64Tensor(name, lifted));
          node.set_input(1, name);
        }
        break;
      }
      case Kind::kReduce:
        if (ReduceAxesIsInput(node, opset)) {
          std::string name = names.Unique(absl::StrCat(node.output(0), "_axes"));
          rewriter.AddInitializer(
              MakeInt64Tensor(name, MapAxes(*ConstantInts(index, node.input(1)))));
          node.set_input(1, name);
        } else {
          SetIntsAttr(node, "axes", MapAxes(*GetIntsAttr(node, "axes")));
        }
        break;
      case Kind::kUnary:
      case Kind::kRowMixing: break;
    }
  }

  // Shapes: values that kept their name are now rank 4.
  auto keeps = [&](const std::string& name) {
    const int id = index.Id(name);
    return id >= 0 && keeps_name[id];
  };
  for (auto& vi : *graph.mutable_value_info())
    if (keeps(vi.name())) InsertUnitDim(vi.mutable_type(), kLiftAxis, h_param);
  for (auto* list : {graph.mutable_input(), graph.mutable_output()}) {
    for (auto& vi : *list) {
      if (!keeps(vi.name()) || index.InitializerIndex(vi.name()) >= 0) continue;
      InsertUnitDim(vi.mutable_type(), kLiftAxis, h_param);
      if (ref.is_main)
        ctx.artifacts().GetOrCreate<LiftedInterface>().inserted_axis[vi.name()] = kLiftAxis;
    }
  }
  if (ref.is_main) ctx.artifacts().GetOrCreate<LiftedInterface>().row_axis_blocker = blocker;
  rewriter.Commit();
  regions_.Add(ctx, plan.regions);
  convs_lifted_.Add(ctx, plan.convs);
  return true;
}

}  // namespace

std::unique_ptr<Pass> CreateLiftConv1dPass(const LiftConv1dOptions& options) {
  return std::make_unique<LiftConv1dPass>(options);
}

}  // namespace h8
