//===- NodeBuilder.cpp - Building and editing nodes -----------------------===//
#include "h8/IR/NodeBuilder.h"

#include "h8/IR/Match.h"

namespace h8 {

void SetIntAttr(onnx::NodeProto& node, absl::string_view name, int64_t value) {
  onnx::AttributeProto* a = FindMutableAttr(node, name);
  if (a == nullptr) {
    a = node.add_attribute();
    a->set_name(std::string(name));
  }
  a->clear_ints();
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void SetIntsAttr(onnx::NodeProto& node, absl::string_view name,
                 const std::vector<int64_t>& values) {
  onnx::AttributeProto* a = FindMutableAttr(node, name);
  if (a == nullptr) {
    a = node.add_attribute();
    a->set_name(std::string(name));
  }
  a->set_type(onnx::AttributeProto::INTS);
  a->clear_ints();
  for (int64_t v : values) a->add_ints(v);
}

onnx::TensorProto MakeInt64Tensor(const std::string& name, const std::vector<int64_t>& values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::INT64);
  t.add_dims(static_cast<int64_t>(values.size()));
  t.set_raw_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(int64_t)));
  return t;
}

void CopyNodeMetadata(const onnx::NodeProto& from, onnx::NodeProto& to) {
  to.GetReflection()->MutableUnknownFields(&to)->MergeFrom(
      from.GetReflection()->GetUnknownFields(from));
  if (to.doc_string().empty() && !from.doc_string().empty()) to.set_doc_string(from.doc_string());
}

onnx::NodeProto MakeAxesNode(absl::string_view op, const std::string& input,
                             const std::string& output, const std::vector<int64_t>& axes,
                             int64_t opset, const std::string& axes_input) {
  onnx::NodeProto node;
  node.set_op_type(std::string(op));
  node.add_input(input);
  node.add_output(output);
  if (AxesAreInputs(opset)) {
    node.add_input(axes_input);
  } else {
    SetIntsAttr(node, "axes", axes);
  }
  return node;
}

}  // namespace h8
