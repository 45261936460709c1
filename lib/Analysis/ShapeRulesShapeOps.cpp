//===- ShapeRulesShapeOps.cpp - Shape rules of shape plumbing -------------===//
//
// Shape, Gather, Slice, Concat, Squeeze/Unsqueeze, Reshape, Flatten,
// Transpose, Expand, Tile, Pad, Split, ConstantOfShape and Range: the ops
// exporters compute shapes with, so their rules also propagate values.
//
//===----------------------------------------------------------------------===//
#include "ShapeRule.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "h8/IR/ElementType.h"
#include "h8/IR/Match.h"
#include "h8/IR/OpTraits.h"

namespace h8 {
namespace shape_rules {
namespace {

using onnx::TensorProto;

void RuleShape(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  if (x == nullptr) {
    r.SetType(0, TensorProto::INT64);
    return;
  }
  const int64_t rank = static_cast<int64_t>(x->dims.size());
  int64_t start = r.Int("start", 0), end = r.Int("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  std::vector<Dim> v(x->dims.begin() + start, x->dims.begin() + end);
  r.SetShape(0, {Dim::Static(end - start)}, TensorProto::INT64);
  r.SetValue(0, std::move(v));
}

void RuleGather(Rule& r) {
  const ValueFacts* data = r.Shaped(0);
  const ValueFacts* idx = r.Shaped(1);
  r.SetType(0, r.Type(0));
  if (data == nullptr || idx == nullptr) return;
  const int64_t rank = static_cast<int64_t>(data->dims.size());
  const int64_t axis = NormalizeAxis(r.Int("axis", 0), rank);
  if (axis < 0) return;
  std::vector<Dim> dims(data->dims.begin(), data->dims.begin() + axis);
  dims.insert(dims.end(), idx->dims.begin(), idx->dims.end());
  dims.insert(dims.end(), data->dims.begin() + axis + 1, data->dims.end());
  r.SetShape(0, std::move(dims), r.Type(0));
  auto indices = r.Values(1);
  if (rank == 1 && data->has_value && indices) {
    std::vector<Dim> v;
    const int64_t n = static_cast<int64_t>(data->value.size());
    for (int64_t i : *indices) {
      int64_t k = NormalizeAxis(i, n);
      if (k < 0) return;
      v.push_back(data->value[k]);
    }
    r.SetValue(0, std::move(v));
  }
}

// Clamped slice bounds for a static dim (ONNX Slice semantics). No
// intermediate overflows whatever the attribute values.
void SliceBounds(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t* s,
                 int64_t* count) {
  auto clamp = [&](int64_t v) {
    if (v < 0) v += dim;  // v < 0 <= dim: cannot overflow
    if (step > 0) return std::clamp<int64_t>(v, 0, dim);
    return std::clamp<int64_t>(v, -1, dim - 1);
  };
  const int64_t b = clamp(start), e = clamp(end);
  *s = b;
  if (step > 0) {
    *count = e > b ? (e - b - 1) / step + 1 : 0;
  } else {
    // -step may not exist (INT64_MIN): one element at most then.
    const int64_t neg =
        step == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -step;
    *count = b > e ? (b - e - 1) / neg + 1 : 0;
  }
}

void RuleSlice(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  r.SetType(0, r.Type(0));
  if (x == nullptr) return;
  const int64_t rank = static_cast<int64_t>(x->dims.size());
  std::optional<std::vector<int64_t>> starts, ends, axes, steps;
  if (r.in.opset < 10) {
    starts = r.Ints("starts");
    ends = r.Ints("ends");
    axes = r.Ints("axes");
  } else {
    starts = r.Values(1);
    ends = r.Values(2);
    if (r.HasInput(3)) {
      axes = r.Values(3);
      if (!axes) starts.reset();
    }
    if (r.HasInput(4)) {
      steps = r.Values(4);
      if (!steps) starts.reset();
    }
  }
  if (!starts || !ends || starts->size() != ends->size()) {
    r.SetShape(0, std::vector<Dim>(rank), r.Type(0));
    return;
  }
  const size_t n = starts->size();
  if (!axes) {
    axes.emplace();
    for (size_t i = 0; i < n; ++i) axes->push_back(static_cast<int64_t>(i));
  }
  if (!steps) steps = std::vector<int64_t>(n, 1);
  if (axes->size() != n || steps->size() != n) return;
  std::vector<Dim> dims = x->dims;
  std::vector<int64_t> begin_at(rank, 0), step_at(rank, 1);
  std::vector<bool> sliced(rank, false);
  for (size_t i = 0; i < n; ++i) {
    int64_t a = NormalizeAxis((*axes)[i], rank);
    int64_t step = (*steps)[i];
    if (a < 0 || step == 0) return;
    const Dim& d = x->dims[a];
    int64_t st = (*starts)[i], en = (*ends)[i];
    sliced[a] = true;
    step_at[a] = step;
    if (d.is_static()) {
      int64_t s, count;
      SliceBounds(d.value(), st, en, step, &s, &count);
      begin_at[a] = s;
      dims[a] = Dim::Static(count);
    } else if (step == 1 && st >= 0 && en >= (int64_t{1} << 31)) {
      dims[a] = d - Dim::Static(st);  // x[st:]
    } else if (step == 1 && st >= 0 && en < 0) {
      dims[a] = d + Dim::Static(en) - Dim::Static(st);  // x[st:-k]
    } else if (step == 1 && st < 0 && st > std::numeric_limits<int64_t>::min() &&
               en >= (int64_t{1} << 31)) {
      dims[a] = Dim::Static(-st);  // x[-k:], when the dim is at least k
    } else if (step == 1 && st >= 0 && en >= 0 && d.is_symbolic()) {
      dims[a] = Min(d, Dim::Static(en)) - Dim::Static(st);
    } else {
      dims[a] = Dim();
    }
  }
  r.SetShape(0, dims, r.Type(0));
  if (rank == 1 && x->has_value && dims[0].is_static() && sliced[0]) {
    std::vector<Dim> v;
    for (int64_t i = 0; i < dims[0].value(); ++i) {
      int64_t k = begin_at[0] + i * step_at[0];
      if (k < 0 || k >= static_cast<int64_t>(x->value.size())) return;
      v.push_back(x->value[k]);
    }
    r.SetValue(0, std::move(v));
  }
}

void RuleConcat(Rule& r) {
  const int n = r.in.node.input_size();
  int32_t type = 0;
  const ValueFacts* first = nullptr;
  for (int i = 0; i < n; ++i) {
    if (type == 0) type = r.Type(i);
    if (first == nullptr) first = r.Shaped(i);
  }
  r.SetType(0, type);
  if (first == nullptr) return;
  const int64_t rank = static_cast<int64_t>(first->dims.size());
  const int64_t axis = NormalizeAxis(r.Int("axis", 0), rank);
  if (axis < 0) return;
  std::vector<Dim> dims(rank);
  Dim sum = Dim::Static(0);
  bool all = true, all_values = true;
  std::vector<Dim> value;
  for (int i = 0; i < n; ++i) {
    const ValueFacts* f = r.Shaped(i);
    if (f == nullptr || static_cast<int64_t>(f->dims.size()) != rank) {
      all = false;
      all_values = false;
      continue;
    }
    sum = sum + f->dims[axis];
    for (int64_t j = 0; j < rank; ++j) {
      if (j == axis) continue;
      if (f->dims[j].is_static() || (dims[j].is_unknown() && f->dims[j].is_symbolic()))
        dims[j] = f->dims[j];
    }
    if (f->has_value) value.insert(value.end(), f->value.begin(), f->value.end());
    else all_values = false;
  }
  dims[axis] = all ? sum : Dim();
  r.SetShape(0, std::move(dims), type);
  if (all_values && rank == 1) r.SetValue(0, std::move(value));
}

void RuleSqueezeUnsqueeze(Rule& r) {
  const bool squeeze = r.in.node.op_type() == "Squeeze";
  const ValueFacts* x = r.Shaped(0);
  r.SetType(0, r.Type(0));
  if (x == nullptr) return;
  bool given = false;
  std::optional<std::vector<int64_t>> axes = r.IntsFrom(1, "axes", &given);
  const int64_t rank = static_cast<int64_t>(x->dims.size());
  std::vector<Dim> dims;
  if (!given && squeeze) {
    for (const Dim& d : x->dims) {
      if (!d.is_static()) return;  // unknown whether it is 1
      if (d.value() != 1) dims.push_back(d);
    }
  } else if (!axes) {
    return;  // axes given but not known
  } else if (squeeze) {
    std::vector<bool> drop(rank, false);
    for (int64_t a : *axes) {
      int64_t n = NormalizeAxis(a, rank);
      if (n < 0) return;
      drop[n] = true;
    }
    for (int64_t i = 0; i < rank; ++i)
      if (!drop[i]) dims.push_back(x->dims[i]);
  } else {
    const int64_t out_rank = rank + static_cast<int64_t>(axes->size());
    std::vector<bool> inserted(out_rank, false);
    for (int64_t a : *axes) {
      int64_t n = NormalizeAxis(a, out_rank);
      if (n < 0 || inserted[n]) return;
      inserted[n] = true;
    }
    size_t k = 0;
    for (int64_t i = 0; i < out_rank; ++i)
      dims.push_back(inserted[i] ? Dim::Static(1) : x->dims[k++]);
  }
  r.SetShape(0, std::move(dims), r.Type(0));
  if (x->has_value) r.SetValue(0, x->value);
}

void RuleReshape(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  const ValueFacts* shape = r.Shaped(1);
  r.SetType(0, r.Type(0));
  if (shape == nullptr || shape->dims.size() != 1 || !shape->dims[0].is_static()) return;
  const int64_t n = shape->dims[0].value();
  if (!shape->has_value) {
    r.SetShape(0, std::vector<Dim>(n), r.Type(0));
    return;
  }
  const bool allowzero = r.Int("allowzero", 0) != 0;
  std::vector<Dim> dims = shape->value;
  int infer = -1;
  for (int64_t i = 0; i < n; ++i) {
    Dim& d = dims[i];
    if (d.is_static() && d.value() == 0 && !allowzero) {
      d = x != nullptr && i < static_cast<int64_t>(x->dims.size()) ? x->dims[i] : Dim();
    } else if (d.is_static() && d.value() == -1) {
      if (infer >= 0) return;
      infer = static_cast<int>(i);
    } else if (d.is_static() && d.value() < -1) {
      return;
    }
  }
  if (infer >= 0) {
    dims[infer] = Dim();
    if (x != nullptr) {
      // Cancel equal factors, then divide what is left.
      std::vector<Dim> num = x->dims, den;
      for (int64_t i = 0; i < n; ++i) {
        if (i == infer) continue;
        auto it = std::find(num.begin(), num.end(), dims[i]);
        if (it != num.end()) num.erase(it);
        else den.push_back(dims[i]);
      }
      Dim p = Product(num), q = Product(den);
      if (q.is_static() && q.value() > 0 && p.is_static() && p.value() % q.value() == 0)
        dims[infer] = Dim::Static(p.value() / q.value());
      else if (q.is_static() && q.value() == 1) dims[infer] = p;
      else if (!p.is_unknown() && !q.is_unknown() && !(q.is_static() && q.value() == 0))
        dims[infer] = FloorDiv(p, q);
    }
  }
  r.SetShape(0, std::move(dims), r.Type(0));
  if (x != nullptr && x->has_value) r.SetValue(0, x->value);
}

void RuleFlatten(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  r.SetType(0, r.Type(0));
  if (x == nullptr) return;
  const int64_t rank = static_cast<int64_t>(x->dims.size());
  int64_t axis = r.Int("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) return;
  r.SetShape(0, {Product(x->dims, 0, axis), Product(x->dims, axis)}, r.Type(0));
}

void RuleTranspose(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  r.SetType(0, r.Type(0));
  if (x == nullptr) return;
  const int64_t rank = static_cast<int64_t>(x->dims.size());
  std::vector<int64_t> perm = r.Ints("perm").value_or(std::vector<int64_t>{});
  if (perm.empty())
    for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
  if (static_cast<int64_t>(perm.size()) != rank) return;
  std::vector<Dim> dims;
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p]) return;
    seen[p] = true;
    dims.push_back(x->dims[p]);
  }
  r.SetShape(0, std::move(dims), r.Type(0));
}

void RuleExpand(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  const ValueFacts* shape = r.Shaped(1);
  r.SetType(0, r.Type(0));
  if (x == nullptr || shape == nullptr || shape->dims.size() != 1 || !shape->has_value) return;
  ValueFacts target;
  target.has_shape = true;
  target.dims = shape->value;
  if (auto dims = Broadcast({x, &target})) r.SetShape(0, std::move(*dims), r.Type(0));
}

void RuleTile(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  r.SetType(0, r.Type(0));
  const ValueFacts* rep = r.In(1);
  if (x == nullptr) return;
  if (rep == nullptr || !rep->has_value || rep->value.size() != x->dims.size()) {
    r.SetShape(0, std::vector<Dim>(x->dims.size()), r.Type(0));
    return;
  }
  std::vector<Dim> dims;
  for (size_t i = 0; i < x->dims.size(); ++i) dims.push_back(x->dims[i] * rep->value[i]);
  r.SetShape(0, std::move(dims), r.Type(0));
}

void RulePad(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  r.SetType(0, r.Type(0));
  if (x == nullptr) return;
  const int64_t rank = static_cast<int64_t>(x->dims.size());
  std::optional<std::vector<int64_t>> pads = r.in.opset < 11 ? r.Ints("pads") : r.Values(1);
  std::vector<int64_t> axes;
  if (r.HasInput(3)) {
    auto a = r.Values(3);
    if (!a) pads.reset();
    else axes = *a;
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  if (!pads || pads->size() != 2 * axes.size()) {
    r.SetShape(0, std::vector<Dim>(rank), r.Type(0));
    return;
  }
  std::vector<Dim> dims = x->dims;
  const size_t n = axes.size();
  for (size_t i = 0; i < n; ++i) {
    int64_t a = NormalizeAxis(axes[i], rank);
    if (a < 0) return;
    dims[a] = dims[a] + Dim::Static((*pads)[i]) + Dim::Static((*pads)[i + n]);
    if (dims[a].is_static() && dims[a].value() < 0) dims[a] = Dim();
  }
  r.SetShape(0, std::move(dims), r.Type(0));
}

void RuleSplit(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  const int outputs = static_cast<int>(r.out.size());
  for (int k = 0; k < outputs; ++k) r.SetType(k, r.Type(0));
  if (x == nullptr || outputs == 0) return;
  const int64_t rank = static_cast<int64_t>(x->dims.size());
  const int64_t axis = NormalizeAxis(r.Int("axis", 0), rank);
  if (axis < 0) return;
  bool given = false;
  std::optional<std::vector<int64_t>> split = r.IntsFrom(1, "split", &given);
  std::vector<Dim> sizes;
  const Dim& d = x->dims[axis];
  if (given && split && static_cast<int>(split->size()) == outputs) {
    for (int64_t s : *split) sizes.push_back(Dim::Static(s));
  } else if (!given) {
    // Equal parts; Split-18 `num_outputs` makes the last one smaller.
    const bool num_outputs = FindAttr(r.in.node, "num_outputs") != nullptr;
    if (d.is_static()) {
      const int64_t chunk =
          num_outputs && d.value() > 0 ? (d.value() - 1) / outputs + 1 : d.value() / outputs;
      for (int k = 0; k < outputs; ++k) {
        const __int128 left = static_cast<__int128>(d.value()) - static_cast<__int128>(chunk) * k;
        sizes.push_back(Dim::Static(
            static_cast<int64_t>(std::max<__int128>(0, std::min<__int128>(chunk, left)))));
      }
    } else {
      for (int k = 0; k < outputs; ++k)
        sizes.push_back(num_outputs ? Dim() : FloorDiv(d, Dim::Static(outputs)));
    }
  } else {
    sizes.assign(outputs, Dim());
  }
  for (int k = 0; k < outputs; ++k) {
    std::vector<Dim> dims = x->dims;
    dims[axis] = sizes[k];
    r.SetShape(k, std::move(dims), r.Type(0));
  }
}

void RuleConstantOfShape(Rule& r) {
  int32_t type = TensorProto::FLOAT;
  std::optional<int64_t> fill;
  if (const auto* a = FindAttr(r.in.node, "value"); a != nullptr && a->has_t()) {
    type = a->t().data_type();
    if (auto v = TensorInts(a->t()); v && v->size() == 1) fill = (*v)[0];
  } else {
    fill = 0;
  }
  const ValueFacts* shape = r.Shaped(0);
  r.SetType(0, type);
  if (shape == nullptr || shape->dims.size() != 1) return;
  if (!shape->has_value) {
    // The shape input's length is the rank; a length no model can have
    // (negative, or beyond what is tracked) leaves the rank unknown.
    const Dim& rank = shape->dims[0];
    if (rank.is_static() && rank.value() >= 0 && rank.value() <= kMaxTrackedElements)
      r.SetShape(0, std::vector<Dim>(rank.value()), type);
    return;
  }
  // A negative dim makes the model invalid: no facts for its output.
  for (const Dim& d : shape->value)
    if (d.is_static() && d.value() < 0) return;
  r.SetShape(0, shape->value, type);
  Dim n = Product(shape->value);
  if (IsIntegerElementType(type) && fill && n.is_static() && n.value() >= 0 &&
      n.value() <= kMaxTrackedElements)
    r.SetValue(0, std::vector<Dim>(n.value(), Dim::Static(*fill)));
}

void RuleRange(Rule& r) {
  const int32_t type = r.Type(0);
  r.SetType(0, type);
  auto start = r.Values(0), limit = r.Values(1), delta = r.Values(2);
  const ValueFacts* fl = r.In(1);
  if (start && limit && delta && start->size() == 1 && limit->size() == 1 && delta->size() == 1 &&
      (*delta)[0] != 0) {
    const int64_t s = (*start)[0], l = (*limit)[0], d = (*delta)[0];
    // ceil((l - s) / d) in 128 bits: no overflow for any int64 inputs.
    const __int128 span = static_cast<__int128>(l) - s;
    const __int128 n128 =
        d > 0 ? (span > 0 ? (span + d - 1) / d : 0)
              : (span < 0 ? (-span + (-static_cast<__int128>(d)) - 1) / (-static_cast<__int128>(d))
                          : 0);
    if (n128 > std::numeric_limits<int64_t>::max()) {
      r.SetShape(0, {Dim()}, type);
      return;
    }
    const int64_t n = static_cast<int64_t>(n128);
    r.SetShape(0, {Dim::Static(n)}, type);
    if (n <= kMaxTrackedElements) {
      std::vector<Dim> v;
      for (int64_t i = 0; i < n; ++i)
        v.push_back(Dim::Static(static_cast<int64_t>(s + static_cast<__int128>(i) * d)));
      r.SetValue(0, std::move(v));
    }
    return;
  }
  // range(0, n, 1) over a symbolic n is n long.
  if (start && delta && start->size() == 1 && delta->size() == 1 && (*start)[0] == 0 &&
      (*delta)[0] == 1 && fl != nullptr && fl->has_value && fl->value.size() == 1) {
    r.SetShape(0, {Max(fl->value[0], Dim::Static(0))}, type);
    return;
  }
  r.SetShape(0, {Dim()}, type);
}

}  // namespace

void AddShapeOpRules(RuleMap& table) {
  table.emplace("Shape", RuleShape);
  table.emplace("Gather", RuleGather);
  table.emplace("Slice", RuleSlice);
  table.emplace("Concat", RuleConcat);
  table.emplace("Squeeze", RuleSqueezeUnsqueeze);
  table.emplace("Unsqueeze", RuleSqueezeUnsqueeze);
  table.emplace("Reshape", RuleReshape);
  table.emplace("Flatten", RuleFlatten);
  table.emplace("Transpose", RuleTranspose);
  table.emplace("Expand", RuleExpand);
  table.emplace("Tile", RuleTile);
  table.emplace("Pad", RulePad);
  table.emplace("Split", RuleSplit);
  table.emplace("ConstantOfShape", RuleConstantOfShape);
  table.emplace("Range", RuleRange);
}

}  // namespace shape_rules
}  // namespace h8
