//===- ConvOps.cpp - Conv, ConvTranspose and channel normalization --------===//
//
// The compute-heavy kernels. Conv is im2col + one Eigen GEMM per (batch,
// group); ConvTranspose is one GEMM per (batch, group) followed by col2im.
// Spatial ops are written for any number of spatial dims (1-D, 2-D, 3-D).
// Also BatchNormalization and InstanceNormalization. Pools: PoolOps.cpp;
// Gemm, MatMul, Det: MatMulOps.cpp.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cmath>
#include <limits>

#include "EigenMaps.h"
#include "Ops.h"
#include "Window.h"
#include "h8/IR/Checked.h"

namespace h8 {
namespace eval {
namespace {

/// a / b rounded toward negative infinity (Python's //), for b > 0.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && (a < 0) ? 1 : 0); }

}  // namespace

/// Reads strides/dilations/pads for `nd` spatial dims and checks them.
absl::StatusOr<Window> ReadWindow(const OpContext& ctx, std::vector<int64_t> kernel, size_t nd,
                                  bool allow_dilations) {
  Window w;
  w.kernel = std::move(kernel);
  w.stride = ctx.AttrInts("strides");
  w.dilation = ctx.AttrInts("dilations");
  std::vector<int64_t> pads = ctx.AttrInts("pads");
  if (w.stride.empty()) w.stride.assign(nd, 1);
  if (w.dilation.empty()) w.dilation.assign(nd, 1);
  if (pads.empty()) pads.assign(2 * nd, 0);
  if (w.kernel.size() != nd || w.stride.size() != nd || w.dilation.size() != nd ||
      pads.size() != 2 * nd) {
    return InvalidArg("kernel_shape/strides/dilations/pads lengths (", w.kernel.size(), "/",
                      w.stride.size(), "/", w.dilation.size(), "/", pads.size(), ") do not match ",
                      nd, " spatial dims");
  }
  for (size_t d = 0; d < nd; ++d) {
    if (w.kernel[d] <= 0 || w.stride[d] <= 0 || w.dilation[d] <= 0) {
      return InvalidArg("kernel_shape, strides and dilations must be positive");
    }
    if (!allow_dilations && w.dilation[d] != 1) {
      return Unimpl("attribute 'dilations' != 1 is not supported");
    }
  }
  w.pad_begin.assign(pads.begin(), pads.begin() + nd);
  w.pad_end.assign(pads.begin() + nd, pads.end());
  return w;
}

/// Computes output spatial dims (and resolves auto_pad into pads) for a
/// forward window op (Conv, pools).
absl::StatusOr<std::vector<int64_t>> ForwardOutputDims(const OpContext& ctx,
                                                       const std::vector<int64_t>& in, Window& w,
                                                       bool ceil_mode) {
  const std::string auto_pad = ctx.AttrString("auto_pad", "NOTSET");
  const size_t nd = in.size();
  std::vector<int64_t> out(nd);
  for (size_t d = 0; d < nd; ++d) {
    const int64_t eff_k = (w.kernel[d] - 1) * w.dilation[d] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      out[d] = (in[d] + w.stride[d] - 1) / w.stride[d];
      int64_t total = std::max<int64_t>(0, (out[d] - 1) * w.stride[d] + eff_k - in[d]);
      int64_t small = total / 2;
      w.pad_begin[d] = auto_pad == "SAME_UPPER" ? small : total - small;
      w.pad_end[d] = total - w.pad_begin[d];
      continue;
    }
    if (auto_pad == "VALID") {
      w.pad_begin[d] = w.pad_end[d] = 0;
    } else if (auto_pad != "NOTSET" && !auto_pad.empty()) {
      return InvalidArg("unknown auto_pad '", auto_pad, "'");
    }
    int64_t padded = 0, span = 0;
    if (AddOverflows(in[d], w.pad_begin[d], &padded) ||
        AddOverflows(padded, w.pad_end[d], &padded) || AddOverflows(padded, -eff_k, &span))
      return InvalidArg("pads ", w.pad_begin[d], " and ", w.pad_end[d],
                        " overflow the padded size of spatial dim ", d);
    if (span < 0) {
      return InvalidArg("kernel extent ", eff_k, " exceeds padded input size ", padded,
                        " in spatial dim ", d);
    }
    if (ceil_mode) {
      out[d] = (span + w.stride[d] - 1) / w.stride[d] + 1;
      // As in PyTorch and the ONNX reference: the last window must start
      // inside the input or the leading padding.
      if ((out[d] - 1) * w.stride[d] >= in[d] + w.pad_begin[d]) --out[d];
    } else {
      out[d] = span / w.stride[d] + 1;
    }
  }
  return out;
}

namespace {

/// Moves data between an image [channels, image_dims...] and a column matrix
/// [channels * prod(kernel), prod(grid_dims)]. Grid position g and kernel tap
/// k touch image position g*stride - pad_begin + k*dilation. Gathers
/// (im2col) when kScatter is false, scatter-adds (col2im) when true.
template <bool kScatter>
void ColumnTransfer(float* image, const std::vector<int64_t>& image_dims, int64_t channels,
                    float* col, const std::vector<int64_t>& grid_dims, const Window& w) {
  const size_t nd = image_dims.size();
  const int64_t kernel_size = Product(w.kernel);
  const int64_t grid_size = Product(grid_dims);
  const int64_t image_size = Product(image_dims);
  const std::vector<int64_t> image_strides = RowMajorStrides(image_dims);
  const int64_t inner = grid_dims[nd - 1];
  const int64_t outer = grid_size / std::max<int64_t>(inner, 1);
  std::vector<int64_t> kidx(nd), gidx(nd);
  for (int64_t c = 0; c < channels; ++c) {
    float* img = image + c * image_size;
    for (int64_t kf = 0; kf < kernel_size; ++kf) {
      int64_t rem = kf;
      for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
        kidx[d] = rem % w.kernel[d];
        rem /= w.kernel[d];
      }
      float* row = col + (c * kernel_size + kf) * grid_size;
      const int64_t last = nd - 1;
      const int64_t k_off = kidx[last] * w.dilation[last] - w.pad_begin[last];
      std::fill(gidx.begin(), gidx.end(), 0);
      for (int64_t o = 0; o < outer; ++o) {
        // Offset and validity over the outer spatial dims.
        bool valid = true;
        int64_t base = 0;
        for (size_t d = 0; d + 1 < nd; ++d) {
          int64_t p = gidx[d] * w.stride[d] - w.pad_begin[d] + kidx[d] * w.dilation[d];
          if (p < 0 || p >= image_dims[d]) {
            valid = false;
            break;
          }
          base += p * image_strides[d];
        }
        float* seg = row + o * inner;
        if (!valid) {
          if (!kScatter) std::fill(seg, seg + inner, 0.0f);
        } else {
          const float* src_row = img + base;
          for (int64_t j = 0; j < inner; ++j) {
            int64_t p = j * w.stride[last] + k_off;
            if (p >= 0 && p < image_dims[last]) {
              if (kScatter) {
                img[base + p] += seg[j];
              } else {
                seg[j] = src_row[p];
              }
            } else if (!kScatter) {
              seg[j] = 0.0f;
            }
          }
        }
        for (int64_t d = static_cast<int64_t>(nd) - 2; d >= 0; --d) {
          if (++gidx[d] < grid_dims[d]) break;
          gidx[d] = 0;
        }
      }
    }
  }
}

/// Spatial kernel dims: the kernel_shape attribute, checked against the
/// weights, or the weights' trailing dims when the attribute is absent.
absl::StatusOr<std::vector<int64_t>> KernelFromWeights(const OpContext& ctx, const Tensor& w) {
  std::vector<int64_t> from_w(w.dims.begin() + 2, w.dims.end());
  std::vector<int64_t> attr = ctx.AttrInts("kernel_shape");
  if (!attr.empty() && attr != from_w) {
    return InvalidArg("kernel_shape ", DimsString(attr), " does not match weight spatial dims ",
                      DimsString(from_w));
  }
  return from_w;
}

absl::StatusOr<std::vector<Tensor>> Conv(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* w, ctx.Required(1));
  const Tensor* b = ctx.Input(2);
  H8_RETURN_IF_ERROR(RequireFloat(*x, "Conv input"));
  H8_RETURN_IF_ERROR(RequireFloat(*w, "Conv weight"));
  if (x->dims.size() < 3 || w->dims.size() != x->dims.size()) {
    return InvalidArg("input rank ", x->dims.size(), " and weight rank ", w->dims.size(),
                      " must be equal and >= 3");
  }
  const size_t nd = x->dims.size() - 2;
  const int64_t group = ctx.AttrInt("group", 1);
  const int64_t n = x->dims[0], c = x->dims[1], m = w->dims[0];
  if (group <= 0 || c % group != 0 || m % group != 0 || w->dims[1] * group != c) {
    return InvalidArg("input channels ", c, ", weight shape ", DimsString(w->dims), " and group ",
                      group, " are inconsistent");
  }
  if (b != nullptr && (b->dims.size() != 1 || b->dims[0] != m || !b->IsFloat())) {
    return InvalidArg("bias shape ", DimsString(b->dims), " must be [", m, "] float");
  }
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> kernel, KernelFromWeights(ctx, *w));
  H8_ASSIGN_OR_RETURN(Window win, ReadWindow(ctx, kernel, nd, true));
  std::vector<int64_t> in(x->dims.begin() + 2, x->dims.end());
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> out, ForwardOutputDims(ctx, in, win, false));
  std::vector<int64_t> y_dims = {n, m};
  y_dims.insert(y_dims.end(), out.begin(), out.end());
  Tensor y = AllocateTensor(onnx::TensorProto::FLOAT, y_dims);

  const int64_t cg = c / group, mg = m / group;
  const int64_t ksize = Product(kernel);
  const int64_t in_size = Product(in), out_size = Product(out);
  bool pointwise = ksize == 1;
  for (size_t d = 0; d < nd; ++d) {
    pointwise = pointwise && win.stride[d] == 1 && win.pad_begin[d] == 0 && win.pad_end[d] == 0;
  }
  std::vector<float> col;
  if (!pointwise) col.resize(static_cast<size_t>(cg * ksize * out_size));
  std::vector<float> x_copy;  // ColumnTransfer takes a mutable image pointer
  for (int64_t bi = 0; bi < n; ++bi) {
    for (int64_t g = 0; g < group; ++g) {
      const float* x_g = x->f.data() + (bi * c + g * cg) * in_size;
      const float* cols = x_g;  // a 1x1 unpadded conv needs no im2col
      if (!pointwise) {
        ColumnTransfer<false>(const_cast<float*>(x_g), in, cg, col.data(), out, win);
        cols = col.data();
      }
      ConstMatrixMap<float> wm(w->f.data() + g * mg * cg * ksize, mg, cg * ksize);
      ConstMatrixMap<float> cm(cols, cg * ksize, out_size);
      MatrixMap<float> ym(y.f.data() + (bi * m + g * mg) * out_size, mg, out_size);
      ym.noalias() = wm * cm;
      if (b != nullptr) {
        for (int64_t k = 0; k < mg; ++k) ym.row(k).array() += b->f[g * mg + k];
      }
    }
  }
  return std::vector<Tensor>{std::move(y)};
}

