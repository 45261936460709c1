//===- OnnxBridge.h - The only caller of throwing ONNX APIs -----*- C++ -*-===//
//
// ONNX's checker and shape inference report problems by throwing
// ValidationError / InferenceError. This adapter is the one place that
// catches them and returns absl::Status instead.
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_ONNXBRIDGE_H
#define H8_SUPPORT_ONNXBRIDGE_H

#include "absl/status/status.h"
#include "onnx/onnx_pb.h"

namespace h8 {

/// Runs onnx::checker::check_model (full check). ValidationError becomes
/// FailedPrecondition with ONNX's message.
absl::Status CheckModelWithOnnx(const onnx::ModelProto& model);

struct OnnxInferOptions {
  /// Fail on inference errors instead of skipping the node.
  bool strict = false;
  /// Propagate constant shape values (Shape -> Gather -> Concat -> Reshape).
  bool data_propagation = true;
};

/// Runs ONNX shape inference in place, adding value_info and refining graph
/// outputs. InferenceError becomes InvalidArgument with ONNX's message.
absl::Status InferShapesWithOnnx(onnx::ModelProto& model,
                                 const OnnxInferOptions& options = {});

}  // namespace h8

#endif  // H8_SUPPORT_ONNXBRIDGE_H
