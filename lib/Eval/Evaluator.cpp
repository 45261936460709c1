//===- Evaluator.cpp - Op dispatch and whole-model evaluation -------------===//
//
// EvaluateNode looks the op up in a table built once from the per-family op
// files and prefixes every kernel error with the node's identity.
// EvaluateModel checks the caller's inputs against the graph signature, runs
// the (topologically sorted) nodes in order and drops each intermediate
// tensor after its last consumer so peak memory stays near the live set.
// Control-flow bodies (If/Loop/Scan) run through the same graph walk in a
// Scope whose parent is the scope of the node that owns them, so they read
// outer values by name; a value a body reads is kept alive until its node.
//
//===----------------------------------------------------------------------===//

#include "h8/Eval/Evaluator.h"

#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <new>
#include <stdexcept>

#include "Ops.h"
#include "absl/strings/str_cat.h"
#include "h8/Support/Status.h"

namespace h8 {
namespace {

const eval::OpTable& Table() {
  static const eval::OpTable* table = [] {
    auto* t = new eval::OpTable();
    eval::RegisterControlFlowOps(*t);
    eval::RegisterConvOps(*t);
    eval::RegisterElementwiseOps(*t);
    eval::RegisterIndexOps(*t);
    eval::RegisterNormOps(*t);
    eval::RegisterAttentionOps(*t);
    eval::RegisterRecurrentOps(*t);
    eval::RegisterReduceOps(*t);
    eval::RegisterShapeOps(*t);
    eval::RegisterResizeOps(*t);
    eval::RegisterConstantOps(*t);
    eval::RegisterPadOps(*t);
    eval::RegisterPoolOps(*t);
    eval::RegisterMatMulOps(*t);
    eval::RegisterGatherScatterOps(*t);
    eval::RegisterUnaryOps(*t);
    eval::RegisterSignalOps(*t);
    eval::RegisterQuantOps(*t);
    eval::RegisterLossOps(*t);
    return t;
  }();
  return *table;
}

bool IsDefaultDomain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

std::string NodeLabel(const onnx::NodeProto& node) {
  std::string name = node.name();
  if (name.empty() && node.output_size() > 0) name = node.output(0);
  return absl::StrCat("node '", name, "' (", node.op_type(), ")");
}

absl::Status Annotate(const onnx::NodeProto& node, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(NodeLabel(node), ": ", s.message()));
}

/// Checks a caller-provided tensor against the graph input's declared type.
/// A same-storage dtype difference (int32 vs int64) is accepted and the
/// tensor relabeled, since storage is shared; float vs int is an error.
absl::Status CheckGraphInput(const onnx::ValueInfoProto& vi, Tensor& t) {
  const std::string label = absl::StrCat("graph input '", vi.name(), "'");
  {
    size_t have = t.IsFloat() ? t.f.size() : t.i.size();
    auto want = CheckedNumElements(t.dims);
    if (!want.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(label, ": ", want.status().message()));
    }
    if (static_cast<int64_t>(have) != *want) {
      return absl::InvalidArgumentError(absl::StrCat(label, ": tensor holds ", have,
                                                     " elements but its shape ", DimsString(t.dims),
                                                     " needs ", *want));
    }
  }
  if (!vi.type().has_tensor_type()) return absl::OkStatus();
  const auto& tt = vi.type().tensor_type();
  if (tt.elem_type() != 0) {
    if (IsFloatDtype(tt.elem_type()) != t.IsFloat()) {
      return absl::InvalidArgumentError(absl::StrCat(label, ": expected element type ",
                                                     ElementTypeName(tt.elem_type()), ", got ",
                                                     ElementTypeName(t.dtype)));
    }
    t.dtype = tt.elem_type();
  }
  if (!tt.has_shape()) return absl::OkStatus();
  const auto& shape = tt.shape();
  bool ok = shape.dim_size() == static_cast<int>(t.dims.size());
  for (int d = 0; ok && d < shape.dim_size(); ++d) {
    if (shape.dim(d).has_dim_value() && shape.dim(d).dim_value() != t.dims[d]) ok = false;
  }
  if (!ok) {
    std::string declared = "[";
    for (int d = 0; d < shape.dim_size(); ++d) {
      if (d > 0) declared += ",";
      const auto& dim = shape.dim(d);
      declared += dim.has_dim_value()   ? absl::StrCat(dim.dim_value())
                  : dim.has_dim_param() ? dim.dim_param()
                                        : "?";
    }
    declared += "]";
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": expected shape ", declared, ", got ", DimsString(t.dims)));
  }
  return absl::OkStatus();
}

}  // namespace

