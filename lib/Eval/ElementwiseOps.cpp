//===- ElementwiseOps.cpp - Unary, binary, variadic and softmax kernels ---===//
//
// Elementwise ops with numpy broadcasting, in float32 or int64 storage.
// Integer arithmetic wraps to the tensor's declared width (C semantics, via
// unsigned arithmetic so overflow is defined) and integer division truncates
// toward zero as ONNX specifies; division by zero is an error rather than UB.
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

absl::Status SameStorage(const Tensor& a, const Tensor& b) {
  if (a.IsFloat() != b.IsFloat()) {
    return InvalidArg("operand element types ", ElementTypeName(a.dtype), " and ",
                      ElementTypeName(b.dtype), " differ");
  }
  return absl::OkStatus();
}

/// Broadcasts a and b and writes f(a_elem, b_elem) into a tensor of
/// `out_dtype`. `f` is generic: it sees floats or int64s, matching storage.
template <typename F>
absl::StatusOr<Tensor> BroadcastBinary(const Tensor& a, const Tensor& b, int32_t out_dtype, F f) {
  H8_RETURN_IF_ERROR(SameStorage(a, b));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> dims, BroadcastShapes({a.dims, b.dims}));
  Tensor y = AllocateTensor(out_dtype, dims);
  const bool out_float = y.IsFloat();
  auto run = [&](const auto& av, const auto& bv) {
    BroadcastLoop<2>(dims, {&a.dims, &b.dims}, [&](int64_t o, const std::array<int64_t, 2>& i) {
      auto r = f(av[i[0]], bv[i[1]]);
      if (out_float) {
        y.f[o] = static_cast<float>(r);
      } else {
        y.i[o] = static_cast<int64_t>(r);
      }
    });
  };
  if (a.IsFloat()) run(a.f, b.f);
  else run(a.i, b.i);
  if (!out_float && out_dtype != TensorProto::INT64 && out_dtype != TensorProto::UINT64) {
    for (int64_t& v : y.i) v = WrapToIntDtype(v, out_dtype);
  }
  return y;
}

int64_t WrapAdd(int64_t x, int64_t y) {
  return static_cast<int64_t>(static_cast<uint64_t>(x) + static_cast<uint64_t>(y));
}
int64_t WrapSub(int64_t x, int64_t y) {
  return static_cast<int64_t>(static_cast<uint64_t>(x) - static_cast<uint64_t>(y));
}
int64_t WrapMul(int64_t x, int64_t y) {
  return static_cast<int64_t>(static_cast<uint64_t>(x) * static_cast<uint64_t>(y));
}

enum class Arith { kAdd, kSub, kMul, kDiv, kMin, kMax };

absl::StatusOr<Tensor> ArithBinary(const Tensor& a, const Tensor& b, Arith op) {
  H8_RETURN_IF_ERROR(SameStorage(a, b));
  if (a.IsFloat()) {
    return BroadcastBinary(a, b, a.dtype, [op](auto x, auto y) -> float {
      switch (op) {
        case Arith::kAdd: return x + y;
        case Arith::kSub: return x - y;
        case Arith::kMul: return x * y;
        case Arith::kDiv: return x / y;
        case Arith::kMin: return std::isnan(x) || std::isnan(y) ? NAN : std::min<float>(x, y);
        case Arith::kMax: return std::isnan(x) || std::isnan(y) ? NAN : std::max<float>(x, y);
      }
      return 0.0f;
    });
  }
  if (op == Arith::kDiv) {
    for (int64_t v : b.i) {
      if (v == 0) return InvalidArg("integer division by zero");
    }
  }
  return BroadcastBinary(a, b, a.dtype, [op](auto x, auto y) -> int64_t {
    switch (op) {
      case Arith::kAdd: return WrapAdd(x, y);
      case Arith::kSub: return WrapSub(x, y);
      case Arith::kMul: return WrapMul(x, y);
      case Arith::kDiv: return y == -1 ? WrapSub(0, x) : x / y;  // C truncation
      case Arith::kMin: return std::min<int64_t>(x, y);
      case Arith::kMax: return std::max<int64_t>(x, y);
    }
    return 0;
  });
}

template <Arith kOp>
Kernel ArithKernel(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(Tensor y, ArithBinary(*a, *b, kOp));
  return One(std::move(y));
}

