//===- FoldConstants.cpp - Evaluate constant subgraphs ahead of time ------===//
//
// Before (after pin-shape made x static):
//   s = Shape (x)               # x: float[1,9,100]
//   b = Gather <axis = 0> (s, zero)
//   ...
//   y = Reshape (x, shape)      # shape computed from b
// After:
//   <int64[2] shape = {1, 900}>
//   y = Reshape (x, shape)
//
// A node is folded when every input is constant (an initializer that is not
// a graph input, a Constant node, or an earlier folded value), or when the
// shape analysis knows its outputs exactly (Shape/Size of a static tensor,
// a static dim gathered out of a partly dynamic shape). Its outputs become
// initializers under their original names, so names never change; nodes
// left without readers are removed. One forward sweep reaches the fixed
// point for a topologically sorted graph; pin-shape alternates it with
// shape inference.
//
// Never folded: ops with randomness (Random*, Multinomial), Dropout with a
// training_mode input, ops of other domains or that the evaluator lacks
// (remark), nodes whose outputs would add more than max-growth-bytes
// beyond their inputs (remark; keeps models from bloating; checked before
// evaluating when the analysis knows the output shapes, and bounded by the
// evaluator's live-bytes budget when it does not), and nodes whose estimated
// work exceeds max-work (remark; checked before evaluating).
// A Reshape that became a no-op (static input shape equals its output
// shape) is removed unless its output is a graph output.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/Eval/Evaluator.h"
#include "h8/IR/ElementType.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/GraphRewriter.h"
#include "h8/IR/Match.h"
#include "h8/IR/OpTraits.h"
#include "h8/Passes/Passes.h"
#include "h8/Support/Status.h"

namespace h8 {
namespace {

bool NeverFold(const onnx::NodeProto& node) {
  const absl::string_view op = node.op_type();
  if (GetOpTraits(op).random || op == "If" || op == "Loop" || op == "Scan") return true;
  // Dropout in training mode draws random masks.
  return op == "Dropout" && node.input_size() > 2 && !node.input(2).empty();
}

// Bytes the tensor takes in the model (its ONNX element type's size).
int64_t TensorBytes(const Tensor& t) { return t.NumElements() * std::max(1, ElementSize(t.dtype)); }

// Bytes of `node`'s outputs when the analysis knows every output's static
// shape and type; nullopt otherwise (or on overflow).
std::optional<int64_t> StaticOutputBytes(const onnx::NodeProto& node, const ShapeAnalysis& shapes) {
  int64_t total = 0;
  for (const auto& o : node.output()) {
    if (o.empty()) continue;
    const ValueFacts* f = shapes.Facts(o);
    std::optional<std::vector<int64_t>> dims = f ? f->StaticDims() : std::nullopt;
    if (!dims || f->elem_type == 0) return std::nullopt;
    int64_t bytes = std::max(1, ElementSize(f->elem_type));
    for (int64_t d : *dims)
      if (__builtin_mul_overflow(bytes, d, &bytes)) return std::nullopt;
    if (__builtin_add_overflow(total, bytes, &total)) return std::nullopt;
  }
  return total;
}

/// What folding counts, declared with the pass.
struct FoldStatistics {
  explicit FoldStatistics(Pass* owner)
      : nodes_folded(owner, "nodes-folded", "Nodes evaluated into initializers"),
        reshapes_removed(owner, "reshapes-removed",
                         "Reshapes whose static input and output shapes are equal"),
        initializers_deduplicated(owner, "initializers-deduplicated",
                                  "Folded initializers replaced by an equal one (dedupe=true)") {}
  Statistic nodes_folded;
  Statistic reshapes_removed;
  Statistic initializers_deduplicated;
};

absl::StatusOr<bool> Fold(onnx::ModelProto& model, const FoldConstantsOptions& options,
                          PassContext& ctx, const ShapeAnalysis* given_shapes,
                          const FoldStatistics& stats);

class FoldConstantsPass : public Pass {
 public:
  FoldConstantsPass(const FoldConstantsOptions& options, const ShapeAnalysis* shapes)
      : options_(options), shapes_(shapes) {}
  absl::string_view Argument() const override { return "fold-constants"; }
  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) override {
    return Fold(model, options_, ctx, shapes_, stats_);
  }

