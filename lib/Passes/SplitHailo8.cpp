//===- SplitHailo8.cpp - Cut the unsupported tail off for the host --------===//
//
// When check-hailo8's errors are confined to a tail of the graph (a Softmax
// or LayerNorm head, an ArgMax, a grouped ConvTranspose output layer, a
// Gemm head moved off with deny=Gemm), splits the model at check-hailo8's
// recommended end nodes:
//   - the pass's output model is the Hailo-8 part: every node not in the
//     tail; its outputs are the cut tensors (the tail's inputs, and graph
//     outputs computed before the tail) under their own names;
//   - the host part goes to host-out=FILE: its inputs are the cut
//     tensors with their types, its nodes the tail (plus copies of the
//     Constant nodes it reads), its outputs the original graph outputs;
//     initializers it reads are copied, value_info kept, opset, ir_version
//     and model-local functions the same.
//
//   $ onnx-h8-opt m.onnx --split-hailo8=host.onnx -o device.onnx
//   m.onnx: remark: split-hailo8: 2 nodes from '/Softmax' on run on the host ...
//
// host(device(x)) computes exactly the original outputs; the pass leaves
// the host model and FILE in the PassContext's interface record, so
// --verify-numerics checks that composition, and the driver writes FILE
// (`.onnxtext` as text, anything else binary) together with -o, only when
// the whole run succeeds: a pass does no I/O.
// Everything downstream of an unsupported node goes to the host, supported
// or not (a Transpose after a LogSoftmax, the Gemm after tcn_residual's
// mean(-1) when legalize-hailo8 did not run); the remark and the statistic
// supported-nodes-moved say how many supported nodes moved. When an
// unsupported node reads a graph input directly (no Hailo-8 prefix),
// nothing is split: the pass fails (exit 1) naming the first unsupported
// node, and FILE is not written. With no errors at all the device part is
// the whole model and FILE is a pass-through host model (its inputs are the
// outputs).
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/Verifier.h"
#include "h8/Passes/Passes.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/Status.h"
#include "h8/Support/TextIO.h"
#include "h8/Target/Hailo8/Hailo8Analysis.h"

namespace h8 {
namespace {

bool HasElemType(const onnx::TypeProto* type) {
  return type != nullptr && (!type->has_tensor_type() || type->tensor_type().elem_type() != 0);
}

// Keeps the elements of `field` whose `keep` is true, in order; returns
// whether any went.
template <typename T, typename Keep>
bool KeepIf(google::protobuf::RepeatedPtrField<T>* field, Keep keep) {
  int w = 0;
  for (int i = 0; i < field->size(); ++i) {
    if (!keep(field->Get(i), i)) continue;
    if (w != i) field->SwapElements(w, i);
    ++w;
  }
  const bool removed = w != field->size();
  field->DeleteSubrange(w, field->size() - w);
  return removed;
}

class SplitHailo8Pass : public Pass {
 public:
  explicit SplitHailo8Pass(const SplitHailo8Options& options) : options_(options) {}
  absl::string_view Argument() const override { return "split-hailo8"; }
  // It cuts where check-hailo8's findings say: a check before it with
  // errors does not stop the pipeline.
  bool ConsumesLintFindings() const override { return true; }
  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) override;

