//===- NormOps.cpp - Layer, group and RMS normalization kernels -----------===//
//
// LayerNormalization (opset 17, every axis from `axis` on), GroupNormalization
// (opset 18: scale/bias per group; opset 21: per channel) and
// RMSNormalization (opset 23, no centering) take their statistics over a
// contiguous block of the row-major input; MeanVarianceNormalization over
// any axes; LRN over neighbouring channels. Statistics are computed in
// double; stash_type float (1) is the only stash precision supported, and Y
// is rounded to the input's element type.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cmath>

#include "Ops.h"

namespace h8 {
namespace eval {
namespace {

using onnx::TensorProto;

/// The op is absent from the default domain before `since`.
absl::Status RequireOpset(const OpContext& ctx, int64_t since) {
  if (ctx.opset() < since) {
    return InvalidArg(ctx.op_type(), " is not in the default domain before opset ", since);
  }
  return absl::OkStatus();
}

/// stash_type is the precision of the statistics (and of Mean/InvStdDev);
/// float is computed (in double) here, bfloat16 is refused.
absl::Status CheckStashType(const OpContext& ctx) {
  const int64_t stash = ctx.AttrInt("stash_type", TensorProto::FLOAT);
  if (stash == TensorProto::FLOAT) return absl::OkStatus();
  if (stash == TensorProto::BFLOAT16) {
    return Unimpl("stash_type bfloat16 is not supported (float only)");
  }
  return InvalidArg("stash_type ", stash, " must be float (1) or bfloat16 (16)");
}

/// Mean and 1/sqrt(var + eps) of `n` contiguous values. Without `center` the
/// mean is taken as 0, so var is the mean square (RMSNormalization).
struct Stats {
  double mean = 0, inv = 0;
};
Stats RowStats(const float* src, int64_t n, double eps, bool center) {
  Stats s;
  if (center && n > 0) {
    double sum = 0;
    for (int64_t k = 0; k < n; ++k) sum += src[k];
    s.mean = sum / n;
  }
  double sq = 0;
  for (int64_t k = 0; k < n; ++k) sq += (src[k] - s.mean) * (src[k] - s.mean);
  s.inv = 1.0 / std::sqrt((n > 0 ? sq / n : 0.0) + eps);
  return s;
}

/// LayerNormalization and RMSNormalization: rows are the trailing block from
/// `axis`; Y = (x - mean) * inv * scale (+ B). Layer norm also returns Mean
/// and InvStdDev of shape dims[:axis] + [1]*(rank-axis).
template <bool kCenter>
Kernel TrailingNorm(const OpContext& ctx) {
  H8_RETURN_IF_ERROR(RequireOpset(ctx, kCenter ? 17 : 23));
  H8_RETURN_IF_ERROR(CheckStashType(ctx));
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* scale, ctx.Required(1));
  const Tensor* bias = nullptr;
  if (!kCenter && ctx.NumInputs() > 2) return InvalidArg("takes 2 inputs (X, scale)");
  if (kCenter && ctx.Input(2) != nullptr) {
    H8_ASSIGN_OR_RETURN(bias, ctx.Required(2));
  }
  H8_RETURN_IF_ERROR(RequireFloat(*x, "input"));
  const int64_t rank = x->dims.size();
  H8_ASSIGN_OR_RETURN(int64_t axis, CheckAxis(ctx.AttrInt("axis", -1), rank));
  const double eps = ctx.AttrFloat("epsilon", 1e-5f);
  std::vector<int64_t> norm_dims(x->dims.begin() + axis, x->dims.end());
  const int64_t inner = Product(norm_dims);
  const int64_t outer = Product(std::vector<int64_t>(x->dims.begin(), x->dims.begin() + axis));
  H8_ASSIGN_OR_RETURN(std::vector<float> sc, ExpandTo(*scale, norm_dims, "Scale"));
  std::vector<float> bi(inner, 0.0f);
  if (bias != nullptr) {
    H8_ASSIGN_OR_RETURN(bi, ExpandTo(*bias, norm_dims, "B"));
  }
  std::vector<int64_t> stat_dims = x->dims;
  for (int64_t d = axis; d < rank; ++d) stat_dims[d] = 1;
  Tensor y = AllocateTensor(x->dtype, x->dims);
  Tensor mean_t = AllocateTensor(TensorProto::FLOAT, kCenter ? stat_dims : std::vector<int64_t>{});
  Tensor inv_t = AllocateTensor(TensorProto::FLOAT, kCenter ? stat_dims : std::vector<int64_t>{});
  for (int64_t o = 0; o < outer; ++o) {
    const float* src = x->f.data() + o * inner;
    const Stats s = RowStats(src, inner, eps, kCenter);
    for (int64_t k = 0; k < inner; ++k) {
      const double v = (src[k] - s.mean) * s.inv * sc[k] + bi[k];
      y.f[o * inner + k] = RoundToFloatDtype(static_cast<float>(v), y.dtype);
    }
    if (kCenter) {
      mean_t.f[o] = static_cast<float>(s.mean);
      inv_t.f[o] = static_cast<float>(s.inv);
    }
  }
  std::vector<Tensor> result = One(std::move(y));
  if (kCenter) {
    result.push_back(std::move(mean_t));
    result.push_back(std::move(inv_t));
  }
  return result;
}

/// GroupNormalization: X [N, C, ...] split into num_groups groups of C/G
/// channels; each (n, group) block is normalized over its channels and
/// spatial positions. Opset 18-20 scale/bias have shape [num_groups]
/// (one pair per group); from opset 21 they have shape [C].
Kernel GroupNormalization(const OpContext& ctx) {
  H8_RETURN_IF_ERROR(RequireOpset(ctx, 18));
  if (ctx.opset() >= 21) H8_RETURN_IF_ERROR(CheckStashType(ctx));
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* scale, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(const Tensor* bias, ctx.Required(2));
  H8_RETURN_IF_ERROR(RequireFloat(*x, "input"));
  if (!ctx.HasAttr("num_groups")) return InvalidArg("attribute 'num_groups' is required");
  const int64_t groups = ctx.AttrInt("num_groups", 0);
  if (x->dims.size() < 2) return InvalidArg("input rank must be >= 2, got ", DimsString(x->dims));
  const int64_t n = x->dims[0], c = x->dims[1];
  if (groups <= 0 || c % groups != 0) {
    return InvalidArg("num_groups ", groups, " must be positive and divide the ", c, " channels");
  }
  const bool per_channel = ctx.opset() >= 21;
  const int64_t want = per_channel ? c : groups;
  for (const Tensor* p : {scale, bias}) {
    if (!p->IsFloat() || p->dims != std::vector<int64_t>{want}) {
      return InvalidArg(
          p == scale ? "scale" : "bias", " must be float of shape [", want, "] (",
          per_channel ? "one per channel from opset 21" : "one per group before opset 21",
          "), got ", DimsString(p->dims));
    }
  }
  const double eps = ctx.AttrFloat("epsilon", 1e-5f);
  const int64_t spatial = Product(x->dims, 2);
  const int64_t per_group = c / groups;
  const int64_t block = per_group * spatial;
  Tensor y = AllocateTensor(x->dtype, x->dims);
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t base = (b * groups + g) * block;
      const Stats s = RowStats(x->f.data() + base, block, eps, true);
      for (int64_t k = 0; k < block; ++k) {
        const int64_t p = per_channel ? g * per_group + k / spatial : g;
        const double v = (x->f[base + k] - s.mean) * s.inv * scale->f[p] + bias->f[p];
        y.f[base + k] = RoundToFloatDtype(static_cast<float>(v), y.dtype);
      }
    }
  }
  return One(std::move(y));
}

