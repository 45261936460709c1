//===- FlattenGroupsRewrite.cpp - flatten-groups' rewrites ----------------===//
#include "FlattenGroupsRewrite.h"

#include "FlattenGroupsWeights.h"
#include "h8/IR/Match.h"
#include "h8/IR/NodeBuilder.h"
#include "h8/IR/TensorData.h"

namespace h8 {
namespace flatten_groups {

bool IsConstantInit(const GraphIndex& index, const std::string& v) {
  return !v.empty() && index.IsConstantInitializer(v);
}

bool IsUnshared(const GraphIndex& index, const std::string& v) {
  return IsConstantInit(index, v) && index.NumUses(v) == 1 && !index.IsGraphOutput(v);
}

// Names of the g slices of constant `v`, added once per (v, g).
const std::vector<std::string>& GroupRewriter::ConstantSlices(const std::string& v, int64_t g,
                                                              Slices& slices) {
  auto [it, fresh] = slice_names_.try_emplace(std::make_pair(v, g));
  if (fresh) {
    for (int64_t k = 0; k < g; ++k) {
      it->second.push_back(names_.Unique(absl::StrCat(v, "_g", k)));
      rewriter_.AddInitializer(
          MakeRawTensor(it->second.back(), slices.dtype, slices.dims, std::move(slices.bytes[k])));
    }
    if (IsUnshared(index_, v)) rewriter_.EraseInitializer(index_.InitializerIndex(v));
  }
  return it->second;
}

// `outputs` = Split(input) on `axis` into equal parts of `part` (0:
// unknown), in the form the opset wants.
onnx::NodeProto GroupRewriter::MakeSplit(const std::string& input,
                                         const std::vector<std::string>& outputs, int64_t axis,
                                         int64_t part, const std::string& name) {
  onnx::NodeProto split;
  split.set_op_type("Split");
  if (!name.empty()) split.set_name(names_.Unique(name));
  split.add_input(input);
  for (const auto& o : outputs) split.add_output(o);
  SetIntAttr(split, "axis", axis);
  const int64_t parts = static_cast<int64_t>(outputs.size());
  if (part > 0 && opset_ < 13) {
    SetIntsAttr(split, "split", std::vector<int64_t>(parts, part));
  } else if (part > 0) {
    auto key = std::make_pair(parts, part);
    auto it = split_inits_.find(key);
    if (it == split_inits_.end()) {
      std::string sname = names_.Unique("flatten_groups_split");
      rewriter_.AddInitializer(MakeInt64Tensor(sname, std::vector<int64_t>(parts, part)));
      it = split_inits_.emplace(key, sname).first;
    }
    split.add_input(it->second);
  } else if (opset_ >= 18) {
    SetIntAttr(split, "num_outputs", parts);
  }
  return split;
}

void GroupRewriter::Densify(NodePlan& plan) {
  const int i = plan.index;
  onnx::NodeProto& node = *graph_.mutable_node(i);
  const std::string w = node.input(1);
  if (plan.in_place) {
    onnx::TensorProto* init = graph_.mutable_initializer(index_.InitializerIndex(w));
    std::string doc = init->doc_string();
    *init = MakeRawTensor(w, plan.dtype, plan.dense_dims, std::move(plan.dense_bytes));
    if (!doc.empty()) init->set_doc_string(doc);
    if (auto it = value_infos_.find(w); it != value_infos_.end()) {
      auto* shape = it->second->mutable_type()->mutable_tensor_type()->mutable_shape();
      if (shape->dim_size() > 1) shape->mutable_dim(1)->set_dim_value(plan.dense_dims[1]);
    }
  } else {
    // Readers of one shared weight with the same group share one copy
    // (the widening is the same for Conv and ConvTranspose).
    auto [it, fresh] = dense_copies_.try_emplace(std::make_pair(w, plan.group));
    if (fresh) {
      it->second = names_.Unique(absl::StrCat(w, "_dense"));
      rewriter_.AddInitializer(
          MakeRawTensor(it->second, plan.dtype, plan.dense_dims, std::move(plan.dense_bytes)));
    }
    rewriter_.SetInput(i, 1, it->second);
  }
  SetIntAttr(node, "group", 1);
}

void GroupRewriter::SplitIntoGroups(NodePlan& plan) {
  const int i = plan.index;
  const onnx::NodeProto& node = graph_.node(i);
  const std::string w = node.input(1);
  const std::string b = node.input_size() > 2 ? node.input(2) : "";
  const int64_t g = plan.group;
  const std::string& x = node.input(0);
  const std::string y = node.output(0);
  std::vector<std::string> xs, ws, bs, ys;
  for (int64_t k = 0; k < g; ++k) {
    xs.push_back(names_.Unique(absl::StrCat(y, "_x", k)));
    ys.push_back(names_.Unique(absl::StrCat(y, "_g", k)));
  }
  rewriter_.InsertBefore(i, MakeSplit(x, xs, 1, plan.in_part, Named(node.name(), "_split")));
  if (plan.weight_slices) {
    ws = ConstantSlices(w, g, *plan.weight_slices);
  } else {
    ws = RuntimeParts(w, g);
    rewriter_.InsertBefore(
        i, MakeSplit(w, ws, 0, plan.weight_part, Named(node.name(), "_split_weight")));
  }
  if (!b.empty() && plan.bias_slices) {
    bs = ConstantSlices(b, g, *plan.bias_slices);
  } else if (!b.empty()) {
    bs = RuntimeParts(b, g);
    rewriter_.InsertBefore(i,
                           MakeSplit(b, bs, 0, plan.bias_part, Named(node.name(), "_split_bias")));
  }
  for (int64_t k = 0; k < g; ++k) {
    onnx::NodeProto conv = node;
    conv.clear_input();
    conv.clear_output();
    if (!node.name().empty()) conv.set_name(names_.Unique(absl::StrCat(node.name(), "_g", k)));
    conv.add_input(xs[k]);
    conv.add_input(ws[k]);
    if (!b.empty()) conv.add_input(bs[k]);
    conv.add_output(ys[k]);
    SetIntAttr(conv, "group", 1);
    rewriter_.InsertBefore(i, std::move(conv));
  }
  onnx::NodeProto concat;
  concat.set_op_type("Concat");
  if (!node.name().empty()) concat.set_name(names_.Unique(absl::StrCat(node.name(), "_concat")));
  for (const auto& o : ys) concat.add_input(o);
  concat.add_output(y);
  SetIntAttr(concat, "axis", 1);
  rewriter_.InsertBefore(i, std::move(concat));
  rewriter_.Erase(i);
}

}  // namespace flatten_groups
}  // namespace h8
