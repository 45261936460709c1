//===- OpSupport.cpp - Helpers shared by the evaluator kernels ------------===//
//
// Attribute accessors with ONNX defaults, axis normalization and numpy
// broadcast shape computation. Kept out of the kernel files so each of those
// reads as a list of op semantics.
//
//===----------------------------------------------------------------------===//

#include <algorithm>

#include <atomic>
#include <stdexcept>

#include "Ops.h"
#include "absl/strings/str_join.h"
#include "h8/IR/Match.h"

namespace h8 {
namespace eval {

namespace {
std::atomic<int64_t> g_max_tensor_elements{int64_t{1} << 30};
}  // namespace

int64_t MaxTensorElements() { return g_max_tensor_elements.load(std::memory_order_relaxed); }
void SetMaxTensorElements(int64_t n) { g_max_tensor_elements.store(n, std::memory_order_relaxed); }

Tensor AllocateTensor(int32_t dtype, std::vector<int64_t> dims) {
  Tensor t;
  t.dtype = dtype;
  t.dims = std::move(dims);
  auto count = CheckedNumElements(t.dims);
  // A hostile shape must not take the machine down: EvaluateNode turns this
  // into a ResourceExhausted status naming the node.
  if (!count.ok() || *count > MaxTensorElements()) throw std::length_error("tensor too large");
  int64_t n = *count;
  const int64_t bytes = n * static_cast<int64_t>(t.IsFloat() ? sizeof(float) : sizeof(int64_t));
  if (absl::Status s = ChargeLiveBytes(bytes); !s.ok())
    throw BudgetExceeded{std::string(s.message())};
  if (t.IsFloat()) t.f.assign(n, 0.0f);
  else t.i.assign(n, 0);
  return t;
}

std::vector<int64_t> RowMajorStrides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (int64_t d = static_cast<int64_t>(dims.size()) - 2; d >= 0; --d) {
    strides[d] = strides[d + 1] * dims[d + 1];
  }
  return strides;
}

double ElementAsDouble(const Tensor& t, int64_t index) {
  return t.IsFloat() ? static_cast<double>(t.f[index]) : static_cast<double>(t.i[index]);
}

absl::StatusOr<std::vector<int64_t>> IntValues(const Tensor& t, const std::string& what) {
  if (t.IsFloat()) {
    return InvalidArg(what, " must be an integer tensor, got ", ElementTypeName(t.dtype));
  }
  if (static_cast<int64_t>(t.i.size()) != t.NumElements()) {
    return InvalidArg(what, " has inconsistent storage");
  }
  return t.i;
}

int64_t Product(const std::vector<int64_t>& dims, size_t from) {
  int64_t p = 1;
  for (size_t k = from; k < dims.size(); ++k) p *= dims[k];
  return p;
}

absl::Status RequireFloat(const Tensor& t, const char* what) {
  if (!t.IsFloat()) {
    return Unimpl(what, " of element type ", ElementTypeName(t.dtype),
                  " is not supported (float only)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>> ExpandTo(const Tensor& p, const std::vector<int64_t>& dims,
                                            const char* what) {
  if (!p.IsFloat()) return InvalidArg(what, " must be float");
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> b, BroadcastShapes({p.dims, dims}));
  if (b != dims) {
    return InvalidArg(what, " shape ", DimsString(p.dims), " does not broadcast to ",
                      DimsString(dims));
  }
  std::vector<float> out(Product(dims));
  BroadcastLoop<1>(dims, {&p.dims},
                   [&](int64_t o, const std::array<int64_t, 1>& i) { out[o] = p.f[i[0]]; });
  return out;
}

absl::StatusOr<int64_t> CheckAxis(int64_t axis, int64_t rank) {
  const int64_t normalized = NormalizeAxis(axis, rank);
  if (normalized < 0) return InvalidArg("axis ", axis, " is out of range for rank ", rank);
  return normalized;
}

absl::StatusOr<std::vector<int64_t>> BroadcastShapes(
    const std::vector<std::vector<int64_t>>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  std::vector<int64_t> out(rank, 1);
  for (const auto& s : shapes) {
    for (size_t j = 0; j < s.size(); ++j) {
      int64_t& o = out[rank - s.size() + j];
      int64_t d = s[j];
      if (d == o || d == 1) continue;
      if (o == 1) {
        o = d;
        continue;
      }
      std::vector<std::string> all;
      for (const auto& t : shapes) all.push_back(DimsString(t));
      return InvalidArg("shapes ", absl::StrJoin(all, " and "), " are not broadcast-compatible");
    }
  }
  return out;
}

absl::StatusOr<const Tensor*> OpContext::Required(size_t i) const {
  const Tensor* t = Input(i);
  if (t == nullptr) {
    return InvalidArg("required input #", i, " is missing");
  }
  // Tensors built by kernels always satisfy this; it guards caller-provided
  // ones so no kernel can index past the data.
  size_t have = t->IsFloat() ? t->f.size() : t->i.size();
  int64_t want = 1;
  for (int64_t d : t->dims) {
    if (d < 0) return InvalidArg("input #", i, " has a negative dimension");
    want *= d;
  }
  if (static_cast<int64_t>(have) != want) {
    return InvalidArg("input #", i, " holds ", have, " elements but its shape ",
                      DimsString(t->dims), " needs ", want);
  }
  return t;
}

const onnx::AttributeProto* OpContext::Attr(std::string_view name) const {
  for (const auto& a : node_.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

int64_t OpContext::AttrInt(std::string_view name, int64_t def) const {
  const auto* a = Attr(name);
  return a != nullptr ? a->i() : def;
}

float OpContext::AttrFloat(std::string_view name, float def) const {
  const auto* a = Attr(name);
  if (a == nullptr) return def;
  // Hand-written models sometimes spell a float attribute as an integer.
  if (a->type() == onnx::AttributeProto::INT) return static_cast<float>(a->i());
  return a->f();
}

std::string OpContext::AttrString(std::string_view name, const std::string& def) const {
  const auto* a = Attr(name);
  return a != nullptr ? a->s() : def;
}

std::vector<int64_t> OpContext::AttrInts(std::string_view name) const {
  const auto* a = Attr(name);
  if (a == nullptr) return {};
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::vector<float> OpContext::AttrFloats(std::string_view name) const {
  const auto* a = Attr(name);
  if (a == nullptr) return {};
  return std::vector<float>(a->floats().begin(), a->floats().end());
}

absl::StatusOr<const onnx::GraphProto*> OpContext::AttrGraph(std::string_view name) const {
  const auto* a = Attr(name);
  if (a == nullptr || !a->has_g()) {
    return InvalidArg("graph attribute '", std::string(name), "' is missing");
  }
  return &a->g();
}

// dst[idx] = src[sum_d maps[d][idx_d] * src_stride_d], or `fill` when any
// map entry is -1. Serves Pad, Tile and nearest Resize.
void GatherByDimMaps(const Tensor& src, Tensor& dst, const std::vector<std::vector<int64_t>>& maps,
                     double fill) {
  const std::vector<int64_t> src_strides = RowMajorStrides(src.dims);
  const int64_t total = dst.NumElements();
  const size_t rank = dst.dims.size();
  std::vector<int64_t> counter(rank, 0);
  for (int64_t k = 0; k < total; ++k) {
    int64_t s = 0;
    bool inside = true;
    for (size_t d = 0; d < rank; ++d) {
      int64_t m = maps[d][counter[d]];
      if (m < 0) {
        inside = false;
        break;
      }
      s += m * src_strides[d];
    }
    if (dst.IsFloat()) {
      dst.f[k] = inside ? src.f[s] : static_cast<float>(fill);
    } else {
      dst.i[k] = inside ? src.i[s] : static_cast<int64_t>(fill);
    }
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      if (++counter[d] < dst.dims[d]) break;
      counter[d] = 0;
    }
  }
}

}  // namespace eval
}  // namespace h8
