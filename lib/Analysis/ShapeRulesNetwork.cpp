//===- ShapeRulesNetwork.cpp - Shape rules of the network ops -------------===//
//
// Convolutions and pools ([N, C, spatial...]), reductions, matrix products,
// recurrent ops, Resize, DepthToSpace/SpaceToDepth, TopK, LayerNormalization
// and Einsum, at every version from opset 11 to 23.
//
//===----------------------------------------------------------------------===//
#include "ShapeRule.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "h8/IR/Match.h"
#include "h8/IR/OpTraits.h"

namespace h8 {
namespace shape_rules {
namespace {

using onnx::TensorProto;

// Conv / ConvTranspose / pools: [N, C, spatial...].
void RuleWindow(Rule& r) {
  const absl::string_view op = r.in.node.op_type();
  const ValueFacts* x = r.Shaped(0);
  const bool is_conv = op == "Conv" || op == "ConvTranspose";
  const ValueFacts* w = is_conv ? r.Shaped(1) : nullptr;
  r.SetType(0, r.Type(0));
  if (op == "MaxPool" && r.out.size() > 1) r.SetType(1, TensorProto::INT64);
  if (x == nullptr || x->dims.size() < 2) return;
  const size_t nd = x->dims.size() - 2;
  // Attribute lists are read in place or made inline (no heap): this rule
  // runs once per conv, 25k times on the 100k-node benchmark TCN.
  using Ints = absl::InlinedVector<int64_t, 6>;
  auto ints_or = [&](absl::string_view name, int64_t fill, size_t n) {
    if (auto view = r.IntsView(name)) return Ints(view->begin(), view->end());
    return Ints(n, fill);
  };
  Ints kernel = ints_or("kernel_shape", 0, 0);
  if (kernel.empty() && w != nullptr && w->dims.size() == nd + 2) {
    for (size_t i = 0; i < nd; ++i) {
      if (!w->dims[2 + i].is_static()) break;
      kernel.push_back(w->dims[2 + i].value());
    }
  }
  std::vector<Dim> dims;
  dims.reserve(nd + 2);
  dims.push_back(x->dims[0]);
  dims.emplace_back();
  if (op == "Conv") {
    if (w != nullptr && !w->dims.empty()) dims[1] = w->dims[0];
  } else if (op == "ConvTranspose") {
    if (w != nullptr && w->dims.size() > 1) dims[1] = w->dims[1] * Dim::Static(r.Int("group", 1));
  } else {
    dims[1] = x->dims[1];
  }
  const Ints strides = ints_or("strides", 1, nd);
  const Ints dil = ints_or("dilations", 1, nd);
  const Ints pads = ints_or("pads", 0, 2 * nd);
  const std::string auto_pad = GetStringAttr(r.in.node, "auto_pad", "NOTSET");
  const bool ceil_mode = r.Int("ceil_mode", 0) != 0;
  if (kernel.size() != nd || strides.size() != nd || dil.size() != nd || pads.size() != 2 * nd) {
    dims.resize(nd + 2);
    r.SetShape(0, std::move(dims), r.Type(0));
    return;
  }
  const Ints out_pad = ints_or("output_padding", 0, nd);
  const std::optional<absl::Span<const int64_t>> out_shape = r.IntsView("output_shape");
  for (size_t i = 0; i < nd; ++i) {
    const Dim& in = x->dims[2 + i];
    const int64_t s = strides[i], k = kernel[i], d = dil[i];
    constexpr int64_t kBig = int64_t{1} << 31;  // attribute values beyond are hostile
    if (s <= 0 || k <= 0 || d <= 0 || s > kBig || k > kBig || d > kBig ||
        std::abs(pads[i]) > kBig || std::abs(pads[i + nd]) > kBig ||
        (out_pad.size() == nd && std::abs(out_pad[i]) > kBig)) {
      dims.push_back(Dim());
      continue;
    }
    const Dim eff = Dim::Static((k - 1) * d + 1);
    const Dim S = Dim::Static(s);
    if (op == "ConvTranspose") {
      if (out_shape && out_shape->size() == nd) {
        dims.push_back(Dim::Static((*out_shape)[i]));
      } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        dims.push_back(in * S);
      } else {
        Dim total_pad = Dim::Static(auto_pad == "VALID" ? 0 : pads[i] + pads[i + nd]);
        dims.push_back(S * (in - Dim::Static(1)) +
                       Dim::Static(out_pad.size() == nd ? out_pad[i] : 0) + eff - total_pad);
      }
      continue;
    }
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      dims.push_back(CeilDiv(in, S));
      continue;
    }
    const int64_t total_pad = auto_pad == "VALID" ? 0 : pads[i] + pads[i + nd];
    if (s == 1 && !ceil_mode) {
      // in + pads - eff + 1 as one addition (the general form below builds
      // three expressions for a symbolic `in`); a 'same' conv gives `in`.
      Dim out = in + Dim::Static(total_pad - eff.value() + 1);
      dims.push_back(out.is_static() && out.value() <= 0 ? Dim() : out);
      continue;
    }
    Dim span = in + Dim::Static(total_pad) - eff;
    if (span.is_static() && span.value() < 0) {
      dims.push_back(Dim());
      continue;
    }
    if (!ceil_mode) {
      dims.push_back(FloorDiv(span, S) + Dim::Static(1));
    } else if (span.is_static() && in.is_static() && in.value() < (int64_t{1} << 40)) {
      int64_t o = (span.value() + s - 1) / s + 1;
      if ((o - 1) * s >= in.value() + pads[i]) --o;
      dims.push_back(Dim::Static(o));
    } else {
      dims.push_back(Dim());
    }
  }
  if (op == "MaxPool" && r.out.size() > 1) r.SetShape(1, dims, TensorProto::INT64);
  r.SetShape(0, std::move(dims), r.Type(0));
}

void RuleMatMul(Rule& r) {
  const ValueFacts* a = r.Shaped(0);
  const ValueFacts* b = r.Shaped(1);
  r.SetType(0, r.Type(0));
  if (a == nullptr || b == nullptr || a->dims.empty() || b->dims.empty()) return;
  std::vector<Dim> ad = a->dims, bd = b->dims;
  const bool a1 = ad.size() == 1, b1 = bd.size() == 1;
  if (a1) ad.insert(ad.begin(), Dim::Static(1));
  if (b1) bd.push_back(Dim::Static(1));
  ValueFacts ab, bb;
  ab.has_shape = bb.has_shape = true;
  ab.dims.assign(ad.begin(), ad.end() - 2);
  bb.dims.assign(bd.begin(), bd.end() - 2);
  auto batch = Broadcast({&ab, &bb});
  if (!batch) return;
  std::vector<Dim> dims = *batch;
  if (!a1) dims.push_back(ad[ad.size() - 2]);
  if (!b1) dims.push_back(bd.back());
  r.SetShape(0, std::move(dims), r.Type(0));
}

void RuleGemm(Rule& r) {
  const ValueFacts* a = r.Shaped(0);
  const ValueFacts* b = r.Shaped(1);
  Dim m, n;
  if (a != nullptr && a->dims.size() == 2) m = a->dims[r.Int("transA", 0) ? 1 : 0];
  if (b != nullptr && b->dims.size() == 2) n = b->dims[r.Int("transB", 0) ? 0 : 1];
  r.SetShape(0, {m, n}, r.Type(0));
}

void RuleGlobalPool(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  r.SetType(0, r.Type(0));
  if (x == nullptr || x->dims.size() < 2) return;
  std::vector<Dim> dims(x->dims.size(), Dim::Static(1));
  dims[0] = x->dims[0];
  dims[1] = x->dims[1];
  r.SetShape(0, std::move(dims), r.Type(0));
}

void RuleRecurrent(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  const int32_t type = r.Type(0);
  for (size_t k = 0; k < r.out.size(); ++k) r.SetType(static_cast<int>(k), type);
  if (x == nullptr || x->dims.size() != 3) return;
  const bool batch_first = r.Int("layout", 0) == 1;
  const Dim seq = x->dims[batch_first ? 1 : 0], batch = x->dims[batch_first ? 0 : 1];
  const Dim dirs =
      Dim::Static(GetStringAttr(r.in.node, "direction", "forward") == "bidirectional" ? 2 : 1);
  const int64_t hidden_attr = r.Int("hidden_size", -1);
  const Dim hidden = hidden_attr > 0 ? Dim::Static(hidden_attr) : Dim();
  if (batch_first) {
    r.SetShape(0, {batch, seq, dirs, hidden}, type);
    for (int k = 1; k < 3; ++k) r.SetShape(k, {batch, dirs, hidden}, type);
  } else {
    r.SetShape(0, {seq, dirs, batch, hidden}, type);
    for (int k = 1; k < 3; ++k) r.SetShape(k, {dirs, batch, hidden}, type);
  }
}

void RuleResize(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  r.SetType(0, r.Type(0));
  if (x == nullptr) return;
  const bool upsample = r.in.node.op_type() == "Upsample";
  const int sizes_slot = 3;
  if (!upsample && r.HasInput(sizes_slot)) {
    const ValueFacts* s = r.In(sizes_slot);
    if (s != nullptr && s->has_value && s->value.size() == x->dims.size() && !r.HasInput(4) &&
        FindAttr(r.in.node, "axes") == nullptr) {
      r.SetShape(0, s->value, r.Type(0));
      return;
    }
  }
  r.SetShape(0, std::vector<Dim>(x->dims.size()), r.Type(0));
}

void RuleDepthSpace(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  r.SetType(0, r.Type(0));
  if (x == nullptr || x->dims.size() != 4) return;
  const int64_t b = r.Int("blocksize", 0);
  if (b <= 0 || b > (int64_t{1} << 20)) return;
  const Dim B = Dim::Static(b), B2 = Dim::Static(b * b);
  if (r.in.node.op_type() == "DepthToSpace")
    r.SetShape(0, {x->dims[0], FloorDiv(x->dims[1], B2), x->dims[2] * B, x->dims[3] * B},
               r.Type(0));
  else
    r.SetShape(0, {x->dims[0], x->dims[1] * B2, FloorDiv(x->dims[2], B), FloorDiv(x->dims[3], B)},
               r.Type(0));
}

void RuleTopK(Rule& r) {
  const ValueFacts* x = r.Shaped(0);
  r.SetType(0, r.Type(0));
  r.SetType(1, TensorProto::INT64);
  if (x == nullptr) return;
  const int64_t rank = static_cast<int64_t>(x->dims.size());
  const int64_t axis = NormalizeAxis(r.Int("axis", -1), rank);
  if (axis < 0) return;
  std::vector<Dim> dims = x->dims;
  const ValueFacts* k = r.In(1);
  dims[axis] = k != nullptr && k->has_value && k->value.size() == 1 ? k->value[0] : Dim();
  r.SetShape(0, dims, r.Type(0));
  r.SetShape(1, dims, TensorProto::INT64);
}

void RuleLayerNorm(Rule& r) {
  r.SameAs(0, 0);
  const ValueFacts* x = r.Shaped(0);
  if (x == nullptr) return;
  const int64_t rank = static_cast<int64_t>(x->dims.size());
  const int64_t axis = NormalizeAxis(r.Int("axis", -1), rank);
  if (axis < 0) return;
  std::vector<Dim> dims = x->dims;
  for (int64_t i = axis; i < rank; ++i) dims[i] = Dim::Static(1);
  const int32_t stash = static_cast<int32_t>(r.Int("stash_type", TensorProto::FLOAT));
  for (int k = 1; k < 3; ++k) r.SetShape(k, dims, stash);
}

void RuleEinsum(Rule& r) { r.SetType(0, r.Type(0)); }

}  // namespace

