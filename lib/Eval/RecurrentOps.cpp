//===- RecurrentOps.cpp - LSTM, GRU and RNN kernels ------------------------===//
//
// The three ONNX recurrent ops share one driver: it reads the shapes and
// attributes (direction, layout, clip, activations with their alpha/beta),
// moves layout-1 tensors to layout 0, runs each (direction, batch entry)
// over that entry's sequence_lens steps and writes Y (zero past a
// sequence's length), Y_h (and for LSTM Y_c) at the last valid step. The
// ops differ only in the cell step. Gate pre-activations are accumulated in
// double; the states are float32 between steps, as a float32 runtime keeps
// them. LSTM's input_forget = 1 and a zero sequence length are
// Unimplemented.
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

/// One activation function of the `activations` attribute, with the alpha
/// and beta it consumed (ONNX op defaults otherwise).
struct Activation {
  enum Kind {
    kSigmoid,
    kTanh,
    kRelu,
    kAffine,
    kLeakyRelu,
    kThresholdedRelu,
    kScaledTanh,
    kHardSigmoid,
    kElu,
    kSoftsign,
    kSoftplus
  };
  Kind kind = kSigmoid;
  double alpha = 0, beta = 0;

  double operator()(double x) const {
    switch (kind) {
      case kSigmoid: return Sigmoid(x);
      case kTanh: return std::tanh(x);
      case kRelu: return std::max(x, 0.0);
      case kAffine: return alpha * x + beta;
      case kLeakyRelu: return x >= 0 ? x : alpha * x;
      case kThresholdedRelu: return x > alpha ? x : 0.0;
      case kScaledTanh: return alpha * std::tanh(beta * x);
      case kHardSigmoid: return std::clamp(alpha * x + beta, 0.0, 1.0);
      case kElu: return x >= 0 ? x : alpha * (std::exp(x) - 1);
      case kSoftsign: return x / (1 + std::fabs(x));
      case kSoftplus: return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    }
    return x;
  }
};

/// Parses `name`; `alphas`/`betas` are consumed in order by the functions
/// that take them (onnxruntime's reading of the spec).
absl::StatusOr<Activation> ParseActivation(const std::string& name,
                                           const std::vector<float>& alphas, size_t& next_alpha,
                                           const std::vector<float>& betas, size_t& next_beta) {
  struct Entry {
    const char* name;
    Activation::Kind kind;
    int uses;
    double alpha, beta;
  };
  // uses: 0 none, 1 alpha, 2 alpha and beta.
  static const Entry kTable[] = {
      {"sigmoid", Activation::kSigmoid, 0, 0, 0},
      {"tanh", Activation::kTanh, 0, 0, 0},
      {"relu", Activation::kRelu, 0, 0, 0},
      {"affine", Activation::kAffine, 2, 1, 0},
      {"leakyrelu", Activation::kLeakyRelu, 1, 0.01, 0},
      {"thresholdedrelu", Activation::kThresholdedRelu, 1, 1, 0},
      {"scaledtanh", Activation::kScaledTanh, 2, 1, 1},
      {"hardsigmoid", Activation::kHardSigmoid, 2, 0.2, 0.5},
      {"elu", Activation::kElu, 1, 1, 0},
      {"softsign", Activation::kSoftsign, 0, 0, 0},
      {"softplus", Activation::kSoftplus, 0, 0, 0},
  };
  const std::string lower = absl::AsciiStrToLower(name);
  for (const Entry& e : kTable) {
    if (lower != e.name) continue;
    Activation a{e.kind, e.alpha, e.beta};
    if (e.uses >= 1 && next_alpha < alphas.size()) a.alpha = alphas[next_alpha++];
    if (e.uses >= 2 && next_beta < betas.size()) a.beta = betas[next_beta++];
    return a;
  }
  return Unimpl("activation '", name, "' is not supported");
}

/// What distinguishes the three ops for the shared driver.
struct CellKind {
  const char* op;
  int64_t gates;  // gate blocks in W and R
  int64_t activations;  // activation functions per direction
  Activation::Kind defaults[3];
};
constexpr CellKind kLstm{
    "LSTM", 4, 3, {Activation::kSigmoid, Activation::kTanh, Activation::kTanh}};