 private:
  SplitHailo8Options options_;
  Statistic host_nodes_{this, "host-nodes", "Nodes of the host model"};
  Statistic device_nodes_{this, "device-nodes", "Nodes left in the device model"};
  Statistic cut_tensors_{this, "cut-tensors", "Tensors passed from the device to the host"};
  Statistic supported_nodes_moved_{
      this, "supported-nodes-moved",
      "Supported nodes moved to the host because they follow an unsupported one"};
};

// Where every node and value goes when the graph is cut.
struct SplitPlan {
  std::vector<bool> host;  // node runs on the host (the tail)
  std::vector<bool> copy_constant;  // Constant node the host reads a copy of
  absl::flat_hash_set<std::string> cut;  // device outputs = host inputs
  absl::flat_hash_set<std::string> host_initializers;
  // The cut tensors in output order, with their types.
  std::vector<std::string> cut_order;
  std::vector<onnx::ValueInfoProto> cut_info;
};

// Classifies every value the host needs from outside the tail: a cut
// tensor, a copied Constant node or a copied initializer. Fails when the
// host would read a graph input.
absl::Status ClassifyHostReads(const onnx::GraphProto& graph, const GraphIndex& index,
                               SplitPlan& plan) {
  const int n = graph.node_size();
  // What the host reads, in first-read order.
  std::vector<std::string> host_reads;
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < n; ++i) {
    if (!plan.host[i]) continue;
    for (std::string& v : Hailo8NodeReads(graph.node(i)))
      if (seen.insert(v).second) host_reads.push_back(std::move(v));
  }
  for (const std::string& v : host_reads) {
    const int prod = index.ProducerIndex(v);
    if (prod >= 0 && plan.host[prod]) continue;
    if (prod >= 0 && graph.node(prod).op_type() == "Constant") {
      plan.copy_constant[prod] = true;
    } else if (prod >= 0) {
      plan.cut.insert(v);
    } else if (index.Initializer(v) != nullptr) {
      plan.host_initializers.insert(v);
    } else if (index.IsRuntimeInput(v)) {
      return absl::FailedPreconditionError(
          absl::StrCat("the host part would read the graph input '", v, "' (through node '",
                       NodeRef(graph.node(index.Consumers(v).front()), index.Consumers(v).front()),
                       "'): no Hailo-8 region precedes it"));
    }
  }
  // Graph outputs computed on the device pass through the host.
  for (const auto& out : graph.output()) {
    const int prod = index.ProducerIndex(out.name());
    if (prod >= 0 && plan.host[prod]) continue;
    if (prod < 0 && index.Initializer(out.name()) != nullptr) {
      plan.host_initializers.insert(out.name());
      continue;
    }
    plan.cut.insert(out.name());
  }
  return absl::OkStatus();
}

// The cut tensors in producer order (end nodes in node order, outputs in
// output order), then pass-through graph inputs in graph-output order.
std::vector<std::string> CutOrder(const onnx::GraphProto& graph, const GraphIndex& index,
                                  const absl::flat_hash_set<std::string>& cut) {
  std::vector<std::string> cut_order;
  for (int i = 0; i < graph.node_size(); ++i)
    for (const auto& o : graph.node(i).output())
      if (!o.empty() && cut.contains(o)) cut_order.push_back(o);
  for (const auto& out : graph.output())
    if (index.ProducerIndex(out.name()) < 0 && cut.contains(out.name()) &&
        std::find(cut_order.begin(), cut_order.end(), out.name()) == cut_order.end())
      cut_order.push_back(out.name());
  return cut_order;
}

// Types of the cut tensors; from the shape analysis when not recorded
// (no copy of the model, no ONNX inference).
absl::StatusOr<std::vector<onnx::ValueInfoProto>> CutInfo(
    const onnx::ModelProto& model, const GraphIndex& index,
    const std::vector<std::string>& cut_order) {
  const onnx::GraphProto& graph = model.graph();
  std::vector<onnx::ValueInfoProto> cut_info;
  std::unique_ptr<ShapeAnalysis> shapes;
  onnx::TypeProto analysed;
  for (const std::string& v : cut_order) {
    onnx::ValueInfoProto vi;
    vi.set_name(v);
    const onnx::TypeProto* type = index.Type(v);
    if (!HasElemType(type)) {
      if (!shapes) shapes = std::make_unique<ShapeAnalysis>(model);
      if (const ValueFacts* f = shapes->Facts(v); f != nullptr && f->elem_type != 0) {
        analysed.Clear();
        ShapeAnalysis::ToTypeProto(*f, &analysed);
        type = &analysed;
      }
    }
    if (!HasElemType(type)) {
      const int prod = index.ProducerIndex(v);
      return absl::FailedPreconditionError(absl::StrCat(
          "the cut tensor '", v, "' (from node '", prod >= 0 ? NodeRef(graph.node(prod), prod) : v,
          "') has no known type; run --infer-shapes or --pin-shape before --split-hailo8"));
    }
    *vi.mutable_type() = *type;
    for (const auto& out : graph.output())
      if (out.name() == v) vi = out;  // keep an output's own record
    cut_info.push_back(std::move(vi));
  }
  return cut_info;
}

