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
    Tensor y = AllocateTensor(x->dtype, out_dims);
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

void RegisterResizeOps(OpTable& table) {
  table["Resize"] = Resize;
  table["Upsample"] = Upsample;
}

}  // namespace eval
}  // namespace h8
