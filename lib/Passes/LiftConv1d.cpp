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
  absl::Status BeginModel(onnx::ModelProto&, PassContext&) override {
    body_changed_ = false;
    return absl::OkStatus();
  }
  absl::StatusOr<bool> RunOnGraph(GraphRef ref, PassContext& ctx) override;

 private:
  LiftConv1dOptions options_;
  // Whether a body was lifted in this run (bodies come before the graphs
  // enclosing them).
  bool body_changed_ = false;
  Statistic convs_lifted_{this, "convs-lifted", "Conv1d nodes rewritten as Conv2d over (1, k)"};
  Statistic boundaries_inserted_{this, "boundaries-inserted",
                                 "Unsqueeze and Squeeze nodes where a region meets rank-3 values"};
  Statistic regions_{this, "regions", "Connected regions of lifted nodes"};
};

/// A dim_param for H that no graph input or output uses: "H", else "H_1", ...
std::string FreshRowParam(const onnx::GraphProto& graph) {
  absl::flat_hash_set<std::string> params;
  for (const auto* list : {&graph.input(), &graph.output()})
    for (const auto& vi : *list)
      for (const auto& d : vi.type().tensor_type().shape().dim())
        if (d.has_dim_param()) params.insert(d.dim_param());
  std::string h_param = "H";
  for (int k = 1; params.contains(h_param); ++k) h_param = absl::StrCat("H_", k);
  return h_param;
}

/// Rewrites the regions of one graph as a LiftPlan describes them. Nothing
/// is mutated before the plan is complete, and the steps run in a fixed
/// order (values in plan order, then nodes in graph order), so generated
/// names are deterministic.
class RegionRewriter {
 public:
  RegionRewriter(onnx::GraphProto& graph, int64_t opset, const GraphIndex& index, ValueRanks& ranks,
                 const LiftPlan& plan)
      : graph_(graph),
        opset_(opset),
        index_(index),
        ranks_(ranks),
        plan_(plan),
        names_(graph),
        rewriter_(graph),
        keeps_name_(index.num_values()) {}

  /// Gives every lifted value its rank-4 form: under its own name, or under
  /// a new one with a Squeeze (region value read outside) or an Unsqueeze
  /// (value entering the region) at the boundary; then region nodes read
  /// and write the new names.
  void LiftValues(bool lift_interface);
  /// Lifts the attributes and constant operands of region node `i`.
  void LiftNode(int i);
  /// Inserts the H dim into the declared types of values that kept their
  /// name; records the interface change of the main graph in `lifted`.
  void LiftDeclaredTypes(const std::string& h_param, LiftedInterface* lifted);
  /// The queued edits (every change of node inputs and outputs, the node
  /// list and the initializer list; types and dims are edited in place).
  GraphRewriter& rewriter() { return rewriter_; }
  int boundaries() const { return boundaries_; }

 private:
  // A lifted value that gets a new name.
  struct Rename {
    int id;
    std::string lifted;
  };

  std::string AxesInput(int64_t axis);
  /// Inserts `Unsqueeze(value, [axis])` where `value` is defined; returns
  /// its output.
  std::string Unsqueeze(const std::string& value, int64_t axis);
  /// Inserts `Squeeze(from, [2])` writing `to` before node `anchor`.
  void Squeeze(int anchor, const std::string& from, const std::string& to);
  /// Gives initializer `init` a unit dim at `axis` (its bytes stay).
  void ReshapeInPlace(int init, int axis);
  bool OnlyRegionReaders(int id, const std::string& value) const;
  /// Readers outside the region of lifted graph input `v` read a rank-3
  /// view under a new name.
  void GiveOutsideReadersRank3View(const LiftedValue& v);
  void ApplyRenames();
  /// The name `value` has once the queued renames are applied.
  const std::string& PendingName(const std::string& value) const;
  /// Input `slot` of node `i` gets a unit dim at `axis`: a constant nobody
  /// else reads changes dims in place, anything else gets an Unsqueeze.
  void LiftOperand(int i, int slot, int axis);
  /// Input `slot` of node `i` becomes a new int64 initializer holding
  /// `values`, named after the node's output with `suffix`.
  void SetConstantInput(int i, int slot, absl::string_view suffix,
                        const std::vector<int64_t>& values);
  void LiftConv(int i, onnx::NodeProto& node);
  void LiftBinaryOperands(int i, const onnx::NodeProto& node);
  void LiftSlice(int i, onnx::NodeProto& node);
  void LiftPad(int i, onnx::NodeProto& node);
  void LiftReduce(int i, onnx::NodeProto& node);

