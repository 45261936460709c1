//===- GatherScatterOps.cpp - Element gathers and scatters ----------------===//
//
// GatherElements, ScatterElements (also as opset 9's Scatter) and ScatterND
// (reductions none/add/mul/max/min), GatherND.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "Ops.h"

namespace h8 {
namespace eval {
namespace {

using onnx::TensorProto;

/// For GatherElements/ScatterElements: the flat index into `data` of every
/// element of `indices` (its own coordinates, with the axis coordinate
/// replaced by its value).
absl::StatusOr<std::vector<int64_t>> ElementTargets(const Tensor& data, const Tensor& idx,
                                                    int64_t axis) {
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> values, IntValues(idx, "indices"));
  if (idx.dims.size() != data.dims.size()) {
    return InvalidArg("indices rank ", idx.dims.size(), " differs from data rank ",
                      data.dims.size());
  }
  const std::vector<int64_t> istr = RowMajorStrides(idx.dims);
  const std::vector<int64_t> dstr = RowMajorStrides(data.dims);
  const int64_t dim = data.dims[axis];
  std::vector<int64_t> targets(values.size());
  for (size_t k = 0; k < values.size(); ++k) {
    int64_t v = values[k];
    if (v < -dim || v >= dim) {
      return InvalidArg("index ", v, " is out of bounds for axis ", axis, " of size ", dim);
    }
    if (v < 0) v += dim;
    int64_t flat = 0, rest = static_cast<int64_t>(k);
    for (size_t d = 0; d < idx.dims.size(); ++d) {
      const int64_t c = rest / istr[d];
      rest %= istr[d];
      if (static_cast<int64_t>(d) != axis && c >= data.dims[d]) {
        return InvalidArg("indices shape ", DimsString(idx.dims), " exceeds data shape ",
                          DimsString(data.dims), " off the axis");
      }
      flat += (static_cast<int64_t>(d) == axis ? v : c) * dstr[d];
    }
    targets[k] = flat;
  }
  return targets;
}

Kernel GatherElements(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* data, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* idx, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(int64_t axis, CheckAxis(ctx.AttrInt("axis", 0), data->dims.size()));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> src, ElementTargets(*data, *idx, axis));
  Tensor y = AllocateTensor(data->dtype, idx->dims);
  for (size_t k = 0; k < src.size(); ++k) CopyElem(*data, src[k], y, k);
  return One(std::move(y));
}

/// Scatter reductions: 'none' overwrites, the others combine the element
/// already there (data or an earlier update) with the update, in index order.
enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

absl::StatusOr<Reduction> ReadReduction(const OpContext& ctx) {
  const std::string r = ctx.AttrString("reduction", "none");
  if (r == "none") return Reduction::kNone;
  if (r == "add") return Reduction::kAdd;
  if (r == "mul") return Reduction::kMul;
  if (r == "max") return Reduction::kMax;
  if (r == "min") return Reduction::kMin;
  return InvalidArg("reduction '", r, "' is not one of none, add, mul, max, min");
}

template <typename T>
T Combine(Reduction r, T old, T update) {
  switch (r) {
    case Reduction::kAdd: return old + update;
    case Reduction::kMul: return old * update;
    case Reduction::kMax: return std::max(old, update);
    case Reduction::kMin: return std::min(old, update);
    case Reduction::kNone: break;
  }
  return update;
}

/// y[di] = update[si] combined with y[di] by `r`.
void ScatterElem(Reduction r, const Tensor& upd, int64_t si, Tensor& y, int64_t di) {
  if (y.IsFloat()) {
    y.f[di] = RoundToFloatDtype(Combine(r, y.f[di], upd.f[si]), y.dtype);
  } else {
    y.i[di] = WrapToIntDtype(Combine(r, y.i[di], upd.i[si]), y.dtype);
  }
}

Kernel ScatterElements(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* data, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* idx, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(const Tensor* upd, ctx.Required(2));
  H8_ASSIGN_OR_RETURN(Reduction reduction, ReadReduction(ctx));
  if (upd->dims != idx->dims || upd->IsFloat() != data->IsFloat()) {
    return InvalidArg("updates ", DimsString(upd->dims), " must match indices ",
                      DimsString(idx->dims), " and data's element type");
  }
  H8_ASSIGN_OR_RETURN(int64_t axis, CheckAxis(ctx.AttrInt("axis", 0), data->dims.size()));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> dst, ElementTargets(*data, *idx, axis));
  Tensor y = *data;
  for (size_t k = 0; k < dst.size(); ++k) ScatterElem(reduction, *upd, k, y, dst[k]);
  return One(std::move(y));
}

