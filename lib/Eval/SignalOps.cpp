//===- SignalOps.cpp - DFT, STFT, window functions, MelWeightMatrix -------===//
//
// The audio front-end ops users keep on the host. Complex tensors follow
// ONNX's layout: a trailing axis of 2 (real, imaginary); a trailing 1 is a
// real signal. Transforms are direct O(N^2) sums in double with the twiddle
// factors tabulated once per transform length (index k*n mod N), which is
// exact enough for the reference role and needs no FFT library.
//
// DFT-17 reads the axis from its attribute (default 1), DFT-20 from its third
// input (default -2); both take dft_length (zero-pad or truncate), inverse
// (1/N scaling) and onesided (forward transform of real input only: bins
// 0..N/2). STFT frames a [batch, length, 1|2] signal with frame_step, an
// optional window and frame_length and returns [batch, frames, bins, 2].
// Windows follow the spec's formulas with exact 2*pi (ONNX 1.12's test data
// uses 3.1415; see test/lit/Eval/Inputs/onnx-node-known-failures.txt).
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <vector>

#include "Ops.h"

namespace h8 {
namespace eval {
namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

/// cos/sin(2*pi*m/n) for m in [0, n).
struct Twiddles {
  std::vector<double> c, s;
  explicit Twiddles(int64_t n) : c(n), s(n) {
    for (int64_t m = 0; m < n; ++m) {
      c[m] = std::cos(kTwoPi * static_cast<double>(m) / static_cast<double>(n));
      s[m] = std::sin(kTwoPi * static_cast<double>(m) / static_cast<double>(n));
    }
  }
};

/// One 1-D transform of length `n` of `in` (`in_len` complex samples read
/// with stride `in_stride` pairs; samples beyond in_len are zero) into
/// `bins` outputs written with stride `out_stride`.
void Transform(const Twiddles& tw, int64_t n, bool inverse, const float* re, const float* im,
               int64_t in_len, int64_t in_stride, int64_t bins, float* out, int64_t out_stride) {
  const int64_t len = std::min(in_len, n);
  const double sign = inverse ? 1.0 : -1.0;
  const double scale = inverse ? 1.0 / static_cast<double>(n) : 1.0;
  for (int64_t k = 0; k < bins; ++k) {
    double sr = 0, si = 0;
    int64_t m = 0;  // k*t mod n, advanced by k each step
    for (int64_t t = 0; t < len; ++t) {
      const double xr = re[t * in_stride];
      const double xi = im != nullptr ? im[t * in_stride] : 0.0;
      const double c = tw.c[m], s = sign * tw.s[m];
      sr += xr * c - xi * s;
      si += xr * s + xi * c;
      m += k;
      if (m >= n) m %= n;
    }
    out[k * out_stride] = static_cast<float>(sr * scale);
    out[k * out_stride + 1] = static_cast<float>(si * scale);
  }
}

/// The one value of an integer input, or InvalidArgument naming `what`.
absl::StatusOr<int64_t> ScalarInt(const Tensor& t, const char* what) {
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> v, IntValues(t, what));
  if (v.size() != 1) return InvalidArg(what, " must hold one value, got ", v.size());
  return v[0];
}

Kernel DFT(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_RETURN_IF_ERROR(RequireFloat(*x, "DFT input"));
  const int64_t rank = x->dims.size();
  if (rank < 2 || (x->dims.back() != 1 && x->dims.back() != 2)) {
    return InvalidArg("input ", DimsString(x->dims), " must end in 1 (real) or 2 (complex)");
  }
  const bool complex_in = x->dims.back() == 2;
  const bool inverse = ctx.AttrInt("inverse", 0) != 0;
  const bool onesided = ctx.AttrInt("onesided", 0) != 0;
  int64_t axis = ctx.opset() >= 20 ? -2 : ctx.AttrInt("axis", 1);
  if (ctx.opset() >= 20 && ctx.Input(2) != nullptr) {
    H8_ASSIGN_OR_RETURN(axis, ScalarInt(*ctx.Input(2), "axis"));
  }
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank - 1) {
    return InvalidArg("axis must name a signal dimension of ", DimsString(x->dims));
  }
  if (onesided && (inverse || complex_in)) {
    return Unimpl("onesided=1 is supported for the forward transform of real input only");
  }
  int64_t n = x->dims[axis];
  if (ctx.Input(1) != nullptr) {
    H8_ASSIGN_OR_RETURN(n, ScalarInt(*ctx.Input(1), "dft_length"));
    if (n <= 0) return InvalidArg("dft_length ", n, " must be positive");
  }
  if (n <= 0) return InvalidArg("the transformed axis is empty");
  const int64_t bins = onesided ? n / 2 + 1 : n;
  std::vector<int64_t> dims = x->dims;
  dims[axis] = bins;
  dims.back() = 2;
  Tensor y = AllocateTensor(onnx::TensorProto::FLOAT, dims);
  // [outer, axis, inner, c] in, [outer, bins, inner, 2] out.
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x->dims[d];
  for (int64_t d = axis + 1; d < rank - 1; ++d) inner *= x->dims[d];
  const int64_t c = x->dims.back(), len = x->dims[axis];
  const Twiddles tw(n);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const float* re = x->f.data() + (o * len * inner + i) * c;
      const float* im = complex_in ? re + 1 : nullptr;
      float* out = y.f.data() + (o * bins * inner + i) * 2;
      Transform(tw, n, inverse, re, im, len, inner * c, bins, out, inner * 2);
    }
  }
  return One(std::move(y));
}

