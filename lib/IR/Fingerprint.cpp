//===- Fingerprint.cpp - Cheap structural fingerprints --------------------===//
#include "h8/IR/Fingerprint.h"

#include <cstring>
#include <string>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace h8 {
namespace {

class Hasher {
 public:
  void Add(uint64_t x) {
    // A multiply-xorshift step per word: order-sensitive and cheap.
    h_ = (h_ ^ x) * 0x9E3779B97F4A7C15ULL;
    h_ ^= h_ >> 29;
  }
  void Add(absl::string_view s) {
    Add(static_cast<uint64_t>(absl::Hash<absl::string_view>{}(s)));
    Add(static_cast<uint64_t>(s.size()));
  }
  void AddDouble(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    Add(bits);
  }
  // Whole contents up to the limit, else its size, head and tail.
  void AddBytes(absl::string_view bytes) {
    // Most fields of most messages are empty (an attribute sets one of its
    // nine value fields, a tensor one of its six data fields): their size
    // is all there is to hash.
    if (bytes.empty()) {
      Add(uint64_t{0});
      return;
    }
    if (bytes.size() <= kFingerprintContentBytes) {
      Add(bytes);
      return;
    }
    Add(static_cast<uint64_t>(bytes.size()));
    Add(bytes.substr(0, kFingerprintContentBytes / 2));
    Add(bytes.substr(bytes.size() - kFingerprintContentBytes / 2));
  }
  template <typename Repeated>
  void AddNumbers(const Repeated& values) {
    Add(static_cast<uint64_t>(values.size()));
    if (values.empty()) return;
    const auto* data = values.data();
    AddBytes(absl::string_view(reinterpret_cast<const char*>(data), values.size() * sizeof(*data)));
  }
  // The types of values go into their own accumulator, so the rest (what
  // the structural verifier reads) can be told apart.
  uint64_t value() const {
    Hasher both = *this;
    both.Add(t_);
    return both.h_;
  }
  uint64_t topology() const { return h_; }

  void AddType(const onnx::TypeProto& type);
  void AddTypeHere(const onnx::TypeProto& type);
  void AddTensor(const onnx::TensorProto& t);
  void AddGraph(const onnx::GraphProto& graph);
  void AddAttribute(const onnx::AttributeProto& a);

