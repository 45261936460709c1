//===- ShapeOps.cpp - Data movement, shape and constant kernels -----------===//
//
// Ops that move or create data without arithmetic: Concat, Split, Slice,
// Pad, Reshape, Transpose, Gather, Resize and friends. Where an operand moved
// from an attribute to an input across opsets (Squeeze/Unsqueeze axes and
// Split sizes at 13, Slice at 10, Pad at 11), both forms are read according to
// the model's opset. Every index taken from data is bounds-checked.
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

using onnx::TensorProto;

/// A tensor of `src`'s type and `dims` (storage allocated, zeroed).
Tensor Like(const Tensor& src, std::vector<int64_t> dims) {
  return AllocateTensor(src.dtype, std::move(dims));
}

/// dst[k] = src[offset + sum_d idx_d * strides[d]] over dst's dims.
void StridedCopy(const Tensor& src, Tensor& dst, const std::vector<int64_t>& strides,
                 int64_t offset) {
  const std::vector<int64_t>& dims = dst.dims;
  const int64_t total = dst.NumElements();
  if (total == 0) return;
  const size_t rank = dims.size();
  std::vector<int64_t> counter(rank, 0);
  int64_t src_index = offset;
  for (int64_t k = 0; k < total; ++k) {
    if (dst.IsFloat()) dst.f[k] = src.f[src_index];
    else dst.i[k] = src.i[src_index];
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      src_index += strides[d];
      if (++counter[d] < dims[d]) break;
      src_index -= strides[d] * dims[d];
      counter[d] = 0;
    }
  }
}

/// dst[idx] = src[sum_d maps[d][idx_d] * src_stride_d], or `fill` when any
/// map entry is -1. Serves Pad, Tile and nearest Resize.
void GatherByDimMaps(const Tensor& src, Tensor& dst, const std::vector<std::vector<int64_t>>& maps,
                     double fill) {
  const std::vector<int64_t> src_strides = RowMajorStrides(src.dims);
  const int64_t total = dst.NumElements();
  const size_t rank = dst.dims.size();
  std::vector<int64_t> counter(rank, 0);
  for (int64_t k = 0; k < total; ++k) {
    int64_t s = 0;
    bool inside = true;
    for (size_t d = 0; d < rank; ++d) {
      int64_t m = maps[d][counter[d]];
      if (m < 0) {
        inside = false;
        break;
      }
      s += m * src_strides[d];
    }
    if (dst.IsFloat()) {
      dst.f[k] = inside ? src.f[s] : static_cast<float>(fill);
    } else {
      dst.i[k] = inside ? src.i[s] : static_cast<int64_t>(fill);
    }
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      if (++counter[d] < dst.dims[d]) break;
      counter[d] = 0;
    }
  }
}

/// Axes from the attribute (opset < `input_since`) or input `input_index`.
absl::StatusOr<std::vector<int64_t>> AxesFor(const OpContext& ctx, int64_t input_since,
                                             size_t input_index) {
  if (ctx.opset() < input_since) return ctx.AttrInts("axes");
  if (ctx.HasAttr("axes")) {
    return InvalidArg("attribute 'axes' is not allowed at opset ", ctx.opset(),
                      "; axes is an input");
  }
  const Tensor* t = ctx.Input(input_index);
  if (t == nullptr) return std::vector<int64_t>{};
  return IntValues(*t, "axes");
}

Kernel Identity(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  return One(*x);
}

Kernel Dropout(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (const Tensor* training = ctx.Input(2)) {
    if (training->NumElements() == 1 && ElementAsDouble(*training, 0) != 0) {
      const Tensor* ratio = ctx.Input(1);
      double r = ratio != nullptr && ratio->NumElements() == 1 ? ElementAsDouble(*ratio, 0) : 0.5;
      if (r != 0) return Unimpl("input 'training_mode' = true is not supported");
    }
  }
  std::vector<Tensor> out = One(*x);
  if (ctx.NumOutputs() > 1) {
    Tensor mask = AllocateTensor(TensorProto::BOOL, x->dims);
    std::fill(mask.i.begin(), mask.i.end(), 1);
    out.push_back(std::move(mask));
  }
  return out;
}