 private:
  FoldConstantsOptions options_;
  // The analysis of the model the pass is created for (pin-shape's), or
  // nullptr: one is computed.
  const ShapeAnalysis* shapes_;
  FoldStatistics stats_{this};
};

absl::StatusOr<bool> Fold(onnx::ModelProto& model, const FoldConstantsOptions& options,
                          PassContext& ctx, const ShapeAnalysis* given_shapes,
                          const FoldStatistics& stats) {
  onnx::GraphProto& graph = *model.mutable_graph();
  const int64_t opset = OnnxOpsetVersion(model);
  // No use-def index: folding needs the initializers by name, the graph's
  // inputs and outputs, and nothing else (building an index would cost
  // more than the walk below on a graph with nothing to fold).
  absl::flat_hash_set<absl::string_view> graph_inputs, graph_outputs;
  for (const auto& in : graph.input()) graph_inputs.insert(in.name());
  for (const auto& out : graph.output()) graph_outputs.insert(out.name());
  // The analysis is asked for only when something can use it. Values it
  // knows the contents of without every input being constant start at
  // Shape or Size (the only ops whose output contents come from input
  // dims) or at a control-flow node; with none of those, and nothing
  // constant to size, a graph has nothing to fold and no no-op Reshape to
  // drop without it. The graph is not changed before the commit below, so
  // a late request sees the graph as it was at the start.
  bool shape_roots = false;
  for (const auto& node : graph.node()) {
    const absl::string_view op = node.op_type();
    if (op == "Shape" || op == "Size" || op == "If" || op == "Loop" || op == "Scan") {
      shape_roots = true;
      break;
    }
  }
  std::shared_ptr<const ShapeAnalysis> own_shapes;
  auto shapes_of = [&]() -> const ShapeAnalysis& {
    if (given_shapes != nullptr) return *given_shapes;
    if (own_shapes == nullptr) own_shapes = ctx.analyses().Shapes(model);
    return *own_shapes;
  };
  GraphRewriter rewriter(graph);
  // Constant values decoded so far; initializers are decoded only when a
  // fully constant node needs them.
  // node_hash_map: pointers to values stay valid while more are decoded.
  absl::node_hash_map<std::string, Tensor> values;
  // Constant values by name: an initializer (not overridable as an input),
  // or nullptr for a value folded here (in `values`). Views into the graph,
  // which does not change before the commit below. The initializers come
  // from the use-def index when a valid one is cached (a pass before kept
  // it): tabling them again cost more than the rest of a run with nothing
  // to fold. Otherwise they are tabled here.
  // A given analysis' index is current (see CreateFoldConstantsPass).
  const std::shared_ptr<const GraphIndex> cached = ctx.analyses().CachedIndex(graph);
  const GraphIndex* index = cached.get();
  if (index == nullptr && given_shapes != nullptr && given_shapes->index() != nullptr &&
      &given_shapes->index()->graph() == &graph)
    index = given_shapes->index();
  // With the analysis built over that index, facts are read by id.
  auto analysis_by_id = [&](const ShapeAnalysis& shapes) {
    return index != nullptr && shapes.index() == index;
  };
  absl::flat_hash_map<absl::string_view, const onnx::TensorProto*> constants;
  if (index == nullptr) {
    constants.reserve(graph.initializer_size());
    for (const auto& init : graph.initializer())
      if (!graph_inputs.contains(init.name())) constants.emplace(init.name(), &init);
  }
  auto initializer = [&](absl::string_view name) -> const onnx::TensorProto* {
    if (index == nullptr) return nullptr;
    return index->IsConstantInitializer(name) ? index->Initializer(name) : nullptr;
  };
  auto is_const = [&](absl::string_view name) {
    return (!constants.empty() && constants.contains(name)) || initializer(name) != nullptr;
  };
  auto value_of = [&](const std::string& name) -> absl::StatusOr<const Tensor*> {
    auto it = values.find(name);
    if (it != values.end()) return &it->second;
    auto c = constants.find(name);
    const onnx::TensorProto* init = c == constants.end() ? initializer(name) : c->second;
    if (init == nullptr) return absl::InternalError(absl::StrCat("no value for '", name, "'"));
    H8_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(*init, ctx.base_dir()));
    return &values.emplace(name, std::move(t)).first->second;
  };