namespace eval {

class Scope {
 public:
  Scope(const Scope* parent, std::string base_dir)
      : parent_(parent), base_dir_(std::move(base_dir)) {}
  ~Scope() { ReleaseLiveBytes(held_bytes_); }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

  /// `name` in this scope or the nearest enclosing one that defines it.
  const Tensor* Find(const std::string& name) const {
    for (const Scope* s = this; s != nullptr; s = s->parent_) {
      auto it = s->values_.find(name);
      if (it != s->values_.end()) return &it->second;
    }
    return nullptr;
  }
  bool Defines(const std::string& name) const { return values_.count(name) > 0; }
  const std::string& base_dir() const { return base_dir_; }

  /// Binds `name` to `t` (replacing an earlier binding), counting its bytes
  /// against the active budget.
  absl::Status Put(const std::string& name, Tensor t) {
    Drop(name);
    const int64_t bytes = t.StorageBytes();
    H8_RETURN_IF_ERROR(ChargeLiveBytes(bytes));
    held_bytes_ += bytes;
    values_[name] = std::move(t);
    return absl::OkStatus();
  }
  void Drop(const std::string& name) {
    auto it = values_.find(name);
    if (it == values_.end()) return;
    const int64_t bytes = it->second.StorageBytes();
    ReleaseLiveBytes(bytes);
    held_bytes_ -= bytes;
    values_.erase(it);
  }
  /// Moves the value of `name` out of this scope (it stops counting).
  std::optional<Tensor> Take(const std::string& name) {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    Tensor t = std::move(it->second);
    const int64_t bytes = t.StorageBytes();
    ReleaseLiveBytes(bytes);
    held_bytes_ -= bytes;
    values_.erase(it);
    return t;
  }

 private:
  const Scope* parent_;
  std::string base_dir_;
  std::unordered_map<std::string, Tensor> values_;
  int64_t held_bytes_ = 0;
};

}  // namespace eval

