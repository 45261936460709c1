//===- FlattenGroups.cpp - Rewrite grouped convolutions to groups=1 -------===//
//
// Some deployments force groups=1 on every convolution. This pass rewrites
// each grouped Conv and ConvTranspose (group > 1, depthwise included, any
// spatial rank, before or after lift-conv1d) into exactly equivalent
// groups=1 computation, and reports what it costs.
//
// strategy=dense (default): the node keeps its place and gets a
// block-diagonal weight, zero outside each group's block.
//   Conv          W[O, C/g, k...] -> W'[O, C, k...]: output channel o (group
//                 o / (O/g)) reads input channels [grp*C/g, (grp+1)*C/g).
//   ConvTranspose W[C, O/g, k...] -> W'[C, O, k...]: input channel c (group
//                 c / (C/g)) writes output channels [grp*O/g, (grp+1)*O/g).
// In both layouts row r of axis 0 belongs to group r / (dims[0]/g) and its
// block moves to offset grp * dims[1] of the widened axis 1. An unshared
// constant weight is replaced in place under its name (names are ABI); a
// shared one is copied to a fresh initializer and left untouched. The bias
// is unchanged. MACs grow x g, weight bytes x g.
//
// Before (opset 13):
//   g (float[1,4,5] x) => (float[1,4,3] y)
//     <float[4,2,3] w = {...}>
//   {
//     y = Conv <group = 2, kernel_shape = [3]> (x, w)
//   }
// After (strategy=dense):
//     <float[4,4,3] w = {...block diagonal...}>
//     y = Conv <group = 1, kernel_shape = [3]> (x, w)
// After (strategy=split):
//     <float[2,2,3] w_g0 = {...}, float[2,2,3] w_g1 = {...}, int64[2] split = {2, 2}>
//     y_x0, y_x1 = Split <axis = 1> (x, split)
//     y_g0 = Conv <group = 1, kernel_shape = [3]> (y_x0, w_g0)
//     y_g1 = Conv <group = 1, kernel_shape = [3]> (y_x1, w_g1)
//     y = Concat <axis = 1> (y_g0, y_g1)
//
// strategy=split: the input is split into g channel groups, each runs a
// groups=1 convolution on its weight (and bias) slice, and a Concat on axis
// 1 writes the original output name. Split sizes are an attribute before
// opset 13 and an int64 input from 13; the plain equal-split form (with
// num_outputs from opset 18) is used only when the channel count is unknown.
// Weight and bias slices are new initializers; an unshared original is
// removed. MACs and weight bytes are unchanged.
//
// Fallbacks to split, each with a remark: max-growth=F (default 8; 0 = no
// limit) when the dense weight would grow more than F (growth is g); a weight that is not a
// constant initializer, or whose data cannot be rewritten, is split at run
// time with a Split on axis 0 (axis 0 is O for Conv and C for ConvTranspose,
// so equal parts are exactly the group slices). A non-constant bias is split
// the same way. Every new node keeps the original's attributes (auto_pad,
// pads, strides, dilations, kernel_shape, output_padding, output_shape) with
// group = 1.
//
// Cost report: a remark per rewritten node (weight bytes before/after, MAC
// factor), statistics convs-flattened / weight-bytes-before /
// weight-bytes-after, and one warning when the model's total initializer
// bytes grow more than 8x (Hailo-8 DFC 3.2x and later runs grouped and
// depthwise convolutions natively).
//
// Not handled: a Conv whose weight shape does not divide into its group
// (an invalid model) is left alone with a remark.
//
//===----------------------------------------------------------------------===//
#include <cstring>

#include "FlattenGroupsWeights.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "h8/Eval/Tensor.h"
#include "h8/IR/ElementType.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/GraphRewriter.h"
#include "h8/IR/Match.h"
#include "h8/IR/NameUniquer.h"
#include "h8/IR/NodeBuilder.h"
#include "h8/IR/TensorData.h"
#include "h8/Passes/Passes.h"

