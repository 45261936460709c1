//===- FlattenGroupsWeights.h - Weight bytes for flatten-groups -*- C++ -*-===//
//
// What flatten-groups reads and writes of a convolution weight: sizes, the
// stored bytes (typed fields and external data included) and the
// block-diagonal widening of a grouped weight.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_PASSES_FLATTENGROUPSWEIGHTS_H
#define H8_LIB_PASSES_FLATTENGROUPSWEIGHTS_H

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "onnx/onnx_pb.h"

namespace h8 {
namespace flatten_groups {

/// Bytes per element of the floating types a convolution weight can have,
/// 0 for anything else (the element-type table is the one source).
int64_t FloatWidth(int32_t dtype);

int64_t NumElements(const std::vector<int64_t>& dims);

std::vector<int64_t> Dims(const onnx::TensorProto& t);

/// Storage size of an initializer from its dims and element type (external
/// data included).
int64_t TensorBytes(const onnx::TensorProto& t);

/// Total initializer bytes of `graph` and its subgraphs.
int64_t WeightBytes(const onnx::GraphProto& graph);

/// The little-endian element bytes of a floating initializer, exactly as
/// stored (typed fields are encoded; external data is read from the model
/// folder), or an error saying why the weight cannot be rewritten.
absl::StatusOr<std::string> RawBytes(const onnx::TensorProto& t, const std::string& base_dir);

/// Block-diagonal widening shared by both layouts: row r of axis 0 belongs to
/// group r / (rows/g); its `row` bytes land at block grp of a row g times as
/// wide, the rest stays zero.
std::string BlockDiagonal(const std::string& src, int64_t rows, int64_t group);

/// An initializer holding `bytes` as raw_data.
onnx::TensorProto MakeRawTensor(const std::string& name, int32_t dtype,
                                const std::vector<int64_t>& dims, std::string bytes);

}  // namespace flatten_groups
}  // namespace h8

#endif  // H8_LIB_PASSES_FLATTENGROUPSWEIGHTS_H
