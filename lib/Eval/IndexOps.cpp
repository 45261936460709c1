//===- IndexOps.cpp - CumSum, Mod, Trilu, OneHot, TopK, Einsum ------------===//
//
// Ops addressed element by element: CumSum (exclusive/reverse), Mod (fmod 0
// and 1), Trilu, OneHot, EyeLike, NonZero, Compress, ReverseSequence,
// DepthToSpace/SpaceToDepth, TopK (ties: lower index first) and Einsum (any
// number of operands, implicit output, "...", repeated letters). Element
// gathers and scatters: GatherScatterOps.cpp.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "Ops.h"

namespace h8 {
namespace eval {
namespace {

/// prod(dims[0, axis)), dims[axis], prod(dims(axis, rank)).
struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};
AxisSplit SplitAt(const std::vector<int64_t>& dims, int64_t axis) {
  AxisSplit s;
  for (int64_t d = 0; d < static_cast<int64_t>(dims.size()); ++d) {
    if (d < axis) s.outer *= dims[d];
    else if (d == axis) s.n = dims[d];
    else s.inner *= dims[d];
  }
  return s;
}

Kernel CumSum(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* axis_t, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> axis_v, IntValues(*axis_t, "axis"));
  if (axis_v.size() != 1) return InvalidArg("axis must hold one element");
  H8_ASSIGN_OR_RETURN(int64_t axis, CheckAxis(axis_v[0], x->dims.size()));
  const bool exclusive = ctx.AttrInt("exclusive", 0) != 0;
  const bool reverse = ctx.AttrInt("reverse", 0) != 0;
  Tensor y = AllocateTensor(x->dtype, x->dims);
  const AxisSplit s = SplitAt(x->dims, axis);
  for (int64_t o = 0; o < s.outer; ++o) {
    for (int64_t in = 0; in < s.inner; ++in) {
      double fsum = 0;
      int64_t isum = 0;
      for (int64_t step = 0; step < s.n; ++step) {
        const int64_t k = reverse ? s.n - 1 - step : step;
        const int64_t at = (o * s.n + k) * s.inner + in;
        if (x->IsFloat()) {
          if (!exclusive) fsum += x->f[at];
          y.f[at] = RoundToFloatDtype(static_cast<float>(fsum), x->dtype);
          if (exclusive) fsum += x->f[at];
        } else {
          if (!exclusive) isum += x->i[at];
          y.i[at] = WrapToIntDtype(isum, x->dtype);
          if (exclusive) isum += x->i[at];
        }
      }
    }
  }
  return One(std::move(y));
}

Kernel Mod(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  const bool fmod = ctx.AttrInt("fmod", 0) != 0;
  if (a->IsFloat() != b->IsFloat()) return InvalidArg("A and B must have the same element type");
  if (a->IsFloat() && !fmod) return InvalidArg("floating-point Mod requires fmod = 1");
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> dims, BroadcastShapes({a->dims, b->dims}));
  Tensor y = AllocateTensor(a->dtype, dims);
  bool div_by_zero = false;
  BroadcastLoop<2>(dims, {&a->dims, &b->dims}, [&](int64_t o, const std::array<int64_t, 2>& k) {
    if (a->IsFloat()) {
      y.f[o] = std::fmod(a->f[k[0]], b->f[k[1]]);
      return;
    }
    const int64_t p = a->i[k[0]], q = b->i[k[1]];
    if (q == 0) {
      div_by_zero = true;
      return;
    }
    int64_t r = p % q;  // sign of the dividend (C), which fmod = 1 asks for
    if (!fmod && r != 0 && ((r < 0) != (q < 0))) r += q;  // sign of the divisor
    y.i[o] = r;
  });
  if (div_by_zero) return InvalidArg("integer Mod by zero");
  return One(std::move(y));
}

