//===- MatMulOps.cpp - Gemm, MatMul and Det kernels -----------------------===//
//
// Matrix products (Gemm, batched MatMul with broadcasting, through Eigen)
// and Det.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cmath>
#include <limits>

#include "EigenMaps.h"
#include "Ops.h"
#include "Window.h"
#include "h8/IR/Checked.h"

namespace h8 {
namespace eval {
namespace {

/// out[M,N] = op(a)[M,K] * op(b)[K,N] for float or int64 storage.
template <typename T>
void MatMulInto(const T* a, bool trans_a, const T* b, bool trans_b, T* out, int64_t m, int64_t k,
                int64_t n) {
  MatrixMap<T> om(out, m, n);
  if (!trans_a && !trans_b) {
    om.noalias() = ConstMatrixMap<T>(a, m, k) * ConstMatrixMap<T>(b, k, n);
  } else if (trans_a && !trans_b) {
    om.noalias() = ConstMatrixMap<T>(a, k, m).transpose() * ConstMatrixMap<T>(b, k, n);
  } else if (!trans_a && trans_b) {
    om.noalias() = ConstMatrixMap<T>(a, m, k) * ConstMatrixMap<T>(b, n, k).transpose();
  } else {
    om.noalias() = ConstMatrixMap<T>(a, k, m).transpose() * ConstMatrixMap<T>(b, n, k).transpose();
  }
}

absl::StatusOr<std::vector<Tensor>> Gemm(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  const Tensor* c = ctx.Input(2);
  if (a->dims.size() != 2 || b->dims.size() != 2) {
    return InvalidArg("A ", DimsString(a->dims), " and B ", DimsString(b->dims), " must be 2-D");
  }
  if (a->IsFloat() != b->IsFloat() || (c != nullptr && c->IsFloat() != a->IsFloat())) {
    return InvalidArg("A, B and C must have the same element type");
  }
  const bool ta = ctx.AttrInt("transA", 0) != 0, tb = ctx.AttrInt("transB", 0) != 0;
  const int64_t m = ta ? a->dims[1] : a->dims[0];
  const int64_t k = ta ? a->dims[0] : a->dims[1];
  const int64_t kb = tb ? b->dims[1] : b->dims[0];
  const int64_t n = tb ? b->dims[0] : b->dims[1];
  if (k != kb) {
    return InvalidArg("inner dimensions differ: A ", DimsString(a->dims),
                      (ta ? " (transposed)" : ""), " vs B ", DimsString(b->dims),
                      (tb ? " (transposed)" : ""));
  }
  const float alpha = ctx.AttrFloat("alpha", 1.0f), beta = ctx.AttrFloat("beta", 1.0f);
  std::vector<int64_t> y_dims = {m, n};
  if (c != nullptr) {
    H8_ASSIGN_OR_RETURN(std::vector<int64_t> bd, BroadcastShapes({c->dims, y_dims}));
    if (bd != y_dims) {
      return InvalidArg("C shape ", DimsString(c->dims), " does not broadcast to ",
                        DimsString(y_dims));
    }
  }
  Tensor y = AllocateTensor(a->dtype, y_dims);
  if (a->IsFloat()) {
    MatMulInto<float>(a->f.data(), ta, b->f.data(), tb, y.f.data(), m, k, n);
    if (alpha != 1.0f)
      for (float& v : y.f) v *= alpha;
    if (c != nullptr) {
      BroadcastLoop<1>(y_dims, {&c->dims}, [&](int64_t o, const std::array<int64_t, 1>& i) {
        y.f[o] += beta * c->f[i[0]];
      });
    }
  } else {
    MatMulInto<int64_t>(a->i.data(), ta, b->i.data(), tb, y.i.data(), m, k, n);
    for (int64_t& v : y.i) v = static_cast<int64_t>(v * alpha);
    if (c != nullptr) {
      BroadcastLoop<1>(y_dims, {&c->dims}, [&](int64_t o, const std::array<int64_t, 1>& i) {
        y.i[o] += static_cast<int64_t>(beta * c->i[i[0]]);
      });
    }
  }
  return std::vector<Tensor>{std::move(y)};
}

absl::StatusOr<std::vector<Tensor>> MatMul(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* a, ctx.Required(0));
  H8_ASSIGN_OR_RETURN(const Tensor* b, ctx.Required(1));
  if (a->IsFloat() != b->IsFloat()) {
    return InvalidArg("A and B must have the same element type");
  }
  if (a->dims.empty() || b->dims.empty()) {
    return InvalidArg("MatMul operands must have rank >= 1");
  }
  std::vector<int64_t> ad = a->dims, bd = b->dims;
  const bool a_vec = ad.size() == 1, b_vec = bd.size() == 1;
  if (a_vec) ad.insert(ad.begin(), 1);
  if (b_vec) bd.push_back(1);
  const int64_t m = ad[ad.size() - 2], k = ad.back();
  const int64_t kb = bd[bd.size() - 2], n = bd.back();
  if (k != kb) {
    return InvalidArg("inner dimensions differ: ", DimsString(a->dims), " x ", DimsString(b->dims));
  }
  std::vector<int64_t> a_batch(ad.begin(), ad.end() - 2);
  std::vector<int64_t> b_batch(bd.begin(), bd.end() - 2);
  H8_ASSIGN_OR_RETURN(std::vector<int64_t> batch, BroadcastShapes({a_batch, b_batch}));
  std::vector<int64_t> y_dims = batch;
  if (!a_vec) y_dims.push_back(m);
  if (!b_vec) y_dims.push_back(n);
  Tensor y = AllocateTensor(a->dtype, y_dims);
  const int64_t a_mat = m * k, b_mat = k * n, y_mat = m * n;
  BroadcastLoop<2>(batch, {&a_batch, &b_batch}, [&](int64_t o, const std::array<int64_t, 2>& i) {
    if (a->IsFloat()) {
      MatMulInto<float>(a->f.data() + i[0] * a_mat, false, b->f.data() + i[1] * b_mat, false,
                        y.f.data() + o * y_mat, m, k, n);
    } else {
      MatMulInto<int64_t>(a->i.data() + i[0] * a_mat, false, b->i.data() + i[1] * b_mat, false,
                          y.i.data() + o * y_mat, m, k, n);
    }
  });
  return std::vector<Tensor>{std::move(y)};
}

/// Det of [..., M, M]: Gaussian elimination with partial pivoting in double.
absl::StatusOr<std::vector<Tensor>> Det(const OpContext& ctx) {
  H8_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  H8_RETURN_IF_ERROR(RequireFloat(*x, "Det input"));
  const size_t rank = x->dims.size();
  if (rank < 2 || x->dims[rank - 1] != x->dims[rank - 2]) {
    return InvalidArg("input ", DimsString(x->dims), " must end in a square matrix");
  }
  const int64_t m = x->dims[rank - 1];
  std::vector<int64_t> dims(x->dims.begin(), x->dims.end() - 2);
  Tensor y = AllocateTensor(x->dtype, dims);
  std::vector<double> a(m * m);
  for (int64_t b = 0; b < y.NumElements(); ++b) {
    std::copy_n(x->f.begin() + b * m * m, m * m, a.begin());
    double det = 1;
    for (int64_t c = 0; c < m && det != 0; ++c) {
      int64_t piv = c;
      for (int64_t r = c + 1; r < m; ++r) {
        if (std::fabs(a[r * m + c]) > std::fabs(a[piv * m + c])) piv = r;
      }
      if (a[piv * m + c] == 0) {
        det = 0;
        break;
      }
      if (piv != c) {
        for (int64_t k = 0; k < m; ++k) std::swap(a[c * m + k], a[piv * m + k]);
        det = -det;
      }
      det *= a[c * m + c];
      for (int64_t r = c + 1; r < m; ++r) {
        const double f = a[r * m + c] / a[c * m + c];
        for (int64_t k = c; k < m; ++k) a[r * m + k] -= f * a[c * m + k];
      }
    }
    y.f[b] = RoundToFloatDtype(static_cast<float>(det), y.dtype);
  }
  return std::vector<Tensor>{std::move(y)};
}

}  // namespace

void RegisterMatMulOps(OpTable& table) {
  table["Det"] = Det;
  table["Gemm"] = Gemm;
  table["MatMul"] = MatMul;
}

}  // namespace eval
}  // namespace h8
