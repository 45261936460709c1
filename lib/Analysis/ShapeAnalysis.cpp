//===- ShapeAnalysis.cpp - The walk and control flow -----------------------===//
#include "h8/Analysis/ShapeAnalysis.h"

#include "ShapeAnalysisScope.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/Match.h"

namespace h8 {

namespace {

// Small integer initializers and Constant values carry their contents.
ValueFacts FactsOfTensor(const onnx::TensorProto& t) {
  ValueFacts f;
  f.elem_type = t.data_type();
  f.has_shape = true;
  f.dims.reserve(t.dims_size());
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    f.dims.push_back(d >= 0 ? Dim::Static(d) : Dim());
    n = d >= 0 && d <= kMaxTrackedElements && n <= kMaxTrackedElements ? n * d
                                                                       : kMaxTrackedElements + 1;
  }
  if (n <= kMaxTrackedElements) {
    if (std::optional<std::vector<int64_t>> ints = TensorInts(t);
        ints && static_cast<int64_t>(ints->size()) == n) {
      f.has_value = true;
      for (int64_t v : *ints) f.value.push_back(Dim::Static(v));
    }
  }
  return f;
}

ValueFacts FactsOfConstantNode(const onnx::NodeProto& node) {
  ValueFacts f;
  if (const auto* a = FindAttr(node, "value"); a != nullptr && a->has_t())
    return FactsOfTensor(a->t());
  f.has_shape = true;
  if (const auto* a = FindAttr(node, "value_int")) {
    f.elem_type = onnx::TensorProto::INT64;
    f.has_value = true;
    f.value.push_back(Dim::Static(a->i()));
  } else if (const auto* a = FindAttr(node, "value_ints")) {
    f.elem_type = onnx::TensorProto::INT64;
    f.dims.push_back(Dim::Static(a->ints_size()));
    if (a->ints_size() <= kMaxTrackedElements) {
      f.has_value = true;
      for (int64_t v : a->ints()) f.value.push_back(Dim::Static(v));
    }
  } else if (FindAttr(node, "value_float")) {
    f.elem_type = onnx::TensorProto::FLOAT;
  } else if (const auto* a = FindAttr(node, "value_floats")) {
    f.elem_type = onnx::TensorProto::FLOAT;
    f.dims.push_back(Dim::Static(a->floats_size()));
  } else if (FindAttr(node, "value_string")) {
    f.elem_type = onnx::TensorProto::STRING;
  } else if (const auto* a = FindAttr(node, "value_strings")) {
    f.elem_type = onnx::TensorProto::STRING;
    f.dims.push_back(Dim::Static(a->strings_size()));
  } else {
    f.has_shape = false;
  }
  return f;
}

// Node order with every producer before its readers (Kahn's algorithm,
// stable: already-sorted graphs keep their order). Names defined outside
// the graph count as available. Nodes on a cycle come last, in order.
std::vector<int> TopologicalOrder(const onnx::GraphProto& graph) {
  const int n = graph.node_size();
  absl::flat_hash_map<absl::string_view, int> producer;
  producer.reserve(n);
  for (int i = 0; i < n; ++i)
    for (const auto& o : graph.node(i).output())
      if (!o.empty()) producer.emplace(o, i);
  std::vector<int> order;
  order.reserve(n);
  // Fast path: a sorted graph (what exporters write) is its own order, and
  // needs no reader lists.
  bool sorted = true;
  for (int i = 0; i < n && sorted; ++i)
    for (const auto& in : graph.node(i).input()) {
      auto it = in.empty() ? producer.end() : producer.find(in);
      if (it != producer.end() && it->second >= i) sorted = false;
    }
  if (sorted) {
    for (int i = 0; i < n; ++i) order.push_back(i);
    return order;
  }
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> readers(n);
  for (int i = 0; i < n; ++i) {
    for (const auto& in : graph.node(i).input()) {
      if (in.empty()) continue;
      auto it = producer.find(in);
      if (it == producer.end() || it->second == i) continue;
      ++pending[i];
      readers[it->second].push_back(i);
    }
  }
  std::vector<bool> done(n, false);
  size_t head = 0;
  for (int i = 0; i < n; ++i)
    if (pending[i] == 0) order.push_back(i);
  while (head < order.size()) {
    int i = order[head++];
    done[i] = true;
    for (int r : readers[i])
      if (--pending[r] == 0) order.push_back(r);
  }
  for (int i = 0; i < n; ++i)
    if (!done[i] && pending[i] > 0) order.push_back(i);
  return order;
}

// Two facts of the same value from different branches: what both agree on.
ValueFacts Merge(const ValueFacts& a, const ValueFacts& b) {
  ValueFacts out;
  out.elem_type = a.elem_type == b.elem_type ? a.elem_type : 0;
  if (a.has_shape && b.has_shape && a.dims.size() == b.dims.size()) {
    out.has_shape = true;
    for (size_t i = 0; i < a.dims.size(); ++i)
      out.dims.push_back(a.dims[i] == b.dims[i] ? a.dims[i] : Dim());
  }
  return out;
}

const onnx::GraphProto* SubgraphAttr(const onnx::NodeProto& node, absl::string_view name) {
  const auto* a = FindAttr(node, name);
  return a != nullptr && a->has_g() ? &a->g() : nullptr;
}

}  // namespace