namespace h8 {
namespace {

constexpr double kWarnGrowth = 8.0;

using flatten_groups::BlockDiagonal;
using flatten_groups::Dims;
using flatten_groups::FloatWidth;
using flatten_groups::MakeRawTensor;
using flatten_groups::NumElements;
using flatten_groups::RawBytes;
using flatten_groups::TensorBytes;
using flatten_groups::WeightBytes;

/// A constant tensor cut into g equal slices along axis 0.
struct Slices {
  int32_t dtype = 0;
  std::vector<int64_t> dims;  // of one slice
  std::vector<std::string> bytes;
};

/// Everything the rewrite of one node needs, computed before any mutation.
struct NodePlan {
  int index = -1;
  int64_t group = 1;
  bool dense = true;
  std::string fallback;  // why a dense request became split ("" if none)
  // dense
  bool in_place = false;
  std::vector<int64_t> dense_dims;
  std::string dense_bytes;
  int32_t dtype = 0;
  // split
  std::optional<Slices> weight_slices;  // nullopt: Split at run time
  std::optional<Slices> bias_slices;  // nullopt: Split at run time (if any bias)
  int64_t in_part = 0;  // input channels per group (0: unknown)
  int64_t weight_part = 0;  // weight rows per group (0: unknown)
  int64_t bias_part = 0;  // bias entries per group (0: unknown)
  // cost
  int64_t bytes_before = 0;
  int64_t bytes_after = 0;
};

/// State shared by the graphs of one model, reset by BeginModel.
struct RunState {
  std::optional<NameUniquer> names;
  int64_t flattened = 0;
  int64_t weight_bytes_before = 0;
};

class FlattenGroupsPass : public GraphPass {
 public:
  explicit FlattenGroupsPass(const FlattenGroupsOptions& options) : options_(options) {}
  absl::string_view Argument() const override { return "flatten-groups"; }

 protected:
  absl::Status BeginModel(onnx::ModelProto& model, PassContext& ctx) override;
  absl::StatusOr<bool> RunOnGraph(GraphRef ref, PassContext& ctx) override;
  absl::StatusOr<bool> EndModel(onnx::ModelProto& model, PassContext& ctx, bool changed) override;

