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

/// Resource budgets of one evaluation (a whole model, or one node). Both are
/// checked before the work is done wherever the evaluator can tell: a node
/// whose estimated work would take the total over `max_work`, or whose
/// allocations would take the bytes held at once over `max_live_bytes`, is a
/// ResourceExhausted status naming the node. Tiny models can describe huge
/// computations; these bounds are what keeps them from taking the machine.
struct EvalBudget {
  /// Bytes of tensors held at once: the graph's live values (initializers,
  /// inputs, intermediates until their last reader) plus what the running
  /// node allocates. Host storage is 4 bytes per float element and 8 per
  /// integer or bool element (Tensor::StorageBytes).
  int64_t max_live_bytes = int64_t{1} << 30;
  /// Sum over the nodes run (control-flow bodies once per iteration) of
  /// EstimateNodeWork.
  int64_t max_work = int64_t{1} << 35;
};

/// A node's work in the evaluator's units, from its inputs' shapes: about one
/// unit per multiply-add for Conv, ConvTranspose, MatMul, Gemm, Einsum,
/// Attention and the recurrent ops, per window element for pools and per
/// DFT term for DFT/STFT, plus one per input element and a fixed
/// per-node cost for everything. Saturates instead of overflowing.
int64_t EstimateNodeWork(const onnx::NodeProto& node, const std::vector<const Tensor*>& inputs);

/// Whether the evaluator implements `op_type` in the default domain.
bool EvaluatorSupportsOp(const std::string& op_type);

/// Evaluates one node of the default domain at `opset` (the model's ai.onnx
/// opset version). `inputs` follow node.input(); an empty optional input is
/// nullptr. Returns one tensor per node output. The body of an If, Loop or
/// Scan evaluated this way sees only its own values and inputs (no outer
/// scope); EvaluateModel gives bodies the enclosing graphs' values.
/// `budget` covers this node alone (its inputs are the caller's).
absl::StatusOr<std::vector<Tensor>> EvaluateNode(const onnx::NodeProto& node, int64_t opset,
                                                 const std::vector<const Tensor*>& inputs,
                                                 const EvalBudget& budget = {});

/// Evaluates `model`'s main graph. `inputs` maps graph input names (those
/// that are not initializers) to values. Returns the graph outputs in order.
/// `base_dir` resolves external initializer data. `budget` counts the
/// initializers and `inputs` (copied in) as live from the start.
absl::StatusOr<std::vector<Tensor>> EvaluateModel(const onnx::ModelProto& model,
                                                  const std::map<std::string, Tensor>& inputs,
                                                  const std::string& base_dir = "",
                                                  const EvalBudget& budget = {});

/// Caps the elements of any tensor the evaluator allocates (default 2^30);
/// larger outputs are a ResourceExhausted status naming the node. The fuzz
/// targets lower it to stay within their memory limit.
void SetEvaluatorElementLimit(int64_t elements);

}  // namespace h8

#endif  // H8_EVAL_EVALUATOR_H