Kernel Concat(const OpContext& ctx) {
  if (ctx.NumInputs() == 0) return InvalidArg("needs at least one input");
  H8_ASSIGN_OR_RETURN(const Tensor* first, ctx.Required(0));
  if (!ctx.HasAttr("axis")) return InvalidArg("attribute 'axis' is required");
  const int64_t rank = first->dims.size();
  H8_ASSIGN_OR_RETURN(int64_t axis, CheckAxis(ctx.AttrInt("axis", 0), rank));
  std::vector<const Tensor*> parts;
  std::vector<int64_t> out_dims = first->dims;
  out_dims[axis] = 0;
  for (size_t k = 0; k < ctx.NumInputs(); ++k) {
    H8_ASSIGN_OR_RETURN(const Tensor* t, ctx.Required(k));
    if (t->IsFloat() != first->IsFloat() || t->dims.size() != first->dims.size()) {
      return InvalidArg("input #", k, " type/rank differs from input #0");
    }
    for (int64_t d = 0; d < rank; ++d) {
      if (d != axis && t->dims[d] != first->dims[d]) {
        return InvalidArg("input #", k, " shape ", DimsString(t->dims), " differs from ",
                          DimsString(first->dims), " outside axis ", axis);
      }
    }
    out_dims[axis] += t->dims[axis];
    parts.push_back(t);
  }
  Tensor y = Like(*first, out_dims);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= out_dims[d];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= out_dims[d];
  const int64_t out_block = out_dims[axis] * inner;
  int64_t pos = 0;
  for (const Tensor* t : parts) {
    const int64_t block = t->dims[axis] * inner;
    for (int64_t o = 0; o < outer; ++o) {
      if (y.IsFloat()) {
        std::copy_n(t->f.begin() + o * block, block, y.f.begin() + o * out_block + pos);
      } else {
        std::copy_n(t->i.begin() + o * block, block, y.i.begin() + o * out_block + pos);
      }
    }
    pos += block;
  }
  return One(std::move(y));
}

Kernel Split(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const int64_t rank = x->dims.size();
  H8_ASSIGN_OR_RETURN(int64_t axis, CheckAxis(ctx.AttrInt("axis", 0), rank));
  const int64_t dim = x->dims[axis];
  const int64_t n_out = ctx.NumOutputs();
  std::vector<int64_t> sizes;
  if (ctx.opset() < 13) {
    sizes = ctx.AttrInts("split");
  } else if (const Tensor* s = ctx.Input(1)) {
    H8_ASSIGN_OR_RETURN(sizes, IntValues(*s, "split"));
  }
  if (sizes.empty()) {
    if (ctx.HasAttr("num_outputs")) {
      // Opset 18: chunks of ceil(dim / n), the last one smaller.
      const int64_t n = ctx.AttrInt("num_outputs", n_out);
      if (n <= 0 || n != n_out)
        return InvalidArg("num_outputs ", n, " does not match ", n_out, " outputs");
      const int64_t chunk = (dim + n - 1) / n;
      for (int64_t k = 0; k < n; ++k)
        sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - k * chunk)));
    } else {
      if (n_out == 0 || dim % n_out != 0) {
        return InvalidArg("dimension ", dim, " does not split evenly into ", n_out, " outputs");
      }
      sizes.assign(n_out, dim / n_out);
    }
  }
  if (static_cast<int64_t>(sizes.size()) != n_out) {
    return InvalidArg("split has ", sizes.size(), " entries for ", n_out, " outputs");
  }
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0) return InvalidArg("negative split size ", s);
    total += s;
  }
  if (total != dim) return InvalidArg("split sizes sum to ", total, ", not ", dim);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x->dims[d];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x->dims[d];
  std::vector<Tensor> outs;
  int64_t pos = 0;
  for (int64_t s : sizes) {
    std::vector<int64_t> dims = x->dims;
    dims[axis] = s;
    Tensor y = Like(*x, dims);
    for (int64_t o = 0; o < outer; ++o) {
      int64_t src = (o * dim + pos) * inner, dst = o * s * inner;
      if (y.IsFloat()) std::copy_n(x->f.begin() + src, s * inner, y.f.begin() + dst);
      else std::copy_n(x->i.begin() + src, s * inner, y.i.begin() + dst);
    }
    pos += s;
    outs.push_back(std::move(y));
  }
  return outs;
}

