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

/// Per-element tolerance, as numpy.testing.assert_allclose applies it: an
/// element agrees when |actual - expected| <= atol + rtol * |expected|.
struct Tolerance {
  double atol = 1e-5;
  double rtol = 1e-4;
};

/// Agreement statistics of two same-shaped tensors (or of several pairs fed
/// to one CompareAccumulator). Non-finite values compare like
/// assert_allclose: NaN against NaN and an infinity against the same
/// infinity agree; cosine, MSE and max|d| are over the pairs where both
/// values are finite; a NaN or infinity against anything else is a
/// non-finite mismatch.
struct CompareStats {
  /// Cosine similarity; 1.0 when both are all-zero, 0.0 when only one is.
  double cosine = 1.0;
  /// Mean squared difference.
  double mse = 0.0;
  /// Largest absolute element difference.
  double max_abs_diff = 0.0;
  /// Number of elements compared (finite or not).
  int64_t count = 0;
  /// Elements outside the tolerance, non-finite mismatches included.
  int64_t outside_tolerance = 0;
  /// Elements where one side is NaN or infinite and the other differs.
  int64_t nonfinite_mismatches = 0;
};

/// Running comparison over any number of (expected, actual) pairs: the one
/// routine behind --verify-numerics and --verify-against.
class CompareAccumulator {
 public:
  explicit CompareAccumulator(Tolerance tol = {}) : tol_(tol) {}
  /// Adds one pair. Shapes must match exactly (InvalidArgument otherwise);
  /// integer tensors are compared as doubles.
  absl::Status Add(const Tensor& expected, const Tensor& actual);
  CompareStats Stats() const;

 private:
  Tolerance tol_;
  double dot_ = 0, ee_ = 0, aa_ = 0, sq_ = 0, max_ = 0;
  int64_t count_ = 0, finite_ = 0, outside_ = 0, nonfinite_ = 0;
};

/// Whether `stats` pass: cosine >= `min_cosine` and every element within the
/// tolerance the statistics were gathered with.
bool StatsPass(const CompareStats& stats, double min_cosine);

/// Formats one report line, e.g.
/// `y: cos 1.000000  mse 3.1e-15  max|d| 4.8e-07  (1,7)`; elements outside
/// the tolerance and non-finite mismatches, when there are any, follow as
/// `  outside tol 3/7  nan/inf mismatches 1`.
std::string FormatStats(const std::string& name, const CompareStats& stats,
                        const std::vector<int64_t>& dims);

/// Reads a serialized TensorProto file (e.g. test_data_set_0/input_0.pb).
absl::StatusOr<Tensor> ReadTensorFile(const std::string& path);

/// A deterministic pseudo-random tensor: float types uniform in [-1, 1),
/// integer types uniform in [0, 4), bool in {0, 1}. The bit-to-value mapping
/// is explicit, so the values are identical across standard libraries.
Tensor RandomTensor(int32_t dtype, const std::vector<int64_t>& dims, uint64_t seed);

}  // namespace h8

#endif  // H8_EVAL_COMPARE_H
