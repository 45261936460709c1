//===- Ops.h - Evaluator internals shared by the op files -------*- C++ -*-===//
//
// Private to lib/Eval. The node context handed to every op kernel, attribute
// accessors with ONNX defaults, numpy broadcasting loops, and the per-file
// registration hooks the dispatcher in Evaluator.cpp calls once. Kernels
// return bare messages; EvaluateNode prefixes them with the node's name and
// op type so every error names its node.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_EVAL_OPS_H
#define H8_LIB_EVAL_OPS_H

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "h8/Eval/Evaluator.h"
#include "h8/Eval/Tensor.h"
#include "h8/Support/Status.h"
#include "onnx/onnx_pb.h"

namespace h8 {
namespace eval {

/// What an op kernel returns: its outputs, or an error naming the node.
using Kernel = absl::StatusOr<std::vector<Tensor>>;

/// d[di] = s[si], for tensors of the same storage (float or int64).
inline void CopyElem(const Tensor& s, int64_t si, Tensor& d, int64_t di) {
  if (d.IsFloat()) d.f[di] = s.f[si];
  else d.i[di] = s.i[si];
}

/// Wraps a single output.
inline std::vector<Tensor> One(Tensor t) {
  std::vector<Tensor> v;
  v.push_back(std::move(t));
  return v;
}

//===----------------------------------------------------------------------===//
// Numeric conversions
//===----------------------------------------------------------------------===//

// HalfToFloat, FloatToHalf, BFloat16ToFloat and FloatToBFloat16 are in
// h8/IR/TensorData.h.

/// Rounds `value` to the precision of the float type `dtype` (a no-op for
/// FLOAT), so a tensor "of" float16 holds only float16-representable values.
float RoundToFloatDtype(float value, int32_t dtype);
/// Wraps `value` into the range of the integer type `dtype` the way a C
/// conversion would (two's complement); BOOL becomes 0/1.
int64_t WrapToIntDtype(int64_t value, int32_t dtype);
/// Two's-complement int64 arithmetic (wraps instead of overflowing).
inline int64_t WrapAdd(int64_t x, int64_t y) {
  return static_cast<int64_t>(static_cast<uint64_t>(x) + static_cast<uint64_t>(y));
}
inline int64_t WrapSub(int64_t x, int64_t y) {
  return static_cast<int64_t>(static_cast<uint64_t>(x) - static_cast<uint64_t>(y));
}
inline int64_t WrapMul(int64_t x, int64_t y) {
  return static_cast<int64_t>(static_cast<uint64_t>(x) * static_cast<uint64_t>(y));
}

//===----------------------------------------------------------------------===//
// Tensor helpers
//===----------------------------------------------------------------------===//

/// A zero-filled tensor of `dtype` and `dims` (dims assumed validated).
/// Largest tensor the evaluator allocates (elements); see
/// SetEvaluatorElementLimit (default 2^30, 4 GiB of float).
int64_t MaxTensorElements();
void SetMaxTensorElements(int64_t n);

/// A zero-filled tensor. Throws std::length_error above MaxTensorElements()
/// and BudgetExceeded beyond the active budget's live bytes; EvaluateNode,
/// the only caller of kernels, converts both to a status.
Tensor AllocateTensor(int32_t dtype, std::vector<int64_t> dims);
/// dst[idx] = src[sum_d maps[d][idx_d] * src_stride_d], or `fill` when any
/// map entry is -1 (maps[d] has dst.dims[d] entries). Serves Pad, Tile and
/// nearest Resize.
void GatherByDimMaps(const Tensor& src, Tensor& dst, const std::vector<std::vector<int64_t>>& maps,
                     double fill);

//===----------------------------------------------------------------------===//
// Budgets (Budget.cpp)
//===----------------------------------------------------------------------===//

/// Thrown when an allocation would exceed the active budget's live bytes.
struct BudgetExceeded {
  std::string message;
};

/// The budget of the evaluation running on this thread: limits and what has
/// been used. One per EvaluateModel/EvaluateNode call; control-flow bodies
/// share their model's.
struct BudgetState {
  EvalBudget limits;
  int64_t live_bytes = 0;
  int64_t work = 0;
};

/// Installs `limits` as this thread's budget for its lifetime unless one is
/// active already (a body evaluated inside a model run shares the model's).
class ActiveBudget {
 public:
  explicit ActiveBudget(const EvalBudget& limits);
  ~ActiveBudget();
  ActiveBudget(const ActiveBudget&) = delete;
  ActiveBudget& operator=(const ActiveBudget&) = delete;

