//===- OnnxBridge.cpp - Exceptions from ONNX become Status ----------------===//
#include "h8/Support/OnnxBridge.h"

#include <exception>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "onnx/checker.h"
#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"

namespace h8 {

absl::Status CheckModelWithOnnx(const onnx::ModelProto& model) {
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(absl::StrCat("ONNX checker: ", e.what()));
  }
  return absl::OkStatus();
}

namespace {

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
    std::string where = absl::StrCat("node '", node.name().empty() && node.output_size() > 0
                                                   ? node.output(0)
                                                   : node.name(),
                                     "' (", node.op_type(), ")");
    // ONNX's convPoolShapeInference dereferences null when the data input
    // has fewer than 3 dims or the weight's rank differs (fuzz-pipeline).
    static const std::set<std::string> kConvPool = {
        "Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "MaxPool", "AveragePool",
        "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "MaxRoiPool"};
    if (domain.empty() && kConvPool.count(node.op_type()) && node.input_size() > 0) {
      std::optional<int> x = shapes.Rank(node.input(0));
      if (x && *x < 3)
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": input '", node.input(0), "' has rank ", *x,
            "; the operator needs at least 3 (N, C, spatial...)"));
      if ((node.op_type() == "Conv" || node.op_type() == "ConvTranspose") &&
          node.input_size() > 1 && x) {
        std::optional<int> w = shapes.Rank(node.input(1));
        if (w && *w != *x)
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": weight '", node.input(1), "' has rank ", *w, ", input '",
              node.input(0), "' has rank ", *x, "; they must be equal"));
      }
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
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": has ", node.input_size(), " inputs, the operator takes ",
            schema->min_input(), " to ", schema->max_input()));
      if (node.output_size() < schema->min_output() || node.output_size() > schema->max_output())
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": has ", node.output_size(), " outputs, the operator takes ",
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

absl::Status InferShapesWithOnnx(onnx::ModelProto& model,
                                 const OnnxInferOptions& options) {
  std::map<std::string, int> opsets;
  for (const auto& o : model.opset_import())
    opsets[o.domain() == "ai.onnx" ? "" : o.domain()] = static_cast<int>(o.version());
  if (absl::Status s = CheckNodesAgainstSchemas(model.graph(), opsets, 0); !s.ok())
    return absl::InvalidArgumentError(absl::StrCat("shape inference: ", s.message()));
  onnx::ShapeInferenceOptions onnx_options;
  onnx_options.check_type = options.strict;
  onnx_options.error_mode = options.strict ? 1 : 0;
  onnx_options.enable_data_propagation = options.data_propagation;
  try {
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx_options);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("shape inference: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace h8
