//===- Cleanup.cpp - Dead code, unused initializers, Identity forwarding --===//
//
// Before:
//   g (float[2] x) => (float[2] y)
//     <float[2] unused = {1, 2}>
//   {
//     t = Identity (x)
//     dead = Neg (t)
//     y = Relu (t)
//   }
// After:
//   g (float[2] x) => (float[2] y)
//   {
//     y = Relu (x)
//   }
//
// Rules:
//  - An Identity whose output is not a graph output is removed and its
//    readers read its input. When its output IS a graph output, the
//    Identity's producer is made to write that name instead, provided the
//    input is a node output used only by this Identity and not itself a
//    graph output; otherwise the Identity stays (an output name is ABI).
//  - A node none of whose outputs is used (transitively) is removed.
//  - An initializer nobody reads is removed unless it is also listed as a
//    graph input (then it is part of the interface).
// Subgraphs are cleaned before their parents, against their own outputs.
// Everything is linear: one index, one backward liveness sweep, one commit
// per phase.
//
//===----------------------------------------------------------------------===//
#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/GraphRewriter.h"
#include "h8/Passes/Passes.h"
#include "h8/Support/Status.h"

namespace h8 {
namespace {

class CleanupPass : public GraphPass {
 public:
  explicit CleanupPass(const CleanupOptions& options) : options_(options) {}
  absl::string_view Argument() const override { return "cleanup"; }

 protected:
  absl::StatusOr<bool> RunOnGraph(GraphRef ref, PassContext& ctx) override {
    // Forwarding an Identity gives its readers a value with the same facts,
    // and removing dead nodes removes values: every remaining value's shape
    // facts stay true. Only the main graph's are kept (a subgraph may go
    // with its dead owner), and only when cleanup is the pass the manager
    // runs: run inside another pass (fold-constants, pin-shape's folding),
    // edits after it would not be covered by the claim.
    if (ref.is_main && ctx.current_pass() == Argument()) ctx.analyses().KeepShapes(*ref.graph);
    bool changed = false;
    if (options_.forward_identity) {
      H8_ASSIGN_OR_RETURN(bool c, ForwardIdentities(ref, ctx));
      changed |= c;
    }
    changed |= RemoveDead(ref, ctx);
    return changed;
  }

 private:
  // Two linear phases: first every Identity that does not define a graph
  // output is forwarded (chains resolve through the rewriter's renames),
  // then Identities that define outputs are folded into their producers,
  // judged on the graph the first phase left.
  absl::StatusOr<bool> ForwardIdentities(GraphRef ref, PassContext& ctx) {
    H8_ASSIGN_OR_RETURN(bool inner, ForwardIdentitiesPhase(ref, ctx, /*outputs=*/false));
    H8_ASSIGN_OR_RETURN(bool outer, ForwardIdentitiesPhase(ref, ctx, /*outputs=*/true));
    return inner || outer;
  }

  static bool IsForwardable(const onnx::NodeProto& node) {
    return absl::string_view(node.op_type()) == "Identity" && IsOnnxDomain(node) &&
           node.input_size() == 1 && node.output_size() == 1 && !node.input(0).empty();
  }

  absl::StatusOr<bool> ForwardIdentitiesPhase(GraphRef ref, PassContext& ctx, bool outputs) {
    onnx::GraphProto& graph = *ref.graph;
    // Most graphs have no Identity left: they need no index.
    if (std::none_of(graph.node().begin(), graph.node().end(), IsForwardable)) return false;
    const std::shared_ptr<const GraphIndex> index_ptr = ctx.analyses().Index(graph);
    const GraphIndex& index = *index_ptr;
    GraphRewriter rewriter(graph);
    for (int i = 0; i < graph.node_size(); ++i) {
      const auto& node = graph.node(i);
      if (!IsForwardable(node)) continue;
      const std::string& in = node.input(0);
      const std::string& out = node.output(0);
      if (index.IsGraphOutput(out) != outputs) continue;
      if (!outputs) {
        H8_RETURN_IF_ERROR(rewriter.ReplaceAllUsesWith(out, in));
        rewriter.Erase(i);
        identities_forwarded_.Add(ctx);
        continue;
      }
      int producer = index.ProducerIndex(in);
      if (producer < 0 || index.IsGraphOutput(in) || index.NumUses(in) != 1) {
        ctx.Remark(&node, i, ref.path) << "Identity kept: it defines graph output '" << out << "'";
        continue;
      }
      const auto& p = graph.node(producer);
      for (int slot = 0; slot < p.output_size(); ++slot)
        if (p.output(slot) == in) rewriter.SetOutput(producer, slot, out);
      rewriter.Erase(i);
      identities_forwarded_.Add(ctx);
    }
    return Commit(rewriter, graph, ctx);
  }

