//===- GraphIndex.cpp - Producer/consumer maps ----------------------------===//
#include "h8/IR/GraphIndex.h"

#include "absl/strings/str_cat.h"

namespace h8 {

GraphIndex::GraphIndex(const onnx::GraphProto& graph) : graph_(&graph) {
  // Sized once: rehashing dominated index builds on 100k-node graphs.
  const size_t values = graph.node_size() + graph.input_size() + graph.initializer_size();
  producer_.reserve(graph.node_size());
  consumers_.reserve(values);
  uses_.reserve(values);
  initializers_.reserve(graph.initializer_size());
  types_.reserve(graph.value_info_size() + graph.input_size() + graph.output_size());
  for (int i = 0; i < graph.initializer_size(); ++i)
    initializers_.emplace(graph.initializer(i).name(), i);
  for (const auto& in : graph.input()) {
    inputs_.insert(in.name());
    if (in.has_type()) types_[in.name()] = &in.type();
  }
  for (const auto& vi : graph.value_info())
    if (vi.has_type()) types_[vi.name()] = &vi.type();
  for (const auto& out : graph.output()) {
    outputs_.insert(out.name());
    ++uses_[out.name()];
    if (out.has_type() && !types_.count(out.name())) types_[out.name()] = &out.type();
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& node = graph.node(i);
    for (const auto& out : node.output())
      if (!out.empty()) producer_.emplace(out, i);
    auto add_use = [&](const std::string& name) {
      ++uses_[name];
      auto& users = consumers_[name];
      if (users.empty() || users.back() != i) users.push_back(i);
    };
    for (const auto& in : node.input())
      if (!in.empty()) add_use(in);
    for (const auto& attr : node.attribute()) {
      if (!attr.has_g() && attr.graphs_size() == 0) continue;
      absl::flat_hash_set<std::string> outer;
      if (attr.has_g()) CollectOuterReferences(attr.g(), outer);
      for (const auto& g : attr.graphs()) CollectOuterReferences(g, outer);
      // Sorted so consumer order never depends on hash iteration order.
      std::vector<std::string> sorted(outer.begin(), outer.end());
      std::sort(sorted.begin(), sorted.end());
      for (const auto& name : sorted) add_use(name);
    }
  }
}

void GraphIndex::CollectOuterReferences(const onnx::GraphProto& graph,
                                        absl::flat_hash_set<std::string>& out) {
  absl::flat_hash_set<std::string> defined;
  for (const auto& in : graph.input()) defined.insert(in.name());
  for (const auto& init : graph.initializer()) defined.insert(init.name());
  for (const auto& node : graph.node())
    for (const auto& o : node.output()) defined.insert(o);
  auto use = [&](const std::string& name) {
    if (!name.empty() && !defined.count(name)) out.insert(name);
  };
  for (const auto& node : graph.node()) {
    for (const auto& in : node.input()) use(in);
    for (const auto& attr : node.attribute()) {
      absl::flat_hash_set<std::string> inner;
      if (attr.has_g()) CollectOuterReferences(attr.g(), inner);
      for (const auto& g : attr.graphs()) CollectOuterReferences(g, inner);
      for (const auto& name : inner) use(name);
    }
  }
  for (const auto& o : graph.output()) use(o.name());
}

int GraphIndex::ProducerIndex(absl::string_view value) const {
  auto it = producer_.find(value);
  return it == producer_.end() ? -1 : it->second;
}

const onnx::NodeProto* GraphIndex::Producer(absl::string_view value) const {
  int i = ProducerIndex(value);
  return i < 0 ? nullptr : &graph_->node(i);
}

const std::vector<int>& GraphIndex::Consumers(absl::string_view value) const {
  static const std::vector<int>* const kEmpty = new std::vector<int>();
  auto it = consumers_.find(value);
  return it == consumers_.end() ? *kEmpty : it->second;
}

int GraphIndex::NumUses(absl::string_view value) const {
  auto it = uses_.find(value);
  return it == uses_.end() ? 0 : it->second;
}

bool GraphIndex::IsGraphInput(absl::string_view value) const {
  return inputs_.contains(value);
}
bool GraphIndex::IsGraphOutput(absl::string_view value) const {
  return outputs_.contains(value);
}

int GraphIndex::InitializerIndex(absl::string_view value) const {
  auto it = initializers_.find(value);
  return it == initializers_.end() ? -1 : it->second;
}

const onnx::TensorProto* GraphIndex::Initializer(absl::string_view value) const {
  int i = InitializerIndex(value);
  return i < 0 ? nullptr : &graph_->initializer(i);
}

bool GraphIndex::IsRuntimeInput(absl::string_view value) const {
  return IsGraphInput(value) && InitializerIndex(value) < 0;
}

const onnx::TypeProto* GraphIndex::Type(absl::string_view value) const {
  auto it = types_.find(value);
  if (it != types_.end()) return it->second;
  // Initializer types are made on first request: most are never asked for.
  const onnx::TensorProto* init = Initializer(value);
  if (init == nullptr) return nullptr;
  auto type = std::make_unique<onnx::TypeProto>();
  auto* tt = type->mutable_tensor_type();
  tt->set_elem_type(init->data_type());
  auto* shape = tt->mutable_shape();
  for (int64_t d : init->dims()) shape->add_dim()->set_dim_value(d);
  const onnx::TypeProto* result = type.get();
  types_[std::string(value)] = result;
  owned_types_.push_back(std::move(type));
  return result;
}

std::optional<int> GraphIndex::Rank(absl::string_view value) const {
  if (types_.find(value) == types_.end())
    if (const onnx::TensorProto* init = Initializer(value)) return init->dims_size();
  const onnx::TypeProto* type = Type(value);
  if (type == nullptr || !type->has_tensor_type() || !type->tensor_type().has_shape())
    return std::nullopt;
  return type->tensor_type().shape().dim_size();
}

std::optional<std::vector<int64_t>> GraphIndex::StaticShape(absl::string_view value) const {
  const onnx::TypeProto* type = Type(value);
  if (type == nullptr || !type->has_tensor_type() || !type->tensor_type().has_shape())
    return std::nullopt;
  std::vector<int64_t> dims;
  for (const auto& d : type->tensor_type().shape().dim()) {
    if (!d.has_dim_value()) return std::nullopt;
    dims.push_back(d.dim_value());
  }
  return dims;
}

int64_t OnnxOpsetVersion(const onnx::ModelProto& model) {
  for (const auto& opset : model.opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx") return opset.version();
  return 0;
}

std::string NodeRef(const onnx::NodeProto& node, int index) {
  if (!node.name().empty()) return node.name();
  for (const auto& o : node.output())
    if (!o.empty()) return o;
  return absl::StrCat("#", index);
}

bool IsOnnxDomain(const onnx::NodeProto& node) {
  return node.domain().empty() || node.domain() == "ai.onnx";
}

}  // namespace h8