namespace {

using eval::Scope;

absl::StatusOr<std::vector<Tensor>> EvaluateNodeIn(const onnx::NodeProto& node, int64_t opset,
                                                   const std::vector<const Tensor*>& inputs,
                                                   const Scope* scope);

/// Every name the graph attributes of `node` read, at any depth (a superset
/// of the outer values they need: names they define themselves are listed
/// too, which only keeps an outer value of that name a little longer).
void AddSubgraphReads(const onnx::NodeProto& node, std::vector<std::string>& names) {
  auto add_graph = [&names](const onnx::GraphProto& g) {
    for (const auto& n : g.node()) {
      for (const auto& in : n.input()) names.push_back(in);
      AddSubgraphReads(n, names);
    }
    for (const auto& out : g.output()) names.push_back(out.name());
  };
  for (const auto& a : node.attribute()) {
    if (a.has_g()) add_graph(a.g());
    for (const auto& g : a.graphs()) add_graph(g);
  }
}

absl::Status LoadInitializers(const onnx::GraphProto& graph, Scope& scope) {
  if (graph.sparse_initializer_size() > 0) {
    return absl::UnimplementedError("sparse initializers are not supported");
  }
  for (const auto& init : graph.initializer()) {
    auto t = TensorFromProto(init, scope.base_dir());
    if (!t.ok()) {
      return absl::Status(t.status().code(), absl::StrCat("initializer: ", t.status().message()));
    }
    H8_RETURN_IF_ERROR(scope.Put(init.name(), std::move(*t)));
  }
  return absl::OkStatus();
}

/// Runs the nodes of `graph` in order in `scope` (inputs and initializers
/// already bound) and returns its outputs.
absl::StatusOr<std::vector<Tensor>> RunGraph(const onnx::GraphProto& graph, int64_t opset,
                                             Scope& scope) {
  // Last consumer of every value; graph outputs are never freed.
  const int64_t kKeep = std::numeric_limits<int64_t>::max();
  std::unordered_map<std::string, int64_t> last_use;
  std::vector<std::string> reads;
  for (int n = 0; n < graph.node_size(); ++n) {
    reads.assign(graph.node(n).input().begin(), graph.node(n).input().end());
    AddSubgraphReads(graph.node(n), reads);
    for (const auto& in : reads) {
      if (!in.empty()) last_use[in] = n;
    }
  }
  for (const auto& out : graph.output()) last_use[out.name()] = kKeep;

  std::vector<const Tensor*> args;
  eval::BudgetState* budget = eval::CurrentBudget();
  for (int n = 0; n < graph.node_size(); ++n) {
    const onnx::NodeProto& node = graph.node(n);
    args.clear();
    for (const auto& in : node.input()) {
      if (in.empty()) {
        args.push_back(nullptr);
        continue;
      }
      const Tensor* t = scope.Find(in);
      if (t == nullptr) {
        return Annotate(
            node, absl::InvalidArgumentError(absl::StrCat("input '", in,
                                                          "' is not defined by a graph input, an "
                                                          "initializer or an earlier node")));
      }
      args.push_back(t);
    }
    // What the node allocated is charged while it runs; afterwards only the
    // outputs kept in the scope count.
    const int64_t live_before = budget != nullptr ? budget->live_bytes : 0;
    H8_ASSIGN_OR_RETURN(std::vector<Tensor> outs, EvaluateNodeIn(node, opset, args, &scope));
    if (budget != nullptr) budget->live_bytes = live_before;
    // Outputs are counted before the inputs read for the last time are
    // dropped: both exist while the node runs.
    for (int k = 0; k < node.output_size(); ++k) {
      const std::string& name = node.output(k);
      if (name.empty()) continue;
      auto lu = last_use.find(name);
      // An output nobody reads (and not a graph output) is dropped at once.
      if (lu == last_use.end() || (lu->second != kKeep && lu->second <= n)) continue;
      if (absl::Status s = scope.Put(name, std::move(outs[k])); !s.ok()) return Annotate(node, s);
    }
    reads.assign(node.input().begin(), node.input().end());
    AddSubgraphReads(node, reads);
    for (const auto& in : reads) {
      if (!in.empty() && last_use[in] == n) scope.Drop(in);
    }
  }

  std::vector<Tensor> results;
  results.reserve(graph.output_size());
  for (const auto& out : graph.output()) {
    // Graph outputs are moved out; one named twice, or an outer value a body
    // passes through, is copied.
    std::optional<Tensor> own = scope.Take(out.name());
    if (own) {
      results.push_back(std::move(*own));
      continue;
    }
    const Tensor* t = nullptr;
    for (size_t r = 0; r < results.size() && t == nullptr; ++r)
      if (graph.output(static_cast<int>(r)).name() == out.name()) t = &results[r];
    if (t == nullptr) t = scope.Find(out.name());
    if (t == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("graph output '", out.name(), "' is never produced"));
    }
    results.push_back(*t);
  }
  return results;
}
}  // namespace

bool EvaluatorSupportsOp(const std::string& op_type) { return Table().count(op_type) > 0; }

void SetEvaluatorElementLimit(int64_t elements) { eval::SetMaxTensorElements(elements); }

namespace {

absl::StatusOr<std::vector<Tensor>> EvaluateNodeIn(const onnx::NodeProto& node, int64_t opset,
                                                   const std::vector<const Tensor*>& inputs,
                                                   const Scope* scope) {
  if (!IsDefaultDomain(node.domain())) {
    return Annotate(node, absl::UnimplementedError(
                              absl::StrCat("domain '", node.domain(), "' is not supported")));
  }
  auto it = Table().find(node.op_type());
  if (it == Table().end()) {
    return Annotate(node, absl::UnimplementedError("op is not supported by the evaluator"));
  }
  if (static_cast<int>(inputs.size()) > node.input_size()) {
    return Annotate(node,
                    absl::InvalidArgumentError(absl::StrCat("got ", inputs.size(), " inputs for ",
                                                            node.input_size(), " declared")));
  }
  if (absl::Status s = eval::ChargeWork(node, inputs); !s.ok()) return Annotate(node, s);
  eval::OpContext ctx(node, opset, inputs, scope);
  absl::StatusOr<std::vector<Tensor>> result;
  // The try around kernels: shapes come from untrusted models, and an
  // output too large to allocate is a diagnostic, not a crash.
  try {
    result = it->second(ctx);
  } catch (const eval::BudgetExceeded& e) {
    return Annotate(node, absl::ResourceExhaustedError(e.message));
  } catch (const std::bad_alloc&) {
    return Annotate(
        node, absl::ResourceExhaustedError("an output is too large for the evaluator's memory"));
  } catch (const std::length_error&) {
    return Annotate(node, absl::ResourceExhaustedError(
                              absl::StrCat("an output has more than ", eval::MaxTensorElements(),
                                           " elements, the evaluator's limit")));
  }
  if (!result.ok()) return Annotate(node, result.status());
  std::vector<Tensor>& outs = *result;
  for (size_t k = outs.size(); k < static_cast<size_t>(node.output_size()); ++k) {
    if (!node.output(k).empty()) {
      return Annotate(node,
                      absl::UnimplementedError(absl::StrCat("output #", k, " is not produced")));
    }
  }
  outs.resize(node.output_size());
  return result;
}

}  // namespace

