//===- TensorTest.cpp - TensorProto decoding and encoding tests -----------===//
//
// Raw little-endian vs typed-field decoding for each storage class, size and
// shape validation, round trips through TensorToProto, and the confinement
// rules for external data files.
//
//===----------------------------------------------------------------------===//

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "EvalTestUtil.h"
#include "TestUtil.h"
#include "gtest/gtest.h"
#include "h8/Eval/Tensor.h"

namespace h8 {
namespace {

using evaltest::ExpectFloats;
using evaltest::ExpectInts;
using onnx::TensorProto;

TensorProto Proto(int32_t dtype, const std::vector<int64_t>& dims) {
  return MakeTensorProto(dtype, dims);
}

TEST(TensorTest, RawAndTypedFloatAgree) {
  // 1.5f = 0x3FC00000, -2.0f = 0xC0000000, stored little-endian.
  TensorProto raw = Proto(TensorProto::FLOAT, {2});
  raw.set_raw_data(std::string("\x00\x00\xc0\x3f\x00\x00\x00\xc0", 8));
  TensorProto typed = Proto(TensorProto::FLOAT, {2});
  typed.add_float_data(1.5f);
  typed.add_float_data(-2.0f);
  H8_ASSERT_OK_AND_ASSIGN(Tensor a, TensorFromProto(raw));
  H8_ASSERT_OK_AND_ASSIGN(Tensor b, TensorFromProto(typed));
  ExpectFloats(a, {2}, {1.5f, -2.0f}, 0.0f);
  ExpectFloats(b, {2}, {1.5f, -2.0f}, 0.0f);
}

TEST(TensorTest, IntegerTypesWidenToInt64) {
  TensorProto i8 = Proto(TensorProto::INT8, {2});
  i8.set_raw_data(std::string("\xff\x05", 2));  // -1, 5
  H8_ASSERT_OK_AND_ASSIGN(Tensor a, TensorFromProto(i8));
  ExpectInts(a, {2}, {-1, 5});
  EXPECT_EQ(a.dtype, TensorProto::INT8);
  TensorProto u8 = Proto(TensorProto::UINT8, {1});
  u8.set_raw_data(std::string("\xff", 1));  // 255
  H8_ASSERT_OK_AND_ASSIGN(Tensor b, TensorFromProto(u8));
  ExpectInts(b, {1}, {255});
  TensorProto i32 = Proto(TensorProto::INT32, {1});
  i32.add_int32_data(-3);
  H8_ASSERT_OK_AND_ASSIGN(Tensor c, TensorFromProto(i32));
  ExpectInts(c, {1}, {-3});
  TensorProto i64 = Proto(TensorProto::INT64, {1});
  i64.set_raw_data(std::string("\xfe\xff\xff\xff\xff\xff\xff\xff", 8));  // -2
  H8_ASSERT_OK_AND_ASSIGN(Tensor d, TensorFromProto(i64));
  ExpectInts(d, {1}, {-2});
  TensorProto bl = Proto(TensorProto::BOOL, {2});
  bl.add_int32_data(0);
  bl.add_int32_data(1);
  H8_ASSERT_OK_AND_ASSIGN(Tensor e, TensorFromProto(bl));
  ExpectInts(e, {2}, {0, 1});
  TensorProto scalar = Proto(TensorProto::INT64, {});
  scalar.add_int64_data(42);
  H8_ASSERT_OK_AND_ASSIGN(Tensor f, TensorFromProto(scalar));
  ExpectInts(f, {}, {42});
}

TEST(TensorTest, HalfAndDoubleBecomeFloat) {
  // float16 0x3C00 = 1.0, 0xC000 = -2.0; 0x3555 = 0.333251953125.
  TensorProto raw = Proto(TensorProto::FLOAT16, {2});
  raw.set_raw_data(std::string("\x00\x3c\x00\xc0", 4));
  H8_ASSERT_OK_AND_ASSIGN(Tensor a, TensorFromProto(raw));
  ExpectFloats(a, {2}, {1.0f, -2.0f}, 0.0f);
  TensorProto typed = Proto(TensorProto::FLOAT16, {1});
  typed.add_int32_data(0x3555);
  H8_ASSERT_OK_AND_ASSIGN(Tensor b, TensorFromProto(typed));
  ExpectFloats(b, {1}, {0.333251953125f}, 0.0f);
  TensorProto dbl = Proto(TensorProto::DOUBLE, {1});
  dbl.add_double_data(0.5);
  H8_ASSERT_OK_AND_ASSIGN(Tensor c, TensorFromProto(dbl));
  ExpectFloats(c, {1}, {0.5f}, 0.0f);
  EXPECT_EQ(c.dtype, TensorProto::DOUBLE);
}

TEST(TensorTest, SizeAndShapeValidation) {
  TensorProto few = Proto(TensorProto::FLOAT, {3});
  few.add_float_data(1);
  few.add_float_data(2);
  EXPECT_EQ(TensorFromProto(few).status().code(), absl::StatusCode::kInvalidArgument);
  TensorProto odd = Proto(TensorProto::FLOAT, {1});
  odd.set_raw_data(std::string(5, '\0'));
  EXPECT_EQ(TensorFromProto(odd).status().code(), absl::StatusCode::kInvalidArgument);
  TensorProto neg = Proto(TensorProto::FLOAT, {-1});
  EXPECT_EQ(TensorFromProto(neg).status().code(), absl::StatusCode::kInvalidArgument);
  TensorProto huge = Proto(TensorProto::FLOAT, {1LL << 40, 1LL << 40});
  EXPECT_EQ(TensorFromProto(huge).status().code(), absl::StatusCode::kInvalidArgument);
  TensorProto str = Proto(TensorProto::STRING, {1});
  str.add_string_data("a");
  EXPECT_EQ(TensorFromProto(str).status().code(), absl::StatusCode::kUnimplemented);
}

TEST(TensorTest, ToProtoRoundTrips) {
  Tensor f = MakeFloatTensor({2}, {1.5f, -0.25f});
  TensorProto pf = TensorToProto(f, "f");
  EXPECT_EQ(pf.name(), "f");
  EXPECT_EQ(pf.raw_data().size(), 8u);
  H8_ASSERT_OK_AND_ASSIGN(Tensor f2, TensorFromProto(pf));
  ExpectFloats(f2, {2}, f.f, 0.0f);

  Tensor i32 = MakeIntTensor({3}, {-1, 0, 70000}, TensorProto::INT32);
  TensorProto pi = TensorToProto(i32, "i");
  EXPECT_EQ(pi.data_type(), TensorProto::INT32);
  EXPECT_EQ(pi.raw_data().size(), 12u);
  H8_ASSERT_OK_AND_ASSIGN(Tensor i2, TensorFromProto(pi));
  ExpectInts(i2, {3}, {-1, 0, 70000});

  Tensor b = MakeIntTensor({2}, {1, 0}, TensorProto::BOOL);
  TensorProto pb = TensorToProto(b, "b");
  EXPECT_EQ(pb.raw_data(), std::string("\x01\x00", 2));

  Tensor h = MakeFloatTensor({1}, {-2.0f});
  h.dtype = TensorProto::FLOAT16;
  TensorProto ph = TensorToProto(h, "h");
  EXPECT_EQ(ph.raw_data(), std::string("\x00\xc0", 2));

  Tensor i64 = MakeIntTensor({1}, {-2});
  EXPECT_EQ(TensorToProto(i64, "l").raw_data(), std::string("\xfe\xff\xff\xff\xff\xff\xff\xff", 8));
}

class ExternalDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::path(::testing::TempDir()) / ("h8_eval_ext_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "sub");
    // Three floats: 1, 2, 3.
    std::ofstream out(dir_ / "sub" / "w.bin", std::ios::binary);
    const float v[3] = {1, 2, 3};
    out.write(reinterpret_cast<const char*>(v), sizeof(v));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static TensorProto External(const std::string& location, const std::string& offset,
                              const std::string& length, int64_t n) {
    TensorProto p = Proto(TensorProto::FLOAT, {n});
    p.set_data_location(TensorProto::EXTERNAL);
    auto add = [&](const char* k, const std::string& v) {
      if (v.empty()) return;
      auto* e = p.add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    add("location", location);
    add("offset", offset);
    add("length", length);
    return p;
  }

  std::filesystem::path dir_;
};

TEST_F(ExternalDataTest, ReadsRangeRelativeToBaseDir) {
  H8_ASSERT_OK_AND_ASSIGN(Tensor t,
                          TensorFromProto(External("sub/w.bin", "4", "8", 2), dir_.string()));
  ExpectFloats(t, {2}, {2, 3}, 0.0f);
  H8_ASSERT_OK_AND_ASSIGN(Tensor all,
                          TensorFromProto(External("sub/w.bin", "", "", 3), dir_.string()));
  ExpectFloats(all, {3}, {1, 2, 3}, 0.0f);
}

TEST_F(ExternalDataTest, RefusesEscapesAndBadRanges) {
  const std::string base = (dir_ / "sub").string();
  auto code = [](const absl::StatusOr<Tensor>& s) { return s.status().code(); };
  // ".." and absolute locations are refused before touching the file.
  auto up = TensorFromProto(External("../sub/w.bin", "", "", 3), base);
  EXPECT_EQ(code(up), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(up.status().message().find("escapes"), std::string::npos) << up.status();
  auto abs = TensorFromProto(External((dir_ / "sub" / "w.bin").string(), "", "", 3), base);
  EXPECT_EQ(code(abs), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(abs.status().message().find("absolute"), std::string::npos) << abs.status();
  // Ranges past the end of the file.
  EXPECT_EQ(code(TensorFromProto(External("w.bin", "8", "8", 2), base)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(TensorFromProto(External("w.bin", "16", "", 1), base)),
            absl::StatusCode::kInvalidArgument);
  // Length that disagrees with the dims.
  EXPECT_EQ(code(TensorFromProto(External("w.bin", "0", "8", 3), base)),
            absl::StatusCode::kInvalidArgument);
  // Missing file, malformed offset, no base directory.
  EXPECT_EQ(code(TensorFromProto(External("nope.bin", "", "", 1), base)),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(code(TensorFromProto(External("w.bin", "-4", "", 1), base)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(TensorFromProto(External("w.bin", "", "", 3), "")),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ExternalDataTest, ModelInitializerUsesBaseDir) {
  onnx::ModelProto model;
  auto st = onnx::OnnxParser::Parse(model, R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[3] x) => (float[3] y) { y = Add (x, w) })");
  ASSERT_TRUE(st.IsOK()) << st.ErrorMessage();
  TensorProto w = External("sub/w.bin", "", "", 3);
  w.set_name("w");
  *model.mutable_graph()->add_initializer() = w;
  std::map<std::string, Tensor> inputs{{"x", MakeFloatTensor({3}, {10, 20, 30})}};
  H8_ASSERT_OK_AND_ASSIGN(auto out, EvaluateModel(model, inputs, dir_.string()));
  ExpectFloats(out[0], {3}, {11, 22, 33});
  EXPECT_FALSE(EvaluateModel(model, inputs, "").ok());
}

}  // namespace
}  // namespace h8
