//===- Hailo8Rules.cpp - Hailo-8 operator and pattern rules, as data ------===//
//
// What DFC 3.x on Hailo-8 accepts, summarised in the README's "Hailo-8 facts
// the lint encodes". Every rule lives in one of two tables: OpRules() with
// the constraint checks its rows name (Hailo8OpRules.cpp) and PatternRules()
// with its matchers (Hailo8PatternRules.cpp). This file has what both read:
// profiles, constant values, reduce axes, ShapeFacts, and the lookups.
//
//===----------------------------------------------------------------------===//
#include "h8/Target/Hailo8/Hailo8Rules.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/ElementType.h"
#include "h8/IR/Match.h"
#include "h8/IR/TensorData.h"

namespace h8 {
namespace hailo8 {

std::optional<Profile> ParseProfile(absl::string_view name) {
  if (name == "default") return Profile::kDefault;
  if (name == "dfc3.27") return Profile::kDfc327;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Constants and axes
//===----------------------------------------------------------------------===//

namespace {

const onnx::TensorProto* ConstantTensor(const GraphIndex& index, absl::string_view value) {
  if (const onnx::TensorProto* t = index.Initializer(value)) return t;
  const onnx::NodeProto* p = index.Producer(value);
  if (p == nullptr || p->op_type() != "Constant" || !IsOnnxDomain(*p)) return nullptr;
  const auto* a = FindAttr(*p, "value");
  if (a != nullptr && a->has_t()) return &a->t();
  return nullptr;
}

}  // namespace

bool IsConstantValue(const GraphIndex& index, absl::string_view value) {
  if (index.Initializer(value) != nullptr) return true;
  const onnx::NodeProto* p = index.Producer(value);
  return p != nullptr && p->op_type() == "Constant";
}

std::optional<std::vector<double>> ConstantFloats(const GraphIndex& index,
                                                  absl::string_view value) {
  const onnx::TensorProto* t = ConstantTensor(index, value);
  if (t == nullptr || (t->has_data_location() && t->data_location() == onnx::TensorProto::EXTERNAL))
    return std::nullopt;
  if (IsFloatElementType(t->data_type())) {
    auto data = TensorData::Decode(*t);
    if (!data.ok()) return std::nullopt;
    return data->Values<double>();
  }
  if (auto ints = ConstantInts(index, value))
    return std::vector<double>(ints->begin(), ints->end());
  return std::nullopt;
}

std::optional<std::vector<int64_t>> ReduceAxes(const onnx::NodeProto& node, const GraphIndex& index,
                                               int rank) {
  std::vector<int64_t> axes;
  if (auto a = GetIntsAttr(node, "axes")) {
    axes = *a;
  } else if (node.input_size() > 1 && !node.input(1).empty()) {
    auto c = ConstantInts(index, node.input(1));
    if (!c) return std::nullopt;
    axes = *c;
  }
  if (axes.empty()) {
    if (GetIntAttr(node, "noop_with_empty_axes", 0) == 1) return std::nullopt;
    if (rank < 0) return axes;  // all axes, rank unknown
    for (int i = 0; i < rank; ++i) axes.push_back(i);
    return axes;
  }
  for (int64_t& a : axes) {
    if (a < 0 && rank < 0) return std::nullopt;
    a = NormalizeAxis(a, rank);
    if (a < 0) return std::nullopt;
  }
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

//===----------------------------------------------------------------------===//
// ShapeFacts
//===----------------------------------------------------------------------===//

ShapeFacts::ShapeFacts(const onnx::GraphProto& graph, const GraphIndex& index, int64_t opset)
    : analysis_(std::make_shared<const ShapeAnalysis>(graph, opset)) {}

ShapeFacts::ShapeFacts(std::shared_ptr<const ShapeAnalysis> analysis)
    : analysis_(std::move(analysis)) {}

ShapeFacts::ShapeFacts(std::function<std::shared_ptr<const ShapeAnalysis>()> source)
    : source_(std::move(source)) {}

const ShapeAnalysis& ShapeFacts::Load() const {
  if (analysis_ == nullptr) {
    analysis_ = source_();
    source_ = nullptr;
  }
  return *analysis_;
}

ShapeFacts::~ShapeFacts() = default;

std::optional<int> ShapeFacts::Rank(absl::string_view value) const { return Load().Rank(value); }

const std::vector<int64_t>* ShapeFacts::Dims(absl::string_view value) const {
  auto it = dims_.find(value);
  if (it != dims_.end()) return &it->second;
  const ValueFacts* f = Load().Facts(value);
  if (f == nullptr || !f->has_shape) return nullptr;
  std::vector<int64_t> dims;
  dims.reserve(f->dims.size());
  for (const Dim& d : f->dims) dims.push_back(d.is_static() ? d.value() : -1);
  return &dims_.emplace(std::string(value), std::move(dims)).first->second;
}

//===----------------------------------------------------------------------===//
// Lookups over the tables (Hailo8OpRules.cpp, Hailo8PatternRules.cpp)
//===----------------------------------------------------------------------===//

const OpRule* FindOpRule(absl::string_view op) {
  static const auto* by_op = [] {
    auto* m = new absl::flat_hash_map<std::string, const OpRule*>;
    for (const OpRule& r : OpRules()) m->emplace(r.op, &r);
    return m;
  }();
  auto it = by_op->find(op);
  return it == by_op->end() ? nullptr : it->second;
}

const std::vector<int>& PatternRulesRootedAt(absl::string_view op) {
  static const auto* const table = [] {
    auto* t = new absl::flat_hash_map<std::string, std::vector<int>>();
    const std::vector<PatternRule>& rules = PatternRules();
    for (int k = 0; k < static_cast<int>(rules.size()); ++k)
      for (absl::string_view r : absl::StrSplit(rules[k].root_op, '|'))
        (*t)[std::string(r)].push_back(k);
    return t;
  }();
  static const std::vector<int> kNone;
  auto it = table->find(op);
  return it == table->end() ? kNone : it->second;
}

}  // namespace hailo8
}  // namespace h8
