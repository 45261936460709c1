//===- ShapeRule.h - What the shape rules share -----------------*- C++ -*-===//
//
// The view one rule has of its node (Rule), the helpers more than one
// family of rules uses, and the per-family registration of rules by op
// type. Private to lib/Analysis.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_ANALYSIS_SHAPERULE_H
#define H8_LIB_ANALYSIS_SHAPERULE_H

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/Match.h"

namespace h8 {
namespace shape_rules {

struct Rule {
  const NodeShapeInput& in;
  std::vector<ValueFacts>& out;

  const ValueFacts* In(int i) const {
    return i < static_cast<int>(in.inputs.size()) ? in.inputs[i] : nullptr;
  }
  bool HasInput(int i) const { return i < in.node.input_size() && !in.node.input(i).empty(); }
  const ValueFacts* Shaped(int i) const {
    const ValueFacts* f = In(i);
    return f != nullptr && f->has_shape ? f : nullptr;
  }
  int64_t Int(absl::string_view name, int64_t fallback) const {
    return GetIntAttr(in.node, name, fallback);
  }
  std::optional<std::vector<int64_t>> Ints(absl::string_view name) const {
    return GetIntsAttr(in.node, name);
  }
  // The same ints as stored in the node, without a copy (rules that run on
  // every conv of a 100k-node graph read several lists each).
  std::optional<absl::Span<const int64_t>> IntsView(absl::string_view name) const {
    const onnx::AttributeProto* a = FindAttr(in.node, name);
    if (a == nullptr || a->type() != onnx::AttributeProto::INTS) return std::nullopt;
    return absl::MakeConstSpan(a->ints().data(), a->ints().size());
  }
  // Static contents of input i.
  std::optional<std::vector<int64_t>> Values(int i) const {
    const ValueFacts* f = In(i);
    return f != nullptr ? f->StaticValue() : std::nullopt;
  }
  // An int list from input `i` (when given) or else the attribute `attr`.
  // nullopt: given but not known; empty optional vector "not given" is
  // reported through `given`.
  std::optional<std::vector<int64_t>> IntsFrom(int i, absl::string_view attr, bool* given) const {
    if (HasInput(i)) {
      *given = true;
      return Values(i);
    }
    std::optional<std::vector<int64_t>> a = Ints(attr);
    *given = a.has_value();
    return a;
  }
  int32_t Type(int i) const {
    const ValueFacts* f = In(i);
    return f != nullptr ? f->elem_type : 0;
  }
  ValueFacts& Out(int k) { return out[k]; }
  void SetShape(int k, std::vector<Dim> dims, int32_t type) {
    if (k >= static_cast<int>(out.size())) return;
    out[k].has_shape = true;
    out[k].dims = std::move(dims);
    out[k].elem_type = type;
  }
  void SetType(int k, int32_t type) {
    if (k < static_cast<int>(out.size())) out[k].elem_type = type;
  }
  void SetValue(int k, std::vector<Dim> value) {
    if (k >= static_cast<int>(out.size()) ||
        static_cast<int64_t>(value.size()) > kMaxTrackedElements)
      return;
    out[k].has_value = true;
    out[k].value = std::move(value);
  }
  // Output k has input i's facts (shape, type; contents when `with_value`).
  void SameAs(int k, int i, bool with_value = false) {
    const ValueFacts* f = In(i);
    if (f == nullptr || k >= static_cast<int>(out.size())) return;
    out[k] = *f;
    if (!with_value) {
      out[k].has_value = false;
      out[k].value.clear();
    }
  }
};

/// Multidirectional (numpy) broadcasting of the inputs' dims, or nullopt.
std::optional<std::vector<Dim>> Broadcast(absl::Span<const ValueFacts* const> ins);
/// Element-wise value arithmetic with broadcasting of rank <= 1 operands.
void ValueBinary(Rule& r, const std::function<Dim(const Dim&, const Dim&)>& fn);
/// Output 0 is the broadcast of every input, of element type `type`.
void RuleBroadcast(Rule& r, int32_t type);
/// Reduce* (axes attribute or input) and ArgMax/ArgMin.
void RuleReduce(Rule& r);

using RuleFn = void (*)(Rule&);
using RuleMap = absl::flat_hash_map<std::string, RuleFn>;
/// Adds the rules of ShapeRulesNetwork.cpp (convolutions, pools, reductions,
/// matrix products, recurrent and normalization ops).
void AddNetworkRules(RuleMap& table);
/// Adds the rules of ShapeRulesShapeOps.cpp (shape plumbing and data movement).
void AddShapeOpRules(RuleMap& table);

}  // namespace shape_rules
}  // namespace h8

#endif  // H8_LIB_ANALYSIS_SHAPERULE_H
