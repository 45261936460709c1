//===- Tensor.h - Host tensors for the reference evaluator ------*- C++ -*-===//
//
// A dense, row-major host tensor. Floating data is held as float32 (the
// evaluator's compute type); integer and bool data as int64 (shape plumbing).
//
//===----------------------------------------------------------------------===//
#ifndef H8_EVAL_TENSOR_H
#define H8_EVAL_TENSOR_H

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "h8/IR/ElementType.h"
#include "h8/IR/TensorData.h"
#include "h8/Support/ExternalData.h"
#include "onnx/onnx_pb.h"

namespace h8 {

/// A dense row-major tensor. Exactly one of `f` / `i` holds the data:
/// `f` when IsFloat(), otherwise `i`.
struct Tensor {
  /// ONNX element type (onnx::TensorProto::FLOAT, INT64, BOOL, ...).
  int32_t dtype = onnx::TensorProto::FLOAT;
  std::vector<int64_t> dims;
  std::vector<float> f;
  std::vector<int64_t> i;

  bool IsFloat() const;
  int64_t NumElements() const;
  /// Bytes of host storage: 4 per float element, 8 per integer element.
  int64_t StorageBytes() const {
    return static_cast<int64_t>(f.size() * sizeof(float) + i.size() * sizeof(int64_t));
  }
};

/// Whether tensors of ONNX element type `dtype` store their data in `f`
/// (FLOAT, DOUBLE, FLOAT16, BFLOAT16) rather than in `i`.
bool IsFloatDtype(int32_t dtype);

/// Builds a float tensor of `dims` holding `values` (no size check).
Tensor MakeFloatTensor(std::vector<int64_t> dims, std::vector<float> values);

/// Builds an integer tensor of element type `dtype` (default INT64).
Tensor MakeIntTensor(std::vector<int64_t> dims, std::vector<int64_t> values,
                     int32_t dtype = onnx::TensorProto::INT64);

/// Decodes a TensorProto through TensorData (float16/double are converted
/// to float32, all integer types and bool to int64). External data
/// is resolved relative to `base_dir`; an empty `base_dir` makes external data
/// an error.
absl::StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& proto,
                                       const std::string& base_dir = "");

/// Encodes `t` as a TensorProto named `name`, using raw_data, in `t.dtype`.
onnx::TensorProto TensorToProto(const Tensor& t, const std::string& name);

}  // namespace h8

#endif  // H8_EVAL_TENSOR_H
