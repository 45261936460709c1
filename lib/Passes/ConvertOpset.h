//===- ConvertOpset.h - Private interface of convert-opset ------*- C++ -*-===//
//
// Shared by ConvertOpset.cpp (the driver), ConvertOpsetTable.cpp (the
// version table), ConvertOpsetForms.cpp (the op forms that change between
// opsets) and ConvertOpsetDecompose.cpp (ops missing at the target written
// as older ops). Not a public header.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_PASSES_CONVERTOPSET_H
#define H8_LIB_PASSES_CONVERTOPSET_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/GraphRewriter.h"
#include "h8/IR/NameUniquer.h"
#include "onnx/onnx_pb.h"

namespace h8 {
namespace convert_opset {

/// What a converter of one node sees: the graph (before any edit), the
/// shape analysis of the source model, and where new initializers go.
struct Ctx {
  const GraphIndex& index;
  const ShapeAnalysis& shapes;
  NameUniquer& names;
  GraphRewriter& rewriter;
  int64_t from;
  int64_t to;
  /// Indices of the enclosing graphs, innermost last (bodies read their
  /// constants from there).
  std::vector<const GraphIndex*> outer;

  /// Converting down across the change made at opset `v`.
  bool Down(int64_t v) const { return from >= v && to < v; }
  /// Converting up across it.
  bool Up(int64_t v) const { return from < v && to >= v; }
  std::optional<int> Rank(absl::string_view value) const { return shapes.Rank(value); }
  /// Element type of `value` (onnx::TensorProto::DataType), 0 when unknown.
  int32_t ElemType(absl::string_view value) const;
  /// ConstantInts / ConstantFloats of `value`, looked up in this graph and
  /// then in the enclosing ones.
  std::optional<std::vector<int64_t>> Ints(absl::string_view value) const;
  std::optional<std::vector<double>> Floats(absl::string_view value) const;
  /// Queues `tensor` as an initializer under a fresh name derived from
  /// `base`; returns that name.
  std::string AddInitializer(const std::string& base, onnx::TensorProto tensor);
  /// A fresh value name derived from `base`.
  std::string Fresh(const std::string& base) { return names.Unique(base); }
};

enum class Kind { kTypes, kNeutral, kAttr, kNegAxis, kForm, kRefuse };

struct Change {
  int version;
  Kind kind;
  // kTypes: added non-exotic type names ("int8,uint8"); kAttr:
  // "name=default" ("1*": all ones); kNegAxis: the attribute; kRefuse: why.
  const char* arg = "";
};

struct OpHistory {
  int since;
  std::vector<Change> changes;
};

/// Versions of every ai.onnx op: the opset it appeared in, then each
/// change in 11..23 (earlier ones only matter through `since`).
const absl::flat_hash_map<std::string, OpHistory>& OpTable();
/// The ir_version opset `opset` pairs with (onnx/helper.py VERSION_TABLE).
int64_t IrVersionFor(int64_t opset);
/// Opset from which element type `type` exists for ops at all; 0 for the
/// classic types.
int64_t TypeSince(int32_t type);

/// Rewrites one node. `node` is a copy of the original to edit in place (a
/// decomposition assigns its last node to it, which writes the original
/// output); nodes appended to `before` are inserted ahead of it. Returns ""
/// on success, else why the node has no exact form at the target (the
/// caller names the node).
using Converter = std::string (*)(Ctx& c, onnx::NodeProto& node,
                                  std::vector<onnx::NodeProto>& before);

/// The converter of an op whose form changes at a version marked "form" in
/// the table (Reduce*, Split, Squeeze, Unsqueeze, Pad, Clip, Softmax family,
/// Constant, Reshape, Resize, Gemm, Gather); nullptr for others.
Converter FindFormConverter(absl::string_view op);
/// The decomposition of an op that does not exist at the target (Gelu,
/// Mish, GroupNormalization, RMSNormalization, Attention,
/// LayerNormalization); nullptr for others.
Converter FindDecomposition(absl::string_view op);

/// `output = op(inputs)`, named after `origin` (when it has a name) and
/// carrying its metadata (CopyNodeMetadata).
onnx::NodeProto MakeNode(Ctx& c, const std::string& op, std::vector<std::string> inputs,
                         const std::string& output, const onnx::NodeProto& origin);
/// Queues an initializer of float element type `type` (float, float16,
/// double, ...) with `dims` and `values`; returns its fresh name.
std::string AddFloats(Ctx& c, const std::string& base, int32_t type, std::vector<int64_t> dims,
                      const std::vector<double>& values);
/// A scalar initializer of float element type `type` holding `v`.
std::string AddScalar(Ctx& c, const std::string& base, int32_t type, double v);
/// A rank-1 int64 initializer holding `v`.
std::string AddInts(Ctx& c, const std::string& base, const std::vector<int64_t>& v);

/// Removes attribute `name` from `node` (no-op when absent).
void RemoveAttr(onnx::NodeProto& node, absl::string_view name);

}  // namespace convert_opset
}  // namespace h8

#endif  // H8_LIB_PASSES_CONVERTOPSET_H
