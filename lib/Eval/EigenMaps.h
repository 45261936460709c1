//===- EigenMaps.h - Row-major Eigen views of tensor storage ----*- C++ -*-===//
#ifndef H8_LIB_EVAL_EIGENMAPS_H
#define H8_LIB_EVAL_EIGENMAPS_H

#include <Eigen/Core>

namespace h8 {
namespace eval {

template <typename T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ConstMatrixMap = Eigen::Map<const RowMatrix<T>>;
template <typename T>
using MatrixMap = Eigen::Map<RowMatrix<T>>;

}  // namespace eval
}  // namespace h8

#endif  // H8_LIB_EVAL_EIGENMAPS_H
