//===- TensorData.h - Reading the elements of a TensorProto -----*- C++ -*-===//
//
// The one decoder of TensorProto data. An ONNX tensor keeps its elements in
// one of three places: raw_data (little-endian bytes), an external file (the
// same bytes, read by the caller), or a typed field (float_data,
// double_data, int64_data, uint64_data, or int32_data, which also carries
// int8/int16/uint8/uint16/bool values and float16/bfloat16 bit patterns).
// TensorData validates the element type and count against the dims once,
// then reads element k from wherever it is, without copying the bytes.
//
//===----------------------------------------------------------------------===//
#ifndef H8_IR_TENSORDATA_H
#define H8_IR_TENSORDATA_H

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onnx/onnx_pb.h"

namespace h8 {

/// IEEE binary16 <-> float32, round-to-nearest-even, with inf/NaN/subnormals.
float HalfToFloat(uint16_t bits);
uint16_t FloatToHalf(float value);
/// bfloat16 <-> float32 (round-to-nearest-even; NaN stays NaN).
float BFloat16ToFloat(uint16_t bits);
uint16_t FloatToBFloat16(float value);

/// The element count of `dims`, or InvalidArgument when a dim is negative or
/// the product overflows int64.
absl::StatusOr<int64_t> CheckedNumElements(const std::vector<int64_t>& dims);

/// `dims` as "[1,2,3]", for messages.
std::string DimsString(const std::vector<int64_t>& dims);

/// Whether TensorData can decode elements of `type`: float, double,
/// float16, bfloat16, the signed and unsigned integers and bool.
bool IsDecodableElementType(int32_t type);

/// A read-only view of a TensorProto's elements. It refers to the proto
/// (and to the external bytes, when given) and must not outlive them.
class TensorData {
 public:
  /// Checks `t` and returns a view of its elements. External tensors need
  /// their bytes in `external` (see ReadExternalData); without them an
  /// external tensor is an error. Errors, each starting with `label`:
  /// an element type that is not decodable, segmented data, a negative or
  /// overflowing dims product, raw bytes that are not a whole number of
  /// elements, and an element count that differs from the dims'.
  static absl::StatusOr<TensorData> Decode(const onnx::TensorProto& t,
                                           absl::string_view label = "tensor",
                                           const absl::string_view* external = nullptr);

  /// The checks of Decode that need no data: a decodable element type,
  /// no segment, and dims whose product is a valid count.
  static absl::Status CheckType(const onnx::TensorProto& t, absl::string_view label = "tensor");

  int32_t type() const { return type_; }
  /// The element count (the product of the dims).
  int64_t size() const { return count_; }
  /// Whether the elements are floating (float, double, float16, bfloat16).
  bool is_float() const;

  /// Element k as a double: the value of a floating element (float16 and
  /// bfloat16 decoded), or an integer element converted.
  double Float(int64_t k) const;
  /// Element k as an int64: integers are wrapped to their type's width
  /// (as int32_data stores them), bool is 0 or 1, uint64 wraps to int64;
  /// a floating element is truncated toward zero.
  int64_t Int(int64_t k) const;
  /// Element k's storage bits, as they would stand in raw_data (the low
  /// ElementSize(type()) bytes, little-endian order as an integer).
  uint64_t Bits(int64_t k) const;

  /// All elements as T (float or double for floating data, int64_t for
  /// integers); floating data to float is copied without conversion.
  template <typename T>
  std::vector<T> Values() const {
    std::vector<T> out(static_cast<size_t>(count_));
    if (!CopyFloat32(out)) {
      for (int64_t k = 0; k < count_; ++k)
        out[k] =
            std::is_floating_point<T>::value ? static_cast<T>(Float(k)) : static_cast<T>(Int(k));
    }
    return out;
  }
  /// The elements as little-endian bytes, ElementSize(type()) each: the
  /// raw or external bytes themselves, or encoded from the typed field.
  std::string Bytes() const;

 private:
  TensorData() = default;
  /// Copies float raw data straight into `out` on a little-endian host.
  bool CopyFloat32(std::vector<float>& out) const;
  template <typename T>
  bool CopyFloat32(std::vector<T>&) const {
    return false;
  }

  const onnx::TensorProto* proto_ = nullptr;
  int32_t type_ = 0;
  int width_ = 0;
  int64_t count_ = 0;
  bool raw_ = false;  // bytes_ holds the elements
  absl::string_view bytes_;
};

}  // namespace h8

#endif  // H8_IR_TENSORDATA_H
