//===- TensorData.cpp - Reading the elements of a TensorProto -------------===//
//
// Bytes are read one at a time into an integer (LoadLE), so decoding is the
// same on any host byte order and never reads through a misaligned pointer.
//
//===----------------------------------------------------------------------===//
#include "h8/IR/TensorData.h"

#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/IR/ElementType.h"

namespace h8 {

using onnx::TensorProto;

float HalfToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exp = (bits >> 10) & 0x1f;
  uint32_t mant = bits & 0x3ffu;
  uint32_t out;
  if (exp == 0) {
    if (mant == 0) {
      out = sign;
    } else {
      // Subnormal half: renormalize into a float exponent.
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      mant &= 0x3ffu;
      out = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | (mant << 13);
    }
  } else if (exp == 0x1f) {
    out = sign | 0x7f800000u | (mant << 13);
  } else {
    out = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &out, sizeof(f));
  return f;
}

uint16_t FloatToHalf(float value) {
  uint32_t x;
  std::memcpy(&x, &value, sizeof(x));
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {
    // Inf stays inf; NaN keeps a quiet mantissa bit.
    return sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u);
  }
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // rounds past 65504
  if (abs < 0x38800000u) {
    // Result is subnormal (or zero): scale into the 10-bit field, RNE.
    if (abs < 0x33000000u) return sign;  // below half the smallest subnormal
    uint32_t e = abs >> 23;
    uint32_t m = (abs & 0x7fffffu) | 0x800000u;
    // value = m * 2^(e-150) and a half subnormal is hm * 2^-24.
    uint32_t shift = 126 - e;
    uint32_t half_m = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half_m & 1u))) ++half_m;
    return sign | static_cast<uint16_t>(half_m);
  }
  uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);  // RNE on 13 bits
  return sign | static_cast<uint16_t>((rounded - 0x38000000u) >> 13);
}

float BFloat16ToFloat(uint16_t bits) {
  uint32_t x = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &x, sizeof(f));
  return f;
}

uint16_t FloatToBFloat16(float value) {
  uint32_t x;
  std::memcpy(&x, &value, sizeof(x));
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

std::string DimsString(const std::vector<int64_t>& dims) {
  return absl::StrCat("[", absl::StrJoin(dims, ","), "]");
}

absl::StatusOr<int64_t> CheckedNumElements(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("negative dimension ", d, " in shape ", DimsString(dims)));
    }
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) {
      return absl::InvalidArgumentError(
          absl::StrCat("element count of shape ", DimsString(dims), " overflows"));
    }
    n *= d;
  }
  return n;
}

bool IsDecodableElementType(int32_t type) {
  switch (type) {
    case TensorProto::FLOAT:
    case TensorProto::DOUBLE:
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16:
    case TensorProto::INT8:
    case TensorProto::INT16:
    case TensorProto::INT32:
    case TensorProto::INT64:
    case TensorProto::UINT8:
    case TensorProto::UINT16:
    case TensorProto::UINT32:
    case TensorProto::UINT64:
    case TensorProto::BOOL: return true;
    default: return false;
  }
}

namespace {

/// Reads a little-endian unsigned integer of `n` bytes (host-independent).
uint64_t LoadLE(const char* p, int n) {
  uint64_t v = 0;
  for (int b = 0; b < n; ++b)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[b])) << (8 * b);
  return v;
}

/// How many elements the typed field that holds `type` has.
int64_t TypedCount(const TensorProto& t) {
  switch (t.data_type()) {
    case TensorProto::FLOAT: return t.float_data_size();
    case TensorProto::DOUBLE: return t.double_data_size();
    case TensorProto::INT64: return t.int64_data_size();
    case TensorProto::UINT32:
    case TensorProto::UINT64: return t.uint64_data_size();
    default: return t.int32_data_size();  // the 8/16/32-bit types and bool
  }
}

}  // namespace

absl::Status TensorData::CheckType(const TensorProto& t, absl::string_view label) {
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  auto count = CheckedNumElements(dims);
  if (!count.ok())
    return absl::InvalidArgumentError(absl::StrCat(label, ": ", count.status().message()));
  if (!IsDecodableElementType(t.data_type())) {
    return absl::UnimplementedError(absl::StrCat(
        label, ": element type ", ElementTypeName(t.data_type()), " is not supported"));
  }
  if (t.has_segment())
    return absl::UnimplementedError(absl::StrCat(label, ": segmented tensors are not supported"));
  return absl::OkStatus();
}