 private:
  BudgetState own_;
  bool installed_ = false;
};

/// This thread's budget, or null outside an evaluation.
BudgetState* CurrentBudget();
/// Counts `bytes` as live; ResourceExhausted (nothing counted) when that
/// would pass the limit. OK without an active budget.
absl::Status ChargeLiveBytes(int64_t bytes);
/// Uncounts `bytes` (a value dropped).
void ReleaseLiveBytes(int64_t bytes);
/// Adds `node`'s estimated work; an error naming the estimate when the total
/// would pass the limit.
absl::Status ChargeWork(const onnx::NodeProto& node, const std::vector<const Tensor*>& inputs);
/// Row-major strides of `dims`.
std::vector<int64_t> RowMajorStrides(const std::vector<int64_t>& dims);
/// Element `index` of `t` as a double, whichever storage holds it.
double ElementAsDouble(const Tensor& t, int64_t index);
/// The elements of an integer tensor (shape/axes/pads inputs); float tensors
/// are an error since ONNX types these inputs as int64.
absl::StatusOr<std::vector<int64_t>> IntValues(const Tensor& t, const std::string& what);
/// The product of dims[from..] (1 for none).
int64_t Product(const std::vector<int64_t>& dims, size_t from = 0);
/// Unimplemented naming `what` unless `t` is a float tensor.
absl::Status RequireFloat(const Tensor& t, const char* what);
/// The values of float tensor `p`, broadcast (one way) to `dims`; an error
/// naming `what` when it is not float or does not broadcast.
absl::StatusOr<std::vector<float>> ExpandTo(const Tensor& p, const std::vector<int64_t>& dims,
                                            const char* what);
/// NormalizeAxis (h8/IR/Match.h), or InvalidArgument naming the axis and
/// rank when it is out of range.
absl::StatusOr<int64_t> CheckAxis(int64_t axis, int64_t rank);
/// The numpy broadcast of `shapes`, or InvalidArgument naming both shapes.
absl::StatusOr<std::vector<int64_t>> BroadcastShapes(
    const std::vector<std::vector<int64_t>>& shapes);

/// Calls f(out_index, in_indices) for every element of `out_dims`, where
/// in_indices[k] is the flat index into input k broadcast to `out_dims`.
/// The innermost dimension is a plain loop so the odometer cost is amortized.
template <size_t N, typename F>
void BroadcastLoop(const std::vector<int64_t>& out_dims,
                   const std::array<const std::vector<int64_t>*, N>& in_dims, F&& f) {
  const size_t rank = out_dims.size();
  int64_t total = 1;
  for (int64_t d : out_dims) total *= d;
  if (total == 0) return;
  // Per-input strides aligned to the output rank; 0 on broadcast dims.
  std::array<std::vector<int64_t>, N> strides;
  for (size_t k = 0; k < N; ++k) {
    const std::vector<int64_t>& dims = *in_dims[k];
    strides[k].assign(rank, 0);
    int64_t stride = 1;
    for (size_t j = 0; j < dims.size(); ++j) {
      size_t src = dims.size() - 1 - j;
      size_t dst = rank - 1 - j;
      strides[k][dst] = dims[src] == 1 ? 0 : stride;
      stride *= dims[src];
    }
  }
  if (rank == 0) {
    std::array<int64_t, N> idx{};
    f(int64_t{0}, idx);
    return;
  }
  const int64_t inner = out_dims[rank - 1];
  std::array<int64_t, N> inner_stride;
  for (size_t k = 0; k < N; ++k) inner_stride[k] = strides[k][rank - 1];
  std::vector<int64_t> counter(rank, 0);
  std::array<int64_t, N> base{};
  for (int64_t out = 0; out < total; out += inner) {
    std::array<int64_t, N> idx = base;
    for (int64_t j = 0; j < inner; ++j) {
      f(out + j, idx);
      for (size_t k = 0; k < N; ++k) idx[k] += inner_stride[k];
    }
    // Advance the odometer over dims [0, rank-1).
    for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
      ++counter[d];
      for (size_t k = 0; k < N; ++k) base[k] += strides[k][d];
      if (counter[d] < out_dims[d]) break;
      for (size_t k = 0; k < N; ++k) base[k] -= strides[k][d] * out_dims[d];
      counter[d] = 0;
    }
  }
}

//===----------------------------------------------------------------------===//
// Node context
//===----------------------------------------------------------------------===//

/// The values a graph being evaluated can read: its own, then those of the
/// graphs enclosing it (defined in Evaluator.cpp).
class Scope;

/// What a kernel sees: the node, the opset, its (possibly absent) inputs and
/// the scope the node runs in (null when evaluated on its own), which
/// control-flow bodies see as their outer scope.
class OpContext {
 public:
  OpContext(const onnx::NodeProto& node, int64_t opset, const std::vector<const Tensor*>& inputs,
            const Scope* scope = nullptr)
      : node_(node), opset_(opset), inputs_(inputs), scope_(scope) {}

