//===- ConstantOps.cpp - Shape queries and constant kernels ---------------===//
//
// Ops whose output does not depend on the input's values: Shape, Size,
// Constant, ConstantOfShape, Range.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "Ops.h"
#include "h8/IR/Checked.h"

namespace h8 {
namespace eval {
namespace {

Kernel Shape(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const int64_t rank = x->dims.size();
  int64_t start = ctx.AttrInt("start", 0), end = ctx.AttrInt("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  std::vector<int64_t> v;
  for (int64_t d = start; d < end; ++d) v.push_back(x->dims[d]);
  const int64_t n = v.size();
  return One(MakeIntTensor({n}, std::move(v)));
}

Kernel Size(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  return One(MakeIntTensor({}, {x->NumElements()}));
}

Kernel Constant(const OpContext& ctx) {
  if (const auto* a = ctx.Attr("value")) {
    H8_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(a->t()));
    return One(std::move(t));
  }
  if (const auto* a = ctx.Attr("value_float")) return One(MakeFloatTensor({}, {a->f()}));
  if (const auto* a = ctx.Attr("value_int")) return One(MakeIntTensor({}, {a->i()}));
  if (const auto* a = ctx.Attr("value_floats")) {
    return One(MakeFloatTensor({a->floats_size()}, {a->floats().begin(), a->floats().end()}));
  }
  if (const auto* a = ctx.Attr("value_ints")) {
    return One(MakeIntTensor({a->ints_size()}, {a->ints().begin(), a->ints().end()}));
  }
  for (const char* name : {"sparse_value", "value_string", "value_strings"}) {
    if (ctx.HasAttr(name)) return Unimpl("attribute '", name, "' is not supported");
  }
  return InvalidArg("has no value attribute");
}

Kernel ConstantOfShape(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* s, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> dims, IntValues(*s, "shape"));
  H8_RETURN_IF_ERROR(CheckedNumElements(dims).status());
  Tensor fill = MakeFloatTensor({1}, {0.0f});
  if (const auto* a = ctx.Attr("value")) {
    H8_ASSIGN_OR_RETURN(fill, TensorFromProto(a->t()));
    if (fill.NumElements() != 1) return InvalidArg("attribute 'value' must hold one element");
  }
  Tensor y = AllocateTensor(fill.dtype, dims);
  if (y.IsFloat()) std::fill(y.f.begin(), y.f.end(), fill.f[0]);
  else std::fill(y.i.begin(), y.i.end(), fill.i[0]);
  return One(std::move(y));
}

Kernel Range(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* start, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* limit, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(const Tensor* delta, ctx.Required(2));
  if (start->NumElements() != 1 || limit->NumElements() != 1 || delta->NumElements() != 1) {
    return InvalidArg("start, limit and delta must be scalars");
  }
  if (start->IsFloat() != limit->IsFloat() || start->IsFloat() != delta->IsFloat()) {
    return InvalidArg("start, limit and delta must have the same type");
  }
  const double s = ElementAsDouble(*start, 0), l = ElementAsDouble(*limit, 0),
               d = ElementAsDouble(*delta, 0);
  if (d == 0) return InvalidArg("delta must not be 0");
  const double count = std::max(std::ceil((l - s) / d), 0.0);
  if (!(count < static_cast<double>(1 << 30))) {
    return InvalidArg("range of ", count, " elements is too large");
  }
  const int64_t n = static_cast<int64_t>(count);
  Tensor y = AllocateTensor(start->dtype, {n});
  // Accumulate in the element type, as the ONNX pseudo-code does.
  if (y.IsFloat()) {
    float v = start->f[0];
    for (int64_t k = 0; k < n; ++k, v += delta->f[0]) y.f[k] = v;
  } else {
    int64_t v = start->i[0];
    for (int64_t k = 0; k < n; ++k, v += delta->i[0]) y.i[k] = v;
  }
  return One(std::move(y));
}

}  // namespace

void RegisterConstantOps(OpTable& table) {
  table["Shape"] = Shape;
  table["Size"] = Size;
  table["Constant"] = Constant;
  table["ConstantOfShape"] = ConstantOfShape;
  table["Range"] = Range;
}

}  // namespace eval
}  // namespace h8