Kernel Slice(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const int64_t rank = x->dims.size();
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset() < 10) {
    starts = ctx.AttrInts("starts");
    ends = ctx.AttrInts("ends");
    axes = ctx.AttrInts("axes");
  } else {
    H8_ASSIGN_OR_RETURN(const Tensor* s, ctx.Required(1));
    H8_ASSIGN_OR_RETURN(const Tensor* e, ctx.Required(2));
    H8_ASSIGN_OR_RETURN(starts, IntValues(*s, "starts"));
    H8_ASSIGN_OR_RETURN(ends, IntValues(*e, "ends"));
    if (const Tensor* a = ctx.Input(3)) {
      H8_ASSIGN_OR_RETURN(axes, IntValues(*a, "axes"));
    }
    if (const Tensor* st = ctx.Input(4)) {
      H8_ASSIGN_OR_RETURN(steps, IntValues(*st, "steps"));
    }
  }
  if (axes.empty()) {
    axes.resize(starts.size());
    std::iota(axes.begin(), axes.end(), 0);
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    return InvalidArg("starts/ends/axes/steps lengths differ");
  }
  std::vector<int64_t> begin(rank, 0), step(rank, 1), out_dims = x->dims;
  std::vector<bool> seen(rank, false);
  for (size_t k = 0; k < axes.size(); ++k) {
    H8_ASSIGN_OR_RETURN(int64_t ax, CheckAxis(axes[k], rank));
    if (seen[ax]) return InvalidArg("axis ", axes[k], " repeats");
    seen[ax] = true;
    const int64_t dim = x->dims[ax];
    const int64_t st = steps[k];
    if (st == 0) return InvalidArg("step must not be 0");
    int64_t s = starts[k], e = ends[k];
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    int64_t len;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      len = e > s ? (e - s - 1) / st + 1 : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      len = s > e ? (s - e - 1) / (-st) + 1 : 0;
    }
    begin[ax] = len > 0 ? s : 0;
    step[ax] = st;
    out_dims[ax] = len;
  }
  Tensor y = Like(*x, out_dims);
  const std::vector<int64_t> in_strides = RowMajorStrides(x->dims);
  std::vector<int64_t> strides(rank);
  int64_t offset = 0;
  for (int64_t d = 0; d < rank; ++d) {
    strides[d] = in_strides[d] * step[d];
    offset += begin[d] * in_strides[d];
  }
  StridedCopy(*x, y, strides, offset);
  return One(std::move(y));
}

Kernel Pad(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const int64_t rank = x->dims.size();
  const std::string mode = ctx.AttrString("mode", "constant");
  std::vector<int64_t> pads, axes;
  double value = 0.0;
  if (ctx.opset() < 11) {
    pads = ctx.AttrInts("pads");
    value = ctx.AttrFloat("value", 0.0f);
  } else {
    H8_ASSIGN_OR_RETURN(const Tensor* p, ctx.Required(1));
    H8_ASSIGN_OR_RETURN(pads, IntValues(*p, "pads"));
    if (const Tensor* v = ctx.Input(2)) {
      if (v->NumElements() == 1) {
        value = ElementAsDouble(*v, 0);
      } else if (v->NumElements() != 0) {
        return InvalidArg("constant_value must be a scalar");
      }
    }
    if (const Tensor* a = ctx.Input(3)) {
      H8_ASSIGN_OR_RETURN(axes, IntValues(*a, "axes"));
    }
  }
  if (axes.empty()) {
    axes.resize(rank);
    std::iota(axes.begin(), axes.end(), 0);
  }
  const size_t na = axes.size();
  if (pads.size() != 2 * na) {
    return InvalidArg("pads has ", pads.size(), " entries, expected ", 2 * na);
  }
  std::vector<int64_t> pb(rank, 0), pe(rank, 0);
  for (size_t k = 0; k < na; ++k) {
    H8_ASSIGN_OR_RETURN(int64_t ax, CheckAxis(axes[k], rank));
    pb[ax] = pads[k];
    pe[ax] = pads[k + na];
  }
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap") {
    return Unimpl("attribute 'mode' = '", mode, "' is not supported");
  }
  std::vector<int64_t> out_dims(rank);
  std::vector<std::vector<int64_t>> maps(rank);
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t n = x->dims[d];
    if (AddOverflows(n, pb[d], &out_dims[d]) || AddOverflows(out_dims[d], pe[d], &out_dims[d]))
      return InvalidArg("pads ", pb[d], " and ", pe[d], " overflow dimension ", d);
    if (out_dims[d] < 0) {
      return InvalidArg("pads make dimension ", d, " negative (", out_dims[d], ")");
    }
    if (mode != "constant" && n == 0 && out_dims[d] > 0) {
      return InvalidArg("cannot ", mode, "-pad an empty dimension");
    }
    if (out_dims[d] > MaxTensorElements())
      return InvalidArg("padded dimension ", d, " would have ", out_dims[d], " elements");
    maps[d].resize(out_dims[d]);
    for (int64_t o = 0; o < out_dims[d]; ++o) {
      int64_t c = o - pb[d];
      if (c >= 0 && c < n) {
        maps[d][o] = c;
      } else if (mode == "constant") {
        maps[d][o] = -1;
      } else if (mode == "edge") {
        maps[d][o] = std::clamp<int64_t>(c, 0, n - 1);
      } else if (mode == "wrap") {
        maps[d][o] = ((c % n) + n) % n;
      } else {  // reflect, excluding the edge sample; repeats if pads > n-1
        const int64_t period = 2 * (n - 1);
        if (period == 0) {
          maps[d][o] = 0;
        } else {
          int64_t r = ((c % period) + period) % period;
          maps[d][o] = r < n ? r : period - r;
        }
      }
    }
  }
  Tensor y = Like(*x, out_dims);
  GatherByDimMaps(*x, y, maps, value);
  return One(std::move(y));
}

