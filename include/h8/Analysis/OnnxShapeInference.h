//===- OnnxShapeInference.h - ONNX's shape inference, guarded ---*- C++ -*-===//
#ifndef H8_ANALYSIS_ONNXSHAPEINFERENCE_H
#define H8_ANALYSIS_ONNXSHAPEINFERENCE_H

#include "absl/status/status.h"
#include "h8/Support/OnnxBridge.h"
#include "onnx/onnx_pb.h"

namespace h8 {

/// Runs ONNX 1.12's shape inference in place (RunOnnxShapeInference),
/// adding value_info and refining graph outputs, after rejecting the nodes
/// its inference functions would crash on (recursive model-local functions,
/// nodes that do not match their schema, convolutions and pools whose ranks
/// or attributes it does not check). Every problem is InvalidArgument
/// starting "shape inference: ".
absl::Status InferShapesWithOnnx(onnx::ModelProto& model, const OnnxInferOptions& options = {});

}  // namespace h8

#endif  // H8_ANALYSIS_ONNXSHAPEINFERENCE_H
