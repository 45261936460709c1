//===- NodeBuilder.h - Building and editing nodes ----------------*- C++ -*-===//
//
// Opset-correct construction of the few ops passes insert (Squeeze,
// Unsqueeze) and the edits passes make to the nodes they build: attributes,
// int64 initializers, the metadata a replacement inherits. Opset boundaries
// handled here: Squeeze/Unsqueeze take `axes` as an attribute before opset
// 13 and as an int64 input from 13 on.
//
//===----------------------------------------------------------------------===//
#ifndef H8_IR_NODEBUILDER_H
#define H8_IR_NODEBUILDER_H

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "onnx/onnx_pb.h"

namespace h8 {

/// Sets (or replaces) an INT / INTS attribute.
void SetIntAttr(onnx::NodeProto& node, absl::string_view name, int64_t value);
void SetIntsAttr(onnx::NodeProto& node, absl::string_view name, const std::vector<int64_t>& values);

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

/// Whether Squeeze/Unsqueeze/ReduceSum take axes as an input at `opset`.
inline bool AxesAreInputs(int64_t opset) { return opset >= 13; }

}  // namespace h8

#endif  // H8_IR_NODEBUILDER_H
