//===- LiftConv1dRewrite.cpp - lift-conv1d's rewriting of regions ---------===//
#include "LiftConv1dRewrite.h"

#include <numeric>

#include "absl/strings/str_cat.h"
#include "h8/IR/Match.h"

namespace h8 {
namespace lift_conv1d {

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

}  // namespace lift_conv1d
}  // namespace h8
