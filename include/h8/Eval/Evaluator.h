//===- Evaluator.h - float32 reference evaluator ----------------*- C++ -*-===//
//
// Runs an ONNX graph on host tensors. Deterministic; an op or attribute
// combination it does not implement is an Unimplemented status naming the
// node, never a silent wrong answer.
//
//===----------------------------------------------------------------------===//
#ifndef H8_EVAL_EVALUATOR_H
#define H8_EVAL_EVALUATOR_H

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "h8/Eval/Tensor.h"
#include "onnx/onnx_pb.h"

namespace h8 {

/// Whether the evaluator implements `op_type` in the default domain.
bool EvaluatorSupportsOp(const std::string& op_type);

/// Evaluates one node of the default domain at `opset` (the model's ai.onnx
/// opset version). `inputs` follow node.input(); an empty optional input is
/// nullptr. Returns one tensor per node output. The body of an If, Loop or
/// Scan evaluated this way sees only its own values and inputs (no outer
/// scope); EvaluateModel gives bodies the enclosing graphs' values.
absl::StatusOr<std::vector<Tensor>> EvaluateNode(
    const onnx::NodeProto& node, int64_t opset,
    const std::vector<const Tensor*>& inputs);

/// Evaluates `model`'s main graph. `inputs` maps graph input names (those
/// that are not initializers) to values. Returns the graph outputs in order.
/// `base_dir` resolves external initializer data.
absl::StatusOr<std::vector<Tensor>> EvaluateModel(
    const onnx::ModelProto& model, const std::map<std::string, Tensor>& inputs,
    const std::string& base_dir = "");

/// Caps the elements of any tensor the evaluator allocates (default 2^30);
/// larger outputs are a ResourceExhausted status naming the node. The fuzz
/// targets lower it to stay within their memory limit.
void SetEvaluatorElementLimit(int64_t elements);

}  // namespace h8

#endif  // H8_EVAL_EVALUATOR_H
