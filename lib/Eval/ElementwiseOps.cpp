//===- ElementwiseOps.cpp - Binary, variadic, cast and softmax kernels ---===//
//
// Elementwise ops with numpy broadcasting, in float32 or int64 storage.
// Integer arithmetic wraps to the tensor's declared width (C semantics, via
// unsigned arithmetic so overflow is defined) and integer division truncates
// toward zero as ONNX specifies; division by zero is an error rather than UB.
// Unary kernels: UnaryOps.cpp.
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
  table["Cast"] = Cast;
  table["CastLike"] = CastLike;
  table["Softmax"] = Softmax<SoftKind::kSoftmax>;
  table["LogSoftmax"] = Softmax<SoftKind::kLogSoftmax>;
  table["Hardmax"] = Softmax<SoftKind::kHardmax>;
}

}  // namespace eval
}  // namespace h8
