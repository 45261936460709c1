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
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/Match.h"
#include "h8/IR/OpTraits.h"

namespace h8 {
namespace {

using onnx::TensorProto;

struct Rule {
  const NodeShapeInput& in;
  std::vector<ValueFacts>& out;

  const ValueFacts* In(int i) const {
    return i < static_cast<int>(in.inputs.size()) ? in.inputs[i] : nullptr;
  }
  bool HasInput(int i) const {
    return i < in.node.input_size() && !in.node.input(i).empty();
  }
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

bool IsIntType(int32_t t) {
  switch (t) {
    case TensorProto::INT64:
    case TensorProto::INT32:
    case TensorProto::INT16:
    case TensorProto::INT8:
    case TensorProto::UINT8:
    case TensorProto::UINT16:
    case TensorProto::UINT32:
    case TensorProto::UINT64:
    case TensorProto::BOOL:
      return true;
    default:
      return false;
  }
}

// Multidirectional broadcasting of dims (numpy rules). A static dim > 1
// beats a symbolic one (the symbol must then equal it or be 1).
std::optional<std::vector<Dim>> Broadcast(const std::vector<const ValueFacts*>& ins) {
  size_t rank = 0;
  for (const ValueFacts* f : ins) {
    if (f == nullptr || !f->has_shape) return std::nullopt;
    rank = std::max(rank, f->dims.size());
  }
  std::vector<Dim> out(rank, Dim::Static(1));
  for (size_t j = 0; j < rank; ++j) {
    std::vector<Dim> cands;
    bool unknown = false;
    for (const ValueFacts* f : ins) {
      if (f->dims.size() + j < rank) continue;
      const Dim& d = f->dims[f->dims.size() - rank + j];
      if (d.is_static() && d.value() == 1) continue;
      if (d.is_unknown()) {
        unknown = true;
        continue;
      }
      cands.push_back(d);
    }
    Dim r = Dim::Static(1);
    bool conflict = false;
    for (const Dim& d : cands) {
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
  std::vector<const ValueFacts*> ins;
  for (int i = 0; i < r.in.node.input_size(); ++i) ins.push_back(r.In(i));
  if (auto dims = Broadcast(ins)) r.SetShape(0, std::move(*dims), type);
  else r.SetType(0, type);
}

// Conv / ConvTranspose / pools: [N, C, spatial...].
void RuleWindow(Rule& r) {
  const std::string& op = r.in.node.op_type();
  const ValueFacts* x = r.Shaped(0);
  const bool is_conv = op == "Conv" || op == "ConvTranspose";
  const ValueFacts* w = is_conv ? r.Shaped(1) : nullptr;
  r.SetType(0, r.Type(0));
  if (op == "MaxPool" && r.out.size() > 1) r.SetType(1, TensorProto::INT64);
  if (x == nullptr || x->dims.size() < 2) return;
  const size_t nd = x->dims.size() - 2;
  std::vector<int64_t> kernel = r.Ints("kernel_shape").value_or(std::vector<int64_t>{});
  if (kernel.empty() && w != nullptr && w->dims.size() == nd + 2) {
    for (size_t i = 0; i < nd; ++i) {
      if (!w->dims[2 + i].is_static()) break;
      kernel.push_back(w->dims[2 + i].value());
    }
  }
  std::vector<Dim> dims = {x->dims[0], Dim()};
  if (op == "Conv") {
    if (w != nullptr && !w->dims.empty()) dims[1] = w->dims[0];
  } else if (op == "ConvTranspose") {
    if (w != nullptr && w->dims.size() > 1) dims[1] = w->dims[1] * Dim::Static(r.Int("group", 1));
  } else {
    dims[1] = x->dims[1];
  }
  auto fill = [&](int64_t v, size_t n) { return std::vector<int64_t>(n, v); };
  std::vector<int64_t> strides = r.Ints("strides").value_or(fill(1, nd));
  std::vector<int64_t> dil = r.Ints("dilations").value_or(fill(1, nd));
  std::vector<int64_t> pads = r.Ints("pads").value_or(fill(0, 2 * nd));
  const std::string auto_pad = GetStringAttr(r.in.node, "auto_pad", "NOTSET");
  const bool ceil_mode = r.Int("ceil_mode", 0) != 0;
  if (kernel.size() != nd || strides.size() != nd || dil.size() != nd || pads.size() != 2 * nd) {
    dims.resize(nd + 2);
    r.SetShape(0, std::move(dims), r.Type(0));
    return;
  }
  std::vector<int64_t> out_pad = r.Ints("output_padding").value_or(fill(0, nd));
  std::optional<std::vector<int64_t>> out_shape = r.Ints("output_shape");
  for (size_t i = 0; i < nd; ++i) {
    const Dim& in = x->dims[2 + i];
    const int64_t s = strides[i], k = kernel[i], d = dil[i];
    constexpr int64_t kBig = int64_t{1} << 31;  // attribute values beyond are hostile
    if (s <= 0 || k <= 0 || d <= 0 || s > kBig || k > kBig || d > kBig ||
        std::abs(pads[i]) > kBig || std::abs(pads[i + nd]) > kBig ||
        (out_pad.size() == nd && std::abs(out_pad[i]) > kBig)) {
      dims.push_back(Dim());
      continue;
    }
    const Dim eff = Dim::Static((k - 1) * d + 1);
    const Dim S = Dim::Static(s);
    if (op == "ConvTranspose") {
      if (out_shape && out_shape->size() == nd) {
        dims.push_back(Dim::Static((*out_shape)[i]));
      } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        dims.push_back(in * S);
      } else {
        Dim total_pad = Dim::Static(auto_pad == "VALID" ? 0 : pads[i] + pads[i + nd]);
        dims.push_back(S * (in - Dim::Static(1)) + Dim::Static(out_pad.size() == nd ? out_pad[i] : 0) +
                       eff - total_pad);
      }
      continue;
    }
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      dims.push_back(CeilDiv(in, S));
      continue;
    }
    Dim span = in + Dim::Static(auto_pad == "VALID" ? 0 : pads[i] + pads[i + nd]) - eff;
    if (span.is_static() && span.value() < 0) {
      dims.push_back(Dim());
      continue;
    }
    if (!ceil_mode) {
      dims.push_back(FloorDiv(span, S) + Dim::Static(1));
    } else if (span.is_static() && in.is_static() && in.value() < (int64_t{1} << 40)) {
      int64_t o = (span.value() + s - 1) / s + 1;
      if ((o - 1) * s >= in.value() + pads[i]) --o;
      dims.push_back(Dim::Static(o));
    } else {
      dims.push_back(Dim());
    }
  }
  r.SetShape(0, dims, r.Type(0));
  if (op == "MaxPool" && r.out.size() > 1) r.SetShape(1, dims, TensorProto::INT64);
}

// Reduce*, with axes as attribute or (opset >= 13 ReduceSum, >= 18 the
// rest) as input 1; ArgMax/ArgMin with `axis`.
void RuleReduce(Rule& r) {
  const std::string& op = r.in.node.op_type();
  const ValueFacts* x = r.Shaped(0);
  const bool arg = op == "ArgMax" || op == "ArgMin";
  const int32_t type = arg ? TensorProto::INT64 : r.Type(0);
  r.SetType(0, type);
  if (x == nullptr) return;
  const int64_t rank = static_cast<int64_t>(x->dims.size());
  const bool keep = r.Int("keepdims", 1) != 0;
  std::vector<int64_t> axes;
  if (arg) {
    axes.push_back(r.Int("axis", 0));
  } else {
    bool given = false;
    std::optional<std::vector<int64_t>> a = r.IntsFrom(1, "axes", &given);
    if (given && !a) {
      // Axes unknown: with keepdims the rank is still known.
      if (keep) r.SetShape(0, std::vector<Dim>(rank), type);
      return;
    }
    if (a) axes = *a;
    if (axes.empty() && r.Int("noop_with_empty_axes", 0) != 0) {
      r.SameAs(0, 0);
      return;
    }
  }
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes) {
    int64_t n = NormalizeAxis(a, rank);
    if (n < 0) return;
    reduced[n] = true;
  }
  std::vector<Dim> dims;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i]) dims.push_back(x->dims[i]);
    else if (keep) dims.push_back(Dim::Static(1));
  }
  r.SetShape(0, std::move(dims), type);
}

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
    const int64_t neg = step == std::numeric_limits<int64_t>::min()
                            ? std::numeric_limits<int64_t>::max()
                            : -step;
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
      else if (q.is_static() && q.value() == 1)
        dims[infer] = p;
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
  std::optional<std::vector<int64_t>> pads =
      r.in.opset < 11 ? r.Ints("pads") : r.Values(1);
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
      const int64_t chunk = num_outputs && d.value() > 0 ? (d.value() - 1) / outputs + 1
                                                         : d.value() / outputs;
      for (int k = 0; k < outputs; ++k) {
        const __int128 left = static_cast<__int128>(d.value()) - static_cast<__int128>(chunk) * k;
        sizes.push_back(Dim::Static(static_cast<int64_t>(
            std::max<__int128>(0, std::min<__int128>(chunk, left)))));
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
    if (shape->dims[0].is_static())
      r.SetShape(0, std::vector<Dim>(shape->dims[0].value()), type);
    return;
  }
  r.SetShape(0, shape->value, type);
  Dim n = Product(shape->value);
  if (IsIntType(type) && fill && n.is_static() && n.value() <= kMaxTrackedElements)
    r.SetValue(0, std::vector<Dim>(n.value(), Dim::Static(*fill)));
}