  // Run by the pass manager, cleanup commits through the AnalysisManager,
  // which keeps the index up to date and verifies only what changed. Run
  // inside another pass, it cannot speak for that pass's other edits.
  bool Commit(GraphRewriter& rewriter, onnx::GraphProto& graph, PassContext& ctx) {
    if (!rewriter.HasChanges()) return false;
    if (ctx.current_pass() == Argument()) {
      ctx.analyses().Commit(rewriter, graph);
    } else {
      rewriter.Commit();
      ctx.analyses().NoteChange();
    }
    return true;
  }

  bool RemoveDead(GraphRef ref, PassContext& ctx) {
    onnx::GraphProto& graph = *ref.graph;
    // With a valid index at hand (forwarding committed through it, or a
    // pass before kept it), liveness is marked by value id. Only when
    // cleanup is the pass the manager runs: run inside another pass, an
    // index that pass committed through would not follow this pass's
    // plain commits.
    if (ctx.current_pass() == Argument())
      if (const std::shared_ptr<const GraphIndex> index = ctx.analyses().CachedIndex(graph))
        return RemoveDeadById(graph, *index, ctx);
    // Views into the graph, which does not change before the commit; the
    // names subgraphs read from outside are copied into `outer`.
    // Sized for every name it can receive, so it never rehashes (growing it
    // made 100k-node graphs cost 12x the set work of 20k-node ones).
    size_t reads = graph.output_size();
    for (const auto& node : graph.node()) reads += node.input_size();
    absl::flat_hash_set<absl::string_view> live;
    live.reserve(reads);
    absl::flat_hash_set<std::string> outer;
    for (const auto& o : graph.output()) live.insert(o.name());
    GraphRewriter rewriter(graph);
    for (int i = graph.node_size() - 1; i >= 0; --i) {
      const auto& node = graph.node(i);
      bool used = false;
      for (const auto& o : node.output())
        used |= !o.empty() && (live.contains(o) || outer.contains(o));
      if (!used) {
        rewriter.Erase(i);
        dead_nodes_removed_.Add(ctx);
        continue;
      }
      for (const auto& in : node.input()) live.insert(in);
      CollectBodyReads(node, outer);
    }
    for (const auto& name : outer) live.insert(name);
    absl::flat_hash_set<absl::string_view> inputs;
    for (const auto& in : graph.input()) inputs.insert(in.name());
    for (int i = 0; i < graph.initializer_size(); ++i) {
      const std::string& name = graph.initializer(i).name();
      if (!live.contains(name) && !inputs.contains(name)) {
        rewriter.EraseInitializer(i);
        initializers_removed_.Add(ctx);
      }
    }
    return Commit(rewriter, graph, ctx);
  }

  // Adds the names `node`'s bodies read from outside them to `outer`.
  static void CollectBodyReads(const onnx::NodeProto& node,
                               absl::flat_hash_set<std::string>& outer) {
    for (const auto& attr : node.attribute()) {
      if (attr.has_g()) GraphIndex::CollectOuterReferences(attr.g(), outer);
      for (const auto& g : attr.graphs()) GraphIndex::CollectOuterReferences(g, outer);
    }
  }

  // RemoveDead by the ids of `index`, current for `graph`: the same nodes
  // and initializers go.
  bool RemoveDeadById(onnx::GraphProto& graph, const GraphIndex& index, PassContext& ctx) {
    std::vector<char> live(index.num_values(), 0);
    auto mark = [&](absl::string_view name) {
      if (const int id = index.Id(name); id >= 0) live[id] = 1;
    };
    for (const auto& o : graph.output()) mark(o.name());
    GraphRewriter rewriter(graph);
    absl::flat_hash_set<std::string> outer;
    for (int i = graph.node_size() - 1; i >= 0; --i) {
      const auto& node = graph.node(i);
      bool used = false;
      for (int id : index.NodeOutputIds(i)) used |= id >= 0 && live[id];
      if (!used) {
        rewriter.Erase(i);
        dead_nodes_removed_.Add(ctx);
        continue;
      }
      for (int id : index.NodeInputIds(i))
        if (id >= 0) live[id] = 1;
      if (!HasSubgraph(node)) continue;
      // What the bodies read from outside is live from here on up.
      outer.clear();
      CollectBodyReads(node, outer);
      for (const auto& name : outer) mark(name);
    }
    for (int i = 0; i < graph.initializer_size(); ++i) {
      const int id = index.InitializerId(i);
      if (id >= 0 && !live[id] && !index.IsGraphInputById(id)) {
        rewriter.EraseInitializer(i);
        initializers_removed_.Add(ctx);
      }
    }
    return Commit(rewriter, graph, ctx);
  }

  CleanupOptions options_;
  Statistic identities_forwarded_{this, "identities-forwarded",
                                  "Identity nodes forwarded or folded into their producer"};
  Statistic dead_nodes_removed_{this, "dead-nodes-removed", "Nodes no output depends on"};
  Statistic initializers_removed_{this, "initializers-removed", "Initializers nothing reads"};
};

}  // namespace

std::unique_ptr<Pass> CreateCleanupPass(const CleanupOptions& options) {
  return std::make_unique<CleanupPass>(options);
}

}  // namespace h8