Kernel Trilu(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  int64_t k = 0;
  if (const Tensor* kt = ctx.Input(1)) {
    H8_ASSIGN_OR_RETURN(std::vector<int64_t> kv, IntValues(*kt, "k"));
    if (kv.size() != 1) return InvalidArg("k must hold one element");
    k = kv[0];
  }
  if (x->dims.size() < 2) return InvalidArg("input must have rank >= 2");
  const bool upper = ctx.AttrInt("upper", 1) != 0;
  const int64_t rows = x->dims[x->dims.size() - 2], cols = x->dims.back();
  Tensor y = AllocateTensor(x->dtype, x->dims);
  for (int64_t at = 0; at < x->NumElements(); ++at) {
    const int64_t j = at % cols, i = (at / cols) % rows;
    if (upper ? j - i >= k : j - i <= k) CopyElem(*x, at, y, at);
  }
  return One(std::move(y));
}

/// OneHot: a new axis of `depth` entries, on_value at the index, off_value
/// elsewhere; indices in [-depth, depth) (negative from the end), others give
/// an all-off row, as the spec says.
Kernel OneHot(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* idx, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* depth_t, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(const Tensor* vals, ctx.Required(2));
  if (depth_t->NumElements() != 1 || vals->NumElements() != 2) {
    return InvalidArg("depth must be a scalar and values hold [off, on]");
  }
  const double depth_value = ElementAsDouble(*depth_t, 0);
  if (!(depth_value >= 1 && depth_value <= static_cast<double>(MaxTensorElements()))) {
    return InvalidArg("depth ", depth_value, " must be in [1, ", MaxTensorElements(), "]");
  }
  const int64_t depth = static_cast<int64_t>(depth_value);
  const int64_t rank = idx->dims.size();
  int64_t axis = ctx.AttrInt("axis", -1);
  if (axis < 0) axis += rank + 1;
  if (axis < 0 || axis > rank) return InvalidArg("axis out of range for rank ", rank + 1);
  std::vector<int64_t> dims = idx->dims;
  dims.insert(dims.begin() + axis, depth);
  Tensor y = AllocateTensor(vals->dtype, dims);
  const AxisSplit sp = SplitAt(dims, axis);
  for (int64_t o = 0; o < sp.outer; ++o) {
    for (int64_t i = 0; i < sp.inner; ++i) {
      const double v = ElementAsDouble(*idx, o * sp.inner + i);
      // Outside [-depth, depth) (or NaN): no entry is on.
      int64_t at = v >= -static_cast<double>(depth) && v < static_cast<double>(depth)
                       ? static_cast<int64_t>(v)
                       : depth;
      if (at < 0) at += depth;
      for (int64_t d = 0; d < depth; ++d) {
        CopyElem(*vals, d == at ? 1 : 0, y, (o * depth + d) * sp.inner + i);
      }
    }
  }
  return One(std::move(y));
}

/// EyeLike: ones on diagonal k of a 2-D shape, in `dtype` (default the
/// input's).
Kernel EyeLike(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->dims.size() != 2) return InvalidArg("input must be 2-D");
  const int32_t dtype = static_cast<int32_t>(ctx.AttrInt("dtype", x->dtype));
  const int64_t k = ctx.AttrInt("k", 0);
  Tensor y = AllocateTensor(dtype, x->dims);
  for (int64_t i = 0; i < x->dims[0]; ++i) {
    const int64_t j = i + k;
    if (j < 0 || j >= x->dims[1]) continue;
    if (y.IsFloat()) y.f[i * x->dims[1] + j] = 1.0f;
    else y.i[i * x->dims[1] + j] = 1;
  }
  return One(std::move(y));
}

/// NonZero: the coordinates of the non-zero elements, [rank, count] int64,
/// in row-major order.
Kernel NonZero(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const int64_t rank = x->dims.size(), n = x->NumElements();
  std::vector<int64_t> hits;
  for (int64_t k = 0; k < n; ++k) {
    if (ElementAsDouble(*x, k) != 0) hits.push_back(k);
  }
  const int64_t count = hits.size();
  Tensor y = AllocateTensor(onnx::TensorProto::INT64, {rank, count});
  const std::vector<int64_t> st = RowMajorStrides(x->dims);
  for (int64_t h = 0; h < count; ++h) {
    for (int64_t d = 0; d < rank; ++d) y.i[d * count + h] = hits[h] / st[d] % x->dims[d];
  }
  return One(std::move(y));
}