 private:
  uint64_t h_ = 0x6A09E667F3BCC909ULL;
  uint64_t t_ = 0xBB67AE8584CAA73BULL;
};

void Hasher::AddType(const onnx::TypeProto& type) {
  // Hashed in the types' accumulator: swap it in, swap it back at the end.
  std::swap(h_, t_);
  AddTypeHere(type);
  std::swap(h_, t_);
}

void Hasher::AddTypeHere(const onnx::TypeProto& type) {
  Add(static_cast<uint64_t>(type.value_case()));
  if (!type.has_tensor_type()) {
    // Sequences, maps and optionals are rare: their serialized form is exact.
    Add(type.SerializeAsString());
    return;
  }
  const auto& tt = type.tensor_type();
  Add(static_cast<uint64_t>(tt.elem_type()));
  Add(static_cast<uint64_t>(tt.has_shape() ? tt.shape().dim_size() + 1 : 0));
  for (const auto& d : tt.shape().dim()) {
    Add(static_cast<uint64_t>(d.value_case()));
    if (d.has_dim_value()) Add(static_cast<uint64_t>(d.dim_value()));
    if (d.has_dim_param()) Add(d.dim_param());
    if (!d.denotation().empty()) Add(d.denotation());
  }
}

void Hasher::AddTensor(const onnx::TensorProto& t) {
  Add(t.name());
  Add(static_cast<uint64_t>(t.data_type()));
  Add(static_cast<uint64_t>(t.data_location()));
  AddNumbers(t.dims());
  for (const auto& e : t.external_data()) {
    Add(e.key());
    Add(e.value());
  }
  Add(static_cast<uint64_t>(t.has_raw_data()));
  AddBytes(t.raw_data());
  AddNumbers(t.float_data());
  AddNumbers(t.int32_data());
  AddNumbers(t.int64_data());
  AddNumbers(t.double_data());
  AddNumbers(t.uint64_data());
  Add(static_cast<uint64_t>(t.string_data_size()));
  for (const auto& s : t.string_data()) AddBytes(s);
}

void Hasher::AddAttribute(const onnx::AttributeProto& a) {
  Add(a.name());
  Add(static_cast<uint64_t>(a.type()));
  if (!a.ref_attr_name().empty()) Add(a.ref_attr_name());
  Add(static_cast<uint64_t>(a.i()));
  AddDouble(a.f());
  AddBytes(a.s());
  AddNumbers(a.ints());
  AddNumbers(a.floats());
  Add(static_cast<uint64_t>(a.strings_size()));
  for (const auto& s : a.strings()) AddBytes(s);
  if (a.has_t()) AddTensor(a.t());
  Add(static_cast<uint64_t>(a.tensors_size()));
  for (const auto& t : a.tensors()) AddTensor(t);
  if (a.has_g()) AddGraph(a.g());
  Add(static_cast<uint64_t>(a.graphs_size()));
  for (const auto& g : a.graphs()) AddGraph(g);
  if (a.has_sparse_tensor() || a.sparse_tensors_size() > 0 || a.has_tp() ||
      a.type_protos_size() > 0)
    Add(a.SerializeAsString());
}

void Hasher::AddGraph(const onnx::GraphProto& graph) {
  Add(graph.name());
  Add(static_cast<uint64_t>(graph.node_size()));
  for (const auto& node : graph.node()) {
    Add(node.name());
    Add(node.op_type());
    Add(node.domain());
    Add(static_cast<uint64_t>(node.input_size()));
    for (const auto& in : node.input()) Add(in);
    Add(static_cast<uint64_t>(node.output_size()));
    for (const auto& out : node.output()) Add(out);
    Add(static_cast<uint64_t>(node.attribute_size()));
    for (const auto& a : node.attribute()) AddAttribute(a);
  }
  for (const auto* values : {&graph.input(), &graph.output()}) {
    Add(static_cast<uint64_t>(values->size()));
    for (const auto& v : *values) {
      Add(v.name());
      Add(static_cast<uint64_t>(v.has_type()));
      if (v.has_type()) AddType(v.type());
    }
  }
  // value_info is type information through and through (which values have
  // an entry too): the structural verifier does not read it.
  std::swap(h_, t_);
  Add(static_cast<uint64_t>(graph.value_info_size()));
  for (const auto& v : graph.value_info()) {
    Add(v.name());
    Add(static_cast<uint64_t>(v.has_type()));
    if (v.has_type()) AddTypeHere(v.type());
  }
  std::swap(h_, t_);
  Add(static_cast<uint64_t>(graph.initializer_size()));
  for (const auto& t : graph.initializer()) AddTensor(t);
  if (graph.sparse_initializer_size() > 0)
    for (const auto& s : graph.sparse_initializer()) Add(s.SerializeAsString());
}

}  // namespace

uint64_t GraphFingerprint(const onnx::GraphProto& graph) {
  Hasher h;
  h.AddGraph(graph);
  return h.value();
}

uint64_t ModelFingerprint(const onnx::ModelProto& model, uint64_t* main_graph, uint64_t* topology) {
  Hasher g;
  g.AddGraph(model.graph());
  const uint64_t graph = g.value();
  if (main_graph != nullptr) *main_graph = graph;
  if (topology != nullptr) *topology = g.topology();
  Hasher h;
  h.Add(graph);
  h.Add(static_cast<uint64_t>(model.ir_version()));
  for (const auto& o : model.opset_import()) {
    h.Add(o.domain());
    h.Add(static_cast<uint64_t>(o.version()));
  }
  for (const auto& p : model.metadata_props()) {
    h.Add(p.key());
    h.Add(p.value());
  }
  h.Add(static_cast<uint64_t>(model.functions_size()));
  for (const auto& f : model.functions()) h.Add(f.SerializeAsString());
  return h.value();
}

}  // namespace h8
