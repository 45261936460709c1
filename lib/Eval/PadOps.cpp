//===- PadOps.cpp - Pad, Expand and Tile kernels --------------------------===//
//
// Ops whose output repeats or surrounds the input: Pad (constant, edge,
// reflect, wrap), Expand, Tile.
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

Kernel Pad(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const int64_t rank = x->dims.size();
  const std::string mode = ctx.AttrString("mode", "constant");
  std::vector<int64_t> pads, axes;
  double value = 0.0;
  if (ctx.opset() < 11) {
    pads = ctx.AttrInts("pads");
    value = ctx.AttrFloat("value", 0.0f);
  } else {
    H8_ASSIGN_OR_RETURN(const Tensor* p, ctx.Required(1));
    H8_ASSIGN_OR_RETURN(pads, IntValues(*p, "pads"));
    if (const Tensor* v = ctx.Input(2)) {
      if (v->NumElements() == 1) {
        value = ElementAsDouble(*v, 0);
      } else if (v->NumElements() != 0) {
        return InvalidArg("constant_value must be a scalar");
      }
    }
    if (const Tensor* a = ctx.Input(3)) {
      H8_ASSIGN_OR_RETURN(axes, IntValues(*a, "axes"));
    }
  }
  if (axes.empty()) {
    axes.resize(rank);
    std::iota(axes.begin(), axes.end(), 0);
  }
  const size_t na = axes.size();
  if (pads.size() != 2 * na) {
    return InvalidArg("pads has ", pads.size(), " entries, expected ", 2 * na);
  }
  std::vector<int64_t> pb(rank, 0), pe(rank, 0);
  for (size_t k = 0; k < na; ++k) {
    H8_ASSIGN_OR_RETURN(int64_t ax, CheckAxis(axes[k], rank));
    pb[ax] = pads[k];
    pe[ax] = pads[k + na];
  }
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap") {
    return Unimpl("attribute 'mode' = '", mode, "' is not supported");
  }
  std::vector<int64_t> out_dims(rank);
  std::vector<std::vector<int64_t>> maps(rank);
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t n = x->dims[d];
    if (AddOverflows(n, pb[d], &out_dims[d]) || AddOverflows(out_dims[d], pe[d], &out_dims[d]))
      return InvalidArg("pads ", pb[d], " and ", pe[d], " overflow dimension ", d);
    if (out_dims[d] < 0) {
      return InvalidArg("pads make dimension ", d, " negative (", out_dims[d], ")");
    }
    if (mode != "constant" && n == 0 && out_dims[d] > 0) {
      return InvalidArg("cannot ", mode, "-pad an empty dimension");
    }
    if (out_dims[d] > MaxTensorElements())
      return InvalidArg("padded dimension ", d, " would have ", out_dims[d], " elements");
    maps[d].resize(out_dims[d]);
    for (int64_t o = 0; o < out_dims[d]; ++o) {
      int64_t c = o - pb[d];
      if (c >= 0 && c < n) {
        maps[d][o] = c;
      } else if (mode == "constant") {
        maps[d][o] = -1;
      } else if (mode == "edge") {
        maps[d][o] = std::clamp<int64_t>(c, 0, n - 1);
      } else if (mode == "wrap") {
        maps[d][o] = ((c % n) + n) % n;
      } else {  // reflect, excluding the edge sample; repeats if pads > n-1
        const int64_t period = 2 * (n - 1);
        if (period == 0) {
          maps[d][o] = 0;
        } else {
          int64_t r = ((c % period) + period) % period;
          maps[d][o] = r < n ? r : period - r;
        }
      }
    }
  }
  Tensor y = AllocateTensor(x->dtype, out_dims);
  GatherByDimMaps(*x, y, maps, value);
  return One(std::move(y));
}

Kernel Expand(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* s, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> shape, IntValues(*s, "shape"));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> dims, BroadcastShapes({x->dims, shape}));
  H8_RETURN_IF_ERROR(CheckedNumElements(dims).status());
  Tensor y = AllocateTensor(x->dtype, dims);
  BroadcastLoop<1>(dims, {&x->dims}, [&](int64_t o, const std::array<int64_t, 1>& i) {
    if (y.IsFloat()) y.f[o] = x->f[i[0]];
    else y.i[o] = x->i[i[0]];
  });
  return One(std::move(y));
}

Kernel Tile(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* r, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> reps, IntValues(*r, "repeats"));
  const int64_t rank = x->dims.size();
  if (static_cast<int64_t>(reps.size()) != rank) {
    return InvalidArg("repeats has ", reps.size(), " entries for rank ", rank);
  }
  std::vector<int64_t> dims(rank);
  std::vector<std::vector<int64_t>> maps(rank);
  for (int64_t d = 0; d < rank; ++d) {
    if (reps[d] < 0) return InvalidArg("negative repeat ", reps[d]);
    if (MulOverflows(x->dims[d], reps[d], &dims[d]) || dims[d] > MaxTensorElements())
      return InvalidArg("repeat ", reps[d], " makes dimension ", d, " too large");
  }
  // The output's size is checked before the per-axis maps are built.
  H8_ASSIGN_OR_RETURN(int64_t count, CheckedNumElements(dims));
  if (count > MaxTensorElements())
    return absl::ResourceExhaustedError(absl::StrCat("the output would have ", count,
                                                     " elements, the evaluator's limit is ",
                                                     MaxTensorElements()));
  for (int64_t d = 0; d < rank; ++d) {
    maps[d].resize(dims[d]);
    for (int64_t o = 0; o < dims[d]; ++o) maps[d][o] = o % x->dims[d];
  }
  Tensor y = AllocateTensor(x->dtype, dims);
  GatherByDimMaps(*x, y, maps, 0.0);
  return One(std::move(y));
}

}  // namespace

void RegisterPadOps(OpTable& table) {
  table["Pad"] = Pad;
  table["Expand"] = Expand;
  table["Tile"] = Tile;
}

}  // namespace eval
}  // namespace h8
