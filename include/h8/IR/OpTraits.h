//===- OpTraits.h - One table of what each ONNX op is -----------*- C++ -*-===//
//
// The one place that says which ops keep their input's shape, which
// broadcast their inputs, which reduce, which are windowed (conv/pool),
// which draw random numbers and whose output shape depends on data. The
// shape analysis, lift-conv1d, check-hailo8, fold-constants and cleanup
// read it; nothing else keeps an op list of these kinds.
//
//===----------------------------------------------------------------------===//
#ifndef H8_IR_OPTRAITS_H
#define H8_IR_OPTRAITS_H

#include "absl/strings/string_view.h"

namespace h8 {

struct OpTraits {
  /// Output 0 has input 0's shape (element-wise unary ops, activations,
  /// normalizations, Softmax, Cast, Identity, Dropout...).
  bool same_shape = false;
  /// Output 0 is the multidirectional broadcast of all inputs.
  bool broadcast = false;
  /// The result is bool (comparisons, Not, IsNaN...).
  bool bool_result = false;
  /// Reduce* and ArgMax/ArgMin.
  bool reduction = false;
  /// Conv, ConvTranspose and the windowed pools.
  bool window = false;
  /// Draws random numbers: never folded, never deduplicated.
  bool random = false;
  /// The output shape depends on the input data (not only on shapes and
  /// constant inputs): NonZero, Unique, NonMaxSuppression, Compress.
  bool data_dependent_shape = false;
};

/// Traits of an op of the default ONNX domain (all false when unknown).
OpTraits GetOpTraits(absl::string_view op_type);

}  // namespace h8

#endif  // H8_IR_OPTRAITS_H