Kernel Reshape(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  std::vector<int64_t> shape;
  if (ctx.opset() < 5) {
    shape = ctx.AttrInts("shape");
  } else {
    H8_ASSIGN_OR_RETURN(const Tensor* s, ctx.Required(1));
    H8_ASSIGN_OR_RETURN(shape, IntValues(*s, "shape"));
  }
  const bool allowzero = ctx.AttrInt("allowzero", 0) != 0;
  int64_t infer = -1, known = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0 && !allowzero) {
      if (d >= x->dims.size()) {
        return InvalidArg("shape ", DimsString(shape), " copies dim ", d, " which the input ",
                          DimsString(x->dims), " lacks");
      }
      shape[d] = x->dims[d];
    }
    if (shape[d] == -1) {
      if (infer >= 0) return InvalidArg("shape ", DimsString(shape), " has more than one -1");
      infer = d;
    } else if (shape[d] < 0) {
      return InvalidArg("shape ", DimsString(shape), " has an invalid entry");
    } else {
      H8_ASSIGN_OR_RETURN(known, CheckedNumElements({known, shape[d]}));
    }
  }
  const int64_t n = x->NumElements();
  if (infer >= 0) {
    if (known == 0 || n % known != 0) {
      return InvalidArg("cannot reshape ", DimsString(x->dims), " to ", DimsString(shape));
    }
    shape[infer] = n / known;
  } else if (known != n) {
    return InvalidArg("cannot reshape ", DimsString(x->dims), " (", n, " elements) to ",
                      DimsString(shape), " (", known, " elements)");
  }
  Tensor y = *x;
  y.dims = shape;
  return One(std::move(y));
}

Kernel Flatten(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const int64_t rank = x->dims.size();
  int64_t axis = ctx.AttrInt("axis", 1);
  if (axis < -rank || axis > rank)
    return InvalidArg("axis ", axis, " out of range for rank ", rank);
  if (axis < 0) axis += rank;
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x->dims[d];
  int64_t inner = 1;
  for (int64_t d = axis; d < rank; ++d) inner *= x->dims[d];
  Tensor y = *x;
  y.dims = {outer, inner};
  return One(std::move(y));
}

Kernel Transpose(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const int64_t rank = x->dims.size();
  std::vector<int64_t> perm = ctx.AttrInts("perm");
  if (perm.empty()) {
    perm.resize(rank);
    for (int64_t d = 0; d < rank; ++d) perm[d] = rank - 1 - d;
  }
  if (static_cast<int64_t>(perm.size()) != rank) {
    return InvalidArg("perm ", DimsString(perm), " does not match rank ", rank);
  }
  std::vector<bool> used(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || used[p])
      return InvalidArg("perm ", DimsString(perm), " is not a permutation");
    used[p] = true;
  }
  const std::vector<int64_t> in_strides = RowMajorStrides(x->dims);
  std::vector<int64_t> out_dims(rank), strides(rank);
  for (int64_t d = 0; d < rank; ++d) {
    out_dims[d] = x->dims[perm[d]];
    strides[d] = in_strides[perm[d]];
  }
  Tensor y = Like(*x, out_dims);
  StridedCopy(*x, y, strides, 0);
  return One(std::move(y));
}