/// Compress: the slices along `axis` (or of the flattened input) whose
/// condition entry is true; a condition shorter than the axis drops the rest.
Kernel Compress(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* cond, ctx.Required(1));
  if (cond->IsFloat() || cond->dims.size() != 1)
    return InvalidArg("condition must be a 1-D bool tensor");
  Tensor flat;
  const Tensor* src = x;
  int64_t axis = 0;
  if (ctx.HasAttr("axis")) {
    H8_ASSIGN_OR_RETURN(axis, CheckAxis(ctx.AttrInt("axis", 0), x->dims.size()));
  } else {
    flat = *x;
    flat.dims = {x->NumElements()};
    src = &flat;
  }
  const AxisSplit sp = SplitAt(src->dims, axis);
  if (cond->NumElements() > sp.n) return InvalidArg("condition is longer than the axis");
  std::vector<int64_t> keep;
  for (int64_t k = 0; k < cond->NumElements(); ++k) {
    if (cond->i[k] != 0) keep.push_back(k);
  }
  std::vector<int64_t> dims = src->dims;
  dims[axis] = keep.size();
  Tensor y = AllocateTensor(src->dtype, dims);
  const int64_t kept = keep.size();
  for (int64_t o = 0; o < sp.outer; ++o) {
    for (int64_t j = 0; j < kept; ++j) {
      for (int64_t i = 0; i < sp.inner; ++i) {
        CopyElem(*src, (o * sp.n + keep[j]) * sp.inner + i, y, (o * kept + j) * sp.inner + i);
      }
    }
  }
  return One(std::move(y));
}

/// ReverseSequence: for batch entry b, the first sequence_lens[b] steps
/// along time_axis are reversed; the rest are copied.
Kernel ReverseSequence(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* lens_t, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> lens, IntValues(*lens_t, "sequence_lens"));
  const int64_t ba = ctx.AttrInt("batch_axis", 1), ta = ctx.AttrInt("time_axis", 0);
  if (x->dims.size() < 2 || !((ba == 0 && ta == 1) || (ba == 1 && ta == 0))) {
    return InvalidArg("batch_axis/time_axis must be 0 and 1 of a rank >= 2 input");
  }
  const int64_t batch = x->dims[ba], steps = x->dims[ta];
  if (static_cast<int64_t>(lens.size()) != batch)
    return InvalidArg("sequence_lens must have ", batch, " entries");
  const int64_t inner = Product(x->dims, 2);
  Tensor y = AllocateTensor(x->dtype, x->dims);
  for (int64_t b = 0; b < batch; ++b) {
    if (lens[b] < 0 || lens[b] > steps)
      return InvalidArg("sequence length ", lens[b], " is outside [0, ", steps, "]");
    for (int64_t t = 0; t < steps; ++t) {
      const int64_t from = t < lens[b] ? lens[b] - 1 - t : t;
      const int64_t dst = (ba == 0 ? b * steps + t : t * batch + b) * inner;
      const int64_t src = (ba == 0 ? b * steps + from : from * batch + b) * inner;
      for (int64_t i = 0; i < inner; ++i) CopyElem(*x, src + i, y, dst + i);
    }
  }
  return One(std::move(y));
}