/// BitShift on unsigned integers: bits shifted out are lost, the result
/// wraps to the element type; shifts of the type's width or more give 0.
Kernel BitShift(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  const std::string dir = ctx.AttrString("direction", "");
  if (dir != "LEFT" && dir != "RIGHT")
    return InvalidArg("attribute 'direction' must be LEFT or RIGHT");
  if (a->IsFloat() || b->IsFloat() || a->dtype != b->dtype) {
    return InvalidArg("BitShift needs two unsigned integer inputs of one type");
  }
  int bits = 0;
  switch (a->dtype) {
    case TensorProto::UINT8: bits = 8; break;
    case TensorProto::UINT16: bits = 16; break;
    case TensorProto::UINT32: bits = 32; break;
    case TensorProto::UINT64: bits = 64; break;
    default: return InvalidArg("BitShift of ", ElementTypeName(a->dtype), " is not defined");
  }
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> dims, BroadcastShapes({a->dims, b->dims}));
  H8_RETURN_IF_ERROR(CheckedNumElements(dims).status());
  Tensor y = AllocateTensor(a->dtype, dims);
  const bool left = dir == "LEFT";
  BroadcastLoop<2>(dims, {&a->dims, &b->dims}, [&](int64_t o, const std::array<int64_t, 2>& i) {
    const uint64_t x = static_cast<uint64_t>(a->i[i[0]]), n = static_cast<uint64_t>(b->i[i[1]]);
    const uint64_t r = n >= static_cast<uint64_t>(bits) ? 0 : (left ? x << n : x >> n);
    y.i[o] = WrapToIntDtype(static_cast<int64_t>(r), a->dtype);
  });
  return One(std::move(y));
}

Kernel Pow(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  // Base and exponent may have different types; the result has the base's.
  Tensor e = *b;
  if (a->IsFloat() && !e.IsFloat()) {
    e.f.assign(e.i.begin(), e.i.end());
    e.i.clear();
    e.dtype = TensorProto::FLOAT;
  } else if (!a->IsFloat() && e.IsFloat()) {
    std::vector<float> fv = std::move(e.f);
    e.f.clear();
    e.i.resize(fv.size());
    // Only integral exponents keep an integer result exact; others truncate
    // like a C cast of pow(), matching the reference implementation.
    for (size_t k = 0; k < fv.size(); ++k) e.i[k] = static_cast<int64_t>(fv[k]);
    e.dtype = TensorProto::INT64;
  }
  if (a->IsFloat()) {
    H8_ASSIGN_OR_RETURN(Tensor y, BroadcastBinary(*a, e, a->dtype, [](auto x, auto p) {
                          return std::pow(static_cast<float>(x), static_cast<float>(p));
                        }));
    return One(std::move(y));
  }
  H8_ASSIGN_OR_RETURN(Tensor y, BroadcastBinary(*a, e, a->dtype, [](auto x, auto p) -> int64_t {
                        double r = std::pow(static_cast<double>(x), static_cast<double>(p));
                        if (!(std::fabs(r) < 9.2e18)) return 0;
                        return static_cast<int64_t>(r);
                      }));
  return One(std::move(y));
}

enum class Cmp { kEqual, kLess, kGreater, kLessEq, kGreaterEq };

template <Cmp kOp>
Kernel Compare(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(Tensor y,
                      BroadcastBinary(*a, *b, TensorProto::BOOL, [](auto x, auto z) -> int64_t {
                        switch (kOp) {
                          case Cmp::kEqual: return x == z;
                          case Cmp::kLess: return x < z;
                          case Cmp::kGreater: return x > z;
                          case Cmp::kLessEq: return x <= z;
                          case Cmp::kGreaterEq: return x >= z;
                        }
                        return 0;
                      }));
  return One(std::move(y));
}

enum class Logic { kAnd, kOr, kXor };

template <Logic kOp>
Kernel LogicKernel(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  if (a->IsFloat() || b->IsFloat()) return InvalidArg("operands must be bool");
  H8_ASSIGN_OR_RETURN(Tensor y,
                      BroadcastBinary(*a, *b, TensorProto::BOOL, [](auto x, auto z) -> int64_t {
                        bool p = x != 0, q = z != 0;
                        switch (kOp) {
                          case Logic::kAnd: return p && q;
                          case Logic::kOr: return p || q;
                          case Logic::kXor: return p != q;
                        }
                        return 0;
                      }));
  return One(std::move(y));
}