Kernel Squeeze(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> axes, AxesFor(ctx, 13, 1));
  const int64_t rank = x->dims.size();
  std::vector<bool> drop(rank, false);
  if (axes.empty()) {
    for (int64_t d = 0; d < rank; ++d) drop[d] = x->dims[d] == 1;
  }
  for (int64_t a : axes) {
    H8_ASSIGN_OR_RETURN(int64_t ax, CheckAxis(a, rank));
    if (x->dims[ax] != 1) {
      return InvalidArg("cannot squeeze axis ", a, " of size ", x->dims[ax], " in shape ",
                        DimsString(x->dims));
    }
    drop[ax] = true;
  }
  Tensor y = *x;
  y.dims.clear();
  for (int64_t d = 0; d < rank; ++d)
    if (!drop[d]) y.dims.push_back(x->dims[d]);
  return One(std::move(y));
}

Kernel Unsqueeze(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> axes, AxesFor(ctx, 13, 1));
  if (axes.empty()) return InvalidArg("axes must not be empty");
  const int64_t out_rank = x->dims.size() + axes.size();
  std::vector<bool> ins(out_rank, false);
  for (int64_t a : axes) {
    H8_ASSIGN_OR_RETURN(int64_t ax, CheckAxis(a, out_rank));
    if (ins[ax]) return InvalidArg("axis ", a, " repeats");
    ins[ax] = true;
  }
  Tensor y = *x;
  y.dims.clear();
  size_t src = 0;
  for (int64_t d = 0; d < out_rank; ++d) y.dims.push_back(ins[d] ? 1 : x->dims[src++]);
  return One(std::move(y));
}

Kernel Gather(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* data, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* idx, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> indices, IntValues(*idx, "indices"));
  const int64_t rank = data->dims.size();
  if (rank == 0) return InvalidArg("data must have rank >= 1");
  H8_ASSIGN_OR_RETURN(int64_t axis, CheckAxis(ctx.AttrInt("axis", 0), rank));
  const int64_t dim = data->dims[axis];
  for (int64_t& v : indices) {
    if (v < -dim || v >= dim) {
      return InvalidArg("index ", v, " is out of bounds for axis ", axis, " of size ", dim);
    }
    if (v < 0) v += dim;
  }
  std::vector<int64_t> out_dims(data->dims.begin(), data->dims.begin() + axis);
  out_dims.insert(out_dims.end(), idx->dims.begin(), idx->dims.end());
  out_dims.insert(out_dims.end(), data->dims.begin() + axis + 1, data->dims.end());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= data->dims[d];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= data->dims[d];
  Tensor y = Like(*data, out_dims);
  const int64_t n = indices.size();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < n; ++k) {
      int64_t src = (o * dim + indices[k]) * inner, dst = (o * n + k) * inner;
      if (y.IsFloat()) std::copy_n(data->f.begin() + src, inner, y.f.begin() + dst);
      else std::copy_n(data->i.begin() + src, inner, y.i.begin() + dst);
    }
  }
  return One(std::move(y));
}

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

Kernel Expand(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* s, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> shape, IntValues(*s, "shape"));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> dims, BroadcastShapes({x->dims, shape}));
  H8_RETURN_IF_ERROR(CheckedNumElements(dims).status());
  Tensor y = Like(*x, dims);
  BroadcastLoop<1>(dims, {&x->dims}, [&](int64_t o, const std::array<int64_t, 1>& i) {
    if (y.IsFloat()) y.f[o] = x->f[i[0]];
    else y.i[o] = x->i[i[0]];
  });
  return One(std::move(y));
}

Kernel Tile(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* r, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> reps, IntValues(*r, "repeats"));
  const int64_t rank = x->dims.size();
  if (static_cast<int64_t>(reps.size()) != rank) {
    return InvalidArg("repeats has ", reps.size(), " entries for rank ", rank);
  }
  std::vector<int64_t> dims(rank);
  std::vector<std::vector<int64_t>> maps(rank);
  for (int64_t d = 0; d < rank; ++d) {
    if (reps[d] < 0) return InvalidArg("negative repeat ", reps[d]);
    if (MulOverflows(x->dims[d], reps[d], &dims[d]) || dims[d] > MaxTensorElements())
      return InvalidArg("repeat ", reps[d], " makes dimension ", d, " too large");
  }
  // The output's size is checked before the per-axis maps are built.
  H8_ASSIGN_OR_RETURN(int64_t count, CheckedNumElements(dims));
  if (count > MaxTensorElements())
    return absl::ResourceExhaustedError(absl::StrCat("the output would have ", count,
                                                     " elements, the evaluator's limit is ",
                                                     MaxTensorElements()));
  for (int64_t d = 0; d < rank; ++d) {
    maps[d].resize(dims[d]);
    for (int64_t o = 0; o < dims[d]; ++o) maps[d][o] = o % x->dims[d];
  }
  Tensor y = Like(*x, dims);
  GatherByDimMaps(*x, y, maps, 0.0);
  return One(std::move(y));
}

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

