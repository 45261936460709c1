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
// This file matches and plans each node and drives the pass; the rewrites
// are FlattenGroupsRewrite.cpp's, the weight bytes FlattenGroupsWeights.cpp's.
//
//===----------------------------------------------------------------------===//
#include <cstring>

#include "FlattenGroupsRewrite.h"
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
using flatten_groups::GroupRewriter;
using flatten_groups::IsConstantInit;
using flatten_groups::IsUnshared;
using flatten_groups::NodePlan;
using flatten_groups::NumElements;
using flatten_groups::RawBytes;
using flatten_groups::Slices;
using flatten_groups::WeightBytes;

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