constexpr CellKind kGru{"GRU", 3, 2, {Activation::kSigmoid, Activation::kTanh, Activation::kTanh}};
constexpr CellKind kRnn{"RNN", 1, 1, {Activation::kTanh, Activation::kTanh, Activation::kTanh}};

/// The shapes and attributes of one recurrent node; dims are layout 0's.
struct RecShape {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, directions = 1;
  bool layout1 = false;
  bool reverse_only = false;
  float clip = 0;  // 0: no clipping
  std::vector<Activation> acts;  // kind.activations per direction
  std::vector<int64_t> lens;  // per batch entry
};

/// Checks that optional input `t` (when present) is float with `dims`.
absl::Status CheckInput(const Tensor* t, const char* what, const std::vector<int64_t>& dims) {
  if (t == nullptr) return absl::OkStatus();
  if (!t->IsFloat()) {
    return Unimpl(what, " of element type ", ElementTypeName(t->dtype),
                  " is not supported (float only)");
  }
  if (t->dims != dims) {
    return InvalidArg(what, " has shape ", DimsString(t->dims), ", expected ", DimsString(dims));
  }
  return absl::OkStatus();
}

absl::Status ReadActivations(const OpContext& ctx, const CellKind& kind, RecShape& s) {
  const int64_t k = kind.activations;
  const auto* attr = ctx.Attr("activations");
  if (attr == nullptr) {
    for (int64_t d = 0; d < s.directions; ++d) {
      for (int64_t j = 0; j < k; ++j) s.acts.push_back(Activation{kind.defaults[j], 0, 0});
    }
    return absl::OkStatus();
  }
  const int64_t n = attr->strings_size();
  if (n != k * s.directions) {
    return InvalidArg("attribute 'activations' has ", n, " entries, expected ", k * s.directions,
                      " (", k, " per direction)");
  }
  const std::vector<float> alphas = ctx.AttrFloats("activation_alpha");
  const std::vector<float> betas = ctx.AttrFloats("activation_beta");
  size_t next_alpha = 0, next_beta = 0;
  for (int64_t j = 0; j < n; ++j) {
    H8_ASSIGN_OR_RETURN(Activation a,
                        ParseActivation(attr->strings(j), alphas, next_alpha, betas, next_beta));
    s.acts.push_back(a);
  }
  return absl::OkStatus();
}

absl::StatusOr<RecShape> ReadShape(const OpContext& ctx, const CellKind& kind, const Tensor& x,
                                   const Tensor& w) {
  RecShape s;
  const std::string direction = ctx.AttrString("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional") {
    return InvalidArg("attribute 'direction' must be forward, reverse or bidirectional, got '",
                      direction, "'");
  }
  s.directions = direction == "bidirectional" ? 2 : 1;
  s.reverse_only = direction == "reverse";
  const int64_t layout = ctx.AttrInt("layout", 0);
  if (layout != 0 && layout != 1) return InvalidArg("attribute 'layout' must be 0 or 1");
  s.layout1 = layout == 1;
  if (!x.IsFloat() || !w.IsFloat()) {
    return Unimpl("X and W must be float, got ", ElementTypeName(x.dtype), " and ",
                  ElementTypeName(w.dtype));
  }
  if (x.dims.size() != 3 || w.dims.size() != 3 || w.dims[0] != s.directions ||
      w.dims[1] % kind.gates != 0 || w.dims[2] != x.dims[2]) {
    return InvalidArg("X shape ", DimsString(x.dims), " and W shape ", DimsString(w.dims),
                      " do not fit a ", kind.op, " with ", s.directions,
                      " direction(s) and layout ", layout);
  }
  s.seq = x.dims[s.layout1 ? 1 : 0];
  s.batch = x.dims[s.layout1 ? 0 : 1];
  s.input = x.dims[2];
  s.hidden = w.dims[1] / kind.gates;
  if (ctx.HasAttr("hidden_size") && ctx.AttrInt("hidden_size", 0) != s.hidden) {
    return InvalidArg("attribute 'hidden_size' = ", ctx.AttrInt("hidden_size", 0),
                      " does not match W's ", kind.gates * s.hidden, " gate rows");
  }
  s.clip = ctx.AttrFloat("clip", 0.0f);
  if (ctx.HasAttr("clip") && !(s.clip > 0)) return InvalidArg("attribute 'clip' must be positive");
  H8_RETURN_IF_ERROR(ReadActivations(ctx, kind, s));
  s.lens.assign(s.batch, s.seq);
  if (const Tensor* lens = ctx.Input(4)) {
    H8_ASSIGN_OR_RETURN(s.lens, IntValues(*lens, "sequence_lens"));
    if (lens->dims != std::vector<int64_t>{s.batch}) {
      return InvalidArg("sequence_lens has shape ", DimsString(lens->dims), ", expected [", s.batch,
                        "]");
    }
    for (int64_t len : s.lens) {
      if (len < 0 || len > s.seq) {
        return InvalidArg("sequence_lens value ", len, " is outside [0, ", s.seq, "]");
      }
      if (len == 0) return Unimpl("a sequence_lens value of 0 is not supported");
    }
  }
  return s;
}