/// MeanVarianceNormalization: (x - mean) / (std + 1e-9) over `axes`
/// (default [0, 2, 3]), std = sqrt(E[x^2] - E[x]^2) as ONNX's function body.
Kernel MeanVarianceNormalization(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_RETURN_IF_ERROR(RequireFloat(*x, "MeanVarianceNormalization input"));
  const int64_t rank = x->dims.size();
  std::vector<int64_t> axes =
      ctx.HasAttr("axes") ? ctx.AttrInts("axes") : std::vector<int64_t>{0, 2, 3};
  std::vector<bool> reduced(rank, false);
  for (int64_t a : axes) {
    H8_ASSIGN_OR_RETURN(int64_t n, CheckAxis(a, rank));
    reduced[n] = true;
  }
  // Kept-axes index of every element: its coordinates with reduced axes
  // dropped, row-major over the kept dims.
  std::vector<int64_t> kept_stride(rank, 0);
  int64_t groups = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    if (reduced[d]) continue;
    kept_stride[d] = groups;
    groups *= x->dims[d];
  }
  const int64_t n = x->NumElements();
  const int64_t per_group = groups > 0 ? n / groups : 0;
  const std::vector<int64_t> st = RowMajorStrides(x->dims);
  std::vector<int64_t> group_of(n);
  std::vector<double> sum(groups, 0.0), sq(groups, 0.0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t g = 0;
    for (int64_t d = 0; d < rank; ++d) g += (k / st[d] % x->dims[d]) * kept_stride[d];
    group_of[k] = g;
    sum[g] += x->f[k];
    sq[g] += static_cast<double>(x->f[k]) * x->f[k];
  }
  Tensor y = AllocateTensor(x->dtype, x->dims);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t g = group_of[k];
    const double mean = sum[g] / per_group;
    const double sd = std::sqrt(std::max(0.0, sq[g] / per_group - mean * mean));
    y.f[k] = RoundToFloatDtype(static_cast<float>((x->f[k] - mean) / (sd + 1e-9)), x->dtype);
  }
  return One(std::move(y));
}