  onnx::GraphProto& graph_;
  const int64_t opset_;
  const GraphIndex& index_;
  ValueRanks& ranks_;
  const LiftPlan& plan_;
  NameUniquer names_;
  GraphRewriter rewriter_;
  absl::flat_hash_map<int64_t, std::string> axes_inits_;
  // Per value id: lifted under its own name.
  std::vector<char> keeps_name_;
  // The lifted values that get a new name, and per value id the queued new
  // name (nullptr when none): later steps name things after a node's
  // output as it will be, which the node does not show until the commit.
  std::vector<Rename> renames_;
  std::vector<const std::string*> pending_name_;
  int boundaries_ = 0;
};

std::string RegionRewriter::AxesInput(int64_t axis) {
  if (!AxesAreInputs(opset_)) return "";
  auto it = axes_inits_.find(axis);
  if (it != axes_inits_.end()) return it->second;
  std::string name = names_.Unique(
      absl::StrCat("lift_conv1d_axes", axis == kLiftAxis ? "" : absl::StrCat("_", axis)));
  rewriter_.AddInitializer(MakeInt64Tensor(name, {axis}));
  axes_inits_.emplace(axis, name);
  return name;
}

std::string RegionRewriter::Unsqueeze(const std::string& value, int64_t axis) {
  std::string out = names_.Unique(absl::StrCat(value, "_lifted"));
  int p = index_.ProducerIndex(value);
  rewriter_.InsertBefore(p < 0 ? 0 : p + 1,
                         MakeAxesNode("Unsqueeze", value, out, {axis}, opset_, AxesInput(axis)));
  ++boundaries_;
  return out;
}

void RegionRewriter::Squeeze(int anchor, const std::string& from, const std::string& to) {
  rewriter_.InsertBefore(
      anchor, MakeAxesNode("Squeeze", from, to, {kLiftAxis}, opset_, AxesInput(kLiftAxis)));
  ++boundaries_;
}

void RegionRewriter::ReshapeInPlace(int init, int axis) {
  auto* dims = graph_.mutable_initializer(init)->mutable_dims();
  dims->Add(1);
  for (int k = dims->size() - 1; k > axis; --k) dims->SwapElements(k, k - 1);
}

bool RegionRewriter::OnlyRegionReaders(int id, const std::string& value) const {
  if (index_.IsGraphInput(value) || index_.IsGraphOutputById(id)) return false;
  for (int c : index_.ConsumersById(id))
    if (!plan_.in_region[c]) return false;
  return true;
}

void RegionRewriter::GiveOutsideReadersRank3View(const LiftedValue& v) {
  const std::string& name = *v.name;
  std::string sq = names_.Unique(absl::StrCat(name, "_rank3"));
  rewriter_.InsertBefore(
      0, MakeAxesNode("Squeeze", name, sq, {kLiftAxis}, opset_, AxesInput(kLiftAxis)));
  // If/Loop/Scan bodies reading it from the outer scope read the view too.
  for (int c : index_.ConsumersById(v.id))
    if (!plan_.in_region[c]) rewriter_.ReplaceUsesIn(c, name, sq);
  ++boundaries_;
}

