//===- OnnxBridge.h - The only caller of throwing ONNX APIs -----*- C++ -*-===//
//
// ONNX's checker and shape inference report problems by throwing
// ValidationError / InferenceError. This adapter is the one place that
// catches them and returns absl::Status instead.
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_ONNXBRIDGE_H
#define H8_SUPPORT_ONNXBRIDGE_H

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "onnx/onnx_pb.h"

namespace h8 {

/// The newest IR version and ai.onnx opset ONNX 1.12's checker judges.
inline constexpr int64_t kOnnxCheckerMaxIr = 8;
inline constexpr int64_t kOnnxCheckerMaxOpset = 17;

/// Set by CheckModelWithOnnx when it did not run the checker; `reason` is a
/// one-line note a caller can print.
struct OnnxCheckSkip {
  bool skipped = false;
  std::string reason;
};

/// Runs onnx::checker::check_model (full check). ValidationError becomes
/// FailedPrecondition with ONNX's message. A model past what the checker
/// knows (ir_version > 8 or ai.onnx opset > 17) is not checked: the result
/// is OK and, when `skipped` is given, it says so.
absl::Status CheckModelWithOnnx(const onnx::ModelProto& model, OnnxCheckSkip* skipped = nullptr);

struct OnnxInferOptions {
  /// Fail on inference errors instead of skipping the node.
  bool strict = false;
  /// Propagate constant shape values (Shape -> Gather -> Concat -> Reshape).
  bool data_propagation = true;
};

/// Runs ONNX shape inference in place, adding value_info and refining graph
/// outputs. InferenceError becomes InvalidArgument with ONNX's message.
/// ONNX 1.12's inference functions crash on some malformed nodes: call it
/// through InferShapesWithOnnx (h8/Analysis/OnnxShapeInference.h), which
/// rejects those first.
absl::Status RunOnnxShapeInference(onnx::ModelProto& model, const OnnxInferOptions& options = {});

}  // namespace h8

#endif  // H8_SUPPORT_ONNXBRIDGE_H