Kernel STFT(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_RETURN_IF_ERROR(RequireFloat(*x, "STFT signal"));
  if (x->dims.size() != 3 || (x->dims[2] != 1 && x->dims[2] != 2)) {
    return InvalidArg("signal ", DimsString(x->dims), " must be [batch, length, 1 or 2]");
  }
  H8_ASSIGN_OR_RETURN(const Tensor* step_t, ctx.Required(1));
  H8_ASSIGN_OR_RETURN(int64_t step, ScalarInt(*step_t, "frame_step"));
  if (step <= 0) return InvalidArg("frame_step ", step, " must be positive");
  const Tensor* window = ctx.Input(2);
  int64_t frame = -1;
  if (ctx.Input(3) != nullptr) {
    H8_ASSIGN_OR_RETURN(frame, ScalarInt(*ctx.Input(3), "frame_length"));
  }
  if (window != nullptr) {
    H8_RETURN_IF_ERROR(RequireFloat(*window, "STFT window"));
    if (window->dims.size() != 1) return InvalidArg("window must be 1-D");
    if (frame >= 0 && frame != window->dims[0]) {
      return InvalidArg("frame_length ", frame, " differs from the window's length ",
                        window->dims[0]);
    }
    frame = window->dims[0];
  }
  if (frame <= 0) return InvalidArg("one of window and frame_length must give a positive length");
  const bool complex_in = x->dims[2] == 2;
  const bool onesided = ctx.AttrInt("onesided", 1) != 0;
  if (onesided && complex_in) return InvalidArg("onesided=1 needs a real signal");
  const int64_t batch = x->dims[0], len = x->dims[1], c = x->dims[2];
  if (len < frame)
    return InvalidArg("signal length ", len, " is shorter than a frame (", frame, ")");
  const int64_t frames = (len - frame) / step + 1;
  const int64_t bins = onesided ? frame / 2 + 1 : frame;
  Tensor y = AllocateTensor(onnx::TensorProto::FLOAT, {batch, frames, bins, 2});
  const Twiddles tw(frame);
  std::vector<float> re(frame), im(complex_in ? frame : 0);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t f = 0; f < frames; ++f) {
      const float* src = x->f.data() + (b * len + f * step) * c;
      for (int64_t t = 0; t < frame; ++t) {
        const float w = window != nullptr ? window->f[t] : 1.0f;
        re[t] = src[t * c] * w;
        if (complex_in) im[t] = src[t * c + 1] * w;
      }
      float* out = y.f.data() + (b * frames + f) * bins * 2;
      Transform(tw, frame, false, re.data(), complex_in ? im.data() : nullptr, frame, 1, bins, out,
                2);
    }
  }
  return One(std::move(y));
}