// Reduce*, with axes as attribute or (opset >= 13 ReduceSum, >= 18 the
// rest) as input 1; ArgMax/ArgMin with `axis`.
void RuleReduce(Rule& r) {
  const absl::string_view op = r.in.node.op_type();
  const ValueFacts* x = r.Shaped(0);
  const bool arg = op == "ArgMax" || op == "ArgMin";
  const int32_t type = arg ? TensorProto::INT64 : r.Type(0);
  r.SetType(0, type);
  if (x == nullptr) return;
  const int64_t rank = static_cast<int64_t>(x->dims.size());
  const bool keep = r.Int("keepdims", 1) != 0;
  std::vector<int64_t> axes;
  if (arg) {
    axes.push_back(r.Int("axis", 0));
  } else {
    bool given = false;
    std::optional<std::vector<int64_t>> a = r.IntsFrom(1, "axes", &given);
    if (given && !a) {
      // Axes unknown: with keepdims the rank is still known.
      if (keep) r.SetShape(0, std::vector<Dim>(rank), type);
      return;
    }
    if (a) axes = *a;
    if (axes.empty() && r.Int("noop_with_empty_axes", 0) != 0) {
      r.SameAs(0, 0);
      return;
    }
  }
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes) {
    int64_t n = NormalizeAxis(a, rank);
    if (n < 0) return;
    reduced[n] = true;
  }
  std::vector<Dim> dims;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i]) dims.push_back(x->dims[i]);
    else if (keep) dims.push_back(Dim::Static(1));
  }
  r.SetShape(0, std::move(dims), type);
}