/// DepthToSpace (DCR or CRD) and SpaceToDepth on NCHW: y is x viewed as a
/// 6-D tensor and transposed, written as a gather of source offsets.
Kernel DepthSpace(const OpContext& ctx, bool to_space) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->dims.size() != 4) return InvalidArg("input ", DimsString(x->dims), " must be NCHW");
  const int64_t b = ctx.AttrInt("blocksize", 0);
  // The bound keeps b*b and C*b*b inside int64.
  if (b <= 0 || b > 65536) return InvalidArg("attribute 'blocksize' ", b, " is outside [1, 65536]");
  const std::string mode = ctx.AttrString("mode", "DCR");
  if (to_space && mode != "DCR" && mode != "CRD") {
    return InvalidArg("attribute 'mode' = '", mode, "' is not DCR or CRD");
  }
  const int64_t n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
  std::vector<int64_t> dims;
  if (to_space) {
    if (c % (b * b) != 0) return InvalidArg("channels ", c, " are not a multiple of blocksize^2");
    dims = {n, c / (b * b), h * b, w * b};
  } else {
    if (h % b != 0 || w % b != 0) return InvalidArg("H and W must be multiples of blocksize ", b);
    dims = {n, c * b * b, h / b, w / b};
  }
  Tensor y = AllocateTensor(x->dtype, dims);
  const int64_t oc = dims[1], oh = dims[2], ow = dims[3];
  for (int64_t bn = 0; bn < n; ++bn) {
    for (int64_t ch = 0; ch < oc; ++ch) {
      for (int64_t i = 0; i < oh; ++i) {
        for (int64_t j = 0; j < ow; ++j) {
          int64_t src;
          if (to_space) {
            // Output (ch, i, j) reads channel (bi, bj, ch) in DCR, (ch, bi, bj) in CRD.
            const int64_t bi = i % b, bj = j % b;
            const int64_t sc = mode == "DCR" ? (bi * b + bj) * oc + ch : (ch * b + bi) * b + bj;
            src = ((bn * c + sc) * h + i / b) * w + j / b;
          } else {
            // Output channel ch = (bi * b + bj) * c + sc.
            const int64_t sc = ch % c, blk = ch / c, bi = blk / b, bj = blk % b;
            src = ((bn * c + sc) * h + i * b + bi) * w + j * b + bj;
          }
          CopyElem(*x, src, y, ((bn * oc + ch) * oh + i) * ow + j);
        }
      }
    }
  }
  return One(std::move(y));
}

Kernel DepthToSpace(const OpContext& ctx) { return DepthSpace(ctx, true); }
Kernel SpaceToDepth(const OpContext& ctx) { return DepthSpace(ctx, false); }

Kernel TopK(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* k_t, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> kv, IntValues(*k_t, "K"));
  if (kv.size() != 1) return InvalidArg("K must hold one element");
  H8_ASSIGN_OR_RETURN(int64_t axis, CheckAxis(ctx.AttrInt("axis", -1), x->dims.size()));
  const bool largest = ctx.AttrInt("largest", 1) != 0;
  const AxisSplit s = SplitAt(x->dims, axis);
  const int64_t k = kv[0];
  if (k < 0 || k > s.n) return InvalidArg("K = ", k, " is outside [0, ", s.n, "]");
  std::vector<int64_t> dims = x->dims;
  dims[axis] = k;
  Tensor values = AllocateTensor(x->dtype, dims);
  Tensor indices = AllocateTensor(onnx::TensorProto::INT64, dims);
  std::vector<int64_t> order(s.n);
  for (int64_t o = 0; o < s.outer; ++o) {
    for (int64_t in = 0; in < s.inner; ++in) {
      auto at = [&](int64_t j) { return ElementAsDouble(*x, (o * s.n + j) * s.inner + in); };
      std::iota(order.begin(), order.end(), 0);
      // Sorted output either way (sorted = 0 leaves the order unspecified).
      std::stable_sort(order.begin(), order.end(), [&](int64_t p, int64_t q) {
        return largest ? at(p) > at(q) : at(p) < at(q);
      });
      for (int64_t j = 0; j < k; ++j) {
        const int64_t dst = (o * k + j) * s.inner + in;
        CopyElem(*x, (o * s.n + order[j]) * s.inner + in, values, dst);
        indices.i[dst] = order[j];
      }
    }
  }
  std::vector<Tensor> out;
  out.push_back(std::move(values));
  out.push_back(std::move(indices));
  return out;
}

/// A parsed Einsum: its terms with "..." replaced by placeholder letters
/// '0'..'9' (right-aligned broadcast dims), each letter's size and uses.
struct EinsumSpec {
  std::string eq;
  std::vector<std::string> terms;
  std::vector<const Tensor*> ops;
  int64_t ellipsis_rank = 0;
  std::map<char, int64_t> size, uses;
  std::string out_term;
};