/// Swaps the first two axes of a 3-D tensor (layout 1 <-> layout 0).
Tensor SwapLeadingAxes(const Tensor& t) {
  Tensor out = AllocateTensor(t.dtype, {t.dims[1], t.dims[0], t.dims[2]});
  const int64_t a = t.dims[0], b = t.dims[1], c = t.dims[2];
  for (int64_t i = 0; i < a; ++i) {
    for (int64_t j = 0; j < b; ++j) {
      std::copy_n(t.f.begin() + (i * b + j) * c, c, out.f.begin() + (j * a + i) * c);
    }
  }
  return out;
}

/// acc[r] += sum_k m[r, k] * v[k] for `rows` rows of `cols` columns, in
/// double. Four partial sums per row break the add chain's latency (the
/// recurrent ops spend their time here: an LSTM(64) step is 16k products);
/// the result differs from a serial sum only in double rounding.
template <typename V>
void MatVecAdd(const float* m, int64_t rows, int64_t cols, const V* v, double* acc) {
  const int64_t body = cols & ~int64_t{3};
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = m + r * cols;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int64_t k = 0; k < body; k += 4) {
      s0 += static_cast<double>(row[k]) * v[k];
      s1 += static_cast<double>(row[k + 1]) * v[k + 1];
      s2 += static_cast<double>(row[k + 2]) * v[k + 2];
      s3 += static_cast<double>(row[k + 3]) * v[k + 3];
    }
    for (int64_t k = body; k < cols; ++k) s0 += static_cast<double>(row[k]) * v[k];
    acc[r] += (s0 + s1) + (s2 + s3);
  }
}

/// One direction's weights, biases (Wb then Rb), peepholes and activations.
struct DirParams {
  const float* w;
  const float* r;
  const float* b;  // null: zero biases
  const float* p;  // LSTM peepholes, or null
  const Activation* act;
  int64_t hidden, input;
  float clip;
  double Clip(double v) const { return clip > 0 ? std::clamp<double>(v, -clip, clip) : v; }
};

/// LSTM: gate order i, o, f, c in W, R and B (P: i, o, f).
void LstmStep(const DirParams& q, bool /*linear_before_reset*/, const float* xt, float* h, float* c,
              std::vector<double>& gates) {
  const int64_t H = q.hidden;
  for (int64_t row = 0; row < 4 * H; ++row) {
    gates[row] = q.b != nullptr ? static_cast<double>(q.b[row]) + q.b[4 * H + row] : 0.0;
  }
  MatVecAdd(q.w, 4 * H, q.input, xt, gates.data());
  MatVecAdd(q.r, 4 * H, H, h, gates.data());  // h is read only up to here
  const Activation &f = q.act[0], &g = q.act[1], &hact = q.act[2];
  for (int64_t j = 0; j < H; ++j) {
    const double c_prev = c[j];
    double gi = gates[j], go = gates[H + j], gf = gates[2 * H + j], gc = gates[3 * H + j];
    if (q.p != nullptr) {
      gi += q.p[j] * c_prev;
      gf += q.p[2 * H + j] * c_prev;
    }
    const double i = f(q.Clip(gi)), fg = f(q.Clip(gf)), cand = g(q.Clip(gc));
    const float c_new = static_cast<float>(fg * c_prev + i * cand);
    if (q.p != nullptr) go += q.p[H + j] * static_cast<double>(c_new);
    c[j] = c_new;
    h[j] = static_cast<float>(f(q.Clip(go)) * hact(static_cast<double>(c_new)));
  }
}