/// Source coordinate of output index `x` along one axis. `out_len` is
/// in * scale, not rounded: ONNX's reference resize (the node cases' oracle)
/// uses it for align_corners and tf_crop_and_resize, and it equals the output
/// size whenever sizes are given. `roi` is {start, end} for tf_crop_and_resize.
double SourceCoord(const std::string& mode, double x, double scale, int64_t in, int64_t out,
                   double out_len, const double* roi) {
  if (mode == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (mode == "pytorch_half_pixel") return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (mode == "align_corners") {
    return out_len == 1.0 ? 0.0 : x * static_cast<double>(in - 1) / (out_len - 1.0);
  }
  if (mode == "tf_crop_and_resize") {
    const double span = (roi[1] - roi[0]) * static_cast<double>(in - 1);
    const double c = out_len == 1.0 ? span / 2 : x * span / (out_len - 1.0);
    return c + roi[0] * static_cast<double>(in - 1);
  }
  if (mode == "tf_half_pixel_for_nearest") return (x + 0.5) / scale;
  return x / scale;  // asymmetric
}

/// ONNX's cubic convolution weights for the taps at distances 1+r, r, 1-r,
/// 2-r from the source coordinate (r in (0, 1]).
std::array<double, 4> CubicCoeffs(double r, double a) {
  const double r1 = r + 1, s = 1 - r, s1 = s + 1;
  return {((a * r1 - 5 * a) * r1 + 8 * a) * r1 - 4 * a, ((a + 2) * r - (a + 3)) * r * r + 1,
          ((a + 2) * s - (a + 3)) * s * s + 1, ((a * s1 - 5 * a) * s1 + 8 * a) * s1 - 4 * a};
}

Kernel Resize(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const int64_t rank = x->dims.size();
  const std::string mode = ctx.AttrString("mode", "nearest");
  const bool legacy = ctx.opset() < 11;
  const std::string coord =
      legacy ? "asymmetric" : ctx.AttrString("coordinate_transformation_mode", "half_pixel");
  const std::string nearest_mode = ctx.AttrString("nearest_mode", "round_prefer_floor");
  if (mode != "nearest" && mode != "linear" && mode != "cubic") {
    return Unimpl("attribute 'mode' = '", mode, "' is not supported");
  }
  if (coord != "half_pixel" && coord != "pytorch_half_pixel" && coord != "align_corners" &&
      coord != "asymmetric" && !(coord == "tf_half_pixel_for_nearest" && mode == "nearest") &&
      !(coord == "tf_crop_and_resize" && mode != "nearest")) {
    return Unimpl("attribute 'coordinate_transformation_mode' = '", coord,
                  "' is not supported with mode '", mode, "'");
  }
  if (ctx.AttrInt("antialias", 0) != 0) return Unimpl("attribute 'antialias' is not supported");
  if (ctx.HasAttr("axes")) return Unimpl("attribute 'axes' is not supported");
  if (ctx.AttrString("keep_aspect_ratio_policy", "stretch") != "stretch") {
    return Unimpl("attribute 'keep_aspect_ratio_policy' is not supported");
  }
  const Tensor* scales_t = ctx.Input(legacy ? 1 : 2);
  const Tensor* sizes_t = legacy ? nullptr : ctx.Input(3);
  std::vector<double> scales(rank, 1.0);
  std::vector<int64_t> out_dims(rank);
  if (sizes_t != nullptr && sizes_t->NumElements() > 0) {
    H8_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, IntValues(*sizes_t, "sizes"));
    if (static_cast<int64_t>(sizes.size()) != rank) {
      return InvalidArg("sizes has ", sizes.size(), " entries for rank ", rank);
    }
    for (int64_t d = 0; d < rank; ++d) {
      if (sizes[d] < 0) return InvalidArg("negative size ", sizes[d]);
      out_dims[d] = sizes[d];
      scales[d] = x->dims[d] > 0 ? static_cast<double>(sizes[d]) / x->dims[d] : 1.0;
    }
  } else if (scales_t != nullptr && scales_t->NumElements() > 0) {
    if (!scales_t->IsFloat() || scales_t->NumElements() != rank) {
      return InvalidArg("scales must be float with one entry per dimension");
    }
    for (int64_t d = 0; d < rank; ++d) {
      scales[d] = scales_t->f[d];
      if (!(scales[d] > 0)) return InvalidArg("scale ", scales[d], " must be positive");
      const double size = std::floor(x->dims[d] * scales[d]);
      if (!(size <= static_cast<double>(MaxTensorElements()))) {
        return InvalidArg("scale ", scales[d], " makes axis ", d, " larger than ",
                          MaxTensorElements(), " elements");
      }
      out_dims[d] = static_cast<int64_t>(size);
    }
  } else {
    return InvalidArg("one of scales or sizes must be given");
  }
  H8_RETURN_IF_ERROR(CheckedNumElements(out_dims).status());
  std::vector<double> roi(2 * rank);
  for (int64_t d = 0; d < rank; ++d) roi[rank + d] = 1.0;
  const bool crop = coord == "tf_crop_and_resize";
  if (crop) {
    const Tensor* roi_t = ctx.Input(1);
    if (roi_t == nullptr || !roi_t->IsFloat() || roi_t->NumElements() != 2 * rank) {
      return InvalidArg("tf_crop_and_resize needs a float roi of ", 2 * rank, " values");
    }
    for (int64_t k = 0; k < 2 * rank; ++k) roi[k] = roi_t->f[k];
  }
  auto source = [&](int64_t d, int64_t o) {
    const double axis_roi[2] = {roi[d], roi[rank + d]};
    return SourceCoord(coord, static_cast<double>(o), scales[d], x->dims[d], out_dims[d],
                       static_cast<double>(x->dims[d]) * scales[d], axis_roi);
  };

  if (mode == "nearest") {
    std::vector<std::vector<int64_t>> maps(rank);
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t in = x->dims[d];
      if (out_dims[d] > MaxTensorElements())
        return InvalidArg("padded dimension ", d, " would have ", out_dims[d], " elements");
      maps[d].resize(out_dims[d]);
      for (int64_t o = 0; o < out_dims[d]; ++o) {
        double c = source(d, o);
        double r;
        if (legacy) {
          // Opset 10 has no nearest_mode; onnxruntime floors when upsampling
          // and ceils when downsampling.
          r = scales[d] >= 1.0 ? std::floor(c) : std::ceil(c);
        } else if (nearest_mode == "round_prefer_floor") {
          r = c == std::floor(c) + 0.5 ? std::floor(c) : std::round(c);
        } else if (nearest_mode == "round_prefer_ceil") {
          r = c == std::floor(c) + 0.5 ? std::ceil(c) : std::round(c);
        } else if (nearest_mode == "floor") {
          r = std::floor(c);
        } else if (nearest_mode == "ceil") {
          r = std::ceil(c);
        } else {
          return Unimpl("attribute 'nearest_mode' = '", nearest_mode, "' is not supported");
        }
        maps[d][o] = std::clamp<int64_t>(static_cast<int64_t>(r), 0, std::max<int64_t>(in - 1, 0));
      }
    }
    Tensor y = Like(*x, out_dims);
    if (x->NumElements() == 0 && y.NumElements() > 0)
      return InvalidArg("cannot resize an empty tensor");
    GatherByDimMaps(*x, y, maps, 0.0);
    return One(std::move(y));
  }

  // Linear and cubic: separable 1-D passes, innermost axis first (the order
  // of ONNX's reference, which matters only for tf_crop_and_resize's
  // extrapolation). Each output index reads n taps around its source
  // coordinate, the input edge-extended beyond its ends.
  if (!x->IsFloat()) return InvalidArg(mode, " resize needs a float input");
  const int n = mode == "cubic" ? 4 : 2;
  const double cubic_a = ctx.AttrFloat("cubic_coeff_a", -0.75f);
  const bool exclude_outside = ctx.AttrInt("exclude_outside", 0) != 0;
  const float extrapolation = ctx.AttrFloat("extrapolation_value", 0.0f);
  Tensor cur = *x;
  std::vector<int64_t> taps;
  std::vector<double> weights;
  std::vector<char> outside;
  for (int64_t d = rank - 1; d >= 0; --d) {
    const int64_t in = cur.dims[d], out = out_dims[d];
    if (in == out && scales[d] == 1.0 && !crop) continue;
    if (in == 0) return InvalidArg("cannot resize an empty dimension");
    // Taps and weights for every output index along this axis.
    taps.assign(out * n, 0);
    weights.assign(out * n, 0.0);
    outside.assign(out, 0);
    for (int64_t o = 0; o < out; ++o) {
      const double c = source(d, o);
      if (!std::isfinite(c))
        return InvalidArg("axis ", d, " maps an output to a non-finite source coordinate");
      if (crop && (c < 0 || c > static_cast<double>(in - 1))) {
        outside[o] = 1;
        continue;
      }
      // The tap left of c (for an integral c, the one before it with ratio 1).
      const double fl = std::floor(c);
      const double ratio = c == fl ? 1.0 : c - fl;
      const int64_t left = static_cast<int64_t>(fl) - (c == fl ? 1 : 0);
      std::array<double, 4> w{};
      if (n == 2) {
        w = {1 - ratio, ratio, 0, 0};
      } else {
        w = CubicCoeffs(ratio, cubic_a);
      }
      const int64_t pad = n / 2;
      const int64_t start = std::clamp<int64_t>(left - (n / 2 - 1), -pad, in + pad - n);
      double sum = 0;
      for (int k = 0; k < n; ++k) {
        const int64_t i = start + k;
        if (exclude_outside && (i < 0 || i >= in)) w[k] = 0;
        sum += w[k];
        taps[o * n + k] = std::clamp<int64_t>(i, 0, in - 1);
      }
      for (int k = 0; k < n; ++k)
        weights[o * n + k] = exclude_outside && sum != 0 ? w[k] / sum : w[k];
    }
    std::vector<int64_t> dims = cur.dims;
    dims[d] = out;
    Tensor next = AllocateTensor(cur.dtype, dims);
    int64_t outer = 1, inner = 1;
    for (int64_t k = 0; k < d; ++k) outer *= dims[k];
    for (int64_t k = d + 1; k < rank; ++k) inner *= dims[k];
    for (int64_t a = 0; a < outer; ++a) {
      for (int64_t o = 0; o < out; ++o) {
        float* dst = next.f.data() + (a * out + o) * inner;
        if (outside[o]) {
          std::fill(dst, dst + inner, extrapolation);
          continue;
        }
        for (int64_t b = 0; b < inner; ++b) {
          double v = 0;
          for (int k = 0; k < n; ++k) {
            v += weights[o * n + k] * cur.f[(a * in + taps[o * n + k]) * inner + b];
          }
          dst[b] = static_cast<float>(v);
        }
      }
    }
    cur = std::move(next);
  }
  return One(std::move(cur));
}