/// `term` with its "..." replaced by the last `covered` of the
/// `ellipsis_rank` placeholder letters.
std::string ExpandEllipsis(const std::string& term, int64_t covered, int64_t ellipsis_rank) {
  const size_t dots = term.find("...");
  if (dots == std::string::npos) return term;
  std::string fill;
  for (int64_t k = ellipsis_rank - covered; k < ellipsis_rank; ++k)
    fill += static_cast<char>('0' + k);
  return term.substr(0, dots) + fill + term.substr(dots + 3);
}

/// The input terms, the operands and how many dims "..." covers.
absl::Status EinsumTerms(const OpContext& ctx, const std::string& lhs, EinsumSpec& e) {
  std::vector<std::string>& terms = e.terms;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != ctx.NumInputs()) {
    return InvalidArg("equation '", e.eq, "' has ", terms.size(), " terms for ", ctx.NumInputs(),
                      " inputs");
  }
  e.ops.resize(terms.size());
  for (size_t t = 0; t < terms.size(); ++t) {
    H8_ASSIGN_OR_RETURN(e.ops[t], ctx.Required(t));
    if (!e.ops[t]->IsFloat()) return Unimpl("Einsum on ", ElementTypeName(e.ops[t]->dtype));
    const size_t dots = terms[t].find("...");
    const int64_t rank = e.ops[t]->dims.size();
    const int64_t named =
        static_cast<int64_t>(terms[t].size()) - (dots == std::string::npos ? 0 : 3);
    if (dots == std::string::npos ? named != rank : named > rank) {
      return InvalidArg("term '", terms[t], "' does not match operand shape ",
                        DimsString(e.ops[t]->dims));
    }
    if (dots != std::string::npos) e.ellipsis_rank = std::max(e.ellipsis_rank, rank - named);
  }
  if (e.ellipsis_rank > 10) return Unimpl("'...' covering more than 10 dims");
  return absl::OkStatus();
}

/// Expands every term's "..." and records each letter's size and uses.
absl::Status EinsumLetterSizes(EinsumSpec& e) {
  for (size_t t = 0; t < e.terms.size(); ++t) {
    std::string& term = e.terms[t];
    const Tensor* op = e.ops[t];
    const int64_t named =
        static_cast<int64_t>(term.size()) - (term.find("...") == std::string::npos ? 0 : 3);
    term = ExpandEllipsis(term, static_cast<int64_t>(op->dims.size()) - named, e.ellipsis_rank);
    for (size_t d = 0; d < term.size(); ++d) {
      const char c = term[d];
      if (!std::isalpha(static_cast<unsigned char>(c)) &&
          !std::isdigit(static_cast<unsigned char>(c))) {
        return InvalidArg("equation '", e.eq, "' has an invalid character");
      }
      ++e.uses[c];
      const int64_t dim = op->dims[d];
      auto [it, fresh] = e.size.emplace(c, dim);
      if (fresh || it->second == dim) continue;
      // Only "..." dims broadcast (a size 1 against any size).
      if (std::isdigit(static_cast<unsigned char>(c)) && (it->second == 1 || dim == 1)) {
        it->second = std::max(it->second, dim);
      } else {
        return InvalidArg("letter '", std::string(1, c), "' has sizes ", it->second, " and ", dim);
      }
    }
  }
  return absl::OkStatus();
}

