//===- UnaryOps.cpp - Unary elementwise kernels ---------------------------===//
//
// One input, one output of the same shape: math functions (Sqrt, Exp, Sin,
// ...), activations (Relu, LeakyRelu, Elu, Selu, Gelu, Mish, ...), IsNaN,
// IsInf and Clip.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "Ops.h"

namespace h8 {
namespace eval {
namespace {

using onnx::TensorProto;

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

/// Applies `ff` to float tensors; integer tensors use `fi` when given, and
/// are an error otherwise (the op is float-only in ONNX).
Kernel Unary(const OpContext& ctx, const std::function<float(float)>& ff,
             const std::function<int64_t(int64_t)>& fi = nullptr) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  Tensor y = *x;
  if (y.IsFloat()) {
    for (float& v : y.f) v = RoundToFloatDtype(ff(v), y.dtype);
  } else if (fi) {
    for (int64_t& v : y.i) v = WrapToIntDtype(fi(v), y.dtype);
  } else {
    return InvalidArg("element type ", ElementTypeName(x->dtype), " is not supported");
  }
  return One(std::move(y));
}

#define H8_UNARY_FLOAT(Name, expr)                             \
  Kernel Name(const OpContext& ctx) {                          \
    return Unary(ctx, [&](float x) -> float { return expr; }); \
  }
#define H8_UNARY_BOTH(Name, fexpr, iexpr)             \
  Kernel Name(const OpContext& ctx) {                 \
    return Unary(                                     \
        ctx, [&](float x) -> float { return fexpr; }, \
        [&](int64_t x) -> int64_t { return iexpr; }); \
  }

H8_UNARY_FLOAT(Sqrt, std::sqrt(x))
H8_UNARY_FLOAT(Exp, std::exp(x))
H8_UNARY_FLOAT(Log, std::log(x))
H8_UNARY_FLOAT(Erf, std::erf(x))
H8_UNARY_FLOAT(Reciprocal, 1.0f / x)
H8_UNARY_FLOAT(Sigmoid, x >= 0 ? 1.0f / (1.0f + std::exp(-x)) : std::exp(x) / (1.0f + std::exp(x)))
H8_UNARY_FLOAT(Tanh, std::tanh(x))
H8_UNARY_FLOAT(Floor, std::floor(x))
H8_UNARY_FLOAT(Ceil, std::ceil(x))
H8_UNARY_FLOAT(Round, std::nearbyint(x))  // default rounding is half-to-even
H8_UNARY_FLOAT(Sin, std::sin(x))
H8_UNARY_FLOAT(Cos, std::cos(x))
H8_UNARY_FLOAT(Tan, std::tan(x))
H8_UNARY_FLOAT(Asin, std::asin(x))
H8_UNARY_FLOAT(Acos, std::acos(x))
H8_UNARY_FLOAT(Atan, std::atan(x))
H8_UNARY_FLOAT(Sinh, std::sinh(x))
H8_UNARY_FLOAT(Cosh, std::cosh(x))
H8_UNARY_FLOAT(Asinh, std::asinh(x))
H8_UNARY_FLOAT(Acosh, std::acosh(x))
H8_UNARY_FLOAT(Atanh, std::atanh(x))
H8_UNARY_FLOAT(Softplus, x > 20.0f ? x : std::log1p(std::exp(x)))
H8_UNARY_FLOAT(Softsign, x / (1.0f + std::fabs(x)))
H8_UNARY_FLOAT(HardSwish, x* std::max(0.0f, std::min(1.0f, x / 6.0f + 0.5f)))
H8_UNARY_BOTH(Neg, -x, WrapSub(0, x))
H8_UNARY_BOTH(Abs, std::fabs(x), x < 0 ? WrapSub(0, x) : x)
H8_UNARY_BOTH(Relu, x > 0.0f ? x : 0.0f, x > 0 ? x : 0)
H8_UNARY_BOTH(Sign, x > 0 ? 1.0f : (x < 0 ? -1.0f : 0.0f), x > 0 ? 1 : (x < 0 ? -1 : 0))

Kernel LeakyRelu(const OpContext& ctx) {
  const float alpha = ctx.AttrFloat("alpha", 0.01f);
  return Unary(ctx, [alpha](float x) { return x >= 0 ? x : alpha * x; });
}

Kernel Celu(const OpContext& ctx) {
  const float alpha = ctx.AttrFloat("alpha", 1.0f);
  if (alpha == 0) return InvalidArg("attribute 'alpha' must not be 0");
  return Unary(ctx, [alpha](float x) { return x > 0 ? x : alpha * std::expm1(x / alpha); });
}

Kernel ThresholdedRelu(const OpContext& ctx) {
  const float alpha = ctx.AttrFloat("alpha", 1.0f);
  return Unary(ctx, [alpha](float x) { return x > alpha ? x : 0.0f; });
}

/// Shrink: x + bias below -lambd, x - bias above lambd, else 0.
Kernel Shrink(const OpContext& ctx) {
  const float lambd = ctx.AttrFloat("lambd", 0.5f), bias = ctx.AttrFloat("bias", 0.0f);
  return Unary(
      ctx, [=](float x) { return x < -lambd ? x + bias : (x > lambd ? x - bias : 0.0f); },
      [=](int64_t x) -> int64_t {
        const double d = static_cast<double>(x);
        return static_cast<int64_t>(d < -lambd ? d + bias : (d > lambd ? d - bias : 0.0));
      });
}

/// IsNaN and IsInf (detect_negative / detect_positive): bool outputs.
Kernel IsNonFinite(const OpContext& ctx, bool nan) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_RETURN_IF_ERROR(RequireFloat(*x, absl::StrCat(ctx.op_type(), " input").c_str()));
  const bool neg = ctx.AttrInt("detect_negative", 1) != 0;
  const bool pos = ctx.AttrInt("detect_positive", 1) != 0;
  Tensor y = AllocateTensor(onnx::TensorProto::BOOL, x->dims);
  for (size_t k = 0; k < x->f.size(); ++k) {
    const float v = x->f[k];
    y.i[k] = nan ? std::isnan(v) : (std::isinf(v) && ((v > 0 && pos) || (v < 0 && neg)));
  }
  return One(std::move(y));
}
Kernel IsNaN(const OpContext& ctx) { return IsNonFinite(ctx, true); }
Kernel IsInf(const OpContext& ctx) { return IsNonFinite(ctx, false); }

Kernel Elu(const OpContext& ctx) {
  const float alpha = ctx.AttrFloat("alpha", 1.0f);
  return Unary(ctx, [alpha](float x) { return x >= 0 ? x : alpha * std::expm1(x); });
}

Kernel Selu(const OpContext& ctx) {
  const float alpha = ctx.AttrFloat("alpha", 1.67326319217681884765625f);
  const float gamma = ctx.AttrFloat("gamma", 1.05070102214813232421875f);
  return Unary(ctx, [=](float x) { return gamma * (x > 0 ? x : alpha * std::expm1(x)); });
}

Kernel HardSigmoid(const OpContext& ctx) {
  const float alpha = ctx.AttrFloat("alpha", 0.2f);
  const float beta = ctx.AttrFloat("beta", 0.5f);
  return Unary(ctx, [=](float x) { return std::max(0.0f, std::min(1.0f, alpha * x + beta)); });
}

/// Gelu (opset 20): x * Phi(x) exactly, or the tanh approximation.
Kernel Gelu(const OpContext& ctx) {
  if (ctx.opset() < 20) return InvalidArg("Gelu is not in the default domain before opset 20");
  const std::string approximate = ctx.AttrString("approximate", "none");
  if (approximate == "none") {
    return Unary(ctx, [](float x) {
      const double v = x;
      return static_cast<float>(0.5 * v * (1.0 + std::erf(v * 0.70710678118654752440)));
    });
  }
  if (approximate == "tanh") {
    return Unary(ctx, [](float x) {
      const double v = x, k = 0.79788456080286535588;  // sqrt(2 / pi)
      return static_cast<float>(0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v))));
    });
  }
  return InvalidArg("attribute 'approximate' must be \"none\" or \"tanh\", got '", approximate,
                    "'");
}