/// LRN across channels of [N, C, ...]: y = x / (bias + alpha/size *
/// sum of x^2 over channels [c - floor((size-1)/2), c + ceil((size-1)/2)])^beta.
Kernel LRN(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_RETURN_IF_ERROR(RequireFloat(*x, "LRN input"));
  if (x->dims.size() < 3) return InvalidArg("input rank must be >= 3");
  const int64_t size = ctx.AttrInt("size", 0);
  if (size < 1) return InvalidArg("attribute 'size' must be positive");
  const double alpha = ctx.AttrFloat("alpha", 1e-4f), beta = ctx.AttrFloat("beta", 0.75f);
  const double bias = ctx.AttrFloat("bias", 1.0f);
  const int64_t N = x->dims[0], C = x->dims[1], inner = Product(x->dims, 2);
  const int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  Tensor y = AllocateTensor(x->dtype, x->dims);
  for (int64_t b = 0; b < N; ++b) {
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t i = 0; i < inner; ++i) {
        double sq = 0;
        for (int64_t j = std::max<int64_t>(0, c - lo); j <= std::min(C - 1, c + hi); ++j) {
          const double v = x->f[(b * C + j) * inner + i];
          sq += v * v;
        }
        const int64_t at = (b * C + c) * inner + i;
        y.f[at] = static_cast<float>(x->f[at] / std::pow(bias + alpha / size * sq, beta));
      }
    }
  }
  return One(std::move(y));
}

}  // namespace

void RegisterNormOps(OpTable& table) {
  table["LayerNormalization"] = TrailingNorm<true>;
  table["RMSNormalization"] = TrailingNorm<false>;
  table["GroupNormalization"] = GroupNormalization;
  table["MeanVarianceNormalization"] = MeanVarianceNormalization;
  table["LRN"] = LRN;
}

}  // namespace eval
}  // namespace h8
