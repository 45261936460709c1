//===- AttentionOps.cpp - Attention (opset 23) kernel ---------------------===//
//
// Scaled dot-product attention in its plain form:
//   Y = softmax(scale * Q K^T + bias) V
// with Q [B, Hq, Sq, D], K [B, Hkv, Skv, D], V [B, Hkv, Skv, Dv], or the 3-D
// packed form Q [B, Sq, Hq*D] (heads from q_num_heads/kv_num_heads, Y
// [B, Sq, Hq*Dv]). The bias is the sum of attn_mask (bool: false -> -inf;
// float: added; broadcast to [B, Hq, Sq, Skv]) and, with is_causal, -inf
// above the upper-left-aligned diagonal (key j > query i). Grouped-query
// heads: query head h reads key/value head h / (Hq / Hkv) (repeat-interleave,
// as torch and the corrected ONNX function body do). scale defaults to
// 1/sqrt(D). A row whose every score is -inf gives NaN, as the reference.
// softmax_precision is accepted and ignored (the softmax is in double);
// qk_matmul_output_mode only shapes output #3, which is refused.
// The KV cache (past_key/past_value, present outputs), softcap and the
// qk_matmul_output output are refused. Computed in double.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cmath>
#include <limits>

#include "Ops.h"

namespace h8 {
namespace eval {
namespace {

/// Where element (b, h, s, d) of a Q/K/V/Y tensor lives: [B, H, S, D] or,
/// packed, [B, S, H*D].
struct Layout {
  bool packed;
  int64_t heads, seq, depth;
  int64_t At(int64_t b, int64_t h, int64_t s, int64_t d) const {
    return packed ? ((b * seq + s) * heads + h) * depth + d
                  : ((b * heads + h) * seq + s) * depth + d;
  }
};

/// The layout of `t` (input `what`) with `heads` heads when packed.
absl::StatusOr<Layout> ReadLayout(const Tensor& t, const char* what, bool packed, int64_t heads,
                                  int64_t batch) {
  if (t.dims[0] != batch) {
    return InvalidArg(what, " batch ", t.dims[0], " differs from Q's ", batch);
  }
  if (!packed) return Layout{false, t.dims[1], t.dims[2], t.dims[3]};
  if (heads <= 0 || t.dims[2] % heads != 0) {
    return InvalidArg(what, " hidden size ", t.dims[2], " is not a multiple of ", heads, " heads");
  }
  return Layout{true, heads, t.dims[1], t.dims[2] / heads};
}

/// Refuses what the kernel does not implement: the KV cache, softcap and
/// outputs other than Y.
absl::Status CheckAttentionForm(const OpContext& ctx) {
  if (ctx.opset() < 23) {
    return InvalidArg("Attention is not in the default domain before opset 23");
  }
  if (ctx.Input(4) != nullptr || ctx.Input(5) != nullptr) {
    return Unimpl(
        "past_key/past_value (the KV cache) are not supported; only the plain form "
        "(Q, K, V, attn_mask) is");
  }
  if (ctx.Input(6) != nullptr) return Unimpl("input nonpad_kv_seqlen is not supported");
  for (size_t k = 1; k < 4; ++k) {
    if (ctx.OutputUsed(k)) {
      return Unimpl("output #", k, k == 3 ? " (qk_matmul_output)" : " (present key/value)",
                    " is not supported; only output #0 (Y) is");
    }
  }
  if (ctx.AttrFloat("softcap", 0.0f) != 0.0f) {
    return Unimpl("attribute 'softcap' != 0 is not supported");
  }
  return absl::OkStatus();
}

/// Additive bias per (b, h, i, j), broadcast from attn_mask; empty without
/// one.
absl::StatusOr<std::vector<double>> MaskBias(const OpContext& ctx,
                                             const std::vector<int64_t>& score_dims) {
  std::vector<double> bias;
  if (ctx.Input(3) != nullptr) {
    H8_ASSIGN_OR_RETURN(const Tensor* mask, ctx.Required(3));
    const bool is_bool = mask->dtype == onnx::TensorProto::BOOL;
    if (!is_bool && !mask->IsFloat()) {
      return InvalidArg("attn_mask must be bool or float, got ", ElementTypeName(mask->dtype));
    }
    H8_ASSIGN_OR_RETURN(std::vector<int64_t> bd, BroadcastShapes({mask->dims, score_dims}));
    if (bd != score_dims) {
      return InvalidArg("attn_mask shape ", DimsString(mask->dims), " does not broadcast to ",
                        DimsString(score_dims));
    }
    bias.resize(Product(score_dims));
    BroadcastLoop<1>(score_dims, {&mask->dims}, [&](int64_t o, const std::array<int64_t, 1>& i) {
      bias[o] = is_bool ? (mask->i[i[0]] != 0 ? 0.0 : -std::numeric_limits<double>::infinity())
                        : static_cast<double>(mask->f[i[0]]);
    });
  }
  return bias;
}

/// The operands of one Attention and how to read them.
struct AttentionOperands {
  const Tensor* q;
  const Tensor* k;
  const Tensor* v;
  Layout ql, kl, vl;
  int64_t batch;
  int64_t group;  // query heads per kv head
  double scale;
  bool causal;
};

/// Y = softmax(scale * Q K^T + bias) V, row by row, in double.
void Attend(const AttentionOperands& a, const std::vector<double>& bias, Tensor& y) {
  const Tensor* q = a.q;
  const Tensor* k = a.k;
  const Tensor* v = a.v;
  const Layout& ql = a.ql;
  const Layout& kl = a.kl;
  const Layout& vl = a.vl;
  const int64_t sq = ql.seq, skv = kl.seq, dv = vl.depth;
  Layout yl{ql.packed, ql.heads, sq, dv};
  std::vector<double> score(skv), acc(dv);
  for (int64_t b = 0; b < a.batch; ++b) {
    for (int64_t h = 0; h < ql.heads; ++h) {
      const int64_t kh = h / a.group;
      for (int64_t i = 0; i < sq; ++i) {
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < skv; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < ql.depth; ++d) {
            dot += static_cast<double>(q->f[ql.At(b, h, i, d)]) * k->f[kl.At(b, kh, j, d)];
          }
          double s = dot * a.scale;
          if (!bias.empty()) s += bias[((b * ql.heads + h) * sq + i) * skv + j];
          if (a.causal && j > i) s = -std::numeric_limits<double>::infinity();
          score[j] = s;
          mx = std::max(mx, s);
        }
        double sum = 0;
        for (double& s : score) sum += (s = std::exp(s - mx));
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t j = 0; j < skv; ++j) {
          for (int64_t d = 0; d < dv; ++d) acc[d] += score[j] * v->f[vl.At(b, kh, j, d)];
        }
        for (int64_t d = 0; d < dv; ++d) {
          y.f[yl.At(b, h, i, d)] = RoundToFloatDtype(static_cast<float>(acc[d] / sum), y.dtype);
        }
      }
    }
  }
}

