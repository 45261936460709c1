//===- TestUtil.h - Helpers for the unit tests ------------------*- C++ -*-===//
#ifndef H8_TEST_UNIT_TESTUTIL_H
#define H8_TEST_UNIT_TESTUTIL_H

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "h8/Support/TextIO.h"

namespace h8 {

/// Parses a textual model or fails the test.
inline onnx::ModelProto ParseModelOrDie(const std::string& text) {
  auto model = ParseModelText(text);
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *model : onnx::ModelProto();
}

/// An empty TensorProto "t" of element type `type` and `dims`, for the
/// test to fill.
inline onnx::TensorProto MakeTensorProto(int32_t type, const std::vector<int64_t>& dims) {
  onnx::TensorProto t;
  t.set_name("t");
  t.set_data_type(type);
  for (int64_t d : dims) t.add_dims(d);
  return t;
}

}  // namespace h8

#endif  // H8_TEST_UNIT_TESTUTIL_H
