//===- RecurrentOps.cpp - LSTM kernel --------------------------------------===//
//
// ONNX LSTM in the form PyTorch exports: layout 0 (X is [seq, batch,
// input]), the default activations (Sigmoid, Tanh, Tanh), forward, reverse
// or bidirectional, optional bias, initial states and peepholes, no
// sequence_lens (or one equal to the sequence length everywhere). Gate
// pre-activations are accumulated in double; the states are float32 between
// steps, as a float32 runtime keeps them. Anything else is Unimplemented.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "Ops.h"
#include "absl/strings/ascii.h"

namespace h8 {
namespace eval {
namespace {

double Sigmoid(double x) {
  return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
}

/// Checks that optional input `t` (when present) is float with `dims`.
absl::Status CheckInput(const Tensor* t, const char* what, const std::vector<int64_t>& dims) {
  if (t == nullptr) return absl::OkStatus();
  if (!t->IsFloat()) {
    return Unimpl(what, " of element type ", DtypeName(t->dtype), " is not supported (float only)");
  }
  if (t->dims != dims) {
    return InvalidArg(what, " has shape ", DimsString(t->dims), ", expected ", DimsString(dims));
  }
  return absl::OkStatus();
}

/// The attributes this kernel accepts only at their defaults.
absl::Status CheckDefaults(const OpContext& ctx, int64_t num_directions) {
  if (ctx.AttrInt("layout", 0) != 0) {
    return Unimpl("attribute 'layout' = ", ctx.AttrInt("layout", 0), " is not supported");
  }
  if (ctx.AttrInt("input_forget", 0) != 0) {
    return Unimpl("attribute 'input_forget' = 1 is not supported");
  }
  if (const auto* acts = ctx.Attr("activations")) {
    static const char* const kDefault[] = {"sigmoid", "tanh", "tanh"};
    bool ok = acts->strings_size() == 3 * num_directions;
    for (int k = 0; ok && k < acts->strings_size(); ++k) {
      ok = absl::AsciiStrToLower(acts->strings(k)) == kDefault[k % 3];
    }
    if (!ok) {
      return Unimpl("attribute 'activations' other than Sigmoid, Tanh, Tanh per direction "
                    "is not supported");
    }
  }
  return absl::OkStatus();
}

/// The shapes and attributes of one LSTM node.
struct LstmShape {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, directions = 1;
  std::string direction;
  float clip = 0;  // 0: no clipping
};

absl::StatusOr<LstmShape> ReadShape(const OpContext& ctx, const Tensor& x, const Tensor& w) {
  LstmShape s;
  s.direction = ctx.AttrString("direction", "forward");
  if (s.direction != "forward" && s.direction != "reverse" && s.direction != "bidirectional") {
    return InvalidArg("attribute 'direction' must be forward, reverse or bidirectional, got '",
                      s.direction, "'");
  }
  s.directions = s.direction == "bidirectional" ? 2 : 1;
  H8_RETURN_IF_ERROR(CheckDefaults(ctx, s.directions));
  if (!x.IsFloat() || !w.IsFloat()) {
    return Unimpl("X and W must be float, got ", DtypeName(x.dtype), " and ", DtypeName(w.dtype));
  }
  if (x.dims.size() != 3 || w.dims.size() != 3 || w.dims[0] != s.directions ||
      w.dims[1] % 4 != 0 || w.dims[2] != x.dims[2]) {
    return InvalidArg("X shape ", DimsString(x.dims), " and W shape ", DimsString(w.dims),
                      " do not fit an LSTM with ", s.directions, " direction(s)");
  }
  s.seq = x.dims[0];
  s.batch = x.dims[1];
  s.input = x.dims[2];
  s.hidden = w.dims[1] / 4;
  if (ctx.HasAttr("hidden_size") && ctx.AttrInt("hidden_size", 0) != s.hidden) {
    return InvalidArg("attribute 'hidden_size' = ", ctx.AttrInt("hidden_size", 0),
                      " does not match W's ", 4 * s.hidden, " gate rows");
  }
  s.clip = ctx.AttrFloat("clip", 0.0f);
  if (ctx.HasAttr("clip") && !(s.clip > 0)) return InvalidArg("attribute 'clip' must be positive");
  return s;
}

/// Runs direction `d` over the sequence; writes Y[t, d] and the final
/// states. Gate order in W, R, B and P is i, o, f, c (P: i, o, f).
void RunDirection(const LstmShape& s, int64_t d, bool reverse, const Tensor& x,
                  const Tensor& w, const Tensor& r, const Tensor* b, const Tensor* p,
                  std::vector<float>& h, std::vector<float>& c, Tensor& y) {
  const int64_t H = s.hidden, I = s.input;
  const float* wd = w.f.data() + d * 4 * H * I;
  const float* rd = r.f.data() + d * 4 * H * H;
  const float* bd = b != nullptr ? b->f.data() + d * 8 * H : nullptr;
  const float* pd = p != nullptr ? p->f.data() + d * 3 * H : nullptr;
  auto clip = [&s](double v) { return s.clip > 0 ? std::clamp<double>(v, -s.clip, s.clip) : v; };
  std::vector<double> gates(4 * H);
  std::vector<float> h_next(H);
  for (int64_t step = 0; step < s.seq; ++step) {
    const int64_t t = reverse ? s.seq - 1 - step : step;
    for (int64_t bi = 0; bi < s.batch; ++bi) {
      const float* xt = x.f.data() + (t * s.batch + bi) * I;
      float* hb = h.data() + bi * H;
      float* cb = c.data() + bi * H;
      for (int64_t row = 0; row < 4 * H; ++row) {
        double acc = bd != nullptr ? static_cast<double>(bd[row]) + bd[4 * H + row] : 0.0;
        for (int64_t k = 0; k < I; ++k) acc += static_cast<double>(wd[row * I + k]) * xt[k];
        for (int64_t k = 0; k < H; ++k) acc += static_cast<double>(rd[row * H + k]) * hb[k];
        gates[row] = acc;
      }
      for (int64_t j = 0; j < H; ++j) {
        const double c_prev = cb[j];
        double gi = gates[j], go = gates[H + j], gf = gates[2 * H + j], gc = gates[3 * H + j];
        if (pd != nullptr) {
          gi += pd[j] * c_prev;
          gf += pd[2 * H + j] * c_prev;
        }
        const double i = Sigmoid(clip(gi)), f = Sigmoid(clip(gf)), g = std::tanh(clip(gc));
        const float c_new = static_cast<float>(f * c_prev + i * g);
        if (pd != nullptr) go += pd[H + j] * static_cast<double>(c_new);
        const double o = Sigmoid(clip(go));
        cb[j] = c_new;
        h_next[j] = static_cast<float>(o * std::tanh(static_cast<double>(c_new)));
      }
      std::copy(h_next.begin(), h_next.end(), hb);
      std::copy(h_next.begin(), h_next.end(),
                y.f.begin() + ((t * s.directions + d) * s.batch + bi) * H);
    }
  }
}

Kernel Lstm(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* w, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(const Tensor* r, ctx.Required(2));
  H8_ASSIGN_OR_RETURN(LstmShape s, ReadShape(ctx, *x, *w));
  const int64_t D = s.directions, H = s.hidden;
  const Tensor* b = ctx.Input(3);
  const Tensor* h0 = ctx.Input(5);
  const Tensor* c0 = ctx.Input(6);
  const Tensor* p = ctx.Input(7);
  H8_RETURN_IF_ERROR(CheckInput(r, "R", {D, 4 * H, H}));
  H8_RETURN_IF_ERROR(CheckInput(b, "B", {D, 8 * H}));
  H8_RETURN_IF_ERROR(CheckInput(h0, "initial_h", {D, s.batch, H}));
  H8_RETURN_IF_ERROR(CheckInput(c0, "initial_c", {D, s.batch, H}));
  H8_RETURN_IF_ERROR(CheckInput(p, "P", {D, 3 * H}));
  if (const Tensor* lens = ctx.Input(4)) {
    H8_ASSIGN_OR_RETURN(std::vector<int64_t> v, IntValues(*lens, "sequence_lens"));
    if (lens->dims != std::vector<int64_t>{s.batch}) {
      return InvalidArg("sequence_lens has shape ", DimsString(lens->dims), ", expected [",
                        s.batch, "]");
    }
    for (int64_t len : v) {
      if (len != s.seq) {
        return Unimpl("sequence_lens other than the full length ", s.seq, " is not supported");
      }
    }
  }
  Tensor y = AllocateTensor(onnx::TensorProto::FLOAT, {s.seq, D, s.batch, H});
  Tensor y_h = AllocateTensor(onnx::TensorProto::FLOAT, {D, s.batch, H});
  Tensor y_c = AllocateTensor(onnx::TensorProto::FLOAT, {D, s.batch, H});
  const int64_t state = s.batch * H;
  for (int64_t d = 0; d < D; ++d) {
    std::vector<float> h(state, 0.0f), c(state, 0.0f);
    if (h0 != nullptr) std::copy_n(h0->f.begin() + d * state, state, h.begin());
    if (c0 != nullptr) std::copy_n(c0->f.begin() + d * state, state, c.begin());
    const bool reverse = s.direction == "reverse" || d == 1;
    RunDirection(s, d, reverse, *x, *w, *r, b, p, h, c, y);
    std::copy(h.begin(), h.end(), y_h.f.begin() + d * state);
    std::copy(c.begin(), c.end(), y_c.f.begin() + d * state);
  }
  std::vector<Tensor> out;
  out.push_back(std::move(y));
  out.push_back(std::move(y_h));
  out.push_back(std::move(y_c));
  return out;
}

}  // namespace

void RegisterRecurrentOps(OpTable& table) { table["LSTM"] = Lstm; }

}  // namespace eval
}  // namespace h8