Kernel Not(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->IsFloat()) return InvalidArg("operand must be bool");
  Tensor y = *x;
  y.dtype = TensorProto::BOOL;
  for (int64_t& v : y.i) v = v == 0 ? 1 : 0;
  return One(std::move(y));
}

Kernel PRelu(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* slope, ctx.Required(1));
  // Slope broadcasts unidirectionally to X.
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> dims, BroadcastShapes({x->dims, slope->dims}));
  if (dims != x->dims) {
    return InvalidArg("slope shape ", DimsString(slope->dims),
                      " does not broadcast to input shape ", DimsString(x->dims));
  }
  H8_ASSIGN_OR_RETURN(Tensor y, BroadcastBinary(*x, *slope, x->dtype,
                                                [](auto v, auto s) { return v < 0 ? v * s : v; }));
  return One(std::move(y));
}

Kernel Where(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* cond, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(const Tensor* y, ctx.Required(2));
  if (cond->IsFloat()) return InvalidArg("condition must be bool");
  H8_RETURN_IF_ERROR(SameStorage(*x, *y));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> dims, BroadcastShapes({cond->dims, x->dims, y->dims}));
  Tensor out = AllocateTensor(x->dtype, dims);
  BroadcastLoop<3>(dims, {&cond->dims, &x->dims, &y->dims},
                   [&](int64_t o, const std::array<int64_t, 3>& i) {
                     bool c = cond->i[i[0]] != 0;
                     if (out.IsFloat()) {
                       out.f[o] = c ? x->f[i[1]] : y->f[i[2]];
                     } else {
                       out.i[o] = c ? x->i[i[1]] : y->i[i[2]];
                     }
                   });
  return One(std::move(out));
}

/// Min, Max, Sum, Mean: left fold with broadcasting.
template <Arith kOp, bool kMean>
Kernel Variadic(const OpContext& ctx) {
  if (ctx.NumInputs() == 0) return InvalidArg("needs at least one input");
  H8_ASSIGN_OR_RETURN(const Tensor* first, ctx.Required(0));
  Tensor acc = *first;
  for (size_t k = 1; k < ctx.NumInputs(); ++k) {
    H8_ASSIGN_OR_RETURN(const Tensor* next, ctx.Required(k));
    H8_ASSIGN_OR_RETURN(acc, ArithBinary(acc, *next, kOp));
  }
  if (kMean) {
    if (!acc.IsFloat()) return InvalidArg("Mean needs float inputs");
    const float n = static_cast<float>(ctx.NumInputs());
    for (float& v : acc.f) v /= n;
  }
  return One(std::move(acc));
}

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

/// Casts `x` to element type `to` (C-style: float->int truncates).
absl::StatusOr<Tensor> CastTo(const Tensor& x, int32_t to) {
  if (to == TensorProto::STRING || to == TensorProto::UNDEFINED ||
      (to > TensorProto::UINT64 && to != TensorProto::BFLOAT16)) {
    return Unimpl("attribute 'to' = ", ElementTypeName(to), " is not supported");
  }
  Tensor y;
  y.dtype = to;
  y.dims = x.dims;
  if (IsFloatDtype(to)) {
    y.f.resize(x.NumElements());
    for (size_t k = 0; k < y.f.size(); ++k) {
      float v = x.IsFloat() ? x.f[k] : static_cast<float>(x.i[k]);
      y.f[k] = RoundToFloatDtype(v, to);
    }
  } else {
    y.i.resize(x.NumElements());
    for (size_t k = 0; k < y.i.size(); ++k) {
      int64_t v;
      if (!x.IsFloat()) {
        v = x.i[k];
      } else if (to == TensorProto::BOOL) {
        v = x.f[k] != 0.0f ? 1 : 0;  // NaN is true, as in numpy
      } else {
        float f = x.f[k];
        if (std::isnan(f)) {
          v = 0;
        } else if (f >= 9.2233720368547758e18f) {
          v = std::numeric_limits<int64_t>::max();
        } else if (f <= -9.2233720368547758e18f) {
          v = std::numeric_limits<int64_t>::min();
        } else {
          v = static_cast<int64_t>(f);
        }
      }
      y.i[k] = WrapToIntDtype(v, to);
    }
  }
  return y;
}

