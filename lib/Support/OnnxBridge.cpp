//===- OnnxBridge.cpp - Exceptions from ONNX become Status ----------------===//
#include "h8/Support/OnnxBridge.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "onnx/checker.h"
#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"

namespace h8 {

absl::Status CheckModelWithOnnx(const onnx::ModelProto& model, OnnxCheckSkip* skipped) {
  // ONNX 1.12's checker knows IR <= 8 and ai.onnx opsets <= 17; past that
  // it refuses the model without judging it, so it is not run.
  int64_t opset = 0;
  for (const auto& o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  if (model.ir_version() > kOnnxCheckerMaxIr || opset > kOnnxCheckerMaxOpset) {
    if (skipped != nullptr) {
      skipped->skipped = true;
      skipped->reason = absl::StrCat(
          "the ONNX checker (ONNX 1.12) was skipped: it cannot judge IR version ",
          model.ir_version(), " / ai.onnx opset ", opset, " (it knows IR <= ", kOnnxCheckerMaxIr,
          ", opset <= ", kOnnxCheckerMaxOpset, ")");
    }
    return absl::OkStatus();
  }
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(absl::StrCat("ONNX checker: ", e.what()));
  }
  return absl::OkStatus();
}

absl::Status RunOnnxShapeInference(onnx::ModelProto& model, const OnnxInferOptions& options) {
  onnx::ShapeInferenceOptions onnx_options;
  onnx_options.check_type = options.strict;
  onnx_options.error_mode = options.strict ? 1 : 0;
  onnx_options.enable_data_propagation = options.data_propagation;
  try {
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), onnx_options);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("shape inference: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace h8