void RegionRewriter::LiftValues(bool lift_interface) {
  for (const LiftedValue& lv : plan_.lifted_values) {
    const std::string& v = *lv.name;
    const int p = index_.ProducerIndexById(lv.id);
    bool exits = false;
    for (int c : index_.ConsumersById(lv.id)) exits |= !plan_.in_region[c];
    if (p >= 0 && plan_.in_region[p]) {
      if (exits || (!lift_interface && index_.IsGraphOutputById(lv.id))) {
        // The Squeeze keeps the original name for readers outside.
        std::string l = names_.Unique(absl::StrCat(v, "_lifted"));
        Squeeze(p + 1, l, v);
        renames_.push_back({lv.id, std::move(l)});
      } else {
        keeps_name_[lv.id] = 1;
      }
    } else if (lift_interface && index_.IsRuntimeInput(v)) {
      keeps_name_[lv.id] = 1;
      if (exits) GiveOutsideReadersRank3View(lv);
    } else if (const int init = index_.InitializerIndex(v);
               init >= 0 && OnlyRegionReaders(lv.id, v)) {
      ReshapeInPlace(init, kLiftAxis);
      keeps_name_[lv.id] = 1;
    } else {
      renames_.push_back({lv.id, Unsqueeze(v, kLiftAxis)});
    }
  }
  ApplyRenames();
}

void RegionRewriter::ApplyRenames() {
  if (renames_.empty()) return;
  // Data slots of the readers in the region and outputs of the producers
  // in it. Each such node is visited once, so a Concat of many renamed
  // inputs or a Split of many renamed outputs costs its slots, not their
  // square.
  pending_name_.assign(index_.num_values(), nullptr);
  std::vector<int> touched;
  std::vector<char> seen(graph_.node_size());
  auto touch = [&](int i) {
    if (i < 0 || !plan_.in_region[i] || seen[i]) return;
    seen[i] = 1;
    touched.push_back(i);
  };
  for (const Rename& r : renames_) {
    pending_name_[r.id] = &r.lifted;
    for (int c : index_.ConsumersById(r.id)) touch(c);
    touch(index_.ProducerIndexById(r.id));
  }
  for (int i : touched) {
    const onnx::NodeProto& node = graph_.node(i);
    const absl::Span<const int> ids = plan_.InputIds(i);
    for (int slot : plan_.DataSlots(i))
      if (const std::string* l = pending_name_[ids[slot]]) rewriter_.SetInput(i, slot, *l);
    for (int o = 0; o < node.output_size(); ++o) {
      if (node.output(o).empty()) continue;
      if (const std::string* l = pending_name_[index_.Id(node.output(o))])
        rewriter_.SetOutput(i, o, *l);
    }
  }
}

const std::string& RegionRewriter::PendingName(const std::string& value) const {
  if (pending_name_.empty() || value.empty()) return value;
  const int id = index_.Id(value);
  return id >= 0 && pending_name_[id] != nullptr ? *pending_name_[id] : value;
}

void RegionRewriter::LiftOperand(int i, int slot, int axis) {
  // Operand slots are not data slots: no rename is queued for them.
  const std::string& value = graph_.node(i).input(slot);
  if (const int init = index_.InitializerIndex(value);
      init >= 0 && index_.NumUses(value) == 1 && !index_.IsGraphInput(value)) {
    ReshapeInPlace(init, axis);
  } else {
    rewriter_.SetInput(i, slot, Unsqueeze(value, axis));
  }
}

void RegionRewriter::SetConstantInput(int i, int slot, absl::string_view suffix,
                                      const std::vector<int64_t>& values) {
  const onnx::NodeProto& node = graph_.node(i);
  std::string name = names_.Unique(absl::StrCat(PendingName(node.output(0)), suffix));
  rewriter_.AddInitializer(MakeInt64Tensor(name, values));
  rewriter_.SetInput(i, slot, std::move(name));
}

void RegionRewriter::LiftConv(int i, onnx::NodeProto& node) {
  if (const auto* ks = FindAttr(node, "kernel_shape");
      ks == nullptr || ks->type() != onnx::AttributeProto::INTS) {
    // Exporters sometimes omit kernel_shape; Hailo wants it explicit.
    if (auto shape = index_.StaticShape(node.input(1)); shape && shape->size() == 3)
      SetIntsAttr(node, "kernel_shape", {(*shape)[2]});
  }
  LiftOperand(i, 1, kLiftAxis);
}

