//===- Tensor.cpp - Host tensors and TensorProto conversion ---------------===//
//
// Decodes TensorProtos (through TensorData; external data files are read
// here) into the evaluator's two storage classes, and encodes them back.
// Every size is validated against the dims before it is trusted: a malformed
// model is an error status, never an out-of-bounds read.
//
//===----------------------------------------------------------------------===//

#include "h8/Eval/Tensor.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "Ops.h"
#include "absl/strings/str_cat.h"
#include "h8/IR/ElementType.h"
#include "h8/Support/Status.h"

namespace h8 {

using onnx::TensorProto;

bool IsFloatDtype(int32_t dtype) {
  return dtype == TensorProto::FLOAT || dtype == TensorProto::DOUBLE ||
         dtype == TensorProto::FLOAT16 || dtype == TensorProto::BFLOAT16;
}

bool Tensor::IsFloat() const { return IsFloatDtype(dtype); }

int64_t Tensor::NumElements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

Tensor MakeFloatTensor(std::vector<int64_t> dims, std::vector<float> values) {
  Tensor t;
  t.dtype = TensorProto::FLOAT;
  t.dims = std::move(dims);
  t.f = std::move(values);
  return t;
}

Tensor MakeIntTensor(std::vector<int64_t> dims, std::vector<int64_t> values, int32_t dtype) {
  Tensor t;
  t.dtype = dtype;
  t.dims = std::move(dims);
  t.i = std::move(values);
  return t;
}

namespace eval {

float RoundToFloatDtype(float value, int32_t dtype) {
  if (dtype == TensorProto::FLOAT16) return HalfToFloat(FloatToHalf(value));
  if (dtype == TensorProto::BFLOAT16) return BFloat16ToFloat(FloatToBFloat16(value));
  return value;
}

int64_t WrapToIntDtype(int64_t value, int32_t dtype) {
  switch (dtype) {
    case TensorProto::BOOL: return value != 0 ? 1 : 0;
    case TensorProto::INT8: return static_cast<int8_t>(value);
    case TensorProto::UINT8: return static_cast<uint8_t>(value);
    case TensorProto::INT16: return static_cast<int16_t>(value);
    case TensorProto::UINT16: return static_cast<uint16_t>(value);
    case TensorProto::INT32: return static_cast<int32_t>(value);
    case TensorProto::UINT32: return static_cast<uint32_t>(value);
    default: return value;  // INT64, and UINT64 reinterpreted as int64
  }
}

}  // namespace eval

namespace {

void StoreLE(uint64_t v, size_t n, std::string& out) {
  for (size_t b = 0; b < n; ++b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
}

}  // namespace

absl::StatusOr<Tensor> TensorFromProto(const TensorProto& proto, const std::string& base_dir) {
  const std::string label = absl::StrCat("tensor '", proto.name(), "'");
  std::string external_bytes;
  const bool external = proto.has_data_location() && proto.data_location() == TensorProto::EXTERNAL;
  if (external) {
    // The dims and type are checked before the file is read.
    H8_RETURN_IF_ERROR(TensorData::CheckType(proto, label));
    H8_ASSIGN_OR_RETURN(external_bytes, ReadExternalData(proto, base_dir, label));
  }
  const absl::string_view external_view(external_bytes);
  H8_ASSIGN_OR_RETURN(TensorData data,
                      TensorData::Decode(proto, label, external ? &external_view : nullptr));
  Tensor t;
  t.dtype = proto.data_type();
  t.dims.assign(proto.dims().begin(), proto.dims().end());
  if (t.IsFloat()) t.f = data.Values<float>();
  else t.i = data.Values<int64_t>();
  return t;
}

onnx::TensorProto TensorToProto(const Tensor& t, const std::string& name) {
  TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(t.dtype);
  for (int64_t d : t.dims) proto.add_dims(d);
  const size_t width = IsDecodableElementType(t.dtype) ? ElementSize(t.dtype) : 0;
  std::string bytes;
  const int64_t count =
      t.IsFloat() ? static_cast<int64_t>(t.f.size()) : static_cast<int64_t>(t.i.size());
  bytes.reserve(static_cast<size_t>(count) * width);
  for (int64_t k = 0; k < count; ++k) {
    switch (t.dtype) {
      case TensorProto::FLOAT: {
        uint32_t u;
        std::memcpy(&u, &t.f[k], 4);
        StoreLE(u, 4, bytes);
        break;
      }
      case TensorProto::DOUBLE: {
        double d = t.f[k];
        uint64_t u;
        std::memcpy(&u, &d, 8);
        StoreLE(u, 8, bytes);
        break;
      }
      case TensorProto::FLOAT16: StoreLE(FloatToHalf(t.f[k]), 2, bytes); break;
      case TensorProto::BFLOAT16: StoreLE(FloatToBFloat16(t.f[k]), 2, bytes); break;
      case TensorProto::BOOL: StoreLE(t.i[k] != 0 ? 1 : 0, 1, bytes); break;
      default:
        if (width == 0) break;  // unsupported types produce no payload
        StoreLE(static_cast<uint64_t>(t.i[k]), width, bytes);
        break;
    }
  }
  proto.set_raw_data(std::move(bytes));
  return proto;
}

}  // namespace h8