Kernel Cast(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (!ctx.HasAttr("to")) return InvalidArg("attribute 'to' is required");
  H8_ASSIGN_OR_RETURN(Tensor y, CastTo(*x, static_cast<int32_t>(ctx.AttrInt("to", 0))));
  return One(std::move(y));
}

Kernel CastLike(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* like, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(Tensor y, CastTo(*x, like->dtype));
  return One(std::move(y));
}

enum class SoftKind { kSoftmax, kLogSoftmax, kHardmax };

/// Softmax family. Before opset 13 the input is coerced to 2-D at `axis`
/// (default 1) and normalized over the flattened trailing block; from 13 on
/// only the single `axis` (default -1) is normalized.
template <SoftKind kKind>
Kernel Softmax(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (!x->IsFloat()) return InvalidArg("input must be float");
  const int64_t rank = x->dims.size();
  const bool legacy = ctx.opset() < 13;
  const int64_t r = std::max<int64_t>(rank, 1);
  H8_ASSIGN_OR_RETURN(int64_t axis, CheckAxis(ctx.AttrInt("axis", legacy ? 1 : -1), r));
  int64_t outer = 1, len = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (d < axis) outer *= x->dims[d];
    else if (legacy || d == axis) len *= x->dims[d];
    else inner *= x->dims[d];
  }
  Tensor y = *x;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      float* base = y.f.data() + o * len * inner + in;
      float mx = -std::numeric_limits<float>::infinity();
      int64_t arg = 0;
      for (int64_t k = 0; k < len; ++k) {
        if (base[k * inner] > mx) {
          mx = base[k * inner];
          arg = k;
        }
      }
      if (kKind == SoftKind::kHardmax) {
        for (int64_t k = 0; k < len; ++k) base[k * inner] = k == arg ? 1.0f : 0.0f;
        continue;
      }
      double sum = 0;
      for (int64_t k = 0; k < len; ++k) sum += std::exp(static_cast<double>(base[k * inner]) - mx);
      for (int64_t k = 0; k < len; ++k) {
        double v = static_cast<double>(base[k * inner]) - mx;
        base[k * inner] =
            static_cast<float>(kKind == SoftKind::kSoftmax ? std::exp(v) / sum : v - std::log(sum));
      }
    }
  }
  return One(std::move(y));
}

}  // namespace

void RegisterElementwiseOps(OpTable& table) {
  table["Add"] = ArithKernel<Arith::kAdd>;
  table["Sub"] = ArithKernel<Arith::kSub>;
  table["Mul"] = ArithKernel<Arith::kMul>;
  table["Div"] = ArithKernel<Arith::kDiv>;
  table["Pow"] = Pow;
  table["BitShift"] = BitShift;
  table["Equal"] = Compare<Cmp::kEqual>;
  table["Less"] = Compare<Cmp::kLess>;
  table["Greater"] = Compare<Cmp::kGreater>;
  table["LessOrEqual"] = Compare<Cmp::kLessEq>;
  table["GreaterOrEqual"] = Compare<Cmp::kGreaterEq>;
  table["And"] = LogicKernel<Logic::kAnd>;
  table["Or"] = LogicKernel<Logic::kOr>;
  table["Xor"] = LogicKernel<Logic::kXor>;
  table["Not"] = Not;
  table["PRelu"] = PRelu;
  table["Where"] = Where;
  table["Min"] = Variadic<Arith::kMin, false>;
  table["Max"] = Variadic<Arith::kMax, false>;
  table["Sum"] = Variadic<Arith::kAdd, false>;
  table["Mean"] = Variadic<Arith::kAdd, true>;
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
  table["Cast"] = Cast;
  table["CastLike"] = CastLike;
  table["Softmax"] = Softmax<SoftKind::kSoftmax>;
  table["LogSoftmax"] = Softmax<SoftKind::kLogSoftmax>;
  table["Hardmax"] = Softmax<SoftKind::kHardmax>;
}

}  // namespace eval
}  // namespace h8
