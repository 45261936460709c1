//===- LiftConv1dMatch.cpp - lift-conv1d's matching and analysis -------===//
#include "LiftConv1dMatch.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "h8/IR/Match.h"

namespace h8 {
namespace lift_conv1d {

const absl::flat_hash_map<std::string, Kind>& OpKinds() {
  static const auto* kinds = new absl::flat_hash_map<std::string, Kind>{
      {"Conv", Kind::kConv},
      {"ConvTranspose", Kind::kConv},
      {"MaxPool", Kind::kPool},
      {"AveragePool", Kind::kPool},
      {"LpPool", Kind::kPool},
      {"Relu", Kind::kUnary},
      {"LeakyRelu", Kind::kUnary},
      {"Sigmoid", Kind::kUnary},
      {"Tanh", Kind::kUnary},
      {"Elu", Kind::kUnary},
      {"Selu", Kind::kUnary},
      {"HardSigmoid", Kind::kUnary},
      {"HardSwish", Kind::kUnary},
      {"Softplus", Kind::kUnary},
      {"Abs", Kind::kUnary},
      {"Neg", Kind::kUnary},
      {"Exp", Kind::kUnary},
      {"Log", Kind::kUnary},
      {"Sqrt", Kind::kUnary},
      {"Erf", Kind::kUnary},
      {"Reciprocal", Kind::kUnary},
      {"Floor", Kind::kUnary},
      {"Ceil", Kind::kUnary},
      {"Identity", Kind::kUnary},
      {"Dropout", Kind::kUnary},
      {"Cast", Kind::kUnary},
      {"Clip", Kind::kUnary},
      {"BatchNormalization", Kind::kUnary},
      {"Mish", Kind::kUnary},
      {"Add", Kind::kBinary},
      {"Sub", Kind::kBinary},
      {"Mul", Kind::kBinary},
      {"Div", Kind::kBinary},
      {"Pow", Kind::kBinary},
      {"Max", Kind::kBinary},
      {"Min", Kind::kBinary},
      {"PRelu", Kind::kBinary},
      {"Sum", Kind::kBinary},
      {"Concat", Kind::kAxis},
      {"Split", Kind::kAxis},
      {"Softmax", Kind::kAxis},
      {"LogSoftmax", Kind::kAxis},
      {"Hardmax", Kind::kAxis},
      {"Slice", Kind::kSlice},
      {"Pad", Kind::kPad},
      {"Transpose", Kind::kTranspose},
      {"ReduceMean", Kind::kReduce},
      {"ReduceSum", Kind::kReduce},
      {"ReduceMax", Kind::kReduce},
      {"ReduceMin", Kind::kReduce},
      {"ReduceProd", Kind::kReduce},
      {"ReduceL1", Kind::kReduce},
      {"ReduceL2", Kind::kReduce},
      {"ReduceSumSquare", Kind::kReduce},
      {"InstanceNormalization", Kind::kRowMixing},
  };
  return *kinds;
}

// Maps an axis of the rank-3 tensor to the rank-4 one (T moves to 3).
int64_t MapAxis(int64_t axis) {
  if (axis < 0) axis += 3;
  return axis < kLiftAxis ? axis : axis + 1;
}

std::vector<int64_t> MapAxes(const std::vector<int64_t>& axes) {
  std::vector<int64_t> out;
  for (int64_t a : axes) out.push_back(MapAxis(a));
  return out;
}

void DataSlots(const onnx::NodeProto& node, Kind kind, absl::Span<const int> ranks,
               std::vector<int>& slots) {
  if (kind == Kind::kBinary || (kind == Kind::kAxis && node.op_type() == "Concat")) {
    for (int i = 0; i < node.input_size(); ++i)
      if (ranks[i] == 3) slots.push_back(i);
    return;
  }
  if (!ranks.empty() && ranks[0] == 3) slots.push_back(0);
}

// Whether a Reduce* node takes its axes as input 1 (ReduceSum from opset
// 13, the other reductions from 18).
bool ReduceAxesIsInput(const onnx::NodeProto& node, int64_t opset) {
  return opset >= 18 || (node.op_type() == "ReduceSum" && opset >= 13);
}

// Whether `node` has a 4-D form in this graph.
bool Classify(const onnx::NodeProto& node, Kind kind, int64_t opset, const GraphIndex& index,
              absl::Span<const int> ranks) {
  auto r = [&](int slot) { return slot < static_cast<int>(ranks.size()) ? ranks[slot] : -1; };
  if (!IsOnnxDomain(node) || node.input_size() == 0) return false;
  switch (kind) {
    case Kind::kConv: return r(0) == 3 && r(1) == 3;
    case Kind::kPool: return r(0) == 3 && (node.output_size() < 2 || node.output(1).empty());
    case Kind::kUnary:
    case Kind::kRowMixing:
      if (node.output_size() > 1 && node.op_type() == "BatchNormalization") return false;
      return r(0) == 3;
    case Kind::kBinary: {
      bool any3 = false;
      for (int i = 0; i < node.input_size(); ++i) {
        if (r(i) < 0 || r(i) > 3) return false;
        any3 |= r(i) == 3;
      }
      return any3;
    }
    case Kind::kAxis:
      if (node.op_type() == "Concat") {
        for (int i = 0; i < node.input_size(); ++i)
          if (r(i) != 3) return false;
        return true;
      }
      if (r(0) != 3) return false;
      if (node.op_type() != "Split" && opset < 13) {
        // Before opset 13 Softmax flattens [axis..] into one row; only the
        // last axis maps onto a single 4-D axis.
        int64_t axis = GetIntAttr(node, "axis", 1);
        return axis == 2 || axis == -1;
      }
      return true;
    case Kind::kSlice:
      if (r(0) != 3) return false;
      if (opset < 10) return true;
      if (node.input_size() > 3 && !node.input(3).empty())
        return ConstantInts(index, node.input(3)).has_value();
      return ConstantInts(index, node.input(1)).has_value();
    case Kind::kPad:
      if (r(0) != 3) return false;
      if (opset < 11) return true;
      // Pad-18's axes input: constant axes are remapped, the pads kept.
      if (node.input_size() > 3 && !node.input(3).empty() &&
          !ConstantInts(index, node.input(3)).has_value())
        return false;
      return node.input_size() > 1 && ConstantInts(index, node.input(1)).has_value();
    case Kind::kReduce: {
      if (r(0) != 3 || GetIntAttr(node, "keepdims", 1) != 1) return false;
      if (ReduceAxesIsInput(node, opset))
        return node.input_size() > 1 && ConstantInts(index, node.input(1)).has_value();
      auto axes = GetIntsAttr(node, "axes");
      return axes.has_value() && !axes->empty();
    }
    case Kind::kTranspose: return r(0) == 3;
  }
  return false;
}

void LiftSpatialLists(onnx::NodeProto& node) {
  static constexpr absl::string_view kLists[] = {"kernel_shape", "strides",        "dilations",
                                                 "pads",         "output_padding", "output_shape"};
  static constexpr int64_t kUnit[] = {1, 1, 1, 0, 0, 1};
  // Only the first attribute of each name counts, as for GetIntsAttr.
  unsigned seen = 0;
  for (auto& attr : *node.mutable_attribute()) {
    int k = 0;
    while (k < 6 && attr.name() != kLists[k]) ++k;
    if (k == 6 || (seen & (1u << k)) != 0) continue;
    seen |= 1u << k;
    if (attr.type() != onnx::AttributeProto::INTS) continue;
    auto& ints = *attr.mutable_ints();
    if (k == 3) {  // pads
      if (ints.size() != 2) continue;
      const int64_t begin = ints[0];
      const int64_t end = ints[1];
      ints.Resize(4, 0);
      ints[0] = 0;
      ints[1] = begin;
      ints[2] = 0;
      ints[3] = end;
    } else {
      if (ints.size() != 1) continue;
      const int64_t v = ints[0];
      ints[0] = kUnit[k];
      ints.Add(v);
    }
  }
}

void InsertUnitDim(onnx::TypeProto* type, int axis, const std::string& dim_param) {
  if (type == nullptr || !type->has_tensor_type() || !type->tensor_type().has_shape()) return;
  auto* shape = type->mutable_tensor_type()->mutable_shape();
  if (shape->dim_size() < axis) return;
  auto* dims = shape->mutable_dim();
  onnx::TensorShapeProto_Dimension unit;
  if (dim_param.empty()) unit.set_dim_value(1);
  else unit.set_dim_param(dim_param);
  dims->Add(std::move(unit));
  // Rotate the new last element into place.
  for (int i = dims->size() - 1; i > axis; --i) dims->SwapElements(i, i - 1);
}

namespace {

// Records kind, read inputs and data slots of every node with a 4-D form
// in `plan`; returns which nodes have one. A convolution whose input rank
// is unknown gets a remark.
std::vector<char> ClassifyNodes(const onnx::GraphProto& graph, int64_t opset,
                                const GraphIndex& index, const ShapeAnalysis& shapes,
                                ValueRanks& ranks, PassContext& ctx, const std::string& path,
                                LiftPlan& plan) {
  const int n = graph.node_size();
  plan.kind.resize(n);
  plan.input_begin.assign(n + 1, 0);
  plan.slot_begin.assign(n + 1, 0);
  std::vector<char> liftable(n);
  std::vector<int> in_ids;
  std::vector<int> in_ranks;
  for (int i = 0; i < n; ++i) {
    plan.input_begin[i] = static_cast<int>(plan.input_ids.size());
    plan.slot_begin[i] = static_cast<int>(plan.data_slots.size());
    const auto& node = graph.node(i);
    auto it = OpKinds().find(node.op_type());
    if (it == OpKinds().end()) continue;
    const Kind kind = it->second;
    // Only the inputs Classify and DataSlots read: every input of a
    // broadcasting op or Concat, data and weight of a convolution, else
    // the data input (BatchNormalization's statistics are not looked up).
    const int read = kind == Kind::kBinary || (kind == Kind::kAxis && node.op_type() == "Concat")
                         ? node.input_size()
                         : std::min(node.input_size(), kind == Kind::kConv ? 2 : 1);
    in_ids.clear();
    in_ranks.clear();
    const absl::Span<const int> slot_ids = index.NodeInputIds(i);
    for (int slot = 0; slot < read; ++slot) {
      const int id = slot_ids[slot];
      in_ids.push_back(id);
      in_ranks.push_back(ranks.Rank(id, node.input(slot)));
    }
    if (Classify(node, kind, opset, index, in_ranks)) {
      liftable[i] = 1;
      plan.kind[i] = kind;
      plan.input_ids.insert(plan.input_ids.end(), in_ids.begin(), in_ids.end());
      DataSlots(node, kind, in_ranks, plan.data_slots);
    } else if (kind == Kind::kConv && IsOnnxDomain(node) && node.input_size() > 0) {
      if (!shapes.Rank(node.input(0))) {
        ctx.Remark(&node, i, path) << "not lifted: rank of input '" << node.input(0)
                                   << "' is unknown" << shapes.UnknownOpsNote();
      }
    }
  }
  plan.input_begin[n] = static_cast<int>(plan.input_ids.size());
  plan.slot_begin[n] = static_cast<int>(plan.data_slots.size());
  return liftable;
}

// Groups the liftable nodes into regions connected through data slots and
// makes the nodes of regions holding a convolution the plan's nodes.
void KeepRegionsWithConv(const GraphIndex& index, const std::vector<char>& liftable,
                         LiftPlan& plan) {
  const int n = static_cast<int>(liftable.size());
  UnionFind uf(n);
  for (int i = 0; i < n; ++i) {
    if (!liftable[i]) continue;
    const absl::Span<const int> ids = plan.InputIds(i);
    for (int slot : plan.DataSlots(i)) {
      int p = index.ProducerIndexById(ids[slot]);
      if (p >= 0 && liftable[p]) uf.Union(i, p);
    }
  }
  std::vector<char> has_conv(n);
  for (int i = 0; i < n; ++i) {
    if (!liftable[i] || plan.kind[i] != Kind::kConv) continue;
    char& root = has_conv[uf.Find(i)];
    plan.regions += root == 0;
    root = 1;
  }
  plan.in_region.assign(n, 0);
  for (int i = 0; i < n; ++i) {
    if (!liftable[i] || !has_conv[uf.Find(i)]) continue;
    plan.nodes.push_back(i);
    plan.in_region[i] = 1;
    if (plan.kind[i] == Kind::kConv) ++plan.convs;
  }
}

// The values region nodes read through data slots or write, once each, in
// order of first use.
void CollectLiftedValues(const onnx::GraphProto& graph, const GraphIndex& index, LiftPlan& plan) {
  plan.lifted.assign(index.num_values(), 0);
  auto add_lifted = [&](int id, const std::string& name) {
    if (id < 0 || plan.lifted[id]) return;
    plan.lifted[id] = 1;
    plan.lifted_values.push_back({id, &name});
  };
  for (int i : plan.nodes) {
    const auto& node = graph.node(i);
    const absl::Span<const int> ids = plan.InputIds(i);
    for (int slot : plan.DataSlots(i)) add_lifted(ids[slot], node.input(slot));
    const absl::Span<const int> out_ids = index.NodeOutputIds(i);
    for (int k = 0; k < node.output_size(); ++k) add_lifted(out_ids[k], node.output(k));
  }
}

}  // namespace

LiftPlan MatchRegions(const onnx::GraphProto& graph, int64_t opset, const GraphIndex& index,
                      const ShapeAnalysis& shapes, ValueRanks& ranks, PassContext& ctx,
                      const std::string& path) {
  LiftPlan plan;
  const std::vector<char> liftable =
      ClassifyNodes(graph, opset, index, shapes, ranks, ctx, path, plan);
  if (std::find(liftable.begin(), liftable.end(), 1) == liftable.end()) return LiftPlan();
  KeepRegionsWithConv(index, liftable, plan);
  if (!plan.nodes.empty()) CollectLiftedValues(graph, index, plan);
  return plan;
}

RowBlocker FindRowBlocker(const onnx::GraphProto& graph, const GraphIndex& index,
                          const LiftPlan& plan, bool lift_interface) {
  RowBlocker b;
  // Boundaries that read a region value as rank 3 force H = 1.
  for (const LiftedValue& v : plan.lifted_values) {
    for (int c : index.ConsumersById(v.id)) {
      if (plan.in_region[c]) continue;
      b.name = NodeRef(graph.node(c), c);
      b.index = c;
      b.reason =
          absl::StrCat("it reads the lifted tensor '", *v.name, "' as rank 3 (no 4-D form here)");
      return b;
    }
    if (!lift_interface && index.IsGraphOutputById(v.id)) {
      b.name = *v.name;
      return b;
    }
  }
  // A computed rank-3 value entering the region is unsqueezed to H = 1, so
  // every row would see the same data: that fixes H as well.
  for (const LiftedValue& v : plan.lifted_values) {
    int p = index.ProducerIndexById(v.id);
    if (p < 0 || plan.in_region[p]) continue;
    if (ConstantInts(index, *v.name).has_value() || graph.node(p).op_type() == "Constant") continue;
    b.name = NodeRef(graph.node(p), p);
    b.index = p;
    b.reason = absl::StrCat("its rank-3 output '", *v.name, "' enters the region unsqueezed");
    return b;
  }
  for (int i : plan.nodes) {
    if (plan.kind[i] == Kind::kRowMixing) {
      b.name = NodeRef(graph.node(i), i);
      b.index = i;
      b.reason = "it normalizes over H and T together, mixing rows";
      return b;
    }
  }
  return b;
}

}  // namespace lift_conv1d
}  // namespace h8
