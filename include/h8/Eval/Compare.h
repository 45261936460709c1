//===- Compare.h - Tensor comparison and tensor file I/O --------*- C++ -*-===//
//
// Numerical agreement between a reference and a candidate tensor (cosine
// similarity, MSE, max abs difference), the one-line report format used by
// --verify-numerics, TensorProto .pb file I/O in the layout of ONNX
// test_data_set_N directories, and deterministic random inputs.
//
//===----------------------------------------------------------------------===//
#ifndef H8_EVAL_COMPARE_H
#define H8_EVAL_COMPARE_H

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "h8/Eval/Tensor.h"

namespace h8 {

/// Agreement statistics over all elements of two same-shaped tensors.
struct CompareStats {
  /// Cosine similarity; 1.0 when both are all-zero, 0.0 when only one is.
  double cosine = 1.0;
  /// Mean squared difference.
  double mse = 0.0;
  /// Largest absolute element difference.
  double max_abs_diff = 0.0;
  /// Number of elements compared.
  int64_t count = 0;
};

/// Compares `actual` against `expected`. Shapes must match exactly (an
/// InvalidArgument otherwise); integer tensors are compared as doubles.
absl::StatusOr<CompareStats> CompareTensors(const Tensor& expected,
                                            const Tensor& actual);

/// Formats one report line, e.g.
/// `y: cos 1.000000  mse 3.1e-15  max|d| 4.8e-07  (1,7)`.
std::string FormatStats(const std::string& name, const CompareStats& stats,
                        const std::vector<int64_t>& dims);

/// Reads a serialized TensorProto file (e.g. test_data_set_0/input_0.pb).
absl::StatusOr<Tensor> ReadTensorFile(const std::string& path);

/// Writes `tensor` as a serialized TensorProto named `name`.
absl::Status WriteTensorFile(const std::string& path, const Tensor& tensor,
                             const std::string& name);

/// A deterministic pseudo-random tensor: float types uniform in [-1, 1),
/// integer types uniform in [0, 4), bool in {0, 1}. The bit-to-value mapping
/// is explicit, so the values are identical across standard libraries.
Tensor RandomTensor(int32_t dtype, const std::vector<int64_t>& dims,
                    uint64_t seed);

}  // namespace h8

#endif  // H8_EVAL_COMPARE_H
