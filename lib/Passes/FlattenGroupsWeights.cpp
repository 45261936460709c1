//===- FlattenGroupsWeights.cpp - Weight bytes for flatten-groups ---------===//
#include "FlattenGroupsWeights.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "h8/IR/ElementType.h"
#include "h8/IR/TensorData.h"
#include "h8/Support/ExternalData.h"

namespace h8 {
namespace flatten_groups {

/// Bytes per element of the floating types a convolution weight can have,
/// 0 for anything else (the element-type table is the one source).
int64_t FloatWidth(int32_t dtype) { return IsFloatElementType(dtype) ? ElementSize(dtype) : 0; }

int64_t NumElements(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::vector<int64_t> Dims(const onnx::TensorProto& t) {
  return std::vector<int64_t>(t.dims().begin(), t.dims().end());
}

/// Storage size of an initializer from its dims and element type (external
/// data included).
int64_t TensorBytes(const onnx::TensorProto& t) {
  return NumElements(Dims(t)) * ElementSize(t.data_type());
}

/// Total initializer bytes of `graph` and its subgraphs.
int64_t WeightBytes(const onnx::GraphProto& graph) {
  int64_t total = 0;
  for (const auto& t : graph.initializer()) total += TensorBytes(t);
  for (const auto& node : graph.node())
    for (const auto& attr : node.attribute()) {
      if (attr.has_g()) total += WeightBytes(attr.g());
      for (const auto& g : attr.graphs()) total += WeightBytes(g);
    }
  return total;
}

/// The little-endian element bytes of a floating initializer, exactly as
/// stored (typed fields are encoded; external data is read from the model
/// folder), or an error saying why the weight cannot be rewritten.
absl::StatusOr<std::string> RawBytes(const onnx::TensorProto& t, const std::string& base_dir) {
  if (FloatWidth(t.data_type()) == 0)
    return absl::InvalidArgumentError(
        absl::StrCat("weight data type ", ElementTypeName(t.data_type()), " is not a float type"));
  const std::string label = absl::StrCat("weight '", t.name(), "'");
  const bool external = t.data_location() == onnx::TensorProto::EXTERNAL;
  std::string external_bytes;
  if (external) {
    auto read = ReadExternalData(t, base_dir, label);
    if (!read.ok()) return read.status();
    external_bytes = std::move(*read);
  }
  const absl::string_view view(external_bytes);
  auto data = TensorData::Decode(t, label, external ? &view : nullptr);
  if (!data.ok()) return data.status();
  if (external) return external_bytes;
  return data->Bytes();
}

/// Block-diagonal widening shared by both layouts: row r of axis 0 belongs to
/// group r / (rows/g); its `row` bytes land at block grp of a row g times as
/// wide, the rest stays zero.
std::string BlockDiagonal(const std::string& src, int64_t rows, int64_t group) {
  if (rows <= 0 || group <= 0 || src.empty()) return std::string();
  const int64_t row = static_cast<int64_t>(src.size()) / rows;
  const int64_t per_group = rows / group;
  std::string dst(static_cast<size_t>(row * group * rows), '\0');
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t grp = r / per_group;
    std::memcpy(&dst[(r * group + grp) * row], &src[r * row], row);
  }
  return dst;
}

onnx::TensorProto MakeRawTensor(const std::string& name, int32_t dtype,
                                const std::vector<int64_t>& dims, std::string bytes) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(dtype);
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(std::move(bytes));
  return t;
}

}  // namespace flatten_groups
}  // namespace h8