absl::StatusOr<std::vector<Tensor>> ConvTranspose(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* w, ctx.Required(1));
  const Tensor* b = ctx.Input(2);
  H8_RETURN_IF_ERROR(RequireFloat(*x, "ConvTranspose input"));
  H8_RETURN_IF_ERROR(RequireFloat(*w, "ConvTranspose weight"));
  if (x->dims.size() < 3 || w->dims.size() != x->dims.size()) {
    return InvalidArg("input rank ", x->dims.size(), " and weight rank ", w->dims.size(),
                      " must be equal and >= 3");
  }
  const size_t nd = x->dims.size() - 2;
  const int64_t group = ctx.AttrInt("group", 1);
  const int64_t n = x->dims[0], c = x->dims[1];
  if (group <= 0 || w->dims[0] != c || c % group != 0) {
    return InvalidArg("input channels ", c, ", weight shape ", DimsString(w->dims), " and group ",
                      group, " are inconsistent");
  }
  const int64_t mg = w->dims[1], m = mg * group, cg = c / group;
  if (b != nullptr && (b->dims.size() != 1 || b->dims[0] != m || !b->IsFloat())) {
    return InvalidArg("bias shape ", DimsString(b->dims), " must be [", m, "] float");
  }
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> kernel, KernelFromWeights(ctx, *w));
  H8_ASSIGN_OR_RETURN(Window win, ReadWindow(ctx, kernel, nd, true));
  std::vector<int64_t> in(x->dims.begin() + 2, x->dims.end());
  std::vector<int64_t> out_pad = ctx.AttrInts("output_padding");
  if (out_pad.empty()) out_pad.assign(nd, 0);
  std::vector<int64_t> out_shape = ctx.AttrInts("output_shape");
  if (out_shape.size() == nd + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
  if (out_pad.size() != nd || (!out_shape.empty() && out_shape.size() != nd)) {
    return InvalidArg("output_padding/output_shape length does not match ", nd, " spatial dims");
  }
  const std::string auto_pad = ctx.AttrString("auto_pad", "NOTSET");
  std::vector<int64_t> out(nd);
  for (size_t d = 0; d < nd; ++d) {
    const int64_t eff_k = (kernel[d] - 1) * win.dilation[d] + 1;
    const int64_t full = win.stride[d] * (in[d] - 1) + out_pad[d] + eff_k;
    const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
    if (!out_shape.empty() || same) {
      out[d] = !out_shape.empty() ? out_shape[d] : in[d] * win.stride[d];
      const int64_t total = full - out[d];
      // Per the ONNX spec: SAME_UPPER puts the smaller half first, everything
      // else (NOTSET with output_shape, SAME_LOWER) puts it last. The spec's
      // "/" is Python's floor division: a negative total (output_shape beyond
      // the full result) of -1 gives pads (0, -1) for NOTSET, so the extra
      // zero row comes last; C++'s truncation would put it first.
      const int64_t half = FloorDiv(total, 2);
      if (auto_pad == "SAME_UPPER") {
        win.pad_begin[d] = half;
        win.pad_end[d] = total - half;
      } else {
        win.pad_begin[d] = total - half;
        win.pad_end[d] = half;
      }
    } else if (auto_pad == "VALID") {
      win.pad_begin[d] = win.pad_end[d] = 0;
      out[d] = full;
    } else if (auto_pad == "NOTSET" || auto_pad.empty()) {
      out[d] = full - win.pad_begin[d] - win.pad_end[d];
    } else {
      return InvalidArg("unknown auto_pad '", auto_pad, "'");
    }
    if (out[d] <= 0) {
      return InvalidArg("computed output size ", out[d], " in spatial dim ", d, " is not positive");
    }
  }
  std::vector<int64_t> y_dims = {n, m};
  y_dims.insert(y_dims.end(), out.begin(), out.end());
  Tensor y = AllocateTensor(onnx::TensorProto::FLOAT, y_dims);
  const int64_t ksize = Product(kernel), in_size = Product(in), out_size = Product(out);
  RowMatrix<float> col(mg * ksize, in_size);
  for (int64_t bi = 0; bi < n; ++bi) {
    for (int64_t g = 0; g < group; ++g) {
      ConstMatrixMap<float> wm(w->f.data() + g * cg * mg * ksize, cg, mg * ksize);
      ConstMatrixMap<float> xm(x->f.data() + (bi * c + g * cg) * in_size, cg, in_size);
      col.noalias() = wm.transpose() * xm;
      float* y_g = y.f.data() + (bi * m + g * mg) * out_size;
      ColumnTransfer<true>(y_g, out, mg, col.data(), in, win);
      if (b != nullptr) {
        for (int64_t k = 0; k < mg; ++k) {
          float bias = b->f[g * mg + k];
          for (int64_t j = 0; j < out_size; ++j) y_g[k * out_size + j] += bias;
        }
      }
    }
  }
  return std::vector<Tensor>{std::move(y)};
}