// The host model: same header, opsets and functions; the cut tensors in,
// the tail and what it reads, the original outputs out.
absl::StatusOr<onnx::ModelProto> BuildHostModel(onnx::ModelProto& model, const SplitPlan& plan) {
  const onnx::GraphProto& graph = model.graph();
  // Copied with the graph swapped out, so no tensor is copied twice. The
  // graph is parked on the model's arena (the driver parses into one):
  // a swap across arenas would copy it.
  onnx::ModelProto host_model;
  {
    google::protobuf::Arena* arena = model.GetArena();
    auto* main = google::protobuf::Arena::CreateMessage<onnx::GraphProto>(arena);
    std::unique_ptr<onnx::GraphProto> owned(arena == nullptr ? main : nullptr);
    main->Swap(model.mutable_graph());
    host_model = model;
    main->Swap(model.mutable_graph());
  }
  host_model.clear_training_info();
  onnx::GraphProto& hg = *host_model.mutable_graph();
  hg.set_name(absl::StrCat(graph.name().empty() ? "graph" : graph.name(), "_host"));
  for (const auto& vi : plan.cut_info) *hg.add_input() = vi;
  absl::flat_hash_set<std::string> listed_inputs;
  for (const auto& in : graph.input()) listed_inputs.insert(in.name());
  for (const auto& init : graph.initializer()) {
    if (!plan.host_initializers.contains(init.name())) continue;
    *hg.add_initializer() = init;
    // Older IR versions list initializers among the inputs: keep doing so.
    if (listed_inputs.contains(init.name()))
      for (const auto& in : graph.input())
        if (in.name() == init.name()) *hg.add_input() = in;
  }
  absl::flat_hash_set<std::string> host_defined;
  for (int i = 0; i < graph.node_size(); ++i) {
    if (!plan.host[i] && !plan.copy_constant[i]) continue;
    *hg.add_node() = graph.node(i);
    for (const auto& o : graph.node(i).output()) host_defined.insert(o);
  }
  *hg.mutable_output() = graph.output();
  absl::flat_hash_set<std::string> output_names;
  for (const auto& out : graph.output()) output_names.insert(out.name());
  for (const auto& vi : graph.value_info())
    if (host_defined.contains(vi.name()) && !output_names.contains(vi.name()))
      *hg.add_value_info() = vi;
  if (absl::Status s = VerifyModelStructure(host_model); !s.ok())
    return absl::InternalError(absl::StrCat("the host part is malformed: ", s.message()));
  return host_model;
}

// The device model, in place: drop the tail and the Constant nodes only
// the tail reads, end at the cut, drop the initializers that moved to the
// host (initializers it did not read are left to cleanup). Returns whether
// the graph changed: with nothing cut it usually does not.
bool TrimToDevice(onnx::GraphProto& graph, const GraphIndex& index, const SplitPlan& plan) {
  bool changed = false;
  const int n = graph.node_size();
  std::vector<bool> keep(n, true);
  for (int i = 0; i < n; ++i) {
    if (plan.host[i]) keep[i] = false;
    if (!plan.copy_constant[i]) continue;
    bool device_use = false;
    for (const auto& o : graph.node(i).output()) {
      if (o.empty()) continue;
      if (plan.cut.contains(o) || index.IsGraphOutput(o)) device_use = true;
      for (int c : index.Consumers(o)) device_use |= !plan.host[c];
    }
    keep[i] = device_use;
  }
  changed |= KeepIf(graph.mutable_node(), [&](const onnx::NodeProto&, int i) { return keep[i]; });
  absl::flat_hash_set<std::string> device_reads(plan.cut.begin(), plan.cut.end());
  absl::flat_hash_set<std::string> device_defined;
  for (const auto& node : graph.node()) {
    for (std::string& v : Hailo8NodeReads(node)) device_reads.insert(std::move(v));
    for (const auto& o : node.output()) device_defined.insert(o);
  }
  absl::flat_hash_set<std::string> dropped_initializers;
  changed |= KeepIf(graph.mutable_initializer(), [&](const onnx::TensorProto& t, int) {
    if (device_reads.contains(t.name()) || !plan.host_initializers.contains(t.name())) return true;
    dropped_initializers.insert(t.name());
    return false;
  });
  changed |= KeepIf(graph.mutable_input(), [&](const onnx::ValueInfoProto& in, int) {
    return !dropped_initializers.contains(in.name());
  });
  bool same_outputs = graph.output_size() == static_cast<int>(plan.cut_info.size());
  for (int k = 0; same_outputs && k < graph.output_size(); ++k)
    same_outputs = graph.output(k).SerializeAsString() == plan.cut_info[k].SerializeAsString();
  if (!same_outputs) {
    graph.clear_output();
    for (const auto& vi : plan.cut_info) *graph.add_output() = vi;
    changed = true;
  }
  // value_info of the values the device part still has: its node outputs
  // (the cut tensors are its outputs now, declared there), and the inputs
  // and initializers exporters also describe there.
  absl::flat_hash_set<absl::string_view> kept_values;
  for (const auto& in : graph.input()) kept_values.insert(in.name());
  for (const auto& t : graph.initializer()) kept_values.insert(t.name());
  changed |= KeepIf(graph.mutable_value_info(), [&](const onnx::ValueInfoProto& vi, int) {
    if (plan.cut.contains(vi.name())) return false;
    return device_defined.contains(vi.name()) || kept_values.contains(vi.name());
  });
  return changed;
}

