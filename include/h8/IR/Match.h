//===- Match.h - Reading nodes: attributes, constants, axes -----*- C++ -*-===//
//
// What a pass or an analysis reads off a node when it matches: attributes,
// the values of int64 constants, a normalized axis. Building nodes is
// NodeBuilder.h.
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
// Until lift-conv1d includes it itself.
#include "h8/IR/NodeBuilder.h"
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

/// The values of an int64/int32 TensorProto (raw or typed fields), or
/// nullopt for other types, external data, or data that does not match the
/// dims (see TensorData::Decode).
std::optional<std::vector<int64_t>> TensorInts(const onnx::TensorProto& t);

/// The int64 values of a constant (an initializer or a Constant node's
/// `value`), or nullopt when `value` is not a known int64/int32 constant.
std::optional<std::vector<int64_t>> ConstantInts(const GraphIndex& index, absl::string_view value);

/// `axis` in [0, rank): a negative axis counts from the end. -1 when it is
/// out of range; with an unknown rank (rank < 0) a non-negative axis is
/// returned as is and a negative one is -1.
int64_t NormalizeAxis(int64_t axis, int64_t rank);

}  // namespace h8

#endif  // H8_IR_MATCH_H