/// Checks a per-channel parameter vector of length `c`.
absl::Status CheckChannelVector(const Tensor& t, int64_t c, const char* what) {
  if (!t.IsFloat() || t.NumElements() != c || t.dims.size() > 1) {
    return InvalidArg(what, " shape ", DimsString(t.dims), " must be [", c, "] float");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Tensor>> BatchNormalization(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* scale, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(const Tensor* bias, ctx.Required(2));
  H8_ASSIGN_OR_RETURN(const Tensor* mean, ctx.Required(3));
  H8_ASSIGN_OR_RETURN(const Tensor* var, ctx.Required(4));
  H8_RETURN_IF_ERROR(RequireFloat(*x, "BatchNormalization input"));
  if (ctx.AttrInt("training_mode", 0) != 0) {
    return Unimpl("attribute 'training_mode' = 1 is not supported");
  }
  for (size_t k = 1; k < ctx.NumOutputs(); ++k) {
    if (ctx.OutputUsed(k)) {
      return Unimpl("training outputs (running mean/var) are not supported");
    }
  }
  if (x->dims.size() < 2) return InvalidArg("input rank must be >= 2");
  const int64_t c = x->dims[1];
  H8_RETURN_IF_ERROR(CheckChannelVector(*scale, c, "scale"));
  H8_RETURN_IF_ERROR(CheckChannelVector(*bias, c, "B"));
  H8_RETURN_IF_ERROR(CheckChannelVector(*mean, c, "mean"));
  H8_RETURN_IF_ERROR(CheckChannelVector(*var, c, "var"));
  const float eps = ctx.AttrFloat("epsilon", 1e-5f);
  Tensor y = AllocateTensor(onnx::TensorProto::FLOAT, x->dims);
  const int64_t inner = Product(x->dims, 2);
  for (int64_t bi = 0; bi < x->dims[0]; ++bi) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const float a = scale->f[ch] / std::sqrt(var->f[ch] + eps);
      const float sh = bias->f[ch] - mean->f[ch] * a;
      const int64_t base = (bi * c + ch) * inner;
      for (int64_t k = 0; k < inner; ++k) y.f[base + k] = x->f[base + k] * a + sh;
    }
  }
  std::vector<Tensor> result;
  result.push_back(std::move(y));
  result.resize(ctx.NumOutputs());
  return result;
}