/// Mish (opset 18): x * tanh(softplus(x)), softplus = log(1 + e^x).
Kernel Mish(const OpContext& ctx) {
  if (ctx.opset() < 18) return InvalidArg("Mish is not in the default domain before opset 18");
  return Unary(ctx, [](float x) {
    const double v = x;
    const double softplus = v > 30.0 ? v : std::log1p(std::exp(v));
    return static_cast<float>(v * std::tanh(softplus));
  });
}

Kernel Clip(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  if (ctx.opset() < 11) {
    lo = ctx.AttrFloat("min", -std::numeric_limits<float>::max());
    hi = ctx.AttrFloat("max", std::numeric_limits<float>::max());
  } else {
    for (int k = 1; k <= 2; ++k) {
      const Tensor* bound = ctx.Input(k);
      if (bound == nullptr) continue;
      if (bound->NumElements() != 1 || bound->IsFloat() != x->IsFloat()) {
        return InvalidArg(k == 1 ? "min" : "max", " must be a scalar of the input's element type");
      }
      (k == 1 ? lo : hi) = ElementAsDouble(*bound, 0);
    }
  }
  Tensor y = *x;
  if (y.IsFloat()) {
    for (float& v : y.f) {
      if (v < lo) v = static_cast<float>(lo);
      if (v > hi) v = static_cast<float>(hi);
    }
  } else {
    for (int64_t& v : y.i) {
      if (v < lo) v = static_cast<int64_t>(lo);
      if (v > hi) v = static_cast<int64_t>(hi);
    }
  }
  return One(std::move(y));
}

}  // namespace

void RegisterUnaryOps(OpTable& table) {
  table["Sqrt"] = Sqrt;
  table["Exp"] = Exp;
  table["Log"] = Log;
  table["Erf"] = Erf;
  table["Reciprocal"] = Reciprocal;
  table["Sigmoid"] = Sigmoid;
  table["Tanh"] = Tanh;
  table["Floor"] = Floor;
  table["Ceil"] = Ceil;
  table["Round"] = Round;
  table["Sin"] = Sin;
  table["Cos"] = Cos;
  table["Tan"] = Tan;
  table["Asin"] = Asin;
  table["Acos"] = Acos;
  table["Atan"] = Atan;
  table["Sinh"] = Sinh;
  table["Cosh"] = Cosh;
  table["Asinh"] = Asinh;
  table["Acosh"] = Acosh;
  table["Atanh"] = Atanh;
  table["Celu"] = Celu;
  table["ThresholdedRelu"] = ThresholdedRelu;
  table["Shrink"] = Shrink;
  table["IsNaN"] = IsNaN;
  table["IsInf"] = IsInf;
  table["Softplus"] = Softplus;
  table["Softsign"] = Softsign;
  table["HardSwish"] = HardSwish;
  table["Neg"] = Neg;
  table["Abs"] = Abs;
  table["Relu"] = Relu;
  table["Sign"] = Sign;
  table["LeakyRelu"] = LeakyRelu;
  table["Elu"] = Elu;
  table["Selu"] = Selu;
  table["HardSigmoid"] = HardSigmoid;
  table["Gelu"] = Gelu;
  table["Mish"] = Mish;
  table["Clip"] = Clip;
}

}  // namespace eval
}  // namespace h8