/// Upsample (opset 9, deprecated at 10): Resize's opset-10 form, scales as
/// input 1; the opset-7 attribute form is refused.
Kernel Upsample(const OpContext& ctx) {
  if (ctx.HasAttr("scales"))
    return Unimpl("Upsample with a 'scales' attribute (opset 7) is not supported");
  if (ctx.opset() >= 11)
    return InvalidArg("Upsample is not in the default domain at opset ", ctx.opset());
  return Resize(ctx);
}

}  // namespace

void RegisterShapeOps(OpTable& table) {
  table["Identity"] = Identity;
  table["Dropout"] = Dropout;
  table["Concat"] = Concat;
  table["Split"] = Split;
  table["Slice"] = Slice;
  table["Pad"] = Pad;
  table["Reshape"] = Reshape;
  table["Flatten"] = Flatten;
  table["Transpose"] = Transpose;
  table["Squeeze"] = Squeeze;
  table["Unsqueeze"] = Unsqueeze;
  table["Gather"] = Gather;
  table["Shape"] = Shape;
  table["Size"] = Size;
  table["Constant"] = Constant;
  table["ConstantOfShape"] = ConstantOfShape;
  table["Range"] = Range;
  table["Expand"] = Expand;
  table["Tile"] = Tile;
  table["Resize"] = Resize;
  table["Upsample"] = Upsample;
}

}  // namespace eval
}  // namespace h8