  bool changed = false;
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    if (!IsOnnxDomain(node)) continue;
    const std::string& op = node.op_type();
    const bool constant_op = absl::string_view(op) == "Constant";
    bool all_const = node.input_size() > 0 || constant_op;
    const absl::Span<const int> in_ids =
        index != nullptr ? index->NodeInputIds(i) : absl::Span<const int>();
    for (int k = 0; k < node.input_size(); ++k) {
      const std::string& in = node.input(k);
      if (in.empty()) continue;
      if (index != nullptr) {
        // What is_const(in) says: initializer(in) by the slot's id, or a
        // value folded earlier in this sweep.
        const int id = in_ids[k];
        if (id >= 0 && index->IsConstantInitializerById(id)) continue;
        if (!constants.empty() && constants.contains(in)) continue;
      } else if (is_const(in)) {
        continue;
      }
      all_const = false;
      break;
    }
    // Most nodes read a computed value and there is no shape analysis to
    // know their outputs: ruled out before any other test.
    if (!all_const && given_shapes == nullptr && !shape_roots) continue;
    if (NeverFold(node)) continue;
    std::vector<Tensor> outputs;
    // Outputs the shape analysis knows exactly (Shape or Size of a static
    // tensor, a Gather of a static dim out of a partly dynamic shape, the
    // arithmetic on them) need no evaluation.
    if (!all_const && !constant_op && node.output_size() > 0) {
      const ShapeAnalysis& shapes = shapes_of();
      const absl::Span<const int> out_ids =
          analysis_by_id(shapes) ? index->NodeOutputIds(i) : absl::Span<const int>();
      for (int k = 0; k < node.output_size(); ++k) {
        const std::string& o = node.output(k);
        const ValueFacts* f = o.empty()          ? nullptr
                              : !out_ids.empty() ? shapes.FactsById(out_ids[k])
                                                 : shapes.Facts(o);
        // Most values have no tracked contents: ruled out before anything
        // is copied.
        if (f == nullptr || !f->has_value || f->elem_type == 0) {
          outputs.clear();
          break;
        }
        std::optional<std::vector<int64_t>> dims = f->StaticDims();
        std::optional<std::vector<int64_t>> v = f->StaticValue();
        if (!dims || !v) {
          outputs.clear();
          break;
        }
        outputs.push_back(MakeIntTensor(*dims, *v, f->elem_type));
      }
      if (outputs.empty()) continue;
    } else {
      if (!all_const) continue;
      if (!EvaluatorSupportsOp(op)) {
        ctx.Remark(&node, i) << "not folded: the evaluator does not implement " << op;
        continue;
      }
      std::vector<const Tensor*> inputs;
      int64_t input_bytes = 0, input_storage = 0;
      for (const auto& in : node.input()) {
        if (in.empty()) {
          inputs.push_back(nullptr);
          continue;
        }
        H8_ASSIGN_OR_RETURN(const Tensor* t, value_of(in));
        input_bytes += TensorBytes(*t);
        input_storage += t->StorageBytes();
        inputs.push_back(t);
      }
      // Outputs the analysis sizes statically are checked before they are
      // computed: a tiny model must not make fold-constants allocate
      // gigabytes only to throw them away.
      if (std::optional<int64_t> bytes = StaticOutputBytes(node, shapes_of());
          bytes && *bytes - input_bytes > options.max_growth_bytes) {
        ctx.Remark(&node, i) << "not folded: its outputs would add " << *bytes - input_bytes
                             << " bytes (max-growth-bytes=" << options.max_growth_bytes << ")";
        continue;
      }
      if (int64_t work = EstimateNodeWork(node, inputs); work > options.max_work) {
        ctx.Remark(&node, i) << "not folded: its estimated work of " << work
                             << " operations exceeds max-work=" << options.max_work;
        continue;
      }
      // Host storage holds up to 8 bytes per element of any type: the
      // evaluator may allocate that much beyond the inputs before the exact
      // growth check below.
      EvalBudget budget;
      constexpr int64_t kCap = std::numeric_limits<int64_t>::max() / 16;
      budget.max_live_bytes = std::min(kCap, input_storage) +
                              8 * std::min(kCap, options.max_growth_bytes) + (int64_t{1} << 20);
      budget.max_work = options.max_work;
      auto result = EvaluateNode(node, opset, inputs, budget);
      if (!result.ok()) {
        ctx.Remark(&node, i) << "not folded: " << result.status().message();
        continue;
      }
      int64_t output_bytes = 0;
      for (const Tensor& t : *result) output_bytes += TensorBytes(t);
      if (output_bytes - input_bytes > options.max_growth_bytes) {
        ctx.Remark(&node, i) << "not folded: its outputs would add " << output_bytes - input_bytes
                             << " bytes (max-growth-bytes=" << options.max_growth_bytes << ")";
        continue;
      }
      outputs = std::move(*result);
    }
    if (constant_op && !options.fold_constant_nodes) {
      // A Constant node is already a constant; it only needs a value entry
      // so its readers can fold.
      for (int o = 0; o < node.output_size(); ++o) {
        values[node.output(o)] = std::move(outputs[o]);
        constants.emplace(node.output(o), nullptr);
      }
      continue;
    }
    for (int o = 0; o < node.output_size() && o < static_cast<int>(outputs.size()); ++o) {
      const std::string& name = node.output(o);
      if (name.empty()) continue;
      rewriter.AddInitializer(TensorToProto(outputs[o], name));
      constants.emplace(name, nullptr);
      values[name] = std::move(outputs[o]);
    }
    rewriter.Erase(i);
    stats.nodes_folded.Add(ctx);
    changed = true;
  }

  // No-op Reshapes: same static shape in and out.
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& node = graph.node(i);
    if (absl::string_view(node.op_type()) != "Reshape" || !IsOnnxDomain(node) ||
        is_const(node.output(0)))
      continue;
    const ValueFacts* fin = shapes_of().Facts(node.input(0));
    const ValueFacts* fout = shapes_of().Facts(node.output(0));
    auto in = fin ? fin->StaticDims() : std::nullopt;
    auto out = fout ? fout->StaticDims() : std::nullopt;
    if (!in || !out || *in != *out || graph_outputs.contains(node.output(0))) continue;
    H8_RETURN_IF_ERROR(rewriter.ReplaceAllUsesWith(node.output(0), node.input(0)));
    rewriter.Erase(i);
    stats.reshapes_removed.Add(ctx);
    changed = true;
  }
  rewriter.Commit();
  if (changed) ctx.analyses().NoteChange();
  if (options.dedupe && changed) {
    // Folded tensors with identical type, dims and bytes share one name.
    GraphRewriter dedupe(graph);
    absl::flat_hash_map<std::string, std::string> seen;
    for (int i = 0; i < graph.initializer_size(); ++i) {
      const auto& t = graph.initializer(i);
      if (!values.contains(t.name()) || graph_outputs.contains(t.name()) ||
          graph_inputs.contains(t.name()))
        continue;
      std::string key =
          absl::StrCat(t.data_type(), ":", absl::StrJoin(t.dims(), ","), ":", t.raw_data());
      auto [it, inserted] = seen.emplace(std::move(key), t.name());
      if (inserted) continue;
      H8_RETURN_IF_ERROR(dedupe.ReplaceAllUsesWith(t.name(), it->second));
      dedupe.EraseInitializer(i);
      stats.initializers_deduplicated.Add(ctx);
    }
    dedupe.Commit();
  }
  // Folded outputs that are graph outputs stay, as initializers under the
  // output's name (ONNX allows it). What folding left unread goes.
  // Cleanup runs nested, so its statistics and time are its own.
  if (changed) {
    const std::unique_ptr<Pass> cleanup = CreateCleanupPass({});
    H8_RETURN_IF_ERROR(ctx.RunNestedPass(*cleanup, model).status());
  }
  return changed;
}

}  // namespace

std::unique_ptr<Pass> CreateFoldConstantsPass(const FoldConstantsOptions& options,
                                              const ShapeAnalysis* shapes) {
  return std::make_unique<FoldConstantsPass>(options, shapes);
}

std::unique_ptr<Pass> CreateFoldConstantsPass(const FoldConstantsOptions& options) {
  return CreateFoldConstantsPass(options, nullptr);
}

}  // namespace h8
