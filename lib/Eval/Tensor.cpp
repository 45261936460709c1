//===- Tensor.cpp - Host tensors and TensorProto conversion ---------------===//
//
// Decodes TensorProtos (through TensorData; external data files are read
// here) into the evaluator's two storage classes, and encodes them back.
// Every size is validated against the dims before it is trusted: a malformed
// model is an error status, never an out-of-bounds read.
//
//===----------------------------------------------------------------------===//

#include "h8/Eval/Tensor.h"

#include <cerrno>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
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

Tensor MakeIntTensor(std::vector<int64_t> dims, std::vector<int64_t> values,
                     int32_t dtype) {
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


/// Where an external tensor's bytes are: a regular file inside the model
/// folder, and the byte range of the tensor in it.
struct ExternalExtent {
  std::filesystem::path file;
  int64_t offset = 0;
  int64_t length = 0;
};

/// What kind of non-regular file `p` is, for messages.
std::string DescribeNonRegular(const std::filesystem::path& p) {
  std::error_code ec;
  auto st = std::filesystem::status(p, ec);
  if (ec && ec.value() == ELOOP) return "is a symbolic link loop";
  if (ec || st.type() == std::filesystem::file_type::not_found) return "not found";
  switch (st.type()) {
    case std::filesystem::file_type::directory: return "is a directory, not a file";
    case std::filesystem::file_type::fifo: return "is a FIFO, not a regular file";
    case std::filesystem::file_type::socket: return "is a socket, not a regular file";
    case std::filesystem::file_type::character:
    case std::filesystem::file_type::block: return "is a device, not a regular file";
    default: return "is not a regular file";
  }
}

absl::StatusOr<ExternalExtent> ResolveExternalData(const TensorProto& proto,
                                                   const std::string& base_dir,
                                                   const std::string& label) {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset" || kv.key() == "length") {
      int64_t v = 0;
      const std::string& s = kv.value();
      if (s.empty() || s.size() > 18 ||
          s.find_first_not_of("0123456789") != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            label, ": external data ", kv.key(), " '", s,
            "' is not a non-negative integer"));
      }
      v = std::stoll(s);
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  if (location.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": external data has no 'location'"));
  }
  if (base_dir.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": external data '", location,
        "' cannot be resolved without a model directory"));
  }
  std::filesystem::path rel(location);
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory()) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": external data location '", location,
        "' is absolute; it must be relative to the model directory"));
  }
  for (const auto& part : rel) {
    if (part == "..") {
      return absl::InvalidArgumentError(absl::StrCat(
          label, ": external data location '", location,
          "' escapes the model directory"));
    }
  }
  std::filesystem::path full = std::filesystem::path(base_dir) / rel;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(full, ec)) {
    return absl::NotFoundError(absl::StrCat(label, ": external data file '", full.string(),
                                            "' ", DescribeNonRegular(full)));
  }
  // Symbolic links are resolved before the containment check: a link inside
  // the model folder must not lead outside it.
  std::filesystem::path real_dir = std::filesystem::canonical(base_dir, ec);
  std::filesystem::path real_file = std::filesystem::canonical(full, ec);
  if (ec) {
    return absl::NotFoundError(absl::StrCat(
        label, ": cannot resolve external data file '", full.string(), "'"));
  }
  auto rel_real = real_file.lexically_relative(real_dir);
  if (rel_real.empty() || *rel_real.begin() == "..") {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": external data location '", location,
        "' resolves outside the model directory (", real_file.string(), ")"));
  }
  uint64_t file_size = std::filesystem::file_size(full, ec);
  if (ec) {
    return absl::NotFoundError(absl::StrCat(
        label, ": cannot stat external data file '", full.string(), "'"));
  }
  if (static_cast<uint64_t>(offset) > file_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": external data offset ", offset, " is past the end of '",
        full.string(), "' (", file_size, " bytes)"));
  }
  // The dims say how many bytes the tensor has; an explicit length must
  // agree, and without one exactly that many are read (never "the rest of
  // the file", which may be any size).
  const int width = ElementSize(proto.data_type());
  int64_t needed = -1;
  if (width > 0) {
    std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
    auto count = CheckedNumElements(dims);
    if (!count.ok() || *count > std::numeric_limits<int64_t>::max() / width)
      return absl::InvalidArgumentError(
          absl::StrCat(label, ": dims ", DimsString(dims), " overflow"));
    needed = *count * width;
  }
  if (length >= 0 && needed >= 0 && length != needed) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": external data length ", length, " does not match its dims ",
        "(", needed, " bytes of ", ElementTypeName(proto.data_type()), ")"));
  }
  if (length < 0) length = needed >= 0 ? needed : static_cast<int64_t>(file_size) - offset;
  if (static_cast<uint64_t>(length) > file_size - offset) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": external data range [", offset, ", ", offset + length,
        ") is past the end of '", full.string(), "' (", file_size, " bytes)"));
  }
  return ExternalExtent{full, offset, length};
}

}  // namespace

absl::Status CheckExternalData(const TensorProto& proto, const std::string& base_dir,
                               const std::string& label) {
  return ResolveExternalData(proto, base_dir, label).status();
}

absl::StatusOr<std::string> ReadExternalData(const TensorProto& proto,
                                             const std::string& base_dir,
                                             const std::string& label) {
  H8_ASSIGN_OR_RETURN(ExternalExtent extent, ResolveExternalData(proto, base_dir, label));
  const std::filesystem::path& full = extent.file;
  const int64_t offset = extent.offset, length = extent.length;
  std::ifstream in(full, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        label, ": cannot open external data file '", full.string(), "'"));
  }
  std::string bytes(static_cast<size_t>(length), '\0');
  in.seekg(offset);
  in.read(bytes.data(), length);
  if (in.gcount() != length) {
    return absl::DataLossError(absl::StrCat(
        label, ": short read from external data file '", full.string(), "'"));
  }
  return bytes;
}

absl::StatusOr<Tensor> TensorFromProto(const TensorProto& proto,
                                       const std::string& base_dir) {
  const std::string label = absl::StrCat("tensor '", proto.name(), "'");
  std::string external_bytes;
  const bool external =
      proto.has_data_location() && proto.data_location() == TensorProto::EXTERNAL;
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
  if (t.IsFloat())
    t.f = data.Values<float>();
  else
    t.i = data.Values<int64_t>();
  return t;
}

onnx::TensorProto TensorToProto(const Tensor& t, const std::string& name) {
  TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(t.dtype);
  for (int64_t d : t.dims) proto.add_dims(d);
  const size_t width = IsDecodableElementType(t.dtype) ? ElementSize(t.dtype) : 0;
  std::string bytes;
  const int64_t count = t.IsFloat() ? static_cast<int64_t>(t.f.size())
                                    : static_cast<int64_t>(t.i.size());
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