ShapeAnalysis::ShapeAnalysis(const onnx::ModelProto& model, Options options)
    : ShapeAnalysis(model.graph(), OnnxOpsetVersion(model), std::move(options)) {}

ShapeAnalysis::ShapeAnalysis(const onnx::GraphProto& graph, int64_t opset, Options options,
                             std::shared_ptr<const GraphIndex> index)
    : options_(std::move(options)), main_(std::make_unique<Scope>()) {
  if (index != nullptr && &index->graph() == &graph) {
    main_->by_id.resize(index->num_values());
    main_->present.assign(index->num_values(), 0);
    main_->index = std::move(index);
  } else {
    // Sized exactly: a guess of two outputs per node doubled the table on
    // a 20k-node graph.
    size_t values = static_cast<size_t>(graph.input_size()) + graph.initializer_size();
    for (const auto& node : graph.node()) values += node.output_size();
    main_->facts.reserve(values);
  }
  AnalyzeGraph(graph, *main_, opset, /*main=*/true);
}

ShapeAnalysis::~ShapeAnalysis() = default;

const ValueFacts* ShapeAnalysis::Facts(absl::string_view value) const {
  if (const ValueFacts* f = main_->Find(value)) return f;
  for (const auto& s : subscopes_) {
    if (const ValueFacts* f = s->FindHere(value)) return f;
  }
  return nullptr;
}

const GraphIndex* ShapeAnalysis::index() const { return main_->index.get(); }

const ValueFacts* ShapeAnalysis::FactsById(int id) const {
  if (id < 0 || static_cast<size_t>(id) >= main_->by_id.size()) return nullptr;
  return main_->FindId(id);
}

namespace {
std::optional<int> RankOf(const ValueFacts* f) {
  if (f == nullptr || !f->has_shape) return std::nullopt;
  return f->rank();
}
}  // namespace

std::optional<int> ShapeAnalysis::Rank(absl::string_view value) const {
  return RankOf(Facts(value));
}

std::optional<int> ShapeAnalysis::RankById(int id) const { return RankOf(FactsById(id)); }

