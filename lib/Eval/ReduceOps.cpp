//===- ReduceOps.cpp - Reduce* and ArgMax/ArgMin kernels ------------------===//
//
// The axes of a reduction moved from an attribute to an optional input at
// opset 13 for ReduceSum and at opset 18 for the others; both forms are read
// here according to the model's opset. Accumulation is in double so that
// float32 reference results do not depend on summation order artifacts.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cmath>
#include <limits>

#include "Ops.h"

namespace h8 {
namespace eval {
namespace {

enum class Reduce { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

template <Reduce kKind>
Kernel ReduceKernel(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const int64_t rank = x->dims.size();
  const bool axes_from_input = ctx.opset() >= 18 || (kKind == Reduce::kSum && ctx.opset() >= 13);
  std::vector<int64_t> axes;
  if (axes_from_input) {
    if (ctx.HasAttr("axes")) {
      return InvalidArg("attribute 'axes' is not allowed at opset ", ctx.opset(),
                        "; axes is an input");
    }
    if (const Tensor* a = ctx.Input(1)) {
      H8_ASSIGN_OR_RETURN(axes, IntValues(*a, "axes"));
    }
  } else {
    axes = ctx.AttrInts("axes");
  }
  const bool keepdims = ctx.AttrInt("keepdims", 1) != 0;
  if (axes.empty() && axes_from_input && ctx.AttrInt("noop_with_empty_axes", 0) != 0) {
    return std::vector<Tensor>{*x};
  }
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes) {
    H8_ASSIGN_OR_RETURN(int64_t ax, CheckAxis(a, rank));
    if (reduced[ax] && !axes.empty()) return InvalidArg("axis ", a, " repeats");
    reduced[ax] = true;
  }
  std::vector<int64_t> kept = x->dims, out_dims;
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (reduced[d]) {
      count *= x->dims[d];
      kept[d] = 1;
      if (keepdims) out_dims.push_back(1);
    } else {
      out_dims.push_back(x->dims[d]);
    }
  }
  int64_t out_n = 1;
  for (int64_t d : kept) out_n *= d;
  double init = 0.0;
  if (kKind == Reduce::kProd) init = 1.0;
  if (kKind == Reduce::kMax) init = -std::numeric_limits<double>::infinity();
  if (kKind == Reduce::kMin) init = std::numeric_limits<double>::infinity();
  std::vector<double> acc(out_n, init);
  std::vector<double> shift(out_n, 0.0);
  if (kKind == Reduce::kLogSumExp) {
    // Max-shift so exp() cannot overflow.
    std::fill(shift.begin(), shift.end(), -std::numeric_limits<double>::infinity());
    BroadcastLoop<1>(x->dims, {&kept}, [&](int64_t in, const std::array<int64_t, 1>& o) {
      shift[o[0]] = std::max(shift[o[0]], ElementAsDouble(*x, in));
    });
    for (double& s : shift)
      if (std::isinf(s)) s = 0.0;
  }
  BroadcastLoop<1>(x->dims, {&kept}, [&](int64_t in, const std::array<int64_t, 1>& o) {
    const double v = ElementAsDouble(*x, in);
    double& a = acc[o[0]];
    switch (kKind) {
      case Reduce::kSum:
      case Reduce::kMean:
      case Reduce::kLogSum: a += v; break;
      case Reduce::kMax: a = std::isnan(v) ? v : std::max(a, v); break;
      case Reduce::kMin: a = std::isnan(v) ? v : std::min(a, v); break;
      case Reduce::kProd: a *= v; break;
      case Reduce::kL1: a += std::fabs(v); break;
      case Reduce::kL2:
      case Reduce::kSumSquare: a += v * v; break;
      case Reduce::kLogSumExp: a += std::exp(v - shift[o[0]]); break;
    }
  });
  Tensor y = AllocateTensor(x->dtype, out_dims);
  for (int64_t k = 0; k < out_n; ++k) {
    double v = acc[k];
    switch (kKind) {
      case Reduce::kMean: v = count > 0 ? v / count : NAN; break;
      case Reduce::kL2: v = std::sqrt(v); break;
      case Reduce::kLogSum: v = std::log(v); break;
      case Reduce::kLogSumExp: v = std::log(v) + shift[k]; break;
      default: break;
    }
    if (y.IsFloat()) {
      y.f[k] = RoundToFloatDtype(static_cast<float>(v), y.dtype);
    } else if (std::isinf(v)) {
      // Max/Min over an empty axis of an integer tensor.
      y.i[k] = v > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
    } else {
      y.i[k] = WrapToIntDtype(static_cast<int64_t>(v), y.dtype);
    }
  }
  return std::vector<Tensor>{std::move(y)};
}

template <bool kMax>
Kernel ArgKernel(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const int64_t rank = x->dims.size();
  H8_ASSIGN_OR_RETURN(int64_t axis, CheckAxis(ctx.AttrInt("axis", 0), rank));
  const bool keepdims = ctx.AttrInt("keepdims", 1) != 0;
  const bool last = ctx.AttrInt("select_last_index", 0) != 0;
  const int64_t len = x->dims[axis];
  if (len == 0) return InvalidArg("cannot take the arg of an empty axis");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x->dims[d];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x->dims[d];
  std::vector<int64_t> out_dims = x->dims;
  if (keepdims) out_dims[axis] = 1;
  else out_dims.erase(out_dims.begin() + axis);
  Tensor y = AllocateTensor(onnx::TensorProto::INT64, out_dims);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      int64_t best = 0;
      double best_v = ElementAsDouble(*x, o * len * inner + in);
      for (int64_t k = 1; k < len; ++k) {
        double v = ElementAsDouble(*x, (o * len + k) * inner + in);
        bool better =
            kMax ? (v > best_v || (last && v == best_v)) : (v < best_v || (last && v == best_v));
        if (better) {
          best = k;
          best_v = v;
        }
      }
      y.i[o * inner + in] = best;
    }
  }
  return std::vector<Tensor>{std::move(y)};
}

}  // namespace

void RegisterReduceOps(OpTable& table) {
  table["ReduceSum"] = ReduceKernel<Reduce::kSum>;
  table["ReduceMean"] = ReduceKernel<Reduce::kMean>;
  table["ReduceMax"] = ReduceKernel<Reduce::kMax>;
  table["ReduceMin"] = ReduceKernel<Reduce::kMin>;
  table["ReduceProd"] = ReduceKernel<Reduce::kProd>;
  table["ReduceL1"] = ReduceKernel<Reduce::kL1>;
  table["ReduceL2"] = ReduceKernel<Reduce::kL2>;
  table["ReduceLogSum"] = ReduceKernel<Reduce::kLogSum>;
  table["ReduceLogSumExp"] = ReduceKernel<Reduce::kLogSumExp>;
  table["ReduceSumSquare"] = ReduceKernel<Reduce::kSumSquare>;
  table["ArgMax"] = ArgKernel<true>;
  table["ArgMin"] = ArgKernel<false>;
}

}  // namespace eval
}  // namespace h8
