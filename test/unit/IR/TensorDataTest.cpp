//===- TensorDataTest.cpp - The TensorProto decoder ------------------------===//
//
// Every expectation is computed by hand from the IEEE / two's-complement
// encodings, not taken from a run.
//
//===----------------------------------------------------------------------===//
#include "h8/IR/TensorData.h"

#include <cmath>
#include <string>

#include "TestUtil.h"
#include "gtest/gtest.h"

namespace h8 {
namespace {

using onnx::TensorProto;

TEST(TensorDataTest, FloatRawIsLittleEndian) {
  TensorProto t = MakeTensorProto(TensorProto::FLOAT, {2});
  // 1.5f = 0x3FC00000, -2.0f = 0xC0000000, least significant byte first.
  t.set_raw_data(std::string("\x00\x00\xC0\x3F\x00\x00\x00\xC0", 8));
  auto d = TensorData::Decode(t);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->size(), 2);
  EXPECT_EQ(d->Values<float>(), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(d->Float(1), -2.0);
  EXPECT_EQ(d->Bits(0), 0x3FC00000u);
}

TEST(TensorDataTest, NarrowIntegersInInt32DataAndRaw) {
  TensorProto typed = MakeTensorProto(TensorProto::INT8, {2});
  typed.add_int32_data(-3);
  typed.add_int32_data(127);
  auto a = TensorData::Decode(typed);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->Values<int64_t>(), (std::vector<int64_t>{-3, 127}));
  EXPECT_EQ(a->Bits(0), 0xFDu);  // -3 as one byte
  EXPECT_EQ(a->Bytes(), std::string("\xFD\x7F", 2));

  TensorProto raw = MakeTensorProto(TensorProto::INT8, {2});
  raw.set_raw_data(std::string("\xFD\x7F", 2));
  auto b = TensorData::Decode(raw);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->Values<int64_t>(), (std::vector<int64_t>{-3, 127}));

  TensorProto i16 = MakeTensorProto(TensorProto::INT16, {1});
  i16.add_int32_data(-2);
  auto c = TensorData::Decode(i16);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->Bytes(), std::string("\xFE\xFF", 2));

  TensorProto u8 = MakeTensorProto(TensorProto::UINT8, {1});
  u8.set_raw_data(std::string("\xFF", 1));
  EXPECT_EQ(TensorData::Decode(u8)->Int(0), 255);
}

TEST(TensorDataTest, BoolIsZeroOrOne) {
  TensorProto t = MakeTensorProto(TensorProto::BOOL, {3});
  t.add_int32_data(0);
  t.add_int32_data(2);
  t.add_int32_data(256);
  auto d = TensorData::Decode(t);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->Values<int64_t>(), (std::vector<int64_t>{0, 1, 1}));
}

TEST(TensorDataTest, HalfAndBFloat16Patterns) {
  TensorProto h = MakeTensorProto(TensorProto::FLOAT16, {3});
  h.add_int32_data(0x3C00);  // 1.0
  h.add_int32_data(0xC000);  // -2.0
  h.add_int32_data(0x0001);  // smallest subnormal, 2^-24
  auto d = TensorData::Decode(h);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->is_float());
  EXPECT_EQ(d->Float(0), 1.0);
  EXPECT_EQ(d->Float(1), -2.0);
  EXPECT_EQ(d->Float(2), std::ldexp(1.0, -24));
  EXPECT_EQ(d->Bits(1), 0xC000u);

  TensorProto b = MakeTensorProto(TensorProto::BFLOAT16, {1});
  b.set_raw_data(std::string("\x80\x3F", 2));  // 0x3F80 = 1.0
  EXPECT_EQ(TensorData::Decode(b)->Float(0), 1.0);
}

TEST(TensorDataTest, WideUnsignedAndDouble) {
  TensorProto u64 = MakeTensorProto(TensorProto::UINT64, {1});
  u64.set_raw_data(std::string(8, '\xFF'));
  auto a = TensorData::Decode(u64);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->Bits(0), ~uint64_t{0});
  EXPECT_EQ(a->Int(0), -1);

  TensorProto u32 = MakeTensorProto(TensorProto::UINT32, {1});
  u32.add_uint64_data(4000000000u);
  EXPECT_EQ(TensorData::Decode(u32)->Int(0), 4000000000);

  TensorProto f64 = MakeTensorProto(TensorProto::DOUBLE, {});
  f64.add_double_data(0.1);
  auto c = TensorData::Decode(f64);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->size(), 1);  // a scalar
  EXPECT_EQ(c->Float(0), 0.1);
  // 0.1 = 0x3FB999999999999A.
  EXPECT_EQ(c->Bytes(), std::string("\x9A\x99\x99\x99\x99\x99\xB9\x3F", 8));
}

TEST(TensorDataTest, ExternalBytesAreTheCallers) {
  TensorProto t = MakeTensorProto(TensorProto::FLOAT, {1});
  t.set_data_location(TensorProto::EXTERNAL);
  EXPECT_FALSE(TensorData::Decode(t).ok());
  const std::string bytes("\x00\x00\x80\x3F", 4);  // 1.0f
  const absl::string_view view(bytes);
  auto d = TensorData::Decode(t, "w", &view);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->Float(0), 1.0);
}

TEST(TensorDataTest, ErrorsNameTheLabel) {
  TensorProto ragged = MakeTensorProto(TensorProto::FLOAT, {1});
  ragged.set_raw_data(std::string(5, '\0'));
  EXPECT_EQ(TensorData::Decode(ragged, "tensor 't'").status().message(),
            "tensor 't': raw data of 5 bytes is not a multiple of the 4-byte element size");

  TensorProto short_typed = MakeTensorProto(TensorProto::INT64, {2});
  short_typed.add_int64_data(1);
  EXPECT_EQ(TensorData::Decode(short_typed, "x").status().message(),
            "x: holds 1 elements but shape [2] needs 2");

  TensorProto str = MakeTensorProto(TensorProto::STRING, {1});
  EXPECT_EQ(TensorData::Decode(str, "s").status().message(),
            "s: element type string is not supported");

  TensorProto neg = MakeTensorProto(TensorProto::FLOAT, {-1});
  EXPECT_EQ(TensorData::Decode(neg, "n").status().message(),
            "n: negative dimension -1 in shape [-1]");
}

}  // namespace
}  // namespace h8
