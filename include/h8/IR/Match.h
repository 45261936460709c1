//===- Match.h - Helpers shared by the rewriting passes ---------*- C++ -*-===//
//
// Attribute access, constant lookup and opset-correct construction of the
// few ops passes insert (Squeeze, Unsqueeze). Opset boundaries handled
// here: Squeeze/Unsqueeze take `axes` as an attribute before opset 13 and as
// an int64 input from 13 on.
//
//===----------------------------------------------------------------------===//
#ifndef H8_IR_MATCH_H
#define H8_IR_MATCH_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "h8/IR/GraphIndex.h"
#include "onnx/onnx_pb.h"

namespace h8 {

/// The attribute `name` of `node`, or nullptr.
const onnx::AttributeProto* FindAttr(const onnx::NodeProto& node, absl::string_view name);
onnx::AttributeProto* FindMutableAttr(onnx::NodeProto& node, absl::string_view name);
int64_t GetIntAttr(const onnx::NodeProto& node, absl::string_view name, int64_t fallback);
std::optional<std::vector<int64_t>> GetIntsAttr(const onnx::NodeProto& node,
                                                absl::string_view name);
std::string GetStringAttr(const onnx::NodeProto& node, absl::string_view name,
                          const std::string& fallback = "");
/// Sets (or replaces) an INT / INTS attribute.
void SetIntAttr(onnx::NodeProto& node, absl::string_view name, int64_t value);
void SetIntsAttr(onnx::NodeProto& node, absl::string_view name, const std::vector<int64_t>& values);

/// The values of an int64/int32 TensorProto (raw or typed fields), or
/// nullopt for other types, external data, or data that does not match the
/// dims (see TensorData::Decode).
std::optional<std::vector<int64_t>> TensorInts(const onnx::TensorProto& t);

/// The int64 values of a constant (an initializer or a Constant node's
/// `value`), or nullopt when `value` is not a known int64/int32 constant.
std::optional<std::vector<int64_t>> ConstantInts(const GraphIndex& index, absl::string_view value);

/// A rank-1 int64 initializer.
onnx::TensorProto MakeInt64Tensor(const std::string& name, const std::vector<int64_t>& values);

/// Builds `output = Unsqueeze(input, axes)` (or Squeeze) for `opset`. From
/// opset 13 the axes come from `axes_input`, the name of an int64
/// initializer the caller provides; before 13 they are an attribute.
onnx::NodeProto MakeAxesNode(absl::string_view op, const std::string& input,
                             const std::string& output, const std::vector<int64_t>& axes,
                             int64_t opset, const std::string& axes_input);

/// Copies what describes `from` rather than its computation onto `to`, a
/// node that replaces it or is part of its replacement: metadata_props
/// (NodeProto field 9 from IR 10, an unknown field to ONNX 1.12, copied with
/// any other unknown field) and, when `to` has none, the doc string.
void CopyNodeMetadata(const onnx::NodeProto& from, onnx::NodeProto& to);

/// `axis` in [0, rank): a negative axis counts from the end. -1 when it is
/// out of range; with an unknown rank (rank < 0) a non-negative axis is
/// returned as is and a negative one is -1.
int64_t NormalizeAxis(int64_t axis, int64_t rank);

/// Whether Squeeze/Unsqueeze/ReduceSum take axes as an input at `opset`.
inline bool AxesAreInputs(int64_t opset) { return opset >= 13; }

}  // namespace h8

#endif  // H8_IR_MATCH_H
