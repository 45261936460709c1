//===- QuantOps.cpp - QuantizeLinear, DequantizeLinear, dynamic quantize --===//
//
// The QDQ ops of quantized exports, so a QDQ model can be verified against
// its float original. Per-tensor (scalar scale) and per-axis (1-D scale along
// `axis`, opset 13+) forms; quantized types uint8/int8 and (opset 21)
// uint16/int16. QuantizeLinear rounds half to even and saturates, as the
// spec says; the blocked form (block_size, opset 21) and the float8 and int4
// types are Unimplemented.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cmath>

#include "Ops.h"

namespace h8 {
namespace eval {
namespace {

using onnx::TensorProto;

/// [lo, hi] of a quantized integer type, or Unimplemented.
absl::StatusOr<std::pair<double, double>> QuantRange(int32_t dtype) {
  switch (dtype) {
    case TensorProto::UINT8: return std::make_pair(0.0, 255.0);
    case TensorProto::INT8: return std::make_pair(-128.0, 127.0);
    case TensorProto::UINT16: return std::make_pair(0.0, 65535.0);
    case TensorProto::INT16: return std::make_pair(-32768.0, 32767.0);
    default: break;
  }
  return Unimpl("quantized type ", ElementTypeName(dtype), " is not supported");
}

/// For element k of `x`, the index into a per-axis parameter (0 when the
/// parameter is a scalar).
struct ParamIndex {
  int64_t inner = 1, n = 1;
  bool per_axis = false;
  int64_t operator()(int64_t k) const { return per_axis ? k / inner % n : 0; }
};

/// Checks scale/zero-point shapes (scalar, or 1-D of x.dims[axis]).
absl::StatusOr<ParamIndex> ReadParamLayout(const OpContext& ctx, const Tensor& x,
                                           const Tensor& scale, const Tensor* zp) {
  if (ctx.AttrInt("block_size", 0) != 0) return Unimpl("attribute 'block_size' is not supported");
  ParamIndex p;
  if (scale.NumElements() == 1 && scale.dims.size() <= 1) {
    if (zp != nullptr && zp->NumElements() != 1)
      return InvalidArg("zero point must be a scalar like scale");
    return p;
  }
  if (scale.dims.size() != 1) return InvalidArg("scale must be a scalar or 1-D");
  H8_ASSIGN_OR_RETURN(int64_t axis, CheckAxis(ctx.AttrInt("axis", 1), x.dims.size()));
  if (scale.dims[0] != x.dims[axis]) {
    return InvalidArg("scale has ", scale.dims[0], " entries for axis ", axis, " of size ",
                      x.dims[axis]);
  }
  if (zp != nullptr && zp->dims != scale.dims)
    return InvalidArg("zero point must match scale's shape");
  p.per_axis = true;
  p.n = x.dims[axis];
  p.inner = Product(x.dims, axis + 1);
  return p;
}

Kernel QuantizeLinear(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* scale, ctx.Required(1));
  const Tensor* zp = ctx.Input(2);
  H8_RETURN_IF_ERROR(RequireFloat(*x, "QuantizeLinear input"));
  H8_RETURN_IF_ERROR(RequireFloat(*scale, "QuantizeLinear scale"));
  const int32_t dtype = zp != nullptr
                            ? zp->dtype
                            : static_cast<int32_t>(ctx.AttrInt("output_dtype", TensorProto::UINT8));
  H8_ASSIGN_OR_RETURN(auto range, QuantRange(dtype));
  H8_ASSIGN_OR_RETURN(ParamIndex at, ReadParamLayout(ctx, *x, *scale, zp));
  if (ctx.AttrInt("saturate", 1) != 1) return Unimpl("attribute 'saturate' = 0 is not supported");
  Tensor y = AllocateTensor(dtype, x->dims);
  for (int64_t k = 0; k < x->NumElements(); ++k) {
    const int64_t p = at(k);
    const double z = zp != nullptr ? ElementAsDouble(*zp, p) : 0.0;
    // x / scale in float, as a float32 runtime divides (in double a quotient
    // just below .5 can round the other way); nearbyint rounds half to even.
    const double q = std::nearbyint(x->f[k] / scale->f[p]) + z;
    y.i[k] = static_cast<int64_t>(std::clamp(q, range.first, range.second));
  }
  return One(std::move(y));
}

Kernel DequantizeLinear(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* scale, ctx.Required(1));
  const Tensor* zp = ctx.Input(2);
  if (x->IsFloat())
    return Unimpl("DequantizeLinear of ", ElementTypeName(x->dtype), " is not supported");
  H8_RETURN_IF_ERROR(RequireFloat(*scale, "DequantizeLinear scale"));
  H8_ASSIGN_OR_RETURN(ParamIndex at, ReadParamLayout(ctx, *x, *scale, zp));
  Tensor y = AllocateTensor(scale->dtype, x->dims);
  for (int64_t k = 0; k < x->NumElements(); ++k) {
    const int64_t p = at(k);
    const double z = zp != nullptr ? ElementAsDouble(*zp, p) : 0.0;
    y.f[k] = RoundToFloatDtype(static_cast<float>((static_cast<double>(x->i[k]) - z) * scale->f[p]),
                               y.dtype);
  }
  return One(std::move(y));
}

/// DynamicQuantizeLinear: uint8 with scale (max(0, x) - min(0, x)) / 255
/// and zero point round(-min / scale), all rounding half to even.
Kernel DynamicQuantizeLinear(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_RETURN_IF_ERROR(RequireFloat(*x, "DynamicQuantizeLinear input"));
  float lo = 0, hi = 0;
  for (float v : x->f) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  const float scale = (hi - lo) / 255.0f;
  const double zp = scale != 0 ? std::clamp(std::nearbyint(-lo / scale), 0.0f, 255.0f) : 0.0;
  Tensor y = AllocateTensor(TensorProto::UINT8, x->dims);
  for (int64_t k = 0; k < x->NumElements(); ++k) {
    const double q = scale != 0 ? std::nearbyint(x->f[k] / scale) + zp : zp;
    y.i[k] = static_cast<int64_t>(std::clamp(q, 0.0, 255.0));
  }
  std::vector<Tensor> out;
  out.push_back(std::move(y));
  out.push_back(MakeFloatTensor({}, {scale}));
  out.push_back(MakeIntTensor({}, {static_cast<int64_t>(zp)}, TensorProto::UINT8));
  return out;
}

}  // namespace

void RegisterQuantOps(OpTable& table) {
  table["QuantizeLinear"] = QuantizeLinear;
  table["DequantizeLinear"] = DequantizeLinear;
  table["DynamicQuantizeLinear"] = DynamicQuantizeLinear;
}

}  // namespace eval
}  // namespace h8
