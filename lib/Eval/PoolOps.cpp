//===- PoolOps.cpp - Pooling kernels --------------------------------------===//
//
// MaxPool (with Indices), AveragePool, LpPool and the global pools, over the
// sliding-window geometry Conv uses (Window.h).
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cmath>
#include <limits>

#include "Ops.h"
#include "Window.h"
#include "h8/IR/Checked.h"

namespace h8 {
namespace eval {
namespace {

using onnx::TensorProto;

enum class PoolKind { kMax, kAverage, kLp };

/// MaxPool / AveragePool / LpPool over any number of spatial dims. LpPool's
/// padding contributes zeros, so it sums |x|^p over the valid taps only.
absl::StatusOr<std::vector<Tensor>> PoolOn(const OpContext& ctx, PoolKind kind, const Tensor* x) {
  const bool is_max = kind == PoolKind::kMax;
  H8_RETURN_IF_ERROR(RequireFloat(*x, absl::StrCat(ctx.op_type(), " input").c_str()));
  const double p_norm = static_cast<double>(ctx.AttrInt("p", 2));
  if (kind == PoolKind::kLp && p_norm <= 0) return InvalidArg("attribute 'p' must be positive");
  if (x->dims.size() < 3) {
    return InvalidArg("input rank ", x->dims.size(), " must be >= 3");
  }
  const size_t nd = x->dims.size() - 2;
  std::vector<int64_t> kernel = ctx.AttrInts("kernel_shape");
  if (kernel.empty()) return InvalidArg("attribute 'kernel_shape' is required");
  H8_ASSIGN_OR_RETURN(Window win, ReadWindow(ctx, kernel, nd, true));
  const bool ceil_mode = ctx.AttrInt("ceil_mode", 0) != 0;
  const bool include_pad = ctx.AttrInt("count_include_pad", 0) != 0;
  // storage_order = 1: Indices count the spatial dims column-major.
  const bool column_major = ctx.AttrInt("storage_order", 0) != 0;
  std::vector<int64_t> in(x->dims.begin() + 2, x->dims.end());
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> out, ForwardOutputDims(ctx, in, win, ceil_mode));
  std::vector<int64_t> y_dims = {x->dims[0], x->dims[1]};
  y_dims.insert(y_dims.end(), out.begin(), out.end());
  Tensor y = AllocateTensor(onnx::TensorProto::FLOAT, y_dims);
  Tensor indices;
  const bool want_indices = is_max && ctx.OutputUsed(1);
  if (want_indices) indices = AllocateTensor(onnx::TensorProto::INT64, y_dims);

  const int64_t planes = x->dims[0] * x->dims[1];
  const int64_t in_size = Product(in), out_size = Product(out);
  const int64_t ksize = Product(kernel);
  const std::vector<int64_t> in_strides = RowMajorStrides(in);
  std::vector<int64_t> col_strides(nd, 1);
  for (size_t d = 1; d < nd; ++d) col_strides[d] = col_strides[d - 1] * in[d - 1];
  std::vector<int64_t> oidx(nd), kidx(nd);
  for (int64_t o = 0; o < out_size; ++o) {
    int64_t rem = o;
    for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
      oidx[d] = rem % out[d];
      rem /= out[d];
    }
    // Divisor for count_include_pad: taps inside input + explicit pads.
    int64_t padded_taps = 1;
    for (size_t d = 0; d < nd; ++d) {
      int64_t start = oidx[d] * win.stride[d] - win.pad_begin[d];
      int64_t limit = in[d] + win.pad_end[d];
      int64_t taps = 0;
      for (int64_t k = 0; k < kernel[d]; ++k) {
        if (start + k * win.dilation[d] < limit) ++taps;
      }
      padded_taps *= taps;
    }
    // Gather valid input offsets for this window once, reuse per plane.
    std::vector<int64_t> offsets;
    offsets.reserve(ksize);
    for (int64_t kf = 0; kf < ksize; ++kf) {
      int64_t r = kf;
      for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
        kidx[d] = r % kernel[d];
        r /= kernel[d];
      }
      int64_t off = 0;
      bool valid = true;
      for (size_t d = 0; d < nd && valid; ++d) {
        int64_t p = oidx[d] * win.stride[d] - win.pad_begin[d] + kidx[d] * win.dilation[d];
        valid = p >= 0 && p < in[d];
        off += p * in_strides[d];
      }
      if (valid) offsets.push_back(off);
    }
    for (int64_t p = 0; p < planes; ++p) {
      const float* src = x->f.data() + p * in_size;
      float value;
      if (is_max) {
        value = -std::numeric_limits<float>::infinity();
        int64_t arg = offsets.empty() ? 0 : offsets[0];
        for (int64_t off : offsets) {
          if (src[off] > value || std::isnan(src[off])) {
            value = src[off];
            arg = off;
          }
        }
        if (want_indices) {
          int64_t flat = arg;
          if (column_major) {
            flat = 0;
            for (size_t d = 0; d < nd; ++d) flat += (arg / in_strides[d] % in[d]) * col_strides[d];
          }
          indices.i[p * out_size + o] = p * in_size + flat;
        }
      } else if (kind == PoolKind::kLp) {
        double sum = 0;
        for (int64_t off : offsets)
          sum += std::pow(std::fabs(static_cast<double>(src[off])), p_norm);
        value = static_cast<float>(std::pow(sum, 1.0 / p_norm));
      } else {
        float sum = 0.0f;
        for (int64_t off : offsets) sum += src[off];
        int64_t div = include_pad ? padded_taps : static_cast<int64_t>(offsets.size());
        value = div > 0 ? sum / static_cast<float>(div) : 0.0f;
      }
      y.f[p * out_size + o] = value;
    }
  }
  std::vector<Tensor> result;
  result.push_back(std::move(y));
  if (is_max && ctx.NumOutputs() > 1) result.push_back(std::move(indices));
  return result;
}

