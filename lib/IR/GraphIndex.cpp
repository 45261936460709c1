//===- GraphIndex.cpp - Producer/consumer maps ----------------------------===//
#include "h8/IR/GraphIndex.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace h8 {

int GraphIndex::Find(absl::string_view name) const {
  auto it = ids_.find(name);
  return it == ids_.end() ? -1 : it->second;
}

int GraphIndex::Intern(absl::string_view name) {
  if (auto it = ids_.find(name); it != ids_.end()) return it->second;
  const int id = static_cast<int>(values_.size());
  ids_.emplace(names_.Save(name), id);
  values_.emplace_back();
  return id;
}

void GraphIndex::ForEachRead(const onnx::NodeProto& node,
                             absl::FunctionRef<void(absl::string_view)> add_use) {
  for (const auto& in : node.input())
    if (!in.empty()) add_use(in);
  ForEachOuterRead(node, add_use);
}

void GraphIndex::ForEachOuterRead(const onnx::NodeProto& node,
                                  absl::FunctionRef<void(absl::string_view)> add_use) {
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

void GraphIndex::RecordTypes() {
  // Inputs, then value_info (the last entry of a name wins), then outputs
  // where nothing else recorded a type.
  for (const auto& in : graph_->input())
    if (in.has_type()) values_[Intern(in.name())].type = &in.type();
  for (const auto& vi : graph_->value_info())
    if (vi.has_type()) values_[Intern(vi.name())].type = &vi.type();
  for (const auto& out : graph_->output()) {
    ValueFacts& f = values_[Intern(out.name())];
    if (out.has_type() && f.type == nullptr) f.type = &out.type();
  }
}

GraphIndex::GraphIndex(const onnx::GraphProto& graph) : graph_(&graph) { Build(); }

GraphIndex::GraphIndex(const onnx::GraphProto& graph, absl::Span<const absl::string_view> names)
    : graph_(&graph) {
  ids_.reserve(names.size());
  values_.reserve(names.size());
  for (absl::string_view name : names) Intern(name);
  Build();
}

void GraphIndex::Build() {
  const onnx::GraphProto& graph = *graph_;
  // Sized once: rehashing dominated index builds on 100k-node graphs.
  const size_t estimate = values_.size() + graph.node_size() + graph.input_size() +
                          graph.initializer_size() + graph.output_size();
  ids_.reserve(estimate);
  values_.reserve(estimate);
  std::vector<int> initializer_ids;
  initializer_ids.reserve(graph.initializer_size());
  for (int i = 0; i < graph.initializer_size(); ++i) {
    const int v = Intern(graph.initializer(i).name());
    initializer_ids.push_back(v);
    ++values_[v].inits;
    if (values_[v].initializer < 0) values_[v].initializer = i;
  }
  for (const auto& in : graph.input()) values_[Intern(in.name())].input = true;
  for (int k = 0; k < graph.output_size(); ++k) {
    ValueFacts& f = values_[Intern(graph.output(k).name())];
    if (f.output < 0) f.output = k;
    ++f.uses;
  }
  RecordTypes();
  // (value, node) pairs in node order, one per node reading the value; then
  // a counting sort makes them the consumer lists. The slot ids are
  // recorded on the way.
  std::vector<std::pair<int, int>> reads;
  reads.reserve(static_cast<size_t>(graph.node_size()) * 2);
  std::vector<int> last_reader;
  slot_begin_.clear();
  slot_begin_.reserve(graph.node_size() + 1);
  slot_ids_.clear();
  slot_ids_.reserve(static_cast<size_t>(graph.node_size()) * 4 + initializer_ids.size());
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& node = graph.node(i);
    slot_begin_.push_back(static_cast<int>(slot_ids_.size()));
    auto read = [&](int v) {
      ++values_[v].uses;
      if (static_cast<size_t>(v) >= last_reader.size())
        last_reader.resize(std::max(values_.size(), last_reader.size() * 2), -1);
      if (last_reader[v] != i) {
        last_reader[v] = i;
        reads.emplace_back(v, i);
      }
    };
    for (const auto& in : node.input()) {
      const int v = in.empty() ? -1 : Intern(in);
      slot_ids_.push_back(v);
      if (v >= 0) read(v);
    }
    for (const auto& out : node.output()) {
      const int v = out.empty() ? -1 : Intern(out);
      slot_ids_.push_back(v);
      if (v < 0) continue;
      ValueFacts& f = values_[v];
      ++f.defs;
      if (f.producer < 0) f.producer = i;
    }
    ForEachOuterRead(node, [&](absl::string_view name) { read(Intern(name)); });
  }
  slot_begin_.push_back(static_cast<int>(slot_ids_.size()));
  slot_ids_.insert(slot_ids_.end(), initializer_ids.begin(), initializer_ids.end());
  consumer_begin_.assign(values_.size() + 1, 0);
  for (const auto& [v, node] : reads) ++consumer_begin_[v + 1];
  for (size_t v = 0; v < values_.size(); ++v) consumer_begin_[v + 1] += consumer_begin_[v];
  consumer_nodes_.resize(reads.size());
  std::vector<int> fill(consumer_begin_.begin(), consumer_begin_.end() - 1);
  for (const auto& [v, node] : reads) consumer_nodes_[fill[v]++] = node;
}

