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
// Parts: matching in LiftConv1dMatch.cpp, rewriting in LiftConv1dRewrite.cpp;
// this file runs them per graph.
//
//===----------------------------------------------------------------------===//
#include "h8/Passes/LiftConv1d.h"
#include "LiftConv1dMatch.h"
#include "LiftConv1dRewrite.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/GraphIndex.h"
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