absl::StatusOr<std::vector<Tensor>> Pool(const OpContext& ctx, PoolKind kind) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  return PoolOn(ctx, kind, x);
}

/// MaxPool also takes int8/uint8 (opset 12): their values are exact in
/// float, so the float kernel runs on a copy and Y goes back to the type.
absl::StatusOr<std::vector<Tensor>> MaxPool(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->IsFloat() ||
      (x->dtype != onnx::TensorProto::INT8 && x->dtype != onnx::TensorProto::UINT8)) {
    return PoolOn(ctx, PoolKind::kMax, x);
  }
  Tensor xf = AllocateTensor(onnx::TensorProto::FLOAT, x->dims);
  for (size_t k = 0; k < x->i.size(); ++k) xf.f[k] = static_cast<float>(x->i[k]);
  H8_ASSIGN_OR_RETURN(std::vector<Tensor> out, PoolOn(ctx, PoolKind::kMax, &xf));
  Tensor y = AllocateTensor(x->dtype, out[0].dims);
  // A window entirely in the padding has no value (-inf): the type's lowest.
  const float lowest = x->dtype == onnx::TensorProto::INT8 ? -128.0f : 0.0f;
  for (size_t k = 0; k < out[0].f.size(); ++k) {
    y.i[k] = static_cast<int64_t>(std::max(out[0].f[k], lowest));
  }
  out[0] = std::move(y);
  return out;
}
absl::StatusOr<std::vector<Tensor>> AveragePool(const OpContext& ctx) {
  return Pool(ctx, PoolKind::kAverage);
}
absl::StatusOr<std::vector<Tensor>> LpPool(const OpContext& ctx) {
  return Pool(ctx, PoolKind::kLp);
}

absl::StatusOr<std::vector<Tensor>> GlobalPool(const OpContext& ctx, bool is_max) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_RETURN_IF_ERROR(RequireFloat(*x, "global pool input"));
  if (x->dims.size() < 2) return InvalidArg("input rank must be >= 2");
  std::vector<int64_t> y_dims(x->dims.size(), 1);
  y_dims[0] = x->dims[0];
  y_dims[1] = x->dims[1];
  Tensor y = AllocateTensor(onnx::TensorProto::FLOAT, y_dims);
  const int64_t planes = x->dims[0] * x->dims[1];
  const int64_t size = Product(x->dims, 2);
  for (int64_t p = 0; p < planes; ++p) {
    const float* src = x->f.data() + p * size;
    if (is_max) {
      float v = -std::numeric_limits<float>::infinity();
      for (int64_t k = 0; k < size; ++k) v = std::max(v, src[k]);
      y.f[p] = v;
    } else {
      double s = 0;
      for (int64_t k = 0; k < size; ++k) s += src[k];
      y.f[p] = size > 0 ? static_cast<float>(s / size) : 0.0f;
    }
  }
  return std::vector<Tensor>{std::move(y)};
}

absl::StatusOr<std::vector<Tensor>> GlobalAveragePool(const OpContext& ctx) {
  return GlobalPool(ctx, false);
}
absl::StatusOr<std::vector<Tensor>> GlobalMaxPool(const OpContext& ctx) {
  return GlobalPool(ctx, true);
}

}  // namespace

void RegisterPoolOps(OpTable& table) {
  table["MaxPool"] = MaxPool;
  table["LpPool"] = LpPool;
  table["AveragePool"] = AveragePool;
  table["GlobalAveragePool"] = GlobalAveragePool;
  table["GlobalMaxPool"] = GlobalMaxPool;
}

}  // namespace eval
}  // namespace h8
