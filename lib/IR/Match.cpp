//===- Match.cpp - Reading nodes: attributes, constants, axes ------------===//
#include "h8/IR/Match.h"

#include "h8/IR/TensorData.h"

namespace h8 {

const onnx::AttributeProto* FindAttr(const onnx::NodeProto& node, absl::string_view name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

onnx::AttributeProto* FindMutableAttr(onnx::NodeProto& node, absl::string_view name) {
  for (auto& a : *node.mutable_attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t GetIntAttr(const onnx::NodeProto& node, absl::string_view name, int64_t fallback) {
  const auto* a = FindAttr(node, name);
  return a != nullptr && a->type() == onnx::AttributeProto::INT ? a->i() : fallback;
}

std::optional<std::vector<int64_t>> GetIntsAttr(const onnx::NodeProto& node,
                                                absl::string_view name) {
  const auto* a = FindAttr(node, name);
  if (a == nullptr || a->type() != onnx::AttributeProto::INTS) return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::string GetStringAttr(const onnx::NodeProto& node, absl::string_view name,
                          const std::string& fallback) {
  const auto* a = FindAttr(node, name);
  return a != nullptr && a->type() == onnx::AttributeProto::STRING ? a->s() : fallback;
}

int64_t NormalizeAxis(int64_t axis, int64_t rank) {
  if (rank < 0) return axis >= 0 ? axis : -1;
  if (axis < -rank || axis >= rank) return -1;
  return axis < 0 ? axis + rank : axis;
}

std::optional<std::vector<int64_t>> TensorInts(const onnx::TensorProto& t) {
  if (t.data_type() != onnx::TensorProto::INT64 && t.data_type() != onnx::TensorProto::INT32)
    return std::nullopt;
  auto data = TensorData::Decode(t);
  if (!data.ok()) return std::nullopt;  // external, or sizes that disagree with the dims
  return data->Values<int64_t>();
}

std::optional<std::vector<int64_t>> ConstantInts(const GraphIndex& index, absl::string_view value) {
  if (const onnx::TensorProto* init = index.Initializer(value)) return TensorInts(*init);
  const onnx::NodeProto* producer = index.Producer(value);
  if (producer == nullptr || producer->op_type() != "Constant" || !IsOnnxDomain(*producer))
    return std::nullopt;
  if (const auto* a = FindAttr(*producer, "value"); a != nullptr && a->has_t())
    return TensorInts(a->t());
  if (auto ints = GetIntsAttr(*producer, "value_ints")) return ints;
  if (const auto* a = FindAttr(*producer, "value_int"); a != nullptr)
    return std::vector<int64_t>{a->i()};
  return std::nullopt;
}

}  // namespace h8
