//===- EvalTestUtil.h - Helpers for the evaluator unit tests ----*- C++ -*-===//
//
// Parses nodes and models from ONNX text syntax and runs them through the
// evaluator, so each test states its graph and its hand-computed result.
//
//===----------------------------------------------------------------------===//
#ifndef H8_TEST_UNIT_EVAL_EVALTESTUTIL_H
#define H8_TEST_UNIT_EVAL_EVALTESTUTIL_H

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "h8/Eval/Evaluator.h"
#include "h8/Eval/Tensor.h"
#include "h8/Support/Status.h"
#include "onnx/defs/parser.h"

namespace h8 {
namespace evaltest {

/// Parses `text` as a model and evaluates it on `inputs`.
inline absl::StatusOr<std::vector<Tensor>> RunModel(const std::string& text,
                                                    const std::map<std::string, Tensor>& inputs,
                                                    const std::string& base_dir = "") {
  onnx::ModelProto model;
  auto st = onnx::OnnxParser::Parse(model, text.c_str());
  if (!st.IsOK()) {
    return absl::InternalError("model text does not parse: " + st.ErrorMessage());
  }
  return EvaluateModel(model, inputs, base_dir);
}

/// Parses `text` as one node (e.g. `y = Relu (x)`) and evaluates it.
inline absl::StatusOr<std::vector<Tensor>> RunNode(const std::string& text, int64_t opset,
                                                   const std::vector<const Tensor*>& inputs) {
  onnx::NodeProto node;
  auto st = onnx::OnnxParser::Parse(node, text.c_str());
  if (!st.IsOK()) {
    return absl::InternalError("node text does not parse: " + st.ErrorMessage());
  }
  return EvaluateNode(node, opset, inputs);
}

inline Tensor F(std::vector<int64_t> dims, std::vector<float> v) {
  return MakeFloatTensor(std::move(dims), std::move(v));
}
inline Tensor I(std::vector<int64_t> dims, std::vector<int64_t> v,
                int32_t dtype = onnx::TensorProto::INT64) {
  return MakeIntTensor(std::move(dims), std::move(v), dtype);
}

/// Expects a float tensor of `dims` equal to `want` within `tol`.
inline void ExpectFloats(const Tensor& t, const std::vector<int64_t>& dims,
                         const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_TRUE(t.IsFloat()) << "dtype " << t.dtype;
  ASSERT_EQ(t.dims, dims);
  ASSERT_EQ(t.f.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) {
    EXPECT_NEAR(t.f[k], want[k], tol) << "element " << k;
  }
}

/// Expects an integer tensor of `dims` equal to `want`.
inline void ExpectInts(const Tensor& t, const std::vector<int64_t>& dims,
                       const std::vector<int64_t>& want) {
  ASSERT_FALSE(t.IsFloat()) << "dtype " << t.dtype;
  ASSERT_EQ(t.dims, dims);
  EXPECT_EQ(t.i, want);
}

}  // namespace evaltest
}  // namespace h8

/// Unwraps a StatusOr in a test, failing with its message otherwise.
#define H8_ASSERT_OK_AND_ASSIGN(lhs, expr)                  \
  auto H8_STATUS_CONCAT(h8_test_so_, __LINE__) = (expr);    \
  ASSERT_TRUE(H8_STATUS_CONCAT(h8_test_so_, __LINE__).ok()) \
      << H8_STATUS_CONCAT(h8_test_so_, __LINE__).status();  \
  lhs = std::move(H8_STATUS_CONCAT(h8_test_so_, __LINE__)).value()

#endif  // H8_TEST_UNIT_EVAL_EVALTESTUTIL_H