/// GRU: gate order z, r, h in W, R and B.
void GruStep(const DirParams& q, bool linear_before_reset, const float* xt, float* h, float* /*c*/,
             std::vector<double>& gates) {
  const int64_t H = q.hidden;
  // gates[0, 3H): W x + Wb; gates[3H, 6H): R h + Rb (the h block only when
  // linear_before_reset; otherwise it is R (r . h) + Rb, computed below).
  double* xw = gates.data();
  double* hr = gates.data() + 3 * H;
  for (int64_t row = 0; row < 3 * H; ++row) {
    xw[row] = q.b != nullptr ? q.b[row] : 0.0;
    hr[row] = q.b != nullptr ? q.b[3 * H + row] : 0.0;
  }
  MatVecAdd(q.w, 3 * H, q.input, xt, xw);
  MatVecAdd(q.r, (linear_before_reset ? 3 : 2) * H, H, h, hr);
  const Activation &f = q.act[0], &g = q.act[1];
  double* z = gates.data() + 6 * H;
  double* reset_h = gates.data() + 7 * H;
  for (int64_t j = 0; j < H; ++j) {
    z[j] = f(q.Clip(xw[j] + hr[j]));
    const double r = f(q.Clip(xw[H + j] + hr[H + j]));
    reset_h[j] = r * h[j];
    if (linear_before_reset) hr[2 * H + j] *= r;
  }
  if (!linear_before_reset) MatVecAdd(q.r + 2 * H * H, H, H, reset_h, hr + 2 * H);
  for (int64_t j = 0; j < H; ++j) {
    const double cand = g(q.Clip(xw[2 * H + j] + hr[2 * H + j]));
    h[j] = static_cast<float>((1 - z[j]) * cand + z[j] * h[j]);
  }
}

/// RNN: H = f(W x + R h + Wb + Rb).
void RnnStep(const DirParams& q, bool /*linear_before_reset*/, const float* xt, float* h,
             float* /*c*/, std::vector<double>& gates) {
  const int64_t H = q.hidden;
  for (int64_t row = 0; row < H; ++row) {
    gates[row] = q.b != nullptr ? static_cast<double>(q.b[row]) + q.b[H + row] : 0.0;
  }
  MatVecAdd(q.w, H, q.input, xt, gates.data());
  MatVecAdd(q.r, H, H, h, gates.data());
  for (int64_t j = 0; j < H; ++j) h[j] = static_cast<float>(q.act[0](q.Clip(gates[j])));
}

using StepFn = void (*)(const DirParams&, bool, const float*, float*, float*, std::vector<double>&);

