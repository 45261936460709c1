//===- ResizeOps.cpp - Resize and Upsample kernels ------------------------===//
//
// Resize (modes nearest, linear and cubic) and Upsample, its form before
// opset 10.
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

/// What every mode of one Resize node shares: the coordinate mapping and
/// the output dims.
struct ResizeGeometry {
  std::string coord;
  bool legacy = false;
  bool crop = false;  // tf_crop_and_resize
  std::vector<double> scales;
  std::vector<int64_t> out_dims;
  std::vector<double> roi;  // starts, then ends
  const Tensor* x = nullptr;

  double Source(int64_t d, int64_t o) const {
    const int64_t rank = static_cast<int64_t>(out_dims.size());
    const double axis_roi[2] = {roi[d], roi[rank + d]};
    return SourceCoord(coord, static_cast<double>(o), scales[d], x->dims[d], out_dims[d],
                       static_cast<double>(x->dims[d]) * scales[d], axis_roi);
  }
};

/// Refuses the attributes the kernel does not implement.
absl::Status CheckResizeAttributes(const OpContext& ctx, const std::string& mode,
                                   const std::string& coord) {
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
  return absl::OkStatus();
}

/// Scales and output dims from the sizes or scales input, and the roi.
absl::Status ResizeShape(const OpContext& ctx, ResizeGeometry& g) {
  const Tensor* x = g.x;
  const bool legacy = g.legacy;
  const int64_t rank = x->dims.size();
  const Tensor* scales_t = ctx.Input(legacy ? 1 : 2);
  const Tensor* sizes_t = legacy ? nullptr : ctx.Input(3);
  std::vector<double>& scales = g.scales;
  std::vector<int64_t>& out_dims = g.out_dims;
  scales.assign(rank, 1.0);
  out_dims.assign(rank, 0);
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
  std::vector<double>& roi = g.roi;
  roi.assign(2 * rank, 0.0);
  for (int64_t d = 0; d < rank; ++d) roi[rank + d] = 1.0;
  if (g.crop) {
    const Tensor* roi_t = ctx.Input(1);
    if (roi_t == nullptr || !roi_t->IsFloat() || roi_t->NumElements() != 2 * rank) {
      return InvalidArg("tf_crop_and_resize needs a float roi of ", 2 * rank, " values");
    }
    for (int64_t k = 0; k < 2 * rank; ++k) roi[k] = roi_t->f[k];
  }
  return absl::OkStatus();
}

Kernel ResizeNearest(const ResizeGeometry& g, const std::string& nearest_mode) {
  const Tensor* x = g.x;
  const int64_t rank = x->dims.size();
  const bool legacy = g.legacy;
  const std::vector<double>& scales = g.scales;
  const std::vector<int64_t>& out_dims = g.out_dims;
  std::vector<std::vector<int64_t>> maps(rank);
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t in = x->dims[d];
    if (out_dims[d] > MaxTensorElements())
      return InvalidArg("resized dimension ", d, " would have ", out_dims[d], " elements");
    maps[d].resize(out_dims[d]);
    for (int64_t o = 0; o < out_dims[d]; ++o) {
      double c = g.Source(d, o);
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
  Tensor y = AllocateTensor(x->dtype, out_dims);
  if (x->NumElements() == 0 && y.NumElements() > 0)
    return InvalidArg("cannot resize an empty tensor");
  GatherByDimMaps(*x, y, maps, 0.0);
  return One(std::move(y));
}

/// The taps of a linear or cubic resize along one axis.
struct AxisTaps {
  int n = 2;  // taps per output index
  double cubic_a = -0.75;
  bool exclude_outside = false;
  std::vector<int64_t> taps;
  std::vector<double> weights;
  std::vector<char> outside;  // the output index reads the extrapolation value
};

/// Taps and weights for every output index along axis `d` (`in` -> `out`).
absl::Status ComputeAxisTaps(const ResizeGeometry& g, int64_t d, int64_t in, int64_t out,
                             AxisTaps& t) {
  const int n = t.n;
  const bool crop = g.crop;
  const double cubic_a = t.cubic_a;
  const bool exclude_outside = t.exclude_outside;
  std::vector<int64_t>& taps = t.taps;
  std::vector<double>& weights = t.weights;
  std::vector<char>& outside = t.outside;
  taps.assign(out * n, 0);
  weights.assign(out * n, 0.0);
  outside.assign(out, 0);
  for (int64_t o = 0; o < out; ++o) {
    const double c = g.Source(d, o);
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
  return absl::OkStatus();
}

/// `cur` resized along axis `d` with the taps of that axis.
Tensor ApplyAxisTaps(const Tensor& cur, int64_t d, int64_t out, const AxisTaps& t,
                     float extrapolation) {
  const int64_t rank = cur.dims.size();
  const int64_t in = cur.dims[d];
  const int n = t.n;
  const std::vector<int64_t>& taps = t.taps;
  const std::vector<double>& weights = t.weights;
  const std::vector<char>& outside = t.outside;
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
  return next;
}

// Linear and cubic: separable 1-D passes, innermost axis first (the order
// of ONNX's reference, which matters only for tf_crop_and_resize's
// extrapolation). Each output index reads n taps around its source
// coordinate, the input edge-extended beyond its ends.
Kernel ResizeLinearOrCubic(const OpContext& ctx, const ResizeGeometry& g, const std::string& mode) {
  const Tensor* x = g.x;
  const int64_t rank = x->dims.size();
  if (!x->IsFloat()) return InvalidArg(mode, " resize needs a float input");
  AxisTaps t;
  t.n = mode == "cubic" ? 4 : 2;
  t.cubic_a = ctx.AttrFloat("cubic_coeff_a", -0.75f);
  t.exclude_outside = ctx.AttrInt("exclude_outside", 0) != 0;
  const float extrapolation = ctx.AttrFloat("extrapolation_value", 0.0f);
  Tensor cur = *x;
  for (int64_t d = rank - 1; d >= 0; --d) {
    const int64_t in = cur.dims[d], out = g.out_dims[d];
    if (in == out && g.scales[d] == 1.0 && !g.crop) continue;
    if (in == 0) return InvalidArg("cannot resize an empty dimension");
    H8_RETURN_IF_ERROR(ComputeAxisTaps(g, d, in, out, t));
    cur = ApplyAxisTaps(cur, d, out, t, extrapolation);
  }
  return One(std::move(cur));
}

Kernel Resize(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const std::string mode = ctx.AttrString("mode", "nearest");
  ResizeGeometry g;
  g.x = x;
  g.legacy = ctx.opset() < 11;
  g.coord =
      g.legacy ? "asymmetric" : ctx.AttrString("coordinate_transformation_mode", "half_pixel");
  const std::string nearest_mode = ctx.AttrString("nearest_mode", "round_prefer_floor");
  H8_RETURN_IF_ERROR(CheckResizeAttributes(ctx, mode, g.coord));
  g.crop = g.coord == "tf_crop_and_resize";
  H8_RETURN_IF_ERROR(ResizeShape(ctx, g));
  if (mode == "nearest") return ResizeNearest(g, nearest_mode);
  return ResizeLinearOrCubic(ctx, g, mode);
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

void RegisterResizeOps(OpTable& table) {
  table["Resize"] = Resize;
  table["Upsample"] = Upsample;
}

}  // namespace eval
}  // namespace h8