void AddNetworkRules(RuleMap& table) {
  table.emplace("Conv", RuleWindow);
  table.emplace("ConvTranspose", RuleWindow);
  table.emplace("MaxPool", RuleWindow);
  table.emplace("AveragePool", RuleWindow);
  table.emplace("LpPool", RuleWindow);
  table.emplace("GlobalAveragePool", RuleGlobalPool);
  table.emplace("GlobalMaxPool", RuleGlobalPool);
  table.emplace("GlobalLpPool", RuleGlobalPool);
  table.emplace("ArgMax", RuleReduce);
  table.emplace("ArgMin", RuleReduce);
  table.emplace("MatMul", RuleMatMul);
  table.emplace("Gemm", RuleGemm);
  table.emplace("LSTM", RuleRecurrent);
  table.emplace("GRU", RuleRecurrent);
  table.emplace("RNN", RuleRecurrent);
  table.emplace("Resize", RuleResize);
  table.emplace("Upsample", RuleResize);
  table.emplace("DepthToSpace", RuleDepthSpace);
  table.emplace("SpaceToDepth", RuleDepthSpace);
  table.emplace("TopK", RuleTopK);
  table.emplace("LayerNormalization", RuleLayerNorm);
  table.emplace("Einsum", RuleEinsum);
}

}  // namespace shape_rules
}  // namespace h8