absl::StatusOr<std::vector<Tensor>> EvaluateNode(const onnx::NodeProto& node, int64_t opset,
                                                 const std::vector<const Tensor*>& inputs,
                                                 const EvalBudget& budget) {
  eval::ActiveBudget active(budget);
  return EvaluateNodeIn(node, opset, inputs, nullptr);
}

absl::StatusOr<std::vector<Tensor>> eval::RunSubgraph(const onnx::GraphProto& graph, int64_t opset,
                                                      const Scope* outer,
                                                      std::vector<Tensor> inputs) {
  if (static_cast<int>(inputs.size()) != graph.input_size()) {
    return absl::InvalidArgumentError(absl::StrCat("body graph '", graph.name(), "' has ",
                                                   graph.input_size(), " inputs, given ",
                                                   inputs.size()));
  }
  Scope scope(outer, outer != nullptr ? outer->base_dir() : std::string());
  H8_RETURN_IF_ERROR(LoadInitializers(graph, scope));
  for (int k = 0; k < graph.input_size(); ++k) {
    H8_RETURN_IF_ERROR(scope.Put(graph.input(k).name(), std::move(inputs[k])));
  }
  auto result = RunGraph(graph, opset, scope);
  if (!result.ok()) {
    return absl::Status(result.status().code(), absl::StrCat("in body graph '", graph.name(),
                                                             "': ", result.status().message()));
  }
  return result;
}

namespace {

absl::StatusOr<std::vector<Tensor>> EvaluateModelIn(const onnx::ModelProto& model,
                                                    const std::map<std::string, Tensor>& inputs,
                                                    const std::string& base_dir) {
  int64_t opset = -1;
  for (const auto& op : model.opset_import()) {
    if (IsDefaultDomain(op.domain())) opset = op.version();
  }
  if (opset < 0) {
    return absl::InvalidArgumentError("model has no opset_import for the ai.onnx domain");
  }
  const onnx::GraphProto& graph = model.graph();
  Scope scope(nullptr, base_dir);
  H8_RETURN_IF_ERROR(LoadInitializers(graph, scope));

  std::unordered_set<std::string> graph_inputs;
  for (const auto& vi : graph.input()) {
    graph_inputs.insert(vi.name());
    auto provided = inputs.find(vi.name());
    if (provided == inputs.end()) {
      if (!scope.Defines(vi.name())) {
        return absl::InvalidArgumentError(
            absl::StrCat("graph input '", vi.name(), "' is not provided"));
      }
      continue;
    }
    // Counted before it is copied: the copy is what the budget guards.
    if (absl::Status s = eval::ChargeLiveBytes(provided->second.StorageBytes()); !s.ok())
      return absl::Status(s.code(), absl::StrCat("graph input '", vi.name(), "': ", s.message()));
    eval::ReleaseLiveBytes(provided->second.StorageBytes());
    Tensor t = provided->second;  // overrides an initializer of that name
    H8_RETURN_IF_ERROR(CheckGraphInput(vi, t));
    H8_RETURN_IF_ERROR(scope.Put(vi.name(), std::move(t)));
  }
  for (const auto& [name, unused] : inputs) {
    if (graph_inputs.count(name) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("provided input '", name, "' is not a graph input"));
    }
  }

  return RunGraph(graph, opset, scope);
}

}  // namespace

absl::StatusOr<std::vector<Tensor>> EvaluateModel(const onnx::ModelProto& model,
                                                  const std::map<std::string, Tensor>& inputs,
                                                  const std::string& base_dir,
                                                  const EvalBudget& budget) {
  eval::ActiveBudget active(budget);
  // Kernels run inside EvaluateNode's try; this one covers what happens
  // between them (decoding initializers, copying inputs and outputs), which
  // the budget bounds but an allocator under pressure may still refuse.
  try {
    return EvaluateModelIn(model, inputs, base_dir);
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("the evaluator ran out of memory");
  } catch (const std::length_error&) {
    return absl::ResourceExhaustedError("a tensor is too large for the evaluator");
  }
}

}  // namespace h8
