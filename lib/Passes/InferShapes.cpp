//===- InferShapes.cpp - ONNX shape inference as a pass -------------------===//
//
// Runs the project's shape analysis (h8/Analysis/ShapeAnalysis.h: every
// opset 11-23 form, symbolic dims as expressions, values propagated
// through the shape plumbing) and records the result in value_info and the
// graph outputs, for other tools and for readers of the text form; our own
// passes run the analysis themselves.
//
// onnx=true runs ONNX 1.12's inference instead (opsets <= 17), kept as a
// cross-check. A value whose shape stays unknown gets a remark naming the
// op without a rule; strict=true makes it an error.
//
//===----------------------------------------------------------------------===//
#include "absl/strings/str_cat.h"
#include "h8/Analysis/OnnxShapeInference.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/GraphIndex.h"
#include "h8/Passes/Passes.h"
#include "h8/Support/Status.h"

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

  Statistic value_infos_{this, "value-infos", "value_info records in the main graph afterwards"};

  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) override {
    std::string before = ShapeFingerprint(model.graph());
    if (options_.onnx) {
      OnnxInferOptions onnx_options;
      onnx_options.strict = options_.strict;
      onnx_options.data_propagation = options_.data_propagation;
      absl::Status s = InferShapesWithOnnx(model, onnx_options);
      if (!s.ok()) return s;
    } else {
      const ShapeAnalysis shapes(model);
      shapes.WriteValueInfo(*model.mutable_graph());
      for (const auto& [i, op] : shapes.unknown_ops())
        ctx.Remark(&model.graph().node(i), i) << "no shape rule for op '" << op << "'";
    }
    if (ctx.RemarksEnabled() || options_.strict) {
      GraphIndex index(model.graph());
      int unknown = 0;
      for (int i = 0; i < model.graph().node_size(); ++i) {
        const auto& node = model.graph().node(i);
        for (const auto& o : node.output()) {
          if (o.empty() || index.Rank(o)) continue;
          ++unknown;
          if (options_.strict && !options_.onnx)
            ctx.Error(&node, i) << "shape of '" << o << "' could not be determined";
          else ctx.Remark(&node, i) << "shape of '" << o << "' could not be inferred";
        }
      }
      // Each value was reported as an error naming its node; no second line.
      if (unknown > 0 && options_.strict && !options_.onnx)
        return MarkReported(absl::FailedPreconditionError(
            absl::StrCat(unknown, " value(s) without a known shape (strict=true)")));
    }
    bool changed = ShapeFingerprint(model.graph()) != before;
    value_infos_.Add(ctx, model.graph().value_info_size());
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