void RegionRewriter::LiftBinaryOperands(int i, const onnx::NodeProto& node) {
  // Lower-rank operands broadcast from the right; a rank-k operand (k >= 2)
  // needs a unit dim before its last (time) axis. Data slots are lifted
  // values already.
  const absl::Span<const int> ids = plan_.InputIds(i);
  const absl::Span<const int> data = plan_.DataSlots(i);  // ascending
  size_t next_data = 0;
  for (int slot = 0; slot < node.input_size(); ++slot) {
    if (next_data < data.size() && data[next_data] == slot) {
      ++next_data;
      continue;
    }
    if (ids[slot] < 0 || plan_.lifted[ids[slot]]) continue;
    const int k = ranks_.Rank(ids[slot], node.input(slot));
    if (k >= 2) LiftOperand(i, slot, k - 1);
  }
}

void RegionRewriter::LiftSlice(int i, onnx::NodeProto& node) {
  if (opset_ < 10) {
    auto starts = GetIntsAttr(node, "starts").value_or(std::vector<int64_t>{});
    std::vector<int64_t> axes(starts.size());
    std::iota(axes.begin(), axes.end(), 0);
    SetIntsAttr(node, "axes", MapAxes(GetIntsAttr(node, "axes").value_or(axes)));
    return;
  }
  std::vector<int64_t> axes;
  if (node.input_size() > 3 && !node.input(3).empty()) {
    axes = *ConstantInts(index_, node.input(3));
  } else {
    axes.resize(ConstantInts(index_, node.input(1))->size());
    std::iota(axes.begin(), axes.end(), 0);
  }
  SetConstantInput(i, 3, "_axes", MapAxes(axes));
}

void RegionRewriter::LiftPad(int i, onnx::NodeProto& node) {
  if (opset_ >= 11 && node.input_size() > 3 && !node.input(3).empty()) {
    // Pad-18's axes input: the axes are remapped, the pads kept.
    SetConstantInput(i, 3, "_axes", MapAxes(*ConstantInts(index_, node.input(3))));
    return;
  }
  std::vector<int64_t> pads = opset_ < 11
                                  ? GetIntsAttr(node, "pads").value_or(std::vector<int64_t>{})
                                  : *ConstantInts(index_, node.input(1));
  if (pads.size() != 6) return;
  std::vector<int64_t> lifted = {pads[0], pads[1], 0, pads[2], pads[3], pads[4], 0, pads[5]};
  if (opset_ < 11) {
    SetIntsAttr(node, "pads", lifted);
  } else {
    SetConstantInput(i, 1, "_pads", lifted);
  }
}

void RegionRewriter::LiftReduce(int i, onnx::NodeProto& node) {
  if (ReduceAxesIsInput(node, opset_)) {
    SetConstantInput(i, 1, "_axes", MapAxes(*ConstantInts(index_, node.input(1))));
  } else {
    SetIntsAttr(node, "axes", MapAxes(*GetIntsAttr(node, "axes")));
  }
}

void RegionRewriter::LiftNode(int i) {
  onnx::NodeProto& node = *graph_.mutable_node(i);
  switch (plan_.kind[i]) {
    case Kind::kConv:
      LiftConv(i, node);
      LiftSpatialLists(node);
      break;
    case Kind::kPool: LiftSpatialLists(node); break;
    case Kind::kBinary: LiftBinaryOperands(i, node); break;
    case Kind::kAxis: {
      // ONNX's default axis: 0 for Concat and Split, the last axis for the
      // Softmax family from opset 13, 1 before.
      int64_t fallback = opset_ >= 13 ? -1 : 1;
      if (node.op_type() == "Concat" || node.op_type() == "Split") fallback = 0;
      SetIntAttr(node, "axis", MapAxis(GetIntAttr(node, "axis", fallback)));
      break;
    }
    case Kind::kTranspose: {
      std::vector<int64_t> perm = GetIntsAttr(node, "perm").value_or(std::vector<int64_t>{2, 1, 0});
      if (perm.size() == 3)
        SetIntsAttr(node, "perm",
                    {MapAxis(perm[0]), MapAxis(perm[1]), kLiftAxis, MapAxis(perm[2])});
      break;
    }
    case Kind::kSlice: LiftSlice(i, node); break;
    case Kind::kPad: LiftPad(i, node); break;
    case Kind::kReduce: LiftReduce(i, node); break;
    case Kind::kUnary:
    case Kind::kRowMixing: break;
  }
}

