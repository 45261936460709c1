//===- Budget.cpp - Memory and work budgets of an evaluation --------------===//
//
// A 60-byte model can ask for a 300-million-element ConstantOfShape or a
// MatMul of 8192x8192 matrices. The evaluator refuses such nodes before
// running them: each evaluation has a budget of live bytes (charged by
// AllocateTensor and by the values a graph holds) and of work (charged per
// node from an estimate over its input shapes). The budget is per thread, so
// evaluations on different threads do not interfere.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "Ops.h"
#include "absl/strings/str_cat.h"

namespace h8 {
namespace eval {
namespace {

thread_local BudgetState* g_budget = nullptr;

// What dispatching a node costs beyond its arithmetic (attribute lookups,
// allocations, a body's scope): it bounds how many nodes a run may execute,
// e.g. a Loop body iterated 2^40 times.
constexpr double kNodeOverhead = 1024;

constexpr double kSaturated = static_cast<double>(std::numeric_limits<int64_t>::max() / 4);

int64_t Saturate(double work) {
  if (!(work < kSaturated)) return static_cast<int64_t>(kSaturated);
  return static_cast<int64_t>(work);
}

const onnx::AttributeProto* FindAttr(const onnx::NodeProto& node, const char* name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

// Element k of an ints attribute, or `def`.
double AttrAt(const onnx::NodeProto& node, const char* name, int k, double def) {
  const onnx::AttributeProto* a = FindAttr(node, name);
  return a != nullptr && k < a->ints_size() ? static_cast<double>(a->ints(k)) : def;
}

double Dim(const Tensor* t, int64_t d) {
  if (t == nullptr) return 1;
  const int64_t rank = static_cast<int64_t>(t->dims.size());
  if (d < 0) d += rank;
  return d >= 0 && d < rank ? static_cast<double>(t->dims[d]) : 1;
}

double Elements(const Tensor* t) {
  return t == nullptr ? 0 : static_cast<double>(t->NumElements());
}

// Output positions of a sliding window over the spatial dims of `x`
// ([N, C, spatial...]) with the node's pads and strides: an upper bound that
// ignores kernel extent and dilation.
double WindowPositions(const onnx::NodeProto& node, const Tensor& x) {
  const int spatial = static_cast<int>(x.dims.size()) - 2;
  double positions = 1;
  for (int d = 0; d < spatial; ++d) {
    double in = static_cast<double>(x.dims[d + 2]);
    double pads = std::max(0.0, AttrAt(node, "pads", d, 0)) +
                  std::max(0.0, AttrAt(node, "pads", d + spatial, 0));
    double stride = std::max(1.0, AttrAt(node, "strides", d, 1));
    positions *= std::floor((in + pads) / stride) + 1;
  }
  return positions;
}

double KernelElements(const onnx::NodeProto& node, const Tensor* w, int spatial) {
  double k = 1;
  for (int d = 0; d < spatial; ++d)
    k *= std::max(1.0, w != nullptr ? Dim(w, d + 2) : AttrAt(node, "kernel_shape", d, 1));
  return k;
}

// Multiply-adds of a (batched, broadcast) MatMul of `a` by `b`.
double MatMulWork(const Tensor& a, const Tensor& b) {
  const size_t ra = a.dims.size(), rb = b.dims.size();
  double m = ra >= 2 ? Dim(&a, -2) : 1;
  double k = ra >= 1 ? Dim(&a, -1) : 1;
  double n = rb >= 2 ? Dim(&b, -1) : 1;
  double batch = 1;
  const size_t ba = ra > 2 ? ra - 2 : 0, bb = rb > 2 ? rb - 2 : 0;
  for (size_t j = 0; j < std::max(ba, bb); ++j) {
    double da = j < ba ? static_cast<double>(a.dims[ba - 1 - j]) : 1;
    double db = j < bb ? static_cast<double>(b.dims[bb - 1 - j]) : 1;
    batch *= std::max(da, db);
  }
  return batch * m * k * n;
}

// Product of the sizes of every distinct index of an Einsum equation (the
// cost of the naive contraction), with an ellipsis counted at the largest
// broadcast it stands for.
double EinsumWork(const onnx::NodeProto& node, const std::vector<const Tensor*>& inputs) {
  const onnx::AttributeProto* eq = FindAttr(node, "equation");
  if (eq == nullptr) return 0;
  std::string lhs = eq->s().substr(0, eq->s().find("->"));
  double letter_size[128] = {};
  double ellipsis = 1;
  size_t term = 0, pos = 0;
  int64_t axis = 0;
  auto next_term = [&] {
    ++term;
    axis = 0;
  };
  for (; pos < lhs.size(); ++pos) {
    const char c = lhs[pos];
    const Tensor* t = term < inputs.size() ? inputs[term] : nullptr;
    if (c == ',') {
      next_term();
    } else if (c == '.' && lhs.compare(pos, 3, "...") == 0) {
      // The ellipsis covers what the letters of this term leave.
      size_t letters = 0;
      for (size_t q = pos + 3; q < lhs.size() && lhs[q] != ','; ++q)
        letters += std::isalpha(static_cast<unsigned char>(lhs[q])) ? 1 : 0;
      int64_t rank = t != nullptr ? static_cast<int64_t>(t->dims.size()) : 0;
      int64_t covered = std::max<int64_t>(0, rank - axis - static_cast<int64_t>(letters));
      double e = 1;
      for (int64_t d = 0; d < covered; ++d) e *= Dim(t, axis + d);
      ellipsis = std::max(ellipsis, e);
      axis += covered;
      pos += 2;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      letter_size[static_cast<unsigned char>(c)] =
          std::max(letter_size[static_cast<unsigned char>(c)], Dim(t, axis));
      ++axis;
    }
  }
  double work = ellipsis;
  for (double s : letter_size)
    if (s > 0) work *= s;
  return work;
}

}  // namespace

ActiveBudget::ActiveBudget(const EvalBudget& limits) {
  if (g_budget != nullptr) return;
  own_.limits = limits;
  g_budget = &own_;
  installed_ = true;
}

ActiveBudget::~ActiveBudget() {
  if (installed_) g_budget = nullptr;
}

BudgetState* CurrentBudget() { return g_budget; }

absl::Status ChargeLiveBytes(int64_t bytes) {
  BudgetState* b = g_budget;
  if (b == nullptr) return absl::OkStatus();
  if (bytes > b->limits.max_live_bytes - b->live_bytes)
    return absl::ResourceExhaustedError(
        absl::StrCat("needs ", bytes, " bytes of tensors more while holding ", b->live_bytes,
                     ", over the ", b->limits.max_live_bytes, " bytes available"));
  b->live_bytes += bytes;
  return absl::OkStatus();
}

void ReleaseLiveBytes(int64_t bytes) {
  if (g_budget != nullptr) g_budget->live_bytes -= bytes;
}

absl::Status ChargeWork(const onnx::NodeProto& node, const std::vector<const Tensor*>& inputs) {
  BudgetState* b = g_budget;
  if (b == nullptr) return absl::OkStatus();
  const int64_t work = EstimateNodeWork(node, inputs);
  if (work > b->limits.max_work - b->work)
    return absl::ResourceExhaustedError(
        absl::StrCat("estimated work of ", work, " operations takes the evaluation past its ",
                     "budget of ", b->limits.max_work, " (", b->work, " used before it)"));
  b->work += work;
  return absl::OkStatus();
}

}  // namespace eval

int64_t EstimateNodeWork(const onnx::NodeProto& node, const std::vector<const Tensor*>& inputs) {
  using namespace eval;
  auto in = [&](size_t k) -> const Tensor* { return k < inputs.size() ? inputs[k] : nullptr; };
  double work = kNodeOverhead;
  for (const Tensor* t : inputs) work += Elements(t);
  const std::string& op = node.op_type();
  const Tensor* x = in(0);
  if ((op == "Conv" || op == "ConvTranspose") && x != nullptr && in(1) != nullptr &&
      x->dims.size() >= 3) {
    const Tensor* w = in(1);
    const int spatial = static_cast<int>(x->dims.size()) - 2;
    const double kernel = KernelElements(node, w, spatial);
    if (op == "Conv") {
      // N * M * (C/group) * kernel * output positions.
      work += Dim(x, 0) * Dim(w, 0) * Dim(w, 1) * kernel * WindowPositions(node, *x);
    } else {
      // Every input element scatters into (M/group) * kernel outputs.
      work += Elements(x) * Dim(w, 1) * kernel;
    }
  } else if ((op == "MaxPool" || op == "AveragePool" || op == "LpPool") && x != nullptr &&
             x->dims.size() >= 3) {
    const int spatial = static_cast<int>(x->dims.size()) - 2;
    work +=
        Dim(x, 0) * Dim(x, 1) * WindowPositions(node, *x) * KernelElements(node, nullptr, spatial);
  } else if (op == "MatMul" && x != nullptr && in(1) != nullptr) {
    work += MatMulWork(*x, *in(1));
  } else if (op == "Gemm" && x != nullptr && in(1) != nullptr) {
    // (M x K) by (K x N): elements(A) * elements(B) / K.
    const bool trans_a = FindAttr(node, "transA") != nullptr && FindAttr(node, "transA")->i() != 0;
    const double k = Dim(x, trans_a ? 0 : 1);
    work += Elements(x) * Elements(in(1)) / std::max(1.0, k);
  } else if ((op == "LSTM" || op == "GRU" || op == "RNN") && x != nullptr && in(1) != nullptr &&
             in(2) != nullptr) {
    // Steps * batch = elements(X) / input size; each step multiplies by W and R.
    const double steps_batch = Elements(x) / std::max(1.0, Dim(x, -1));
    work += steps_batch * (Elements(in(1)) + Elements(in(2)));
  } else if (op == "Einsum") {
    work += EinsumWork(node, inputs);
  } else if (op == "Attention" && x != nullptr && in(1) != nullptr) {
    // Q times K^T, then the weights times V: 2 * elements(Q) * kv length.
    const Tensor* k = in(1);
    const double kv_length = Dim(k, k->dims.size() == 4 ? 2 : 1);
    work += 2 * Elements(x) * kv_length;
  } else if (op == "DFT" && x != nullptr) {
    // Naive DFT: every output term sums the whole signal axis.
    const onnx::AttributeProto* axis = FindAttr(node, "axis");
    work += Elements(x) * Dim(x, axis != nullptr ? axis->i() : 1);
  } else if (op == "STFT" && x != nullptr) {
    // Frames (signal / step) times a naive DFT of frame length squared.
    const double frame = in(3) != nullptr && !in(3)->i.empty() ? in(3)->i[0]
                         : in(2) != nullptr                    ? Elements(in(2))
                                                               : Dim(x, 1);
    const double step = in(1) != nullptr && !in(1)->i.empty() ? in(1)->i[0] : 1;
    work += Elements(x) / std::max(1.0, step) * std::max(1.0, frame) * std::max(1.0, frame);
  }
  return Saturate(work);
}

}  // namespace h8