absl::StatusOr<TensorData> TensorData::Decode(const TensorProto& t, absl::string_view label,
                                              const absl::string_view* external) {
  if (absl::Status s = CheckType(t, label); !s.ok()) return s;
  TensorData d;
  d.proto_ = &t;
  d.type_ = t.data_type();
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  d.count_ = *CheckedNumElements(dims);
  d.width_ = ElementSize(d.type_);
  auto size_error = [&](int64_t have) {
    return absl::InvalidArgumentError(absl::StrCat(label, ": holds ", have, " elements but shape ",
                                                   DimsString(dims), " needs ", d.count_));
  };
  const bool is_external = t.has_data_location() && t.data_location() == TensorProto::EXTERNAL;
  if (is_external && external == nullptr)
    return absl::InvalidArgumentError(absl::StrCat(label, ": external data was not read"));
  if (is_external || t.has_raw_data()) {
    d.raw_ = true;
    d.bytes_ = is_external ? *external : absl::string_view(t.raw_data());
    if (d.bytes_.size() % d.width_ != 0) {
      return absl::InvalidArgumentError(absl::StrCat(label, ": raw data of ", d.bytes_.size(),
                                                     " bytes is not a multiple of the ", d.width_,
                                                     "-byte element size"));
    }
    const int64_t have = static_cast<int64_t>(d.bytes_.size() / d.width_);
    if (have != d.count_) return size_error(have);
    return d;
  }
  if (TypedCount(t) != d.count_) return size_error(TypedCount(t));
  return d;
}

bool TensorData::is_float() const {
  return type_ == TensorProto::FLOAT || type_ == TensorProto::DOUBLE ||
         type_ == TensorProto::FLOAT16 || type_ == TensorProto::BFLOAT16;
}

uint64_t TensorData::Bits(int64_t k) const {
  if (raw_) return LoadLE(bytes_.data() + k * width_, width_);
  switch (type_) {
    case TensorProto::FLOAT: {
      uint32_t u;
      float f = proto_->float_data(static_cast<int>(k));
      std::memcpy(&u, &f, 4);
      return u;
    }
    case TensorProto::DOUBLE: {
      uint64_t u;
      double v = proto_->double_data(static_cast<int>(k));
      std::memcpy(&u, &v, 8);
      return u;
    }
    case TensorProto::INT64: return static_cast<uint64_t>(proto_->int64_data(static_cast<int>(k)));
    case TensorProto::UINT64: return proto_->uint64_data(static_cast<int>(k));
    case TensorProto::UINT32: return proto_->uint64_data(static_cast<int>(k)) & 0xffffffffu;
    case TensorProto::BOOL: return proto_->int32_data(static_cast<int>(k)) != 0 ? 1 : 0;
    default: {
      // int32_data holds the value (or the 16-bit pattern) of each narrower
      // element; its low bytes are the element's storage.
      const uint64_t v = static_cast<uint32_t>(proto_->int32_data(static_cast<int>(k)));
      return width_ == 4 ? v : v & ((uint64_t{1} << (8 * width_)) - 1);
    }
  }
}

double TensorData::Float(int64_t k) const {
  switch (type_) {
    case TensorProto::FLOAT: {
      if (!raw_) return proto_->float_data(static_cast<int>(k));
      const uint32_t u = static_cast<uint32_t>(Bits(k));
      float f;
      std::memcpy(&f, &u, 4);
      return f;
    }
    case TensorProto::DOUBLE: {
      if (!raw_) return proto_->double_data(static_cast<int>(k));
      const uint64_t u = Bits(k);
      double v;
      std::memcpy(&v, &u, 8);
      return v;
    }
    case TensorProto::FLOAT16: return HalfToFloat(static_cast<uint16_t>(Bits(k)));
    case TensorProto::BFLOAT16: return BFloat16ToFloat(static_cast<uint16_t>(Bits(k)));
    default: return static_cast<double>(Int(k));
  }
}

int64_t TensorData::Int(int64_t k) const {
  if (is_float()) return static_cast<int64_t>(Float(k));
  const uint64_t v = Bits(k);
  switch (type_) {
    case TensorProto::BOOL: return v != 0 ? 1 : 0;
    case TensorProto::INT8: return static_cast<int8_t>(v);
    case TensorProto::INT16: return static_cast<int16_t>(v);
    case TensorProto::INT32: return static_cast<int32_t>(v);
    default: return static_cast<int64_t>(v);  // unsigned types, INT64
  }
}

bool TensorData::CopyFloat32(std::vector<float>& out) const {
  // The common case of a large weight: float32 raw data on a little-endian
  // host is already the host representation.
  constexpr uint32_t kOne = 1;
  unsigned char first;
  std::memcpy(&first, &kOne, 1);
  if (!raw_ || type_ != TensorProto::FLOAT || first != 1) return false;
  if (count_ > 0) std::memcpy(out.data(), bytes_.data(), static_cast<size_t>(count_) * 4);
  return true;
}

std::string TensorData::Bytes() const {
  if (raw_) return std::string(bytes_);
  std::string out;
  out.reserve(static_cast<size_t>(count_ * width_));
  for (int64_t k = 0; k < count_; ++k) {
    const uint64_t v = Bits(k);
    for (int b = 0; b < width_; ++b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
  }
  return out;
}

}  // namespace h8
