//===- Verifier.cpp - Fast structural verifier ----------------------------===//
#include "h8/IR/Verifier.h"

#include "h8/IR/ElementType.h"

#include <cstdint>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "h8/IR/GraphIndex.h"

namespace h8 {
namespace {

// Where each value of a graph is defined: -1 for graph inputs and
// initializers, else the defining node's index. One map answers both "is it
// defined" and "before this node"; enclosing graphs are a chain of frames,
// each visible up to the node that owns the subgraph (`limit`).
struct Scope {
  const Scope* parent = nullptr;
  // Views into the graph being verified, which does not change meanwhile.
  absl::flat_hash_map<absl::string_view, int> defs;
  int limit = 0;
  // Whether an enclosing graph defines `name` before the node owning this
  // one (the values a subgraph may read).
  bool OuterDefines(absl::string_view name) const {
    for (const Scope* s = parent; s != nullptr; s = s->parent) {
      auto it = s->defs.find(name);
      if (it != s->defs.end() && it->second < s->limit) return true;
    }
    return false;
  }
};

constexpr int kMaxDepth = 64;

// Whether the value `id` of `index` is a graph input or an initializer.
bool DefinedOutsideNodes(const GraphIndex& index, int id) {
  return index.IsGraphInputById(id) || index.InitializerIndexById(id) >= 0;
}

// An initializer's data must match its dims: a short tensor would be read
// past its end by anything that uses it.
absl::Status VerifyTensorData(const onnx::TensorProto& t) {
  int64_t count = 1;
  for (int64_t d : t.dims()) {
    if (d < 0)
      return absl::InvalidArgumentError(
          absl::StrCat("initializer '", t.name(), "' has a negative dim ", d));
    if (d > 0 && count > std::numeric_limits<int64_t>::max() / d)
      return absl::InvalidArgumentError(
          absl::StrCat("initializer '", t.name(), "' has dims whose product overflows"));
    count *= d;
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL) return absl::OkStatus();
  int64_t have = -1;
  if (t.has_raw_data()) {
    const int size = ElementSize(t.data_type());
    if (size == 0) return absl::OkStatus();
    if (count > std::numeric_limits<int64_t>::max() / size)
      return absl::InvalidArgumentError(
          absl::StrCat("initializer '", t.name(), "' has dims whose byte size overflows"));
    if (static_cast<int64_t>(t.raw_data().size()) != count * size)
      return absl::InvalidArgumentError(
          absl::StrCat("initializer '", t.name(), "' has ", t.raw_data().size(),
                       " bytes of data, its dims need ", count * size));
    return absl::OkStatus();
  }
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: have = t.float_data_size(); break;
    case onnx::TensorProto::DOUBLE: have = t.double_data_size(); break;
    case onnx::TensorProto::INT64: have = t.int64_data_size(); break;
    case onnx::TensorProto::UINT64:
    case onnx::TensorProto::UINT32: have = t.uint64_data_size(); break;
    case onnx::TensorProto::STRING: have = t.string_data_size(); break;
    case onnx::TensorProto::COMPLEX64: have = t.float_data_size() / 2; break;
    case onnx::TensorProto::COMPLEX128: have = t.double_data_size() / 2; break;
    default: have = t.int32_data_size();
  }
  if (have != count)
    return absl::InvalidArgumentError(absl::StrCat("initializer '", t.name(), "' holds ", have,
                                                   " values, its dims need ", count));
  return absl::OkStatus();
}

// If/Loop/Scan must carry their bodies as graph attributes: every
// consumer (the shape analysis, the evaluator, ONNX's inference) reads
// them.
absl::Status VerifyControlFlowBodies(const onnx::NodeProto& node) {
  if (!IsOnnxDomain(node)) return absl::OkStatus();
  std::vector<const char*> bodies;
  if (node.op_type() == "If") bodies = {"then_branch", "else_branch"};
  else if (node.op_type() == "Loop" || node.op_type() == "Scan") bodies = {"body"};
  for (const char* name : bodies) {
    bool found = false;
    for (const auto& a : node.attribute()) found |= a.name() == name && a.has_g();
    if (!found)
      return absl::InvalidArgumentError(absl::StrCat("required attribute '", name, "' is missing"));
  }
  return absl::OkStatus();
}

absl::Status VerifyGraph(const onnx::GraphProto& graph, const Scope* outer, const std::string& path,
                         int depth) {
  if (depth > kMaxDepth)
    return absl::InvalidArgumentError(
        absl::StrCat("graph '", path, "': subgraphs nested deeper than ", kMaxDepth, " levels"));
  auto where = [&](const onnx::NodeProto& node, int i) {
    std::string prefix = depth == 0 ? "" : absl::StrCat("graph '", path, "', ");
    return absl::StrCat(prefix, "node '", NodeRef(node, i), "' (", node.op_type(), ")");
  };
  Scope scope;
  scope.parent = outer;
  scope.defs.reserve(graph.input_size() + graph.initializer_size() + graph.node_size());
  for (const auto& in : graph.input()) {
    if (in.name().empty()) return absl::InvalidArgumentError("a graph input has an empty name");
    if (!scope.defs.emplace(in.name(), -1).second)
      return absl::InvalidArgumentError(
          absl::StrCat("graph input '", in.name(), "' is declared twice"));
  }
  absl::flat_hash_set<absl::string_view> initializers;
  initializers.reserve(graph.initializer_size());
  for (const auto& init : graph.initializer()) {
    if (!initializers.insert(init.name()).second)
      return absl::InvalidArgumentError(
          absl::StrCat("initializer '", init.name(), "' is defined twice"));
    if (absl::Status s = VerifyTensorData(init); !s.ok()) return s;
    scope.defs.emplace(init.name(), -1);  // may also be an input
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& node = graph.node(i);
    if (node.op_type().empty())
      return absl::InvalidArgumentError(absl::StrCat(where(node, i), ": empty op_type"));
    if (absl::Status s = VerifyControlFlowBodies(node); !s.ok())
      return absl::InvalidArgumentError(absl::StrCat(where(node, i), ": ", s.message()));
    for (const auto& o : node.output()) {
      if (o.empty()) continue;
      if (!scope.defs.emplace(o, i).second)
        return absl::InvalidArgumentError(
            absl::StrCat(where(node, i), ": value '", o, "' is defined more than once"));
      // As ONNX's checker: a body's nodes must not redefine a name of an
      // enclosing graph (readers of the name would be ambiguous).
      if (scope.OuterDefines(o))
        return absl::InvalidArgumentError(absl::StrCat(
            where(node, i), ": value '", o, "' redefines a value of an enclosing graph"));
    }
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& node = graph.node(i);
    for (const auto& in : node.input()) {
      if (in.empty()) continue;
      auto it = scope.defs.find(in);
      if (it != scope.defs.end() && it->second < i) continue;
      if (it == scope.defs.end() && scope.OuterDefines(in)) continue;
      if (it == scope.defs.end())
        return absl::InvalidArgumentError(
            absl::StrCat(where(node, i), ": input '", in, "' is not defined"));
      return absl::InvalidArgumentError(
          absl::StrCat(where(node, i), ": input '", in, "' is used before its definition by node '",
                       NodeRef(graph.node(it->second), it->second),
                       "' (the graph has a cycle or is not topologically sorted)"));
    }
    for (const auto& attr : node.attribute()) {
      if (!attr.has_g() && attr.graphs_size() == 0) continue;
      // The body sees this graph's values defined before node i.
      scope.limit = i;
      std::string sub = absl::StrCat(path, "/", NodeRef(node, i), ".", attr.name());
      if (attr.has_g())
        if (auto s = VerifyGraph(attr.g(), &scope, sub, depth + 1); !s.ok()) return s;
      for (const auto& g : attr.graphs())
        if (auto s = VerifyGraph(g, &scope, sub, depth + 1); !s.ok()) return s;
    }
  }
  for (const auto& out : graph.output()) {
    if (!scope.defs.contains(out.name()) && !scope.OuterDefines(out.name()))
      return absl::InvalidArgumentError(
          absl::StrCat(depth == 0 ? "" : absl::StrCat("graph '", path, "': "), "graph output '",
                       out.name(), "' is not produced by any node, input or initializer"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status VerifyTouchedStructure(const onnx::ModelProto& model, const GraphIndex& index) {
  if (!model.has_graph() || &index.graph() != &model.graph()) return VerifyModelStructure(model);
  const onnx::GraphProto& graph = model.graph();
  const std::vector<int> touched = index.TouchedNodes();
  // A touched node with a body: its scopes are the full verifier's job.
  for (int n : touched)
    if (HasSubgraph(graph.node(n))) return VerifyModelStructure(model);
  auto where = [&](int n) {
    const onnx::NodeProto& node = graph.node(n);
    return absl::StrCat("node '", NodeRef(node, n), "' (", node.op_type(), ")");
  };
  // Tensor data is checked for every initializer: a pass may reshape one in
  // place, and the check reads no names.
  for (const auto& init : graph.initializer())
    if (absl::Status s = VerifyTensorData(init); !s.ok()) return s;
  for (int i : index.added_initializers()) {
    if (i >= graph.initializer_size()) continue;
    const std::string& name = graph.initializer(i).name();
    if (index.InitializerIndex(name) != i)
      return absl::InvalidArgumentError(absl::StrCat("initializer '", name, "' is defined twice"));
    if (int p = index.ProducerIndex(name); p >= 0)
      return absl::InvalidArgumentError(
          absl::StrCat(where(p), ": value '", name, "' is defined more than once"));
  }
  auto defined_outside_nodes = [&](absl::string_view name) {
    const int id = index.Id(name);
    return id >= 0 && DefinedOutsideNodes(index, id);
  };
  for (int n : touched) {
    const onnx::NodeProto& node = graph.node(n);
    if (node.op_type().empty())
      return absl::InvalidArgumentError(absl::StrCat(where(n), ": empty op_type"));
    for (const auto& o : node.output()) {
      if (o.empty()) continue;
      if (index.NumDefinitions(o) > 1 || defined_outside_nodes(o))
        return absl::InvalidArgumentError(
            absl::StrCat(where(n), ": value '", o, "' is defined more than once"));
    }
    for (const auto& in : node.input()) {
      if (in.empty()) continue;
      const int p = index.ProducerIndex(in);
      if ((p >= 0 && p < n) || (p < 0 && defined_outside_nodes(in))) continue;
      if (p < 0)
        return absl::InvalidArgumentError(
            absl::StrCat(where(n), ": input '", in, "' is not defined"));
      return absl::InvalidArgumentError(absl::StrCat(
          where(n), ": input '", in, "' is used before its definition by node '",
          NodeRef(graph.node(p), p), "' (the graph has a cycle or is not topologically sorted)"));
    }
  }
  for (const auto& out : graph.output())
    if (index.ProducerIndex(out.name()) < 0 && !defined_outside_nodes(out.name()))
      return absl::InvalidArgumentError(absl::StrCat(
          "graph output '", out.name(), "' is not produced by any node, input or initializer"));
  return absl::OkStatus();
}

absl::Status VerifyModelStructure(const onnx::ModelProto& model, const GraphIndex& index) {
  if (!model.has_graph() || &index.graph() != &model.graph()) return VerifyModelStructure(model);
  const onnx::GraphProto& graph = model.graph();
  // The checks of VerifyGraph at depth 0, in value ids. A body, or any
  // problem, goes to VerifyGraph, which also names the problem.
  auto full = [&] { return VerifyModelStructure(model); };
  std::vector<char> declared(index.num_values(), 0);
  for (const auto& in : graph.input()) {
    const int id = index.Id(in.name());
    if (in.name().empty() || id < 0 || declared[id]) return full();
    declared[id] = 1;
  }
  for (int i = 0; i < graph.initializer_size(); ++i) {
    const int id = index.InitializerId(i);
    // A second initializer of a name is not the one the index records.
    if (id < 0 || index.InitializerIndexById(id) != i) return full();
    if (!VerifyTensorData(graph.initializer(i)).ok()) return full();
  }
  auto defined_outside_nodes = [&](int id) { return DefinedOutsideNodes(index, id); };
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    if (node.op_type().empty() || HasSubgraph(node) || !VerifyControlFlowBodies(node).ok())
      return full();
    for (int id : index.NodeOutputIds(i)) {
      if (id < 0) continue;
      if (index.NumDefinitionsById(id) != 1 || defined_outside_nodes(id)) return full();
    }
    for (int id : index.NodeInputIds(i)) {
      if (id < 0) continue;
      const int p = index.ProducerIndexById(id);
      if (p >= i || (p < 0 && !defined_outside_nodes(id))) return full();
    }
  }
  for (const auto& out : graph.output()) {
    const int id = index.Id(out.name());
    if (id < 0 || (index.ProducerIndexById(id) < 0 && !defined_outside_nodes(id))) return full();
  }
  return absl::OkStatus();
}

absl::Status VerifyModelStructure(const onnx::ModelProto& model) {
  if (!model.has_graph()) return absl::InvalidArgumentError("the model has no graph");
  return VerifyGraph(model.graph(), nullptr, model.graph().name(), 0);
}

}  // namespace h8