/// ScatterND: each index tuple (the last axis of `indices`, k <= rank)
/// addresses a slice data[i_0, ..., i_{k-1}, :, ...] that takes the matching
/// slice of `updates` (shape indices.shape[:-1] + data.shape[k:]).
Kernel ScatterND(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* data, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* idx, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(const Tensor* upd, ctx.Required(2));
  H8_ASSIGN_OR_RETURN(Reduction reduction, ReadReduction(ctx));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> values, IntValues(*idx, "indices"));
  const int64_t rank = data->dims.size();
  if (idx->dims.empty()) return InvalidArg("indices must have rank >= 1");
  const int64_t k = idx->dims.back();
  if (k < 0 || k > rank) return InvalidArg("index tuples of length ", k, " for data rank ", rank);
  std::vector<int64_t> want(idx->dims.begin(), idx->dims.end() - 1);
  want.insert(want.end(), data->dims.begin() + k, data->dims.end());
  if (upd->dims != want || upd->IsFloat() != data->IsFloat()) {
    return InvalidArg("updates ", DimsString(upd->dims), " must be ", DimsString(want),
                      " with data's element type");
  }
  const std::vector<int64_t> dstr = RowMajorStrides(data->dims);
  const int64_t slice = Product(data->dims, k);
  const int64_t tuples = Product(std::vector<int64_t>(idx->dims.begin(), idx->dims.end() - 1));
  Tensor y = *data;
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t base = 0;
    for (int64_t d = 0; d < k; ++d) {
      int64_t v = values[t * k + d];
      if (v < -data->dims[d] || v >= data->dims[d]) {
        return InvalidArg("index ", v, " is out of bounds for axis ", d, " of size ",
                          data->dims[d]);
      }
      if (v < 0) v += data->dims[d];
      base += v * dstr[d];
    }
    for (int64_t e = 0; e < slice; ++e) ScatterElem(reduction, *upd, t * slice + e, y, base + e);
  }
  return One(std::move(y));
}

/// GatherND: each index tuple (last axis of `indices`, length k) picks the
/// slice data[b..., i_0, ..., i_{k-1}, ...] after `batch_dims` shared
/// leading axes.
Kernel GatherND(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* data, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* idx, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> values, IntValues(*idx, "indices"));
  const int64_t b = ctx.AttrInt("batch_dims", 0);
  const int64_t rank = data->dims.size(), q = idx->dims.size();
  if (q < 1 || b < 0 || b >= q || b > rank)
    return InvalidArg("batch_dims ", b, " does not fit the ranks");
  const int64_t k = idx->dims.back();
  if (k < 1 || b + k > rank)
    return InvalidArg("index tuples of length ", k, " do not fit data rank ", rank);
  for (int64_t d = 0; d < b; ++d) {
    if (data->dims[d] != idx->dims[d]) return InvalidArg("batch dims of data and indices differ");
  }
  std::vector<int64_t> dims(idx->dims.begin(), idx->dims.end() - 1);
  dims.insert(dims.end(), data->dims.begin() + b + k, data->dims.end());
  Tensor y = AllocateTensor(data->dtype, dims);
  const std::vector<int64_t> dstr = RowMajorStrides(data->dims);
  const int64_t batches = Product(std::vector<int64_t>(data->dims.begin(), data->dims.begin() + b));
  const int64_t per_batch =
      batches > 0 ? Product(std::vector<int64_t>(idx->dims.begin(), idx->dims.end() - 1)) / batches
                  : 0;
  const int64_t slice = Product(data->dims, b + k);
  const int64_t batch_stride = b > 0 ? dstr[b - 1] : 0;
  for (int64_t bt = 0; bt < batches; ++bt) {
    for (int64_t t = 0; t < per_batch; ++t) {
      const int64_t tuple = bt * per_batch + t;
      int64_t base = bt * batch_stride;
      for (int64_t d = 0; d < k; ++d) {
        const int64_t dim = data->dims[b + d];
        int64_t v = values[tuple * k + d];
        if (v < -dim || v >= dim)
          return InvalidArg("index ", v, " is out of bounds for size ", dim);
        if (v < 0) v += dim;
        base += v * dstr[b + d];
      }
      for (int64_t e = 0; e < slice; ++e) CopyElem(*data, base + e, y, tuple * slice + e);
    }
  }
  return One(std::move(y));
}

}  // namespace

void RegisterGatherScatterOps(OpTable& table) {
  table.insert({{"GatherElements", GatherElements},
                {"ScatterElements", ScatterElements},
                {"Scatter", ScatterElements},
                {"ScatterND", ScatterND},
                {"GatherND", GatherND}});
}

}  // namespace eval
}  // namespace h8
