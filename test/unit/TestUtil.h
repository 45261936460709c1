//===- TestUtil.h - Helpers for the unit tests ------------------*- C++ -*-===//
#ifndef H8_TEST_UNIT_TESTUTIL_H
#define H8_TEST_UNIT_TESTUTIL_H

#include <string>

#include "gtest/gtest.h"
#include "h8/Support/TextIO.h"

namespace h8 {

/// Parses a textual model or fails the test.
inline onnx::ModelProto ParseModelOrDie(const std::string& text) {
  auto model = ParseModelText(text);
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *model : onnx::ModelProto();
}

}  // namespace h8

#endif  // H8_TEST_UNIT_TESTUTIL_H
