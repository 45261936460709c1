//===- ElementTypeTest.cpp - The element-type table -----------------------===//
#include "h8/IR/ElementType.h"

#include "gtest/gtest.h"
#include "onnx/onnx_pb.h"

namespace h8 {
namespace {

using onnx::TensorProto;

TEST(ElementTypeTest, KindsAndSizes) {
  EXPECT_TRUE(IsIntegerElementType(TensorProto::INT8));
  EXPECT_TRUE(IsIntegerElementType(TensorProto::UINT64));
  EXPECT_TRUE(IsIntegerElementType(TensorProto::BOOL));
  EXPECT_FALSE(IsIntegerElementType(TensorProto::FLOAT));
  EXPECT_FALSE(IsIntegerElementType(TensorProto::STRING));
  EXPECT_FALSE(IsIntegerElementType(TensorProto::COMPLEX64));
  EXPECT_FALSE(IsIntegerElementType(17));  // float8e4m3fn
  EXPECT_TRUE(IsFloatElementType(17));
  EXPECT_FALSE(IsFloatElementType(TensorProto::COMPLEX64));
  EXPECT_EQ(ElementSize(TensorProto::COMPLEX128), 16);
  EXPECT_EQ(ElementSize(TensorProto::BFLOAT16), 2);
  EXPECT_EQ(ElementSize(TensorProto::STRING), 0);
}

TEST(ElementTypeTest, NamesRoundTrip) {
  EXPECT_EQ(ElementTypeFromName("bfloat16"), TensorProto::BFLOAT16);
  EXPECT_EQ(ElementTypeFromName("float8e5m2"), 19);
  EXPECT_EQ(ElementTypeFromName("float32"), 0);  // not an ONNX spelling
  EXPECT_EQ(ElementTypeName(TensorProto::UINT16), "uint16");
  EXPECT_EQ(ElementTypeName(99), "dtype#99");
  EXPECT_TRUE(IsKnownElementType(TensorProto::COMPLEX128));
  EXPECT_FALSE(IsKnownElementType(0));
}

}  // namespace
}  // namespace h8
