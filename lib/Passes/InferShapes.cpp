//===- InferShapes.cpp - ONNX shape inference as a pass -------------------===//
//
// Runs ONNX's shape inference with data propagation (so Shape -> Gather ->
// Concat -> Reshape chains give static shapes once inputs are static) and
// records the result in value_info and the graph outputs. Later passes
// (lift-conv1d, pin-shape, check-hailo8) read ranks and shapes from there.
//
// Failures are diagnostics: in the default mode ONNX skips nodes it cannot
// infer (a remark lists values left without a shape); strict=true makes any
// node-level inference error fatal.
//
//===----------------------------------------------------------------------===//
#include "absl/strings/str_cat.h"
#include "h8/IR/GraphIndex.h"
#include "h8/Passes/Passes.h"
#include "h8/Support/OnnxBridge.h"

namespace h8 {
namespace {

// Fingerprint of everything shape inference may change: value_info and the
// graph's input/output types (small; never the weights).
std::string ShapeFingerprint(const onnx::GraphProto& g) {
  std::string out;
  for (const auto& vi : g.value_info()) out += vi.SerializeAsString();
  for (const auto& vi : g.output()) out += vi.SerializeAsString();
  return out;
}

class InferShapesPass : public Pass {
 public:
  explicit InferShapesPass(const InferShapesOptions& options) : options_(options) {}
  absl::string_view Argument() const override { return "infer-shapes"; }

  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) override {
    std::string before = ShapeFingerprint(model.graph());
    OnnxInferOptions onnx_options;
    onnx_options.strict = options_.strict;
    onnx_options.data_propagation = options_.data_propagation;
    absl::Status s = InferShapesWithOnnx(model, onnx_options);
    if (!s.ok()) return s;
    if (ctx.RemarksEnabled()) {
      GraphIndex index(model.graph());
      for (int i = 0; i < model.graph().node_size(); ++i) {
        const auto& node = model.graph().node(i);
        for (const auto& o : node.output()) {
          if (!o.empty() && !index.Rank(o))
            ctx.Remark(&node, i) << "shape of '" << o << "' could not be inferred";
        }
      }
    }
    bool changed = ShapeFingerprint(model.graph()) != before;
    ctx.Stat("value-infos", model.graph().value_info_size());
    return changed;
  }

 private:
  InferShapesOptions options_;
};

}  // namespace

std::unique_ptr<Pass> CreateInferShapesPass(const InferShapesOptions& options) {
  return std::make_unique<InferShapesPass>(options);
}

}  // namespace h8
