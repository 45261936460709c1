//===- ShapeOps.cpp - Data movement, shape and constant kernels -----------===//
//
// Ops that move or create data without arithmetic: Concat, Split, Slice,
// Pad, Reshape, Transpose, Gather and friends (Resize: ResizeOps.cpp). Where an operand moved
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

}  // namespace

void RegisterShapeOps(OpTable& table) {
  table["Identity"] = Identity;
  table["Dropout"] = Dropout;
  table["Concat"] = Concat;
  table["Split"] = Split;
  table["Slice"] = Slice;
  table["Reshape"] = Reshape;
  table["Flatten"] = Flatten;
  table["Transpose"] = Transpose;
  table["Squeeze"] = Squeeze;
  table["Unsqueeze"] = Unsqueeze;
  table["Gather"] = Gather;
}

}  // namespace eval
}  // namespace h8