/// Inputs 0-7 of every recurrent op (initial_c and P exist only for LSTM).
Kernel RunRecurrent(const OpContext& ctx, const CellKind& kind, StepFn step) {
  H8_ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* w, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(const Tensor* r, ctx.Required(2));
  H8_ASSIGN_OR_RETURN(RecShape s, ReadShape(ctx, kind, *x_in, *w));
  const int64_t D = s.directions, H = s.hidden, G = kind.gates, N = s.batch;
  const bool is_lstm = G == 4;
  const Tensor* b = ctx.Input(3);
  const Tensor* h0 = ctx.Input(5);
  const Tensor* c0 = is_lstm ? ctx.Input(6) : nullptr;
  const Tensor* p = is_lstm ? ctx.Input(7) : nullptr;
  const std::vector<int64_t> state_dims =
      s.layout1 ? std::vector<int64_t>{N, D, H} : std::vector<int64_t>{D, N, H};
  H8_RETURN_IF_ERROR(CheckInput(r, "R", {D, G * H, H}));
  H8_RETURN_IF_ERROR(CheckInput(b, "B", {D, 2 * G * H}));
  H8_RETURN_IF_ERROR(CheckInput(h0, "initial_h", state_dims));
  H8_RETURN_IF_ERROR(CheckInput(c0, "initial_c", state_dims));
  H8_RETURN_IF_ERROR(CheckInput(p, "P", {D, 3 * H}));
  if (is_lstm && ctx.AttrInt("input_forget", 0) != 0) {
    return Unimpl("attribute 'input_forget' = 1 is not supported");
  }
  const bool lbr = ctx.AttrInt("linear_before_reset", 0) != 0;

  // Everything below works in layout 0.
  Tensor x_swapped, h0_swapped, c0_swapped;
  const Tensor* x = x_in;
  if (s.layout1) {
    x_swapped = SwapLeadingAxes(*x_in);
    x = &x_swapped;
    if (h0 != nullptr) h0 = &(h0_swapped = SwapLeadingAxes(*h0));
    if (c0 != nullptr) c0 = &(c0_swapped = SwapLeadingAxes(*c0));
  }
  Tensor y = AllocateTensor(onnx::TensorProto::FLOAT, {s.seq, D, N, H});
  Tensor y_h = AllocateTensor(onnx::TensorProto::FLOAT, {D, N, H});
  Tensor y_c = AllocateTensor(onnx::TensorProto::FLOAT, {D, N, H});
  std::vector<double> scratch(8 * H);
  std::vector<float> h(H), c(H);
  for (int64_t d = 0; d < D; ++d) {
    const DirParams q{w->f.data() + d * G * H * s.input,
                      r->f.data() + d * G * H * H,
                      b != nullptr ? b->f.data() + d * 2 * G * H : nullptr,
                      p != nullptr ? p->f.data() + d * 3 * H : nullptr,
                      s.acts.data() + d * kind.activations,
                      H,
                      s.input,
                      s.clip};
    const bool reverse = s.reverse_only || d == 1;
    for (int64_t n = 0; n < N; ++n) {
      const int64_t state = (d * N + n) * H;
      std::fill(h.begin(), h.end(), 0.0f);
      std::fill(c.begin(), c.end(), 0.0f);
      if (h0 != nullptr) std::copy_n(h0->f.begin() + state, H, h.begin());
      if (c0 != nullptr) std::copy_n(c0->f.begin() + state, H, c.begin());
      const int64_t len = s.lens[n];
      for (int64_t k = 0; k < len; ++k) {
        const int64_t t = reverse ? len - 1 - k : k;
        step(q, lbr, x->f.data() + (t * N + n) * s.input, h.data(), c.data(), scratch);
        std::copy(h.begin(), h.end(), y.f.begin() + ((t * D + d) * N + n) * H);
      }
      std::copy(h.begin(), h.end(), y_h.f.begin() + state);
      std::copy(c.begin(), c.end(), y_c.f.begin() + state);
    }
  }
  std::vector<Tensor> out;
  if (s.layout1) {
    // Y: [seq, D, N, H] -> [N, seq, D, H]; states: [D, N, H] -> [N, D, H].
    Tensor y1 = AllocateTensor(onnx::TensorProto::FLOAT, {N, s.seq, D, H});
    for (int64_t t = 0; t < s.seq; ++t) {
      for (int64_t d = 0; d < D; ++d) {
        for (int64_t n = 0; n < N; ++n) {
          std::copy_n(y.f.begin() + ((t * D + d) * N + n) * H, H,
                      y1.f.begin() + ((n * s.seq + t) * D + d) * H);
        }
      }
    }
    out.push_back(std::move(y1));
    out.push_back(SwapLeadingAxes(y_h));
    if (is_lstm) out.push_back(SwapLeadingAxes(y_c));
  } else {
    out.push_back(std::move(y));
    out.push_back(std::move(y_h));
    if (is_lstm) out.push_back(std::move(y_c));
  }
  return out;
}

Kernel Lstm(const OpContext& ctx) { return RunRecurrent(ctx, kLstm, LstmStep); }
Kernel Gru(const OpContext& ctx) { return RunRecurrent(ctx, kGru, GruStep); }
Kernel Rnn(const OpContext& ctx) { return RunRecurrent(ctx, kRnn, RnnStep); }

}  // namespace

void RegisterRecurrentOps(OpTable& table) {
  table["LSTM"] = Lstm;
  table["GRU"] = Gru;
  table["RNN"] = Rnn;
}

}  // namespace eval
}  // namespace h8
