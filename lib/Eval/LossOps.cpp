//===- LossOps.cpp - NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss ----===//
//
// The loss ops training exports end in. Scores are [N, C] or [N, C, d...],
// targets [N] or [N, d...]; an optional per-class weight, ignore_index
// (those elements count neither in the sum nor in the mean's weight) and
// reduction none / sum / mean (mean divides by the summed weights of the
// counted elements, as ONNX's reference does). SoftmaxCrossEntropyLoss
// applies log-softmax over the class axis first and can return it as its
// second output. Sums run in double.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cmath>
#include <limits>

#include "Ops.h"

namespace h8 {
namespace eval {
namespace {

/// The loss of `logp` ([N, C, D] flattened; log-probabilities) against
/// `target`, reduced as the node says.
Kernel NllFrom(const OpContext& ctx, const std::vector<double>& logp, const Tensor& scores,
               const Tensor& target, std::vector<Tensor> extra) {
  const std::string reduction = ctx.AttrString("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean") {
    return InvalidArg("attribute 'reduction' = '", reduction, "' is not none, sum or mean");
  }
  if (target.IsFloat()) return InvalidArg("target must be an integer tensor");
  const int64_t n = scores.dims[0], c = scores.dims[1], d = Product(scores.dims, 2);
  std::vector<int64_t> want = {n};
  want.insert(want.end(), scores.dims.begin() + 2, scores.dims.end());
  if (target.dims != want) {
    return InvalidArg("target ", DimsString(target.dims), " must be ", DimsString(want));
  }
  const Tensor* weight = ctx.Input(2);
  if (weight != nullptr && (!weight->IsFloat() || weight->dims != std::vector<int64_t>{c})) {
    return InvalidArg("weight must be a float tensor of ", c, " classes");
  }
  const bool has_ignore = ctx.HasAttr("ignore_index");
  const int64_t ignore = ctx.AttrInt("ignore_index", 0);
  Tensor loss = AllocateTensor(scores.dtype, reduction == "none" ? want : std::vector<int64_t>{});
  double sum = 0, weight_sum = 0;
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t k = 0; k < d; ++k) {
      const int64_t t = target.i[b * d + k];
      if (has_ignore && t == ignore) continue;
      if (t < 0 || t >= c) return InvalidArg("target ", t, " is not a class in [0, ", c, ")");
      const double w = weight != nullptr ? weight->f[t] : 1.0;
      const double l = -logp[(b * c + t) * d + k] * w;
      if (reduction == "none") loss.f[b * d + k] = static_cast<float>(l);
      sum += l;
      weight_sum += w;
    }
  }
  if (reduction == "sum") loss.f[0] = static_cast<float>(sum);
  if (reduction == "mean") {
    loss.f[0] = weight_sum != 0 ? static_cast<float>(sum / weight_sum)
                                : std::numeric_limits<float>::quiet_NaN();
  }
  std::vector<Tensor> out;
  out.push_back(std::move(loss));
  for (Tensor& t : extra) out.push_back(std::move(t));
  return out;
}

absl::Status CheckScores(const Tensor& scores) {
  H8_RETURN_IF_ERROR(RequireFloat(scores, "scores"));
  if (scores.dims.size() < 2) return InvalidArg("scores must be [N, C, ...]");
  return absl::OkStatus();
}

Kernel NegativeLogLikelihoodLoss(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* scores, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* target, ctx.Required(1));
  H8_RETURN_IF_ERROR(CheckScores(*scores));
  std::vector<double> logp(scores->f.begin(), scores->f.end());
  return NllFrom(ctx, logp, *scores, *target, {});
}

Kernel SoftmaxCrossEntropyLoss(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* scores, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* target, ctx.Required(1));
  H8_RETURN_IF_ERROR(CheckScores(*scores));
  const int64_t n = scores->dims[0], c = scores->dims[1], d = Product(scores->dims, 2);
  // log_softmax over the class axis, stable (max subtracted).
  std::vector<double> logp(scores->f.size());
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t k = 0; k < d; ++k) {
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < c; ++j) mx = std::max<double>(mx, scores->f[(b * c + j) * d + k]);
      double s = 0;
      for (int64_t j = 0; j < c; ++j) s += std::exp(scores->f[(b * c + j) * d + k] - mx);
      const double lse = mx + std::log(s);
      for (int64_t j = 0; j < c; ++j)
        logp[(b * c + j) * d + k] = scores->f[(b * c + j) * d + k] - lse;
    }
  }
  std::vector<Tensor> extra;
  if (ctx.OutputUsed(1)) {
    Tensor lp = AllocateTensor(scores->dtype, scores->dims);
    for (size_t k = 0; k < logp.size(); ++k) lp.f[k] = static_cast<float>(logp[k]);
    extra.push_back(std::move(lp));
  }
  return NllFrom(ctx, logp, *scores, *target, std::move(extra));
}

}  // namespace

void RegisterLossOps(OpTable& table) {
  table["NegativeLogLikelihoodLoss"] = NegativeLogLikelihoodLoss;
  table["SoftmaxCrossEntropyLoss"] = SoftmaxCrossEntropyLoss;
}

}  // namespace eval
}  // namespace h8