void RuleRange(Rule& r) {
  const int32_t type = r.Type(0);
  r.SetType(0, type);
  auto start = r.Values(0), limit = r.Values(1), delta = r.Values(2);
  const ValueFacts* fl = r.In(1);
  if (start && limit && delta && start->size() == 1 && limit->size() == 1 &&
      delta->size() == 1 && (*delta)[0] != 0) {
    const int64_t s = (*start)[0], l = (*limit)[0], d = (*delta)[0];
    // ceil((l - s) / d) in 128 bits: no overflow for any int64 inputs.
    const __int128 span = static_cast<__int128>(l) - s;
    const __int128 n128 = d > 0 ? (span > 0 ? (span + d - 1) / d : 0)
                                : (span < 0 ? (-span + (-static_cast<__int128>(d)) - 1) /
                                                  (-static_cast<__int128>(d))
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

void RuleMatMul(Rule& r) {
  const ValueFacts* a = r.Shaped(0);
  const ValueFacts* b = r.Shaped(1);
  r.SetType(0, r.Type(0));
  if (a == nullptr || b == nullptr || a->dims.empty() || b->dims.empty()) return;
  std::vector<Dim> ad = a->dims, bd = b->dims;
  const bool a1 = ad.size() == 1, b1 = bd.size() == 1;
  if (a1) ad.insert(ad.begin(), Dim::Static(1));
  if (b1) bd.push_back(Dim::Static(1));
  ValueFacts ab, bb;
  ab.has_shape = bb.has_shape = true;
  ab.dims.assign(ad.begin(), ad.end() - 2);
  bb.dims.assign(bd.begin(), bd.end() - 2);
  auto batch = Broadcast({&ab, &bb});
  if (!batch) return;
  std::vector<Dim> dims = *batch;
  if (!a1) dims.push_back(ad[ad.size() - 2]);
  if (!b1) dims.push_back(bd.back());
  r.SetShape(0, std::move(dims), r.Type(0));
}

void RuleGemm(Rule& r) {
  const ValueFacts* a = r.Shaped(0);
  const ValueFacts* b = r.Shaped(1);
  Dim m, n;
  if (a != nullptr && a->dims.size() == 2) m = a->dims[r.Int("transA", 0) ? 1 : 0];
  if (b != nullptr && b->dims.size() == 2) n = b->dims[r.Int("transB", 0) ? 0 : 1];
  r.SetShape(0, {m, n}, r.Type(0));
}

void RuleGlobalPool(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  r.SetType(0, r.Type(0));
  if (x == nullptr || x->dims.size() < 2) return;
  std::vector<Dim> dims(x->dims.size(), Dim::Static(1));
  dims[0] = x->dims[0];
  dims[1] = x->dims[1];
  r.SetShape(0, std::move(dims), r.Type(0));
}

void RuleRecurrent(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  const int32_t type = r.Type(0);
  for (size_t k = 0; k < r.out.size(); ++k) r.SetType(static_cast<int>(k), type);
  if (x == nullptr || x->dims.size() != 3) return;
  const bool batch_first = r.Int("layout", 0) == 1;
  const Dim seq = x->dims[batch_first ? 1 : 0], batch = x->dims[batch_first ? 0 : 1];
  const Dim dirs = Dim::Static(GetStringAttr(r.in.node, "direction", "forward") ==
                                       "bidirectional" ? 2 : 1);
  const int64_t hidden_attr = r.Int("hidden_size", -1);
  const Dim hidden = hidden_attr > 0 ? Dim::Static(hidden_attr) : Dim();
  if (batch_first) {
    r.SetShape(0, {batch, seq, dirs, hidden}, type);
    for (int k = 1; k < 3; ++k) r.SetShape(k, {batch, dirs, hidden}, type);
  } else {
    r.SetShape(0, {seq, dirs, batch, hidden}, type);
    for (int k = 1; k < 3; ++k) r.SetShape(k, {dirs, batch, hidden}, type);
  }
}

void RuleResize(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  r.SetType(0, r.Type(0));
  if (x == nullptr) return;
  const bool upsample = r.in.node.op_type() == "Upsample";
  const int sizes_slot = 3;
  if (!upsample && r.HasInput(sizes_slot)) {
    const ValueFacts* s = r.In(sizes_slot);
    if (s != nullptr && s->has_value && s->value.size() == x->dims.size() &&
        !r.HasInput(4) && FindAttr(r.in.node, "axes") == nullptr) {
      r.SetShape(0, s->value, r.Type(0));
      return;
    }
  }
  r.SetShape(0, std::vector<Dim>(x->dims.size()), r.Type(0));
}

void RuleDepthSpace(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  r.SetType(0, r.Type(0));
  if (x == nullptr || x->dims.size() != 4) return;
  const int64_t b = r.Int("blocksize", 0);
  if (b <= 0 || b > (int64_t{1} << 20)) return;
  const Dim B = Dim::Static(b), B2 = Dim::Static(b * b);
  if (r.in.node.op_type() == "DepthToSpace")
    r.SetShape(0, {x->dims[0], FloorDiv(x->dims[1], B2), x->dims[2] * B, x->dims[3] * B}, r.Type(0));
  else
    r.SetShape(0, {x->dims[0], x->dims[1] * B2, FloorDiv(x->dims[2], B), FloorDiv(x->dims[3], B)},
               r.Type(0));
}

void RuleTopK(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  r.SetType(0, r.Type(0));
  r.SetType(1, TensorProto::INT64);
  if (x == nullptr) return;
  const int64_t rank = static_cast<int64_t>(x->dims.size());
  const int64_t axis = NormalizeAxis(r.Int("axis", -1), rank);
  if (axis < 0) return;
  std::vector<Dim> dims = x->dims;
  const ValueFacts* k = r.In(1);
  dims[axis] = k != nullptr && k->has_value && k->value.size() == 1 ? k->value[0] : Dim();
  r.SetShape(0, dims, r.Type(0));
  r.SetShape(1, dims, TensorProto::INT64);
}

void RuleLayerNorm(Rule& r) {
  r.SameAs(0, 0);
  const ValueFacts* x = r.Shaped(0);
  if (x == nullptr) return;
  const int64_t rank = static_cast<int64_t>(x->dims.size());
  const int64_t axis = NormalizeAxis(r.Int("axis", -1), rank);
  if (axis < 0) return;
  std::vector<Dim> dims = x->dims;
  for (int64_t i = axis; i < rank; ++i) dims[i] = Dim::Static(1);
  const int32_t stash = static_cast<int32_t>(r.Int("stash_type", TensorProto::FLOAT));
  for (int k = 1; k < 3; ++k) r.SetShape(k, dims, stash);
}

void RuleEinsum(Rule& r) { r.SetType(0, r.Type(0)); }

using RuleFn = void (*)(Rule&);

const absl::flat_hash_map<std::string, RuleFn>& RuleTable() {
  static const auto* table = new absl::flat_hash_map<std::string, RuleFn>{
      {"Conv", RuleWindow},
      {"ConvTranspose", RuleWindow},
      {"MaxPool", RuleWindow},
      {"AveragePool", RuleWindow},
      {"LpPool", RuleWindow},
      {"GlobalAveragePool", RuleGlobalPool},
      {"GlobalMaxPool", RuleGlobalPool},
      {"GlobalLpPool", RuleGlobalPool},
      {"ArgMax", RuleReduce},
      {"ArgMin", RuleReduce},
      {"Shape", RuleShape},
      {"Gather", RuleGather},
      {"Slice", RuleSlice},
      {"Concat", RuleConcat},
      {"Squeeze", RuleSqueezeUnsqueeze},
      {"Unsqueeze", RuleSqueezeUnsqueeze},
      {"Reshape", RuleReshape},
      {"Flatten", RuleFlatten},
      {"Transpose", RuleTranspose},
      {"Expand", RuleExpand},
      {"Tile", RuleTile},
      {"Pad", RulePad},
      {"Split", RuleSplit},
      {"ConstantOfShape", RuleConstantOfShape},
      {"Range", RuleRange},
      {"MatMul", RuleMatMul},
      {"Gemm", RuleGemm},
      {"LSTM", RuleRecurrent},
      {"GRU", RuleRecurrent},
      {"RNN", RuleRecurrent},
      {"Resize", RuleResize},
      {"Upsample", RuleResize},
      {"DepthToSpace", RuleDepthSpace},
      {"SpaceToDepth", RuleDepthSpace},
      {"TopK", RuleTopK},
      {"LayerNormalization", RuleLayerNorm},
      {"Einsum", RuleEinsum},
  };
  return *table;
}

Dim ArithValue(const std::string& op, const Dim& a, const Dim& b) {
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

bool ApplyShapeRule(const NodeShapeInput& in, std::vector<ValueFacts>& outputs) {
  outputs.resize(in.node.output_size());
  Rule r{in, outputs};
  const std::string& op = in.node.op_type();
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
        op == "Identity" || ((op == "Cast" || op == "CastLike") && IsIntType(type) &&
                             IsIntType(r.Type(0)));
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
        bool v = op == "Equal" ? a.value() == b.value()
                 : op == "Less" ? a.value() < b.value() : a.value() > b.value();
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
    } else if (in.node.input_size() == 2 && IsIntType(r.Type(0))) {
      ValueBinary(r, [&op](const Dim& a, const Dim& b) { return ArithValue(op, a, b); });
    }
    return true;
  }
  return false;
}

}  // namespace h8