absl::StatusOr<bool> SplitHailo8Pass::Run(onnx::ModelProto& model, PassContext& ctx) {
  if (options_.host_out.empty())
    return UsageStatus("needs a file for the host part (e.g. --split-hailo8=host.onnx)");
  if (const auto* split = ctx.artifacts().Get<SplitHostModel>())
    return UsageStatus(absl::StrCat("the model was already split (host part: ", split->path,
                                    "); split-hailo8 runs once"));
  const Hailo8Analysis analysis =
      AnalyzeForHailo8(model, {options_.profile, options_.allow, options_.deny},
                       ctx.analyses().Index(model.graph()), ctx.analyses().Shapes(model));
  onnx::GraphProto& graph = *model.mutable_graph();
  const int n = graph.node_size();

  if (!analysis.flagged.empty() && !analysis.cut) {
    const int first = analysis.flagged.front();
    ctx.Error(&graph.node(first), first)
        << "Hailo-8 cannot run this node and no Hailo-8 region precedes it, so there is no "
           "cut: "
        << analysis.region_note;
    return absl::FailedPreconditionError(
        absl::StrCat("nothing was split and ", options_.host_out,
                     " was not written (run --check-hailo8 for every unsupported node)"));
  }

  SplitPlan plan;
  // Host nodes: the tail (empty when Hailo-8 runs everything).
  plan.host.assign(n, false);
  plan.copy_constant.assign(n, false);
  if (analysis.cut)
    for (int i : analysis.cut->host_nodes) plan.host[i] = true;
  const GraphIndex index(graph);
  H8_RETURN_IF_ERROR(ClassifyHostReads(graph, index, plan));
  plan.cut_order = CutOrder(graph, index, plan.cut);
  H8_ASSIGN_OR_RETURN(plan.cut_info, CutInfo(model, index, plan.cut_order));
  H8_ASSIGN_OR_RETURN(onnx::ModelProto host_model, BuildHostModel(model, plan));
  const bool trimmed = TrimToDevice(graph, index, plan);

  // Hand the host part over; the driver writes it with the device model.
  const std::string& path = options_.host_out;
  const int host_nodes = host_model.graph().node_size();
  ctx.artifacts().Set(
      SplitHostModel{std::make_shared<onnx::ModelProto>(std::move(host_model)), path});

  host_nodes_.Add(ctx, host_nodes);
  device_nodes_.Add(ctx, graph.node_size());
  cut_tensors_.Add(ctx, static_cast<int64_t>(plan.cut_order.size()));
  if (analysis.cut) supported_nodes_moved_.Add(ctx, analysis.cut->supported_moved);
  if (analysis.cut) {
    ctx.Remark() << analysis.region_note
                 << "; device outputs (cut tensors): " << absl::StrJoin(plan.cut_order, " ")
                 << "; host part goes to " << path;
  } else {
    ctx.Remark() << "check-hailo8 flags no node: Hailo-8 runs the whole graph; " << path
                 << " is a pass-through host model";
  }
  return analysis.cut.has_value() || trimmed;
}

}  // namespace

std::unique_ptr<Pass> CreateSplitHailo8Pass(const SplitHailo8Options& options) {
  return std::make_unique<SplitHailo8Pass>(options);
}

}  // namespace h8
