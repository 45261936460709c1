//===- OnnxBridge.cpp - Exceptions from ONNX become Status ----------------===//
#include "h8/Support/OnnxBridge.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "onnx/checker.h"
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

absl::Status InferShapesWithOnnx(onnx::ModelProto& model,
                                 const OnnxInferOptions& options) {
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