  const onnx::NodeProto& node() const { return node_; }
  int64_t opset() const { return opset_; }
  const Scope* scope() const { return scope_; }
  const std::string& op_type() const { return node_.op_type(); }

  size_t NumInputs() const { return inputs_.size(); }
  /// Input `i`, or nullptr when absent or the empty optional name.
  const Tensor* Input(size_t i) const { return i < inputs_.size() ? inputs_[i] : nullptr; }
  /// Input `i`, or InvalidArgument when it is missing.
  absl::StatusOr<const Tensor*> Required(size_t i) const;

  size_t NumOutputs() const { return node_.output_size(); }
  /// Whether output `i` exists and has a non-empty name.
  bool OutputUsed(size_t i) const {
    return static_cast<int>(i) < node_.output_size() && !node_.output(i).empty();
  }

  const onnx::AttributeProto* Attr(std::string_view name) const;
  bool HasAttr(std::string_view name) const { return Attr(name) != nullptr; }
  int64_t AttrInt(std::string_view name, int64_t def) const;
  float AttrFloat(std::string_view name, float def) const;
  std::string AttrString(std::string_view name, const std::string& def) const;
  std::vector<int64_t> AttrInts(std::string_view name) const;
  std::vector<float> AttrFloats(std::string_view name) const;
  /// The graph attribute `name`, or InvalidArgument when it is missing.
  absl::StatusOr<const onnx::GraphProto*> AttrGraph(std::string_view name) const;

 private:
  const onnx::NodeProto& node_;
  int64_t opset_;
  const std::vector<const Tensor*>& inputs_;
  const Scope* scope_;
};

/// Runs `graph` (a control-flow body) with `inputs` bound to its inputs in
/// order; names it does not define are read from `outer` and the scopes
/// enclosing it. Returns its outputs in order. Defined in Evaluator.cpp.
absl::StatusOr<std::vector<Tensor>> RunSubgraph(const onnx::GraphProto& graph, int64_t opset,
                                                const Scope* outer, std::vector<Tensor> inputs);

/// A kernel: computes all node outputs (unused optional ones may be empty
/// tensors) from the context.
using OpFn = absl::StatusOr<std::vector<Tensor>> (*)(const OpContext&);
using OpTable = std::map<std::string, OpFn, std::less<>>;

/// Each op file adds its kernels; Evaluator.cpp builds the table once.
void RegisterControlFlowOps(OpTable& table);
void RegisterConvOps(OpTable& table);
void RegisterElementwiseOps(OpTable& table);
void RegisterIndexOps(OpTable& table);
void RegisterNormOps(OpTable& table);
void RegisterAttentionOps(OpTable& table);
void RegisterRecurrentOps(OpTable& table);
void RegisterReduceOps(OpTable& table);
void RegisterShapeOps(OpTable& table);
void RegisterResizeOps(OpTable& table);
void RegisterConstantOps(OpTable& table);
void RegisterPadOps(OpTable& table);
void RegisterPoolOps(OpTable& table);
void RegisterMatMulOps(OpTable& table);
void RegisterGatherScatterOps(OpTable& table);
void RegisterUnaryOps(OpTable& table);
void RegisterSignalOps(OpTable& table);
void RegisterQuantOps(OpTable& table);
void RegisterLossOps(OpTable& table);

/// Shorthands that keep kernels readable.
template <typename... Args>
absl::Status InvalidArg(const Args&... args) {
  return absl::InvalidArgumentError(absl::StrCat(args...));
}
template <typename... Args>
absl::Status Unimpl(const Args&... args) {
  return absl::UnimplementedError(absl::StrCat(args...));
}

}  // namespace eval
}  // namespace h8

#endif  // H8_LIB_EVAL_OPS_H