Kernel Attention(const OpContext& ctx) {
  H8_RETURN_IF_ERROR(CheckAttentionForm(ctx));
  H8_ASSIGN_OR_RETURN(const Tensor* q, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* k, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(const Tensor* v, ctx.Required(2));
  for (const Tensor* t : {q, k, v}) H8_RETURN_IF_ERROR(RequireFloat(*t, "Q, K and V"));
  if (k->dtype != q->dtype || v->dtype != q->dtype) {
    return InvalidArg("Q, K and V element types ", ElementTypeName(q->dtype), ", ",
                      ElementTypeName(k->dtype), " and ", ElementTypeName(v->dtype), " differ");
  }
  const size_t rank = q->dims.size();
  if ((rank != 3 && rank != 4) || k->dims.size() != rank || v->dims.size() != rank) {
    return InvalidArg("Q ", DimsString(q->dims), ", K ", DimsString(k->dims), " and V ",
                      DimsString(v->dims), " must all be 3-D or all 4-D");
  }
  const bool packed = rank == 3;
  if (packed && (!ctx.HasAttr("q_num_heads") || !ctx.HasAttr("kv_num_heads"))) {
    return InvalidArg("3-D Q, K, V need attributes 'q_num_heads' and 'kv_num_heads'");
  }
  const int64_t batch = q->dims[0];
  H8_ASSIGN_OR_RETURN(Layout ql, ReadLayout(*q, "Q", packed, ctx.AttrInt("q_num_heads", 0), batch));
  H8_ASSIGN_OR_RETURN(Layout kl,
                      ReadLayout(*k, "K", packed, ctx.AttrInt("kv_num_heads", 0), batch));
  H8_ASSIGN_OR_RETURN(Layout vl,
                      ReadLayout(*v, "V", packed, ctx.AttrInt("kv_num_heads", 0), batch));
  if (!packed) {
    const int64_t qh = ctx.AttrInt("q_num_heads", ql.heads);
    const int64_t kvh = ctx.AttrInt("kv_num_heads", kl.heads);
    if (qh != ql.heads || kvh != kl.heads) {
      return InvalidArg("q_num_heads/kv_num_heads ", qh, "/", kvh, " differ from the heads of Q/K ",
                        ql.heads, "/", kl.heads);
    }
  }
  if (kl.heads != vl.heads || kl.seq != vl.seq || kl.depth != ql.depth) {
    return InvalidArg("K ", DimsString(k->dims), " and V ", DimsString(v->dims), " do not match Q ",
                      DimsString(q->dims), " (same kv heads and length, K's head size = Q's)");
  }
  if (kl.heads <= 0 || ql.heads % kl.heads != 0) {
    return InvalidArg(ql.heads, " query heads are not a multiple of ", kl.heads, " kv heads");
  }
  const int64_t group = ql.heads / kl.heads;
  const int64_t sq = ql.seq, skv = kl.seq, dv = vl.depth;
  const double scale = ctx.HasAttr("scale") ? ctx.AttrFloat("scale", 1.0f)
                                            : 1.0 / std::sqrt(static_cast<double>(ql.depth));
  const bool causal = ctx.AttrInt("is_causal", 0) != 0;

  const std::vector<int64_t> score_dims = {batch, ql.heads, sq, skv};
  H8_ASSIGN_OR_RETURN(std::vector<double> bias, MaskBias(ctx, score_dims));
  std::vector<int64_t> y_dims = packed ? std::vector<int64_t>{batch, sq, ql.heads * dv}
                                       : std::vector<int64_t>{batch, ql.heads, sq, dv};
  Tensor y = AllocateTensor(q->dtype, y_dims);
  Attend({q, k, v, ql, kl, vl, batch, group, scale, causal}, bias, y);
  return One(std::move(y));
}

}  // namespace

void RegisterAttentionOps(OpTable& table) { table["Attention"] = Attention; }

}  // namespace eval
}  // namespace h8