/// The generalized cosine window a0 - a1*cos(2*pi*n/N) + a2*cos(4*pi*n/N),
/// N = size (periodic) or size - 1 (symmetric).
Kernel CosineWindow(const OpContext& ctx, double a0, double a1, double a2) {
  H8_ASSIGN_OR_RETURN(const Tensor* size_t_, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(int64_t size, ScalarInt(*size_t_, "size"));
  if (size < 0) return InvalidArg("size ", size, " must not be negative");
  const int32_t dtype =
      static_cast<int32_t>(ctx.AttrInt("output_datatype", onnx::TensorProto::FLOAT));
  if (!IsFloatDtype(dtype))
    return Unimpl("output_datatype ", ElementTypeName(dtype), " is not supported");
  const bool periodic = ctx.AttrInt("periodic", 1) != 0;
  Tensor y = AllocateTensor(dtype, {size});
  const double denom = static_cast<double>(periodic ? size : size - 1);
  for (int64_t k = 0; k < size; ++k) {
    const double angle = denom > 0 ? kTwoPi * static_cast<double>(k) / denom : 0.0;
    const double v = a0 - a1 * std::cos(angle) + a2 * std::cos(2 * angle);
    y.f[k] = RoundToFloatDtype(static_cast<float>(v), dtype);
  }
  return One(std::move(y));
}

Kernel HannWindow(const OpContext& ctx) { return CosineWindow(ctx, 0.5, 0.5, 0.0); }
Kernel HammingWindow(const OpContext& ctx) {
  return CosineWindow(ctx, 25.0 / 46.0, 21.0 / 46.0, 0.0);
}
Kernel BlackmanWindow(const OpContext& ctx) { return CosineWindow(ctx, 0.42, 0.5, 0.08); }

double HertzToMel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double MelToHertz(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

/// Triangular filters on num_mel_bins + 2 mel points spaced by
/// (high - low) / (num_mel_bins + 2), mapped to DFT bins by
/// floor((dft_length + 1) * hz / sample_rate), as ONNX's reference does.
Kernel MelWeightMatrix(const OpContext& ctx) {
  std::vector<int64_t> ints(3);
  const char* names[] = {"num_mel_bins", "dft_length", "sample_rate"};
  for (int k = 0; k < 3; ++k) {
    H8_ASSIGN_OR_RETURN(const Tensor* t, ctx.Required(k));
    H8_ASSIGN_OR_RETURN(ints[k], ScalarInt(*t, names[k]));
    if (ints[k] <= 0) return InvalidArg(names[k], " ", ints[k], " must be positive");
  }
  double edges[2];
  for (int k = 0; k < 2; ++k) {
    H8_ASSIGN_OR_RETURN(const Tensor* t, ctx.Required(3 + k));
    if (!t->IsFloat() || t->NumElements() != 1) {
      return InvalidArg(k == 0 ? "lower_edge_hertz" : "upper_edge_hertz",
                        " must be a float scalar");
    }
    edges[k] = t->f[0];
  }
  const int64_t mels = ints[0], dft_length = ints[1], rate = ints[2];
  const int32_t dtype =
      static_cast<int32_t>(ctx.AttrInt("output_datatype", onnx::TensorProto::FLOAT));
  if (!IsFloatDtype(dtype))
    return Unimpl("output_datatype ", ElementTypeName(dtype), " is not supported");
  const int64_t spectrum_bins = dft_length / 2 + 1;
  const double low = HertzToMel(edges[0]), high = HertzToMel(edges[1]);
  const double mel_step = (high - low) / static_cast<double>(mels + 2);
  std::vector<int64_t> bin(mels + 2);
  for (int64_t k = 0; k < mels + 2; ++k) {
    const double hz = MelToHertz(static_cast<double>(k) * mel_step + low);
    bin[k] = static_cast<int64_t>(
        std::floor(static_cast<double>(dft_length + 1) * hz / static_cast<double>(rate)));
    if (bin[k] < 0 || bin[k] >= spectrum_bins) {
      return InvalidArg("edge frequencies map outside the ", spectrum_bins, " spectrum bins");
    }
  }
  Tensor y = AllocateTensor(dtype, {spectrum_bins, mels});
  for (int64_t m = 0; m < mels; ++m) {
    const int64_t left = bin[m], center = bin[m + 1], right = bin[m + 2];
    if (center == left) {
      y.f[center * mels + m] = 1.0f;
    } else {
      for (int64_t j = left; j <= center; ++j) {
        y.f[j * mels + m] = static_cast<float>(static_cast<double>(j - left) / (center - left));
      }
    }
    for (int64_t j = center; j < right; ++j) {
      y.f[j * mels + m] = static_cast<float>(static_cast<double>(right - j) / (right - center));
    }
  }
  return One(std::move(y));
}

}  // namespace

void RegisterSignalOps(OpTable& table) {
  table["DFT"] = DFT;
  table["STFT"] = STFT;
  table["HannWindow"] = HannWindow;
  table["HammingWindow"] = HammingWindow;
  table["BlackmanWindow"] = BlackmanWindow;
  table["MelWeightMatrix"] = MelWeightMatrix;
}

}  // namespace eval
}  // namespace h8
