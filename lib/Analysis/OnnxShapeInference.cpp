//===- OnnxShapeInference.cpp - ONNX's shape inference, guarded -----------===//
//
// ONNX 1.12's inference functions trust their nodes: a Scan without `body`,
// a Conv whose data has rank < 3, a stride of 0 divide by zero or
// dereference null. The checks here reject such nodes (using the shape
// analysis for ranks) before OnnxBridge runs ONNX's inference.
//
//===----------------------------------------------------------------------===//
#include "h8/Analysis/OnnxShapeInference.h"

#include <functional>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "onnx/defs/schema.h"

namespace h8 {

namespace {

// Attribute values ONNX 1.12's inference functions divide by, index with
// or recurse on without checking (SIGFPE / SIGSEGV, #22.1).
absl::Status CheckNodeAttributes(const onnx::NodeProto& node, const std::string& where,
                                 const ShapeAnalysis& shapes) {
  const std::string& op = node.op_type();
  auto ints = [&](const char* name) -> const onnx::AttributeProto* {
    for (const auto& a : node.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  };
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
  };
  static const std::set<std::string> kWindowed = {
      "Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "MaxPool", "AveragePool", "LpPool"};
  if (kWindowed.count(op)) {
    for (const char* name : {"strides", "dilations"}) {
      const onnx::AttributeProto* a = ints(name);
      if (a == nullptr) continue;
      for (int64_t v : a->ints())
        if (v <= 0)
          return bad(absl::StrCat("attribute '", name, "' has the value ", v,
                                  "; every entry must be positive"));
    }
  }
  if (op == "DepthToSpace" || op == "SpaceToDepth") {
    if (const onnx::AttributeProto* a = ints("blocksize");
        a != nullptr && (a->i() <= 0 || a->i() > (int64_t{1} << 16)))
      return bad(absl::StrCat("attribute 'blocksize' is ", a->i(), "; it must be in [1, 65536]"));
  }
  if (op == "GatherND") {
    if (const onnx::AttributeProto* a = ints("batch_dims"); a != nullptr && a->i() < 0)
      return bad(absl::StrCat("attribute 'batch_dims' is ", a->i(), "; it must not be negative"));
  }
  if (op == "LayerNormalization" && node.input_size() > 0) {
    const onnx::AttributeProto* a = ints("axis");
    const int64_t axis = a != nullptr ? a->i() : -1;
    std::optional<int> r = shapes.Rank(node.input(0));
    if (r && (axis < -*r || axis >= *r))
      return bad(absl::StrCat("attribute 'axis' is ", axis, " for an input of rank ", *r,
                              "; it must be in [", -*r, ", ", *r, ")"));
  }
  if (op == "STFT" && node.input_size() > 0) {
    std::optional<int> r = shapes.Rank(node.input(0));
    if (r && *r < 2)
      return bad(absl::StrCat("signal '", node.input(0), "' has rank ", *r,
                              "; STFT needs [batch, length] or [batch, length, 1 or 2]"));
  }
  return absl::OkStatus();
}

// A model-local function that calls itself (directly or through others)
// sends ONNX's function inference into unbounded recursion.
absl::Status CheckFunctionsNotRecursive(const onnx::ModelProto& model) {
  std::map<std::string, const onnx::FunctionProto*> functions;
  auto key = [](const std::string& domain, const std::string& name) {
    return absl::StrCat(domain, "::", name);
  };
  for (const auto& f : model.functions()) functions[key(f.domain(), f.name())] = &f;
  // 0 unvisited, 1 on the stack, 2 done.
  std::map<std::string, int> state;
  std::function<std::string(const std::string&)> visit = [&](const std::string& k) {
    state[k] = 1;
    for (const auto& n : functions[k]->node()) {
      std::string callee = key(n.domain(), n.op_type());
      if (!functions.count(callee)) continue;
      if (state[callee] == 1) return callee;
      if (state[callee] == 0)
        if (std::string c = visit(callee); !c.empty()) return c;
    }
    state[k] = 2;
    return std::string();
  };
  for (const auto& [k, f] : functions) {
    if (state[k] != 0) continue;
    if (std::string c = visit(k); !c.empty())
      return absl::InvalidArgumentError(absl::StrCat(
          "model-local function '", c, "' calls itself (directly or through other functions)"));
  }
  return absl::OkStatus();
}

// ONNX 1.12's inference functions trust their node: a Scan without `body`
// dereferences null (found by fuzz-pipeline). Nodes are checked against
// their schema first (required attributes, input and output counts), so a
// malformed node is a diagnostic, not a crash.
absl::Status CheckNodesAgainstSchemas(const onnx::GraphProto& graph,
                                      const std::map<std::string, int>& opsets, int depth) {
  if (depth > 64) return absl::InvalidArgumentError("subgraphs nested too deeply");
  // A bad rank reaching a Conv through a Relu is caught too.
  auto onnx_opset = opsets.find("");
  const ShapeAnalysis shapes(graph, onnx_opset == opsets.end() ? 0 : onnx_opset->second);
  for (const auto& node : graph.node()) {
    std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    auto version = opsets.find(domain);
    const onnx::OpSchema* schema =
        version == opsets.end()
            ? nullptr
            : onnx::OpSchemaRegistry::Schema(node.op_type(), version->second, domain);
    std::string where = absl::StrCat(
        "node '", node.name().empty() && node.output_size() > 0 ? node.output(0) : node.name(),
        "' (", node.op_type(), ")");
    // ONNX's convPoolShapeInference dereferences null when the data input
    // has fewer than 3 dims or the weight's rank differs (fuzz-pipeline).
    static const std::set<std::string> kConvPool = {
        "Conv",   "ConvTranspose",     "ConvInteger",   "QLinearConv",  "MaxPool",   "AveragePool",
        "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "MaxRoiPool"};
    if (domain.empty() && kConvPool.count(node.op_type()) && node.input_size() > 0) {
      std::optional<int> x = shapes.Rank(node.input(0));
      if (x && *x < 3)
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": input '", node.input(0), "' has rank ", *x,
                         "; the operator needs at least 3 (N, C, spatial...)"));
      if ((node.op_type() == "Conv" || node.op_type() == "ConvTranspose") &&
          node.input_size() > 1 && x) {
        std::optional<int> w = shapes.Rank(node.input(1));
        if (w && *w != *x)
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": weight '", node.input(1), "' has rank ", *w, ", input '",
                           node.input(0), "' has rank ", *x, "; they must be equal"));
      }
    }
    if (domain.empty()) {
      if (absl::Status st = CheckNodeAttributes(node, where, shapes); !st.ok()) return st;
    }
    if (schema != nullptr) {
      for (const auto& [name, attr] : schema->attributes()) {
        if (!attr.required) continue;
        bool found = false;
        for (const auto& a : node.attribute()) found |= a.name() == name;
        if (!found)
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": required attribute '", name, "' is missing"));
      }
      if (node.input_size() < schema->min_input() || node.input_size() > schema->max_input())
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": has ", node.input_size(), " inputs, the operator takes ",
                         schema->min_input(), " to ", schema->max_input()));
      if (node.output_size() < schema->min_output() || node.output_size() > schema->max_output())
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": has ", node.output_size(), " outputs, the operator takes ",
                         schema->min_output(), " to ", schema->max_output()));
    }
    for (const auto& a : node.attribute()) {
      if (a.has_g())
        if (auto st = CheckNodesAgainstSchemas(a.g(), opsets, depth + 1); !st.ok()) return st;
      for (const auto& g : a.graphs())
        if (auto st = CheckNodesAgainstSchemas(g, opsets, depth + 1); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status InferShapesWithOnnx(onnx::ModelProto& model, const OnnxInferOptions& options) {
  std::map<std::string, int> opsets;
  for (const auto& o : model.opset_import())
    opsets[o.domain() == "ai.onnx" ? "" : o.domain()] = static_cast<int>(o.version());
  if (absl::Status s = CheckFunctionsNotRecursive(model); !s.ok())
    return absl::InvalidArgumentError(absl::StrCat("shape inference: ", s.message()));
  if (absl::Status s = CheckNodesAgainstSchemas(model.graph(), opsets, 0); !s.ok())
    return absl::InvalidArgumentError(absl::StrCat("shape inference: ", s.message()));
  return RunOnnxShapeInference(model, options);
}

}  // namespace h8
