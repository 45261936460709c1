//===- LiftConv1dMatch.cpp - lift-conv1d's matching and analysis -------===//
#include "LiftConv1dMatch.h"

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

// Input slots of `node` that carry the lifted tensor (not weights, pads,
// axes or scalars).
std::vector<int> DataSlots(const onnx::NodeProto& node, Kind kind, const ShapeAnalysis& shapes) {
  auto r = [&](int slot) {
    if (slot >= node.input_size() || node.input(slot).empty()) return -1;
    return shapes.Rank(node.input(slot)).value_or(-1);
  };
  std::vector<int> slots;
  if (kind == Kind::kBinary || node.op_type() == "Concat") {
    for (int i = 0; i < node.input_size(); ++i)
      if (r(i) == 3) slots.push_back(i);
    return slots;
  }
  if (r(0) == 3) slots.push_back(0);
  return slots;
}

// Whether a Reduce* node takes its axes as input 1 (ReduceSum from opset
// 13, the other reductions from 18).
bool ReduceAxesIsInput(const onnx::NodeProto& node, int64_t opset) {
  return opset >= 18 || (node.op_type() == "ReduceSum" && opset >= 13);
}

// Whether `node` has a 4-D form in this graph.
bool Classify(const onnx::NodeProto& node, Kind kind, int64_t opset, const GraphIndex& index,
              const ShapeAnalysis& shapes) {
  auto r = [&](int slot) {
    if (slot >= node.input_size() || node.input(slot).empty()) return -1;
    return shapes.Rank(node.input(slot)).value_or(-1);
  };
  if (!IsOnnxDomain(node) || node.input_size() == 0) return false;
  switch (kind) {
    case Kind::kConv: return r(0) == 3 && r(1) == 3;
    case Kind::kPool: return r(0) == 3 && (node.output_size() < 2 || node.output(1).empty());
    case Kind::kUnary:
    case Kind::kRowMixing:
      if (node.op_type() == "BatchNormalization" && node.output_size() > 1) return false;
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

void LiftSpatialList(onnx::NodeProto& node, absl::string_view name, int64_t unit) {
  auto values = GetIntsAttr(node, name);
  if (!values) return;
  std::vector<int64_t> v = *values;
  if (name == "pads") {
    if (v.size() != 2) return;
    SetIntsAttr(node, name, {0, v[0], 0, v[1]});
  } else {
    if (v.size() != 1) return;
    SetIntsAttr(node, name, {unit, v[0]});
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

// Renames the reads of the outer value `from` inside `body` (and the bodies
// nested in it) to `to`, unless a scope defines its own `from`.
void RenameOuterReads(onnx::GraphProto& body, const std::string& from, const std::string& to) {
  for (const auto& in : body.input())
    if (in.name() == from) return;
  for (const auto& init : body.initializer())
    if (init.name() == from) return;
  for (const auto& node : body.node())
    for (const auto& o : node.output())
      if (o == from) return;
  for (auto& node : *body.mutable_node()) {
    for (auto& in : *node.mutable_input())
      if (in == from) in = to;
    for (auto& attr : *node.mutable_attribute()) {
      if (attr.has_g()) RenameOuterReads(*attr.mutable_g(), from, to);
      for (auto& g : *attr.mutable_graphs()) RenameOuterReads(g, from, to);
    }
  }
  for (auto& out : *body.mutable_output())
    if (out.name() == from) out.set_name(to);
}

LiftPlan MatchRegions(const onnx::GraphProto& graph, int64_t opset, const GraphIndex& index,
                      const ShapeAnalysis& shapes, PassContext& ctx, const std::string& path) {
  const int n = graph.node_size();
  absl::flat_hash_map<int, Kind> liftable;
  for (int i = 0; i < n; ++i) {
    const auto& node = graph.node(i);
    auto it = OpKinds().find(node.op_type());
    if (it == OpKinds().end()) continue;
    if (Classify(node, it->second, opset, index, shapes)) {
      liftable.emplace(i, it->second);
    } else if (it->second == Kind::kConv && IsOnnxDomain(node) && node.input_size() > 0) {
      if (!shapes.Rank(node.input(0))) {
        ctx.Remark(&node, i, path) << "not lifted: rank of input '" << node.input(0)
                                   << "' is unknown" << shapes.UnknownOpsNote();
      }
    }
  }
  if (liftable.empty()) return LiftPlan();
  UnionFind uf(n);
  absl::flat_hash_map<int, std::vector<int>> data_slots;
  for (const auto& [i, kind] : liftable) {
    const auto& node = graph.node(i);
    data_slots[i] = DataSlots(node, kind, shapes);
    for (int slot : data_slots[i]) {
      int p = index.ProducerIndex(node.input(slot));
      if (p >= 0 && liftable.contains(p)) uf.Union(i, p);
    }
  }
  absl::flat_hash_set<int> has_conv;
  for (const auto& [i, kind] : liftable)
    if (kind == Kind::kConv) has_conv.insert(uf.Find(i));
  LiftPlan plan;
  plan.regions = static_cast<int>(has_conv.size());
  for (int i = 0; i < n; ++i) {
    auto it = liftable.find(i);
    if (it == liftable.end() || !has_conv.contains(uf.Find(i))) continue;
    plan.nodes.push_back(i);
    plan.in_region.insert(i);
    plan.kind[i] = it->second;
    if (it->second == Kind::kConv) ++plan.convs;
  }
  if (plan.nodes.empty()) return plan;
  auto add_lifted = [&](const std::string& v) {
    if (!v.empty() && plan.lifted.insert(v).second) plan.lifted_values.push_back(v);
  };
  for (int i : plan.nodes) {
    const auto& node = graph.node(i);
    for (int slot : data_slots[i]) add_lifted(node.input(slot));
    for (const auto& o : node.output()) add_lifted(o);
  }
  plan.data_slots = std::move(data_slots);
  return plan;
}

RowBlocker FindRowBlocker(const onnx::GraphProto& graph, const GraphIndex& index,
                          const LiftPlan& plan, bool lift_interface) {
  RowBlocker b;
  // Boundaries that read a region value as rank 3 force H = 1.
  for (const std::string& v : plan.lifted_values) {
    for (int c : index.Consumers(v)) {
      if (plan.in_region.contains(c)) continue;
      if (b.name.empty()) {
        b.name = NodeRef(graph.node(c), c);
        b.index = c;
        b.reason =
            absl::StrCat("it reads the lifted tensor '", v, "' as rank 3 (no 4-D form here)");
      }
    }
    if (index.IsGraphOutput(v) && !lift_interface && b.name.empty()) b.name = v;
  }
  // A computed rank-3 value entering the region is unsqueezed to H = 1, so
  // every row would see the same data: that fixes H as well.
  for (const std::string& v : plan.lifted_values) {
    int p = index.ProducerIndex(v);
    if (!b.name.empty() || p < 0 || plan.in_region.contains(p)) continue;
    if (ConstantInts(index, v).has_value() || graph.node(p).op_type() == "Constant") continue;
    b.name = NodeRef(graph.node(p), p);
    b.index = p;
    b.reason = absl::StrCat("its rank-3 output '", v, "' enters the region unsqueezed");
  }
  for (int i : plan.nodes) {
    if (plan.kind.at(i) == Kind::kRowMixing && b.name.empty()) {
      b.name = NodeRef(graph.node(i), i);
      b.index = i;
      b.reason = "it normalizes over H and T together, mixing rows";
    }
  }
  return b;
}

}  // namespace lift_conv1d
}  // namespace h8