absl::Span<const int> GraphIndex::NodeInputIds(int node) const {
  return absl::MakeConstSpan(slot_ids_.data() + slot_begin_[node], graph_->node(node).input_size());
}

absl::Span<const int> GraphIndex::NodeOutputIds(int node) const {
  const int first = slot_begin_[node] + graph_->node(node).input_size();
  return absl::MakeConstSpan(slot_ids_.data() + first, slot_begin_[node + 1] - first);
}

int GraphIndex::InitializerId(int i) const {
  return slot_ids_[slot_begin_[graph_->node_size()] + i];
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
  const int v = Find(value);
  return v < 0 ? -1 : values_[v].producer;
}

const onnx::NodeProto* GraphIndex::Producer(absl::string_view value) const {
  int i = ProducerIndex(value);
  return i < 0 ? nullptr : &graph_->node(i);
}

absl::Span<const int> GraphIndex::Consumers(absl::string_view value) const {
  const int v = Find(value);
  if (v < 0) return {};
  return absl::MakeConstSpan(consumer_nodes_.data() + consumer_begin_[v],
                             consumer_begin_[v + 1] - consumer_begin_[v]);
}

int GraphIndex::NumUses(absl::string_view value) const {
  const int v = Find(value);
  return v < 0 ? 0 : values_[v].uses;
}

bool GraphIndex::IsGraphInput(absl::string_view value) const {
  const int v = Find(value);
  return v >= 0 && values_[v].input;
}
bool GraphIndex::IsGraphOutput(absl::string_view value) const {
  const int v = Find(value);
  return v >= 0 && values_[v].output >= 0;
}

int GraphIndex::NumDefinitions(absl::string_view value) const {
  const int v = Find(value);
  return v < 0 ? 0 : values_[v].defs;
}

int GraphIndex::InitializerIndex(absl::string_view value) const {
  const int v = Find(value);
  return v < 0 ? -1 : values_[v].initializer;
}

const onnx::TensorProto* GraphIndex::Initializer(absl::string_view value) const {
  int i = InitializerIndex(value);
  return i < 0 ? nullptr : &graph_->initializer(i);
}

bool GraphIndex::IsRuntimeInput(absl::string_view value) const {
  const int v = Find(value);
  return v >= 0 && values_[v].input && values_[v].initializer < 0;
}

bool GraphIndex::IsConstantInitializer(absl::string_view value) const {
  const int v = Find(value);
  return v >= 0 && IsConstantInitializerById(v);
}

const onnx::TypeProto* GraphIndex::Type(absl::string_view value) const {
  const int v = Find(value);
  if (v < 0) return nullptr;
  const ValueFacts& f = values_[v];
  if (f.type != nullptr || f.initializer < 0) return f.type;
  // Initializer types are made on first request: most are never asked for.
  const onnx::TensorProto& init = graph_->initializer(f.initializer);
  auto type = std::make_unique<onnx::TypeProto>();
  auto* tt = type->mutable_tensor_type();
  tt->set_elem_type(init.data_type());
  auto* shape = tt->mutable_shape();
  for (int64_t d : init.dims()) shape->add_dim()->set_dim_value(d);
  f.type = type.get();
  f.synthesized = true;
  owned_types_.push_back(std::move(type));
  return f.type;
}

std::optional<int> GraphIndex::Rank(absl::string_view value) const {
  const int v = Find(value);
  if (v < 0) return std::nullopt;
  if (values_[v].type == nullptr && values_[v].initializer >= 0)
    return graph_->initializer(values_[v].initializer).dims_size();
  const onnx::TypeProto* type = values_[v].type;
  if (type == nullptr || !type->has_tensor_type() || !type->tensor_type().has_shape())
    return std::nullopt;
  return type->tensor_type().shape().dim_size();
}

std::optional<std::vector<int64_t>> GraphIndex::StaticShape(absl::string_view value) const {
  const onnx::TypeProto* type = Type(value);
  if (type == nullptr || !type->has_tensor_type() || !type->tensor_type().has_shape())
    return std::nullopt;
  std::vector<int64_t> dims;
  dims.reserve(type->tensor_type().shape().dim_size());
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

bool HasSubgraph(const onnx::NodeProto& node) {
  for (const auto& attr : node.attribute())
    if (attr.has_g() || attr.graphs_size() > 0) return true;
  return false;
}

bool IsOnnxDomain(const onnx::NodeProto& node) {
  return node.domain().empty() || node.domain() == "ai.onnx";
}

}  // namespace h8