void ShapeAnalysis::AnalyzeGraph(const onnx::GraphProto& graph, Scope& scope, int64_t opset,
                                 bool main) {
  const auto& bindings = options_.bindings;
  // With an index, the main graph's slots come as value ids (see Scope).
  const GraphIndex* index = scope.index.get();
  // Declarations: value_info and outputs refine computed facts later; the
  // first declaration of a name counts. By id where the index knows it.
  absl::flat_hash_map<absl::string_view, const onnx::TypeProto*> declared;
  std::vector<const onnx::TypeProto*> declared_by_id(index ? scope.by_id.size() : 0, nullptr);
  auto declare = [&](const onnx::ValueInfoProto& vi) {
    if (const int id = scope.IdOf(vi.name()); id >= 0) {
      if (declared_by_id[id] == nullptr) declared_by_id[id] = &vi.type();
    } else {
      declared.emplace(vi.name(), &vi.type());
    }
  };
  if (index == nullptr) declared.reserve(graph.value_info_size() + graph.output_size());
  for (const auto& vi : graph.value_info()) declare(vi);
  for (const auto& vi : graph.output()) declare(vi);
  auto declaration = [&](const std::string& name, int id) -> const onnx::TypeProto* {
    if (id >= 0) return declared_by_id[id];
    auto it = declared.find(name);
    return it == declared.end() ? nullptr : it->second;
  };

  for (int i = 0; i < graph.initializer_size(); ++i) {
    const onnx::TensorProto& t = graph.initializer(i);
    const int id = index ? index->InitializerId(i) : -1;
    (id >= 0 ? scope.SlotId(id) : scope.Slot(t.name())) = FactsOfTensor(t);
  }
  for (const auto& in : graph.input()) {
    ValueFacts f = FromTypeProtoCached(in.type(), bindings, &param_cache_);
    ValueFacts* known = scope.FindHere(in.name());
    if (known == nullptr) {
      scope.Slot(in.name()) = std::move(f);
    } else {
      // An initializer that is also an input may be overridden at run time:
      // keep its shape, forget its contents.
      known->has_value = false;
      known->value.clear();
    }
  }

  auto lookup = [&](const std::string& name) -> const ValueFacts* {
    if (name.empty()) return nullptr;
    return scope.Find(name);
  };

  std::vector<ValueFacts> outs;
  // One input list for every node: its buffer is reused, not reallocated.
  std::vector<const ValueFacts*> inputs;
  // Names read before anything defined them (an unsorted graph, or an
  // undefined name).
  std::vector<absl::string_view> missing;
  auto analyze_node = [&](int i) {
    const onnx::NodeProto& node = graph.node(i);
    absl::Span<const int> in_ids, out_ids;
    if (index != nullptr) {
      in_ids = index->NodeInputIds(i);
      out_ids = index->NodeOutputIds(i);
    }
    inputs.clear();
    for (int k = 0; k < node.input_size(); ++k) {
      const std::string& name = node.input(k);
      const int id = k < static_cast<int>(in_ids.size()) ? in_ids[k] : -1;
      inputs.push_back(id >= 0 && static_cast<size_t>(id) < scope.by_id.size() ? scope.FindId(id)
                                                                               : lookup(name));
      if (inputs.back() == nullptr && !name.empty()) missing.push_back(name);
    }
    NodeShapeInput in{node, opset, std::move(inputs)};
    outs.assign(node.output_size(), ValueFacts());
    const absl::string_view op = node.op_type();
    bool known = true;
    if (!IsOnnxDomain(node)) {
      known = false;
    } else if (op == "Constant") {
      if (!outs.empty()) outs[0] = FactsOfConstantNode(node);
    } else if (op == "If" || op == "Loop" || op == "Scan") {
      // Bodies see this scope; their own facts stay in their scopes.
      std::vector<const onnx::GraphProto*> bodies;
      for (const char* name : {"then_branch", "else_branch", "body"})
        if (const auto* g = SubgraphAttr(node, name)) bodies.push_back(g);
      std::vector<Scope*> body_scopes;
      for (const onnx::GraphProto* body : bodies) {
        subscopes_.push_back(std::make_unique<Scope>());
        Scope* s = subscopes_.back().get();
        s->parent = &scope;
        body_scopes.push_back(s);
        if (op != "If") {
          // Body input k mirrors node input k: Loop (M, cond, v...) ~ body
          // (i, cond, v...), Scan (state..., scan...) ~ body (state...,
          // slice...). Loop's iteration number and condition come from the
          // body's own declarations.
          const int first = op == "Loop" ? 2 : 0;
          const int num_scan = static_cast<int>(GetIntAttr(node, "num_scan_inputs", 0));
          for (int k = 0; k < body->input_size(); ++k) {
            ValueFacts f = FromTypeProto(body->input(k).type(), bindings);
            if (k >= first && k < static_cast<int>(in.inputs.size()) && in.inputs[k] != nullptr) {
              ValueFacts o = *in.inputs[k];
              const bool is_scan_slice =
                  op == "Scan" && k >= static_cast<int>(in.inputs.size()) - num_scan;
              if (is_scan_slice && o.has_shape && !o.dims.empty()) o.dims.erase(o.dims.begin());
              o.has_value = false;
              o.value.clear();
              RefineFacts(o, f);
              f = std::move(o);
            }
            s->Slot(body->input(k).name()) = std::move(f);
          }
        }
        AnalyzeGraph(*body, *s, opset, /*main=*/false);
      }
      auto body_out = [&](size_t b, int k) -> const ValueFacts* {
        if (b >= bodies.size() || k >= bodies[b]->output_size()) return nullptr;
        return body_scopes[b]->Find(bodies[b]->output(k).name());
      };
      if (op == "If" && bodies.size() == 2) {
        for (int k = 0; k < node.output_size(); ++k) {
          const ValueFacts* a = body_out(0, k);
          const ValueFacts* b = body_out(1, k);
          if (a && b) outs[k] = Merge(*a, *b);
        }
      } else if (op == "Loop" && bodies.size() == 1) {
        const int carried = std::max(0, node.input_size() - 2);
        for (int k = 0; k < node.output_size(); ++k) {
          const ValueFacts* b = body_out(0, k + 1);
          if (k < carried) {
            const ValueFacts* init = k + 2 < node.input_size() ? in.inputs[k + 2] : nullptr;
            if (init && b) outs[k] = Merge(*init, *b);
          } else if (b != nullptr) {
            outs[k].elem_type = b->elem_type;
            if (b->has_shape) {
              outs[k].has_shape = true;
              outs[k].dims.push_back(Dim());
              outs[k].dims.insert(outs[k].dims.end(), b->dims.begin(), b->dims.end());
            }
          }
        }
      } else if (op == "Scan" && bodies.size() == 1) {
        const int num_scan = static_cast<int>(GetIntAttr(node, "num_scan_inputs", 0));
        const int carried = node.input_size() - num_scan;
        Dim length;
        if (num_scan > 0 && carried >= 0 && carried < node.input_size() && in.inputs[carried] &&
            in.inputs[carried]->has_shape && !in.inputs[carried]->dims.empty())
          length = in.inputs[carried]->dims[0];
        for (int k = 0; k < node.output_size(); ++k) {
          const ValueFacts* b = body_out(0, k);
          if (b == nullptr) continue;
          outs[k].elem_type = b->elem_type;
          if (!b->has_shape) continue;
          outs[k].has_shape = true;
          if (k >= carried) outs[k].dims.push_back(length);
          outs[k].dims.insert(outs[k].dims.end(), b->dims.begin(), b->dims.end());
        }
      } else {
        known = false;
      }
    } else {
      known = ApplyShapeRule(in, outs);
    }
    if (!known && main) unknown_ops_.emplace_back(i, op);
    for (int k = 0; k < node.output_size(); ++k) {
      const std::string& name = node.output(k);
      if (name.empty()) continue;
      int id = k < static_cast<int>(out_ids.size()) ? out_ids[k] : -1;
      if (static_cast<size_t>(id) >= scope.by_id.size()) id = -1;
      ValueFacts& f = outs[k];
      if (!bindings.empty()) {
        for (Dim& d : f.dims) d = d.Substitute(bindings);
        for (Dim& d : f.value) d = d.Substitute(bindings);
      }
      // A declaration can only refine a value whose type or some dim is
      // not known yet (Refine keeps static dims): fully known values skip
      // reading it.
      if (f.elem_type == 0 || !f.IsStatic())
        if (const onnx::TypeProto* declared_type = declaration(name, id))
          RefineFacts(f, FromTypeProtoCached(*declared_type, bindings, &param_cache_));
      if (f.has_value && f.IsStatic()) {
        // Element count against the value's length; stops at the first
        // dim that makes it larger (a product of hostile dims overflows).
        const int64_t size = static_cast<int64_t>(f.value.size());
        int64_t n = 1;
        for (const Dim& d : f.dims) {
          const int64_t v = d.value();
          if (v < 0 || (v > 0 && n > size / v)) {
            n = -1;
            break;
          }
          n *= v;
        }
        if (n != size) {
          f.has_value = false;
          f.value.clear();
        }
      }
      (id >= 0 ? scope.SlotId(id) : scope.Slot(name)) = std::move(f);
    }
    inputs = std::move(in.inputs);
  };
  // Exporters write sorted graphs, so the walk goes in node order first. A
  // read of a name that only a later node defines means the graph is not
  // sorted: the walk's results are dropped and it is redone in topological
  // order (TopologicalOrder), which an up-front check would cost on every
  // graph.
  const size_t subscopes_before = subscopes_.size();
  const size_t unknown_before = unknown_ops_.size();
  for (int i = 0; i < graph.node_size(); ++i) analyze_node(i);
  if (!missing.empty()) {
    // A miss may also be an undefined name: TopologicalOrder tells (a
    // sorted graph is its own order).
    const std::vector<int> order = TopologicalOrder(graph);
    bool sorted = true;
    for (int i = 0; i < static_cast<int>(order.size()) && sorted; ++i) sorted = order[i] == i;
    if (!sorted) {
      for (const auto& node : graph.node())
        for (const auto& o : node.output()) scope.Erase(o);
      subscopes_.resize(subscopes_before);
      unknown_ops_.resize(unknown_before);
      for (int i : order) analyze_node(i);
    }
  }
  // Named now: the analysis may outlive the node order it saw (a pass that
  // only removes nodes keeps it, see AnalysisManager::Keep).
  if (main && !unknown_ops_.empty())
    first_unknown_ref_ =
        NodeRef(graph.node(unknown_ops_.front().first), unknown_ops_.front().first);
  // Graph outputs that no node produces (inputs passed through) keep their
  // declarations.
  for (const auto& out : graph.output())
    if (scope.FindHere(out.name()) == nullptr)
      scope.Slot(out.name()) = FromTypeProto(out.type(), bindings);
}

std::string ShapeAnalysis::UnknownOpsNote() const {
  if (unknown_ops_.empty()) return "";
  std::string note = absl::StrCat(" (no shape rule for op '", unknown_ops_.front().second,
                                  "' of node '", first_unknown_ref_, "'");
  if (unknown_ops_.size() > 1) absl::StrAppend(&note, ", and ", unknown_ops_.size() - 1, " more");
  return note + ")";
}

}  // namespace h8
