//===- Npy.h - NumPy .npy files (format 1.0, float32) -----------*- C++ -*-===//
//
// The Hailo optimizer takes calibration data as a float32 .npy array. This
// reader/writer handles exactly what that needs: format version 1.0 (and
// 2.0 on read), little-endian float32 ('<f4'), C order. Anything else is a
// clear error, never a guess.
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_NPY_H
#define H8_SUPPORT_NPY_H

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace h8 {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// Parses .npy bytes; `what` names the source in errors.
absl::StatusOr<NpyArray> ParseNpy(const std::string& bytes, const std::string& what);
/// Reads a .npy file.
absl::StatusOr<NpyArray> ReadNpyFile(const std::string& path);
/// Serializes as format 1.0, '<f4', C order.
std::string SerializeNpy(const NpyArray& array);

/// Reorders [N, C, H, W] to [N, H, W, C]; `array.shape` must have rank 4.
NpyArray NchwToNhwc(const NpyArray& array);

}  // namespace h8

#endif  // H8_SUPPORT_NPY_H