absl::StatusOr<std::vector<Tensor>> InstanceNormalization(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* scale, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(const Tensor* bias, ctx.Required(2));
  H8_RETURN_IF_ERROR(RequireFloat(*x, "InstanceNormalization input"));
  if (x->dims.size() < 3) return InvalidArg("input rank must be >= 3");
  const int64_t c = x->dims[1];
  H8_RETURN_IF_ERROR(CheckChannelVector(*scale, c, "scale"));
  H8_RETURN_IF_ERROR(CheckChannelVector(*bias, c, "B"));
  const float eps = ctx.AttrFloat("epsilon", 1e-5f);
  Tensor y = AllocateTensor(onnx::TensorProto::FLOAT, x->dims);
  const int64_t inner = Product(x->dims, 2);
  for (int64_t bi = 0; bi < x->dims[0]; ++bi) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const int64_t base = (bi * c + ch) * inner;
      double sum = 0, sq = 0;
      for (int64_t k = 0; k < inner; ++k) sum += x->f[base + k];
      const double mu = sum / inner;
      for (int64_t k = 0; k < inner; ++k) {
        double dv = x->f[base + k] - mu;
        sq += dv * dv;
      }
      const double inv = 1.0 / std::sqrt(sq / inner + eps);
      for (int64_t k = 0; k < inner; ++k) {
        y.f[base + k] =
            static_cast<float>((x->f[base + k] - mu) * inv * scale->f[ch] + bias->f[ch]);
      }
    }
  }
  return std::vector<Tensor>{std::move(y)};
}

}  // namespace

void RegisterConvOps(OpTable& table) {
  table["Conv"] = Conv;
  table["ConvTranspose"] = ConvTranspose;
  table["BatchNormalization"] = BatchNormalization;
  table["InstanceNormalization"] = InstanceNormalization;
}

}  // namespace eval
}  // namespace h8