void RegionRewriter::LiftDeclaredTypes(const std::string& h_param, LiftedInterface* lifted) {
  auto keeps = [&](const std::string& name) {
    const int id = index_.Id(name);
    return id >= 0 && keeps_name_[id];
  };
  for (auto& vi : *graph_.mutable_value_info())
    if (keeps(vi.name())) InsertUnitDim(vi.mutable_type(), kLiftAxis, h_param);
  for (auto* list : {graph_.mutable_input(), graph_.mutable_output()}) {
    for (auto& vi : *list) {
      if (!keeps(vi.name()) || index_.InitializerIndex(vi.name()) >= 0) continue;
      InsertUnitDim(vi.mutable_type(), kLiftAxis, h_param);
      if (lifted != nullptr) lifted->inserted_axis[vi.name()] = kLiftAxis;
    }
  }
}

absl::StatusOr<bool> LiftConv1dPass::RunOnGraph(GraphRef ref, PassContext& ctx) {
  onnx::GraphProto& graph = *ref.graph;
  const bool lift_interface = options_.interface == "lift" && ref.is_main;
  const std::shared_ptr<const GraphIndex> index = ctx.analyses().Index(graph);
  // Ranks from the shape analysis: declared types where the exporter wrote
  // them, computed through every op with a shape rule otherwise.
  const std::shared_ptr<const ShapeAnalysis> shapes = ctx.analyses().Shapes(graph, ref.opset);
  ValueRanks ranks(*index, *shapes);
  const LiftPlan plan = MatchRegions(graph, ref.opset, *index, *shapes, ranks, ctx, ref.path);
  if (plan.nodes.empty()) return false;
  // Output types are lifted from their declarations: one whose rank the
  // graph does not compute would come out one dim longer, and still wrong.
  // The pass manager reports the status as the pass's error.
  if (std::string conflict = ref.is_main ? shapes->FirstOutputRankConflict(graph) : "";
      !conflict.empty())
    return absl::FailedPreconditionError(conflict);

  // H stays a free dim only when nothing fixes it to 1.
  const RowBlocker blocker = FindRowBlocker(graph, *index, plan, lift_interface);
  std::string h_param;
  if (lift_interface && blocker.name.empty()) {
    h_param = FreshRowParam(graph);
  } else if (blocker.index >= 0) {
    ctx.Remark(&graph.node(blocker.index), blocker.index, ref.path)
        << "H fixed to 1: " << blocker.reason;
  }

  RegionRewriter rewriter(graph, ref.opset, *index, ranks, plan);
  rewriter.LiftValues(lift_interface);
  for (int i : plan.nodes) rewriter.LiftNode(i);
  LiftedInterface* lifted = ref.is_main ? &ctx.artifacts().GetOrCreate<LiftedInterface>() : nullptr;
  rewriter.LiftDeclaredTypes(h_param, lifted);
  if (lifted != nullptr) lifted->row_axis_blocker = blocker.name;
  // Every structural edit went through the rewriter, so the kept index is
  // brought up to date and only the edited nodes are verified. That holds
  // for the main graph when lift-conv1d is the pass the manager runs and
  // no body changed before it (the touched nodes of the main graph would
  // not cover a body's edits); bodies and nested runs commit plainly and
  // the model is re-indexed and verified whole.
  if (ref.is_main && !body_changed_ && ctx.current_pass() == Argument()) {
    ctx.analyses().Commit(rewriter.rewriter(), graph);
  } else {
    rewriter.rewriter().Commit();
    if (!ref.is_main) body_changed_ = true;
  }
  regions_.Add(ctx, plan.regions);
  convs_lifted_.Add(ctx, plan.convs);
  if (rewriter.boundaries() > 0) boundaries_inserted_.Add(ctx, rewriter.boundaries());
  return true;
}

}  // namespace

std::unique_ptr<Pass> CreateLiftConv1dPass(const LiftConv1dOptions& options) {
  return std::make_unique<LiftConv1dPass>(options);
}

}  // namespace h8