 private:
  std::optional<NodePlan> Match(const onnx::GraphProto& graph, const GraphIndex& index, int i,
                                const GraphRef& ref, PassContext& ctx);
  void ChooseStrategy(const GraphIndex& index, const onnx::NodeProto& node,
                      const onnx::TensorProto* winit,
                      const std::optional<std::vector<int64_t>>& wdims, PassContext& ctx,
                      NodePlan& plan) const;
  const FlattenGroupsOptions options_;
  RunState state_;
  Statistic convs_flattened_{this, "convs-flattened", "Grouped convolutions rewritten"};
  Statistic weight_bytes_before_{this, "weight-bytes-before",
                                 "Weight bytes of the rewritten convolutions before"};
  Statistic weight_bytes_after_{this, "weight-bytes-after",
                                "Weight bytes of the rewritten convolutions after"};
};

bool IsConstantInit(const GraphIndex& index, const std::string& v) {
  return !v.empty() && index.IsConstantInitializer(v);
}

bool IsUnshared(const GraphIndex& index, const std::string& v) {
  return IsConstantInit(index, v) && index.NumUses(v) == 1 && !index.IsGraphOutput(v);
}

std::optional<Slices> SliceConstant(const onnx::TensorProto& t, int64_t group,
                                    const std::string& base_dir) {
  if (t.dims_size() == 0 || t.dims(0) % group != 0) return std::nullopt;
  auto bytes = RawBytes(t, base_dir);
  if (!bytes.ok()) return std::nullopt;
  Slices s;
  s.dtype = t.data_type();
  s.dims = Dims(t);
  s.dims[0] /= group;
  const size_t part = bytes->size() / group;
  for (int64_t k = 0; k < group; ++k) s.bytes.push_back(bytes->substr(k * part, part));
  return s;
}

std::optional<NodePlan> FlattenGroupsPass::Match(const onnx::GraphProto& graph,
                                                 const GraphIndex& index, int i,
                                                 const GraphRef& ref, PassContext& ctx) {
  const onnx::NodeProto& node = graph.node(i);
  const std::string& op = node.op_type();
  const bool transpose = op == "ConvTranspose";
  if ((op != "Conv" && !transpose) || !IsOnnxDomain(node)) return std::nullopt;
  const std::string& only = options_.only;
  if ((only == "conv" && transpose) || (only == "convtranspose" && !transpose)) return std::nullopt;
  const int64_t group = GetIntAttr(node, "group", 1);
  if (group <= 1 || node.input_size() < 2 || node.output_size() < 1) return std::nullopt;

  NodePlan plan;
  plan.index = i;
  plan.group = group;
  const std::string& x = node.input(0);
  const std::string& w = node.input(1);
  const std::string b = node.input_size() > 2 ? node.input(2) : "";
  const onnx::TensorProto* winit = IsConstantInit(index, w) ? index.Initializer(w) : nullptr;

  // Weight shape and element type, from the initializer or the value's type.
  std::optional<std::vector<int64_t>> wdims;
  int32_t wtype = 0;
  if (winit != nullptr) {
    wdims = Dims(*winit);
    wtype = winit->data_type();
  } else {
    wdims = index.StaticShape(w);
    if (const auto* t = index.Type(w); t != nullptr && t->has_tensor_type())
      wtype = t->tensor_type().elem_type();
  }
  if (wdims && (wdims->size() < 3 || (*wdims)[0] % group != 0)) {
    ctx.Remark(&node, i, ref.path)
        << "not flattened: weight '" << w << "' of shape [" << absl::StrJoin(*wdims, ",")
        << "] does not divide into group = " << group;
    return std::nullopt;
  }
  // The input's channels must be what the weight and group imply, or the
  // model is inconsistent and there is nothing exact to preserve.
  if (auto xs = index.StaticShape(x); xs && xs->size() > 1 && wdims) {
    const int64_t implied = transpose ? (*wdims)[0] : (*wdims)[1] * group;
    if ((*xs)[1] != implied) {
      ctx.Remark(&node, i, ref.path)
          << "not flattened: input '" << x << "' has " << (*xs)[1] << " channels, weight ["
          << absl::StrJoin(*wdims, ",") << "] with group = " << group << " implies " << implied;
      return std::nullopt;
    }
  }
  const int64_t width = FloatWidth(wtype);
  plan.dtype = wtype;
  plan.bytes_before = wdims && width > 0 ? NumElements(*wdims) * width : 0;

  // Channels per group of the input, rows per group of the weight and
  // entries per group of the bias (0: unknown, equal split at run time).
  if (wdims) {
    plan.weight_part = (*wdims)[0] / group;
    plan.in_part = transpose ? (*wdims)[0] / group : (*wdims)[1];
    plan.bias_part = transpose ? (*wdims)[1] : (*wdims)[0] / group;
  } else if (auto xs = index.StaticShape(x); xs && xs->size() > 1 && (*xs)[1] % group == 0) {
    plan.in_part = (*xs)[1] / group;
  }
  if (plan.bias_part == 0 && !b.empty())
    if (auto bs = index.StaticShape(b); bs && bs->size() == 1 && (*bs)[0] % group == 0)
      plan.bias_part = (*bs)[0] / group;

  ChooseStrategy(index, node, winit, wdims, ctx, plan);
  return plan;
}

// Dense or split (options, max-growth, whether the weight's bytes can be
// read), and the weight in the form the strategy needs.
void FlattenGroupsPass::ChooseStrategy(const GraphIndex& index, const onnx::NodeProto& node,
                                       const onnx::TensorProto* winit,
                                       const std::optional<std::vector<int64_t>>& wdims,
                                       PassContext& ctx, NodePlan& plan) const {
  const int64_t group = plan.group;
  const int32_t wtype = plan.dtype;
  const std::string& w = node.input(1);
  const std::string b = node.input_size() > 2 ? node.input(2) : "";
  plan.dense = options_.strategy == "dense";
  if (plan.dense && options_.max_growth > 0 && static_cast<double>(group) > options_.max_growth) {
    plan.dense = false;
    plan.fallback = absl::StrCat("dense weight would grow x", group,
                                 ", more than max-growth = ", options_.max_growth);
  }
  std::optional<std::string> wbytes;
  std::string why_runtime;
  if (winit == nullptr) {
    why_runtime = absl::StrCat("weight '", w, "' is not a constant initializer");
  } else {
    auto bytes = RawBytes(*winit, ctx.base_dir());
    if (bytes.ok()) wbytes = std::move(*bytes);
    else why_runtime = std::string(bytes.status().message());
  }
  if (!wbytes && plan.dense) {
    plan.dense = false;
    plan.fallback = why_runtime;
  }

  if (plan.dense) {
    plan.in_place = IsUnshared(index, w);
    plan.dense_dims = *wdims;
    plan.dense_dims[1] *= group;
    plan.dense_bytes = BlockDiagonal(*wbytes, (*wdims)[0], group);
    plan.bytes_after = static_cast<int64_t>(plan.dense_bytes.size());
    return;
  }

  if (wbytes) {
    Slices s;
    s.dtype = wtype;
    s.dims = *wdims;
    s.dims[0] /= group;
    const size_t part = wbytes->size() / group;
    for (int64_t k = 0; k < group; ++k) s.bytes.push_back(wbytes->substr(k * part, part));
    plan.weight_slices = std::move(s);
  } else if (plan.fallback.empty()) {
    // strategy=split asked for; the slices come from a run-time Split.
    plan.fallback = why_runtime;
  }
  if (IsConstantInit(index, b))
    plan.bias_slices = SliceConstant(*index.Initializer(b), group, ctx.base_dir());
  plan.bytes_after = plan.bytes_before;
}

// Applies the plans of one graph. Every structural edit goes through
// `rewriter`; the in-place ones change only tensor bytes, dims and
// attributes.
class GroupRewriter {
 public:
  GroupRewriter(onnx::GraphProto& graph, int64_t opset, const GraphIndex& index, NameUniquer& names,
                GraphRewriter& rewriter)
      : graph_(graph), opset_(opset), index_(index), names_(names), rewriter_(rewriter) {
    for (auto& vi : *graph_.mutable_value_info()) value_infos_.emplace(vi.name(), &vi);
  }

