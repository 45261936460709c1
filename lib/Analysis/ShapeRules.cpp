//===- ShapeRules.cpp - One shape (and value) rule per op -----------------===//
//
// Every rule reads the facts of the node's inputs and writes the facts of
// its outputs; it covers the op at every version from opset 11 to 23
// (attribute and input forms of axes, pads, splits, scales). A rule that
// cannot conclude leaves a fact unknown (or partially known: the rank
// without the dims), it never guesses. Values (contents of small integer
// tensors) are propagated through the ops exporters use for shape
// plumbing.
//
// This file holds the helpers every family shares (ShapeRule.h), the
// element-wise ops (by their OpTraits) and ApplyShapeRule; the rules of the
// network ops are in ShapeRulesNetwork.cpp, those of shape plumbing in
// ShapeRulesShapeOps.cpp.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <limits>

#include "ShapeRule.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/ElementType.h"
#include "h8/IR/Match.h"
#include "h8/IR/OpTraits.h"

namespace h8 {
namespace shape_rules {

using onnx::TensorProto;

// Multidirectional broadcasting of dims (numpy rules). A static dim > 1
// beats a symbolic one (the symbol must then equal it or be 1).
std::optional<std::vector<Dim>> Broadcast(absl::Span<const ValueFacts* const> ins) {
  size_t rank = 0;
  for (const ValueFacts* f : ins) {
    if (f == nullptr || !f->has_shape) return std::nullopt;
    rank = std::max(rank, f->dims.size());
  }
  std::vector<Dim> out(rank, Dim::Static(1));
  for (size_t j = 0; j < rank; ++j) {
    // The dims other than 1 and unknown, folded in input order.
    bool unknown = false;
    Dim r = Dim::Static(1);
    bool conflict = false;
    for (const ValueFacts* f : ins) {
      if (f->dims.size() + j < rank) continue;
      const Dim& d = f->dims[f->dims.size() - rank + j];
      if (d.is_static() && d.value() == 1) continue;
      if (d.is_unknown()) {
        unknown = true;
        continue;
      }
      if (r.is_static() && r.value() == 1) {
        r = d;
      } else if (r == d) {
        continue;
      } else if (d.is_static() && !r.is_static()) {
        r = d;
      } else if (!(r.is_static() && !d.is_static())) {
        conflict = true;
      }
    }
    if (conflict || (unknown && !(r.is_static() && r.value() != 1))) r = Dim();
    out[j] = r;
  }
  return out;
}

// Element-wise value arithmetic with broadcasting of rank <= 1 operands.
void ValueBinary(Rule& r, const std::function<Dim(const Dim&, const Dim&)>& fn) {
  const ValueFacts* a = r.In(0);
  const ValueFacts* b = r.In(1);
  if (a == nullptr || b == nullptr || !a->has_value || !b->has_value) return;
  if (a->rank() > 1 || b->rank() > 1) return;
  size_t n = std::max(a->value.size(), b->value.size());
  if ((a->value.size() != n && a->value.size() != 1) ||
      (b->value.size() != n && b->value.size() != 1))
    return;
  std::vector<Dim> v;
  for (size_t i = 0; i < n; ++i)
    v.push_back(fn(a->value[a->value.size() == 1 ? 0 : i], b->value[b->value.size() == 1 ? 0 : i]));
  r.SetValue(0, std::move(v));
}

void RuleBroadcast(Rule& r, int32_t type) {
  absl::InlinedVector<const ValueFacts*, 4> ins;
  for (int i = 0; i < r.in.node.input_size(); ++i) ins.push_back(r.In(i));
  if (auto dims = Broadcast(ins)) r.SetShape(0, std::move(*dims), type);
  else r.SetType(0, type);
}

namespace {

const RuleMap& RuleTable() {
  static const auto* table = [] {
    auto* t = new RuleMap;
    AddNetworkRules(*t);
    AddShapeOpRules(*t);
    return t;
  }();
  return *table;
}

Dim ArithValue(absl::string_view op, const Dim& a, const Dim& b) {
  if (op == "Add") return a + b;
  if (op == "Sub") return a - b;
  if (op == "Mul") return a * b;
  const bool overflowing_div = a.is_static() && b.is_static() && b.value() == -1 &&
                               a.value() == std::numeric_limits<int64_t>::min();
  if (overflowing_div) return Dim();
  if (op == "Div") {
    // Integer Div truncates toward zero; equal to floor for same signs.
    if (a.is_static() && b.is_static() && b.value() != 0) return Dim::Static(a.value() / b.value());
    return FloorDiv(a, b);
  }
  if (op == "Mod" && a.is_static() && b.is_static() && b.value() != 0) {
    int64_t m = a.value() % b.value();
    if (m != 0 && ((m < 0) != (b.value() < 0))) m += b.value();
    return Dim::Static(m);
  }
  if (op == "Max") return Max(a, b);
  if (op == "Min") return Min(a, b);
  return Dim();
}

}  // namespace
}  // namespace shape_rules

bool ApplyShapeRule(const NodeShapeInput& in, std::vector<ValueFacts>& outputs) {
  using namespace shape_rules;
  outputs.resize(in.node.output_size());
  Rule r{in, outputs};
  const absl::string_view op = in.node.op_type();
  if (auto it = RuleTable().find(op); it != RuleTable().end()) {
    it->second(r);
    return true;
  }
  if (absl::StartsWith(op, "Reduce")) {
    RuleReduce(r);
    return true;
  }
  const OpTraits traits = GetOpTraits(op);
  if (traits.same_shape) {
    int32_t type = r.Type(0);
    if (op == "Cast") type = static_cast<int32_t>(r.Int("to", 0));
    if (op == "CastLike") type = r.Type(1);
    if (traits.bool_result) type = TensorProto::BOOL;
    if (op == "DequantizeLinear") type = TensorProto::FLOAT;
    if (op == "QuantizeLinear") type = r.HasInput(2) ? r.Type(2) : TensorProto::UINT8;
    const bool keep_value =
        op == "Identity" || ((op == "Cast" || op == "CastLike") && IsIntegerElementType(type) &&
                             IsIntegerElementType(r.Type(0)));
    r.SameAs(0, 0, keep_value);
    r.SetType(0, type);
    if (op == "Neg") {
      const ValueFacts* x = r.In(0);
      if (x != nullptr && x->has_value) {
        std::vector<Dim> v;
        for (const Dim& d : x->value) v.push_back(Dim::Static(0) - d);
        r.SetValue(0, std::move(v));
      }
    }
    // Dropout's mask, BatchNormalization's and others' extra outputs.
    if (op == "Dropout" && outputs.size() > 1) {
      r.SameAs(1, 0);
      r.SetType(1, TensorProto::BOOL);
    }
    return true;
  }
  if (traits.broadcast) {
    int32_t type = op == "Where" ? r.Type(1) : r.Type(0);
    if (traits.bool_result) type = TensorProto::BOOL;
    RuleBroadcast(r, type);
    if (op == "PRelu") r.SameAs(0, 0);
    if (op == "Equal" || op == "Less" || op == "Greater") {
      ValueBinary(r, [&op](const Dim& a, const Dim& b) {
        if (op == "Equal" && a == b) return Dim::Static(1);
        if (!a.is_static() || !b.is_static()) return Dim();
        bool v = op == "Equal"  ? a.value() == b.value()
                 : op == "Less" ? a.value() < b.value()
                                : a.value() > b.value();
        return Dim::Static(v ? 1 : 0);
      });
    } else if (op == "Where") {
      const ValueFacts* c = r.In(0);
      const ValueFacts* a = r.In(1);
      const ValueFacts* b = r.In(2);
      if (c && a && b && c->has_value && a->has_value && b->has_value && c->rank() <= 1 &&
          a->rank() <= 1 && b->rank() <= 1) {
        size_t n = std::max({c->value.size(), a->value.size(), b->value.size()});
        std::vector<Dim> v;
        auto at = [n](const ValueFacts* f, size_t i) -> const Dim* {
          if (f->value.size() == n) return &f->value[i];
          return f->value.size() == 1 ? &f->value[0] : nullptr;
        };
        for (size_t i = 0; i < n; ++i) {
          const Dim *ci = at(c, i), *ai = at(a, i), *bi = at(b, i);
          if (!ci || !ai || !bi || !ci->is_static()) return true;
          v.push_back(ci->value() != 0 ? *ai : *bi);
        }
        r.SetValue(0, std::move(v));
      }
    } else if (in.node.input_size() == 2 && IsIntegerElementType(r.Type(0))) {
      ValueBinary(r, [&op](const Dim& a, const Dim& b) { return ArithValue(op, a, b); });
    }
    return true;
  }
  return false;
}

}  // namespace h8
