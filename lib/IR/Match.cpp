//===- Match.cpp - Helpers shared by the rewriting passes -----------------===//
#include "h8/IR/Match.h"

#include "absl/container/flat_hash_set.h"

#include <cstring>

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

namespace {

std::optional<std::vector<int64_t>> TensorInts(const onnx::TensorProto& t) {
  std::vector<int64_t> out;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) return std::nullopt;
  if (t.data_type() == onnx::TensorProto::INT64) {
    if (t.has_raw_data()) {
      if (t.raw_data().size() % 8 != 0) return std::nullopt;
      out.resize(t.raw_data().size() / 8);
      // memcpy from/to an empty vector's null data() is undefined.
      if (!out.empty()) std::memcpy(out.data(), t.raw_data().data(), t.raw_data().size());
    } else {
      out.assign(t.int64_data().begin(), t.int64_data().end());
    }
    return out;
  }
  if (t.data_type() == onnx::TensorProto::INT32) {
    if (t.has_raw_data()) {
      if (t.raw_data().size() % 4 != 0) return std::nullopt;
      std::vector<int32_t> v(t.raw_data().size() / 4);
      if (!v.empty()) std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
      out.assign(v.begin(), v.end());
    } else {
      out.assign(t.int32_data().begin(), t.int32_data().end());
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<int64_t>> ConstantInts(const GraphIndex& index,
                                                 absl::string_view value) {
  if (const onnx::TensorProto* init = index.Initializer(value))
    return TensorInts(*init);
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

onnx::TensorProto MakeInt64Tensor(const std::string& name, const std::vector<int64_t>& values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::INT64);
  t.add_dims(static_cast<int64_t>(values.size()));
  t.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()),
                             values.size() * sizeof(int64_t)));
  return t;
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

namespace {

const absl::flat_hash_set<std::string>& SameRankOps() {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Selu", "HardSigmoid", "HardSwish",
      "Softplus", "Mish", "Abs", "Neg", "Exp", "Log", "Sqrt", "Erf", "Reciprocal", "Floor",
      "Ceil", "Identity", "Dropout", "Cast", "Clip", "BatchNormalization",
      "InstanceNormalization", "LRN", "Softmax", "LogSoftmax", "Hardmax", "Conv",
      "ConvTranspose", "MaxPool", "AveragePool", "LpPool", "Concat", "Split", "Slice", "Pad",
      "Transpose"};
  return *ops;
}

const absl::flat_hash_set<std::string>& BroadcastOps() {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "PRelu"};
  return *ops;
}

const absl::flat_hash_set<std::string>& KeepdimsReduceOps() {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
      "ReduceL1", "ReduceL2", "ReduceSumSquare"};
  return *ops;
}

}  // namespace

absl::flat_hash_map<std::string, int> PropagateRanks(const onnx::GraphProto& graph,
                                                     const GraphIndex& index) {
  absl::flat_hash_map<std::string, int> rank;
  rank.reserve(graph.node_size() + graph.input_size() + graph.initializer_size());
  auto known = [&](const std::string& v) -> int {
    if (v.empty()) return -1;
    auto it = rank.find(v);
    if (it != rank.end()) return it->second;
    std::optional<int> r = index.Rank(v);
    if (!r) return -1;
    rank.emplace(v, *r);
    return *r;
  };
  for (const auto& node : graph.node()) {
    // Declared ranks of every input are recorded, whatever the op.
    for (const auto& in : node.input()) known(in);
    if (!IsOnnxDomain(node)) continue;
    const std::string& op = node.op_type();
    int r = -1;
    if (op == "Constant") {
      if (const auto* a = FindAttr(node, "value"); a != nullptr && a->has_t())
        r = a->t().dims_size();
    } else if (node.input_size() == 0) {
      continue;
    } else if (BroadcastOps().contains(op)) {
      for (const auto& in : node.input()) {
        int ri = known(in);
        if (ri < 0) {
          r = -1;
          break;
        }
        r = std::max(r, ri);
      }
    } else if (KeepdimsReduceOps().contains(op)) {
      if (GetIntAttr(node, "keepdims", 1) == 1) r = known(node.input(0));
    } else if (SameRankOps().contains(op)) {
      r = known(node.input(0));
    }
    if (r < 0) continue;
    // Split's outputs and Dropout's mask share the input's rank; the other
    // outputs of multi-output ops (BatchNormalization's statistics) do not.
    const int outputs = op == "Split" || op == "Dropout" ? node.output_size() : 1;
    for (int o = 0; o < outputs && o < node.output_size(); ++o)
      if (!node.output(o).empty() && known(node.output(o)) < 0) rank.emplace(node.output(o), r);
  }
  return rank;
}

}  // namespace h8