  // One dense convolution with a block-diagonal weight.
  void Densify(NodePlan& plan);
  // g convolutions over Split inputs and weights, joined by a Concat.
  void SplitIntoGroups(NodePlan& plan);

 private:
  const std::vector<std::string>& ConstantSlices(const std::string& v, int64_t g, Slices& slices);
  onnx::NodeProto MakeSplit(const std::string& input, const std::vector<std::string>& outputs,
                            int64_t axis, int64_t part, const std::string& name);
  std::vector<std::string> RuntimeParts(const std::string& v, int64_t g) {
    std::vector<std::string> parts;
    for (int64_t k = 0; k < g; ++k) parts.push_back(names_.Unique(absl::StrCat(v, "_g", k)));
    return parts;
  }
  static std::string Named(const std::string& base, absl::string_view suffix) {
    return base.empty() ? std::string() : absl::StrCat(base, suffix);
  }

  onnx::GraphProto& graph_;
  const int64_t opset_;
  const GraphIndex& index_;
  NameUniquer& names_;
  GraphRewriter& rewriter_;
  absl::flat_hash_map<std::string, onnx::ValueInfoProto*> value_infos_;
  absl::flat_hash_map<std::pair<int64_t, int64_t>, std::string> split_inits_;
  // (shared constant, group) -> its dense copy / its slices.
  absl::flat_hash_map<std::pair<std::string, int64_t>, std::string> dense_copies_;
  absl::flat_hash_map<std::pair<std::string, int64_t>, std::vector<std::string>> slice_names_;
};

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

absl::StatusOr<bool> FlattenGroupsPass::RunOnGraph(GraphRef ref, PassContext& ctx) {
  onnx::GraphProto& graph = *ref.graph;
  const std::shared_ptr<const GraphIndex> index_ptr = ctx.analyses().Index(graph);
  const GraphIndex& index = *index_ptr;

  // Match every grouped convolution fully; nothing before the rewrites
  // below has touched the graph.
  std::vector<NodePlan> plans;
  for (int i = 0; i < graph.node_size(); ++i)
    if (auto plan = Match(graph, index, i, ref, ctx)) plans.push_back(std::move(*plan));
  if (plans.empty()) return false;

  GraphRewriter rewriter(graph);
  GroupRewriter groups(graph, ref.opset, index, *state_.names, rewriter);
  for (NodePlan& plan : plans) {
    const int i = plan.index;
    const int64_t g = plan.group;
    if (!plan.fallback.empty())
      ctx.Remark(&graph.node(i), i, ref.path)
          << (options_.strategy == "dense" ? "falling back to split: "
                                           : "splitting the weight at run time: ")
          << plan.fallback;
    if (plan.dense) groups.Densify(plan);
    else groups.SplitIntoGroups(plan);

    const onnx::NodeProto& shown = graph.node(i);
    ctx.Remark(&shown, i, ref.path)
        << "group " << g << " -> 1 ("
        << (plan.dense ? "dense" : absl::StrCat("split into ", g, " convolutions"))
        << "): weight bytes " << plan.bytes_before << " -> " << plan.bytes_after << ", MACs x"
        << (plan.dense ? g : 1);
    convs_flattened_.Add(ctx);
    weight_bytes_before_.Add(ctx, plan.bytes_before);
    weight_bytes_after_.Add(ctx, plan.bytes_after);
    ++state_.flattened;
  }
  // Every edit of the graph's structure went through the rewriter (the
  // in-place ones change tensor bytes, dims and attributes): the manager
  // updates the index and verifies only what the commit touched.
  ctx.analyses().Commit(rewriter, graph);
  return true;
}

absl::Status FlattenGroupsPass::BeginModel(onnx::ModelProto& model, PassContext&) {
  state_ = RunState{};
  state_.names.emplace(model);
  state_.weight_bytes_before = WeightBytes(model.graph());
  return absl::OkStatus();
}

absl::StatusOr<bool> FlattenGroupsPass::EndModel(onnx::ModelProto& model, PassContext& ctx,
                                                 bool changed) {
  if (!changed) return false;
  const int64_t before = state_.weight_bytes_before;
  const int64_t after = WeightBytes(model.graph());
  if (before > 0 && static_cast<double>(after) > kWarnGrowth * static_cast<double>(before)) {
    ctx.Warning() << "flattening " << state_.flattened
                  << " grouped convolution(s) grew the model's weights from " << before << " to "
                  << after << " bytes ("
                  << absl::StrFormat("x%.1f", static_cast<double>(after) / before)
                  << "); Hailo-8 DFC 3.2x and later runs depthwise and grouped convolutions "
                     "natively, so consider keeping them, or use strategy=split or max-growth";
  }
  return true;
}

}  // namespace

std::unique_ptr<Pass> CreateFlattenGroupsPass(const FlattenGroupsOptions& options) {
  return std::make_unique<FlattenGroupsPass>(options);
}

}  // namespace h8