/// The sum over the letters absent from the output, for each output element.
Kernel EinsumContract(EinsumSpec& e) {
  const size_t n_ops = e.terms.size();
  const std::vector<std::string>& terms = e.terms;
  const std::vector<const Tensor*>& ops = e.ops;
  const std::string& out_term = e.out_term;
  std::map<char, int64_t>& size = e.size;
  // Letters: output ones first, then the summed ones; the counter walks
  // them all, the output index changing with the first group only.
  std::string letters = out_term;
  for (const auto& [c, unused] : size) {
    if (out_term.find(c) == std::string::npos) letters += c;
  }
  std::vector<int64_t> out_dims;
  for (size_t k = 0; k < out_term.size(); ++k) {
    const char c = out_term[k];
    if (size.count(c) == 0 || out_term.find(c) != k) {
      return InvalidArg("output letter '", std::string(1, c), "' is in no operand or repeated");
    }
    out_dims.push_back(size[c]);
  }
  Tensor y = AllocateTensor(onnx::TensorProto::FLOAT, out_dims);
  // Stride of each letter in each operand: 0 when absent or broadcast; a
  // letter repeated in one term adds its strides (the diagonal).
  std::vector<std::vector<int64_t>> stride(letters.size(), std::vector<int64_t>(n_ops, 0));
  for (size_t t = 0; t < n_ops; ++t) {
    const std::vector<int64_t> st = RowMajorStrides(ops[t]->dims);
    for (size_t d = 0; d < terms[t].size(); ++d) {
      if (ops[t]->dims[d] == 1) continue;
      stride[letters.find(terms[t][d])][t] += st[d];
    }
  }
  std::vector<int64_t> extent(letters.size());
  for (size_t l = 0; l < letters.size(); ++l) extent[l] = size[letters[l]];
  std::vector<int64_t> summed_extents(extent.begin() + out_term.size(), extent.end());
  auto summed_or = CheckedNumElements(summed_extents);
  if (!summed_or.ok()) return InvalidArg("the summed letters' ranges overflow int64");
  const int64_t summed = *summed_or;
  if (y.NumElements() == 0) return One(std::move(y));
  std::vector<int64_t> counter(letters.size(), 0);
  std::vector<int64_t> pos(n_ops);
  for (int64_t o = 0; o < y.NumElements(); ++o) {
    double acc = 0;
    for (int64_t s = 0; s < summed; ++s) {
      std::fill(pos.begin(), pos.end(), 0);
      for (size_t l = 0; l < letters.size(); ++l) {
        for (size_t t = 0; t < n_ops; ++t) pos[t] += counter[l] * stride[l][t];
      }
      double prod = 1;
      for (size_t t = 0; t < n_ops; ++t) prod *= ops[t]->f[pos[t]];
      acc += prod;
      // Advance the summed letters (innermost last).
      for (size_t l = letters.size(); l-- > out_term.size();) {
        if (++counter[l] < extent[l]) break;
        counter[l] = 0;
      }
    }
    y.f[o] = static_cast<float>(acc);
    for (size_t l = out_term.size(); l-- > 0;) {
      if (++counter[l] < extent[l]) break;
      counter[l] = 0;
    }
  }
  return One(std::move(y));
}

/// Einsum "<a>,<b>-><out>": every letter's size from the operands, then one
/// sum over the letters absent from the output for each output element.
/// Einsum for any number of operands: explicit ("ij,jk->ik") or implicit
/// output (letters used once, alphabetical), "..." (broadcast dims, written
/// first in an implicit output) and repeated letters within a term
/// (diagonals). Summation walks every letter's range, in double.
Kernel Einsum(const OpContext& ctx) {
  EinsumSpec e;
  std::string& eq = e.eq;
  eq = ctx.AttrString("equation", "");
  eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
  const size_t arrow = eq.find("->");
  H8_RETURN_IF_ERROR(EinsumTerms(ctx, eq.substr(0, arrow), e));
  H8_RETURN_IF_ERROR(EinsumLetterSizes(e));
  if (arrow != std::string::npos) {
    e.out_term = ExpandEllipsis(eq.substr(arrow + 2), e.ellipsis_rank, e.ellipsis_rank);
  } else {
    for (int64_t k = 0; k < e.ellipsis_rank; ++k) e.out_term += static_cast<char>('0' + k);
    for (const auto& [c, n] : e.uses) {
      if (std::isalpha(static_cast<unsigned char>(c)) && n == 1) e.out_term += c;
    }
  }
  return EinsumContract(e);
}

}  // namespace

void RegisterIndexOps(OpTable& table) {
  table.insert({{"CumSum", CumSum},
                {"Mod", Mod},
                {"Trilu", Trilu},
                {"TopK", TopK},
                {"Einsum", Einsum},
                {"DepthToSpace", DepthToSpace},
                {"SpaceToDepth", SpaceToDepth},
                {"OneHot", OneHot},
                {"EyeLike", EyeLike},
                {"NonZero", NonZero},
                {"Compress", Compress},
                {"ReverseSequence", ReverseSequence}});
}

}  // namespace eval
}  // namespace h8
