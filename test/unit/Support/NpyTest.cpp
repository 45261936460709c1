//===- NpyTest.cpp - .npy reader/writer -----------------------------------===//
#include "h8/Support/Npy.h"

#include "gtest/gtest.h"
#include "h8/Support/Status.h"

namespace h8 {
namespace {

TEST(NpyTest, WritesFormat10HeaderAlignedTo64) {
  NpyArray a{{2, 3}, {0, 1, 2, 3, 4, 5}};
  std::string bytes = SerializeNpy(a);
  EXPECT_EQ(bytes.substr(0, 6), "\x93NUMPY");
  EXPECT_EQ(bytes[6], '\x01');
  EXPECT_EQ(bytes[7], '\x00');
  size_t header_len =
      static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_NE(bytes.find("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"),
            std::string::npos);
  EXPECT_EQ(bytes[10 + header_len - 1], '\n');
  EXPECT_EQ(bytes.size(), 10 + header_len + 24);
}

TEST(NpyTest, RoundTripsIncludingRank1) {
  for (const NpyArray& a : {NpyArray{{2, 3}, {0, 1, 2, 3, 4, 5}}, NpyArray{{3}, {1.5f, -2, 7}}}) {
    auto back = ParseNpy(SerializeNpy(a), "mem");
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->shape, a.shape);
    EXPECT_EQ(back->data, a.data);
  }
  EXPECT_NE(SerializeNpy(NpyArray{{3}, {1, 2, 3}}).find("'shape': (3,)"), std::string::npos);
}

TEST(NpyTest, RejectsOtherDtypesOrderAndSizes) {
  std::string bytes = SerializeNpy(NpyArray{{2}, {1, 2}});
  std::string f8 = bytes;
  f8.replace(f8.find("<f4"), 3, "<f8");
  EXPECT_NE(
      ParseNpy(f8, "x.npy").status().message().find("x.npy: not a usable .npy file: dtype '<f8'"),
      std::string::npos);
  std::string fortran = bytes;
  fortran.replace(fortran.find("False"), 5, "True ");
  EXPECT_NE(ParseNpy(fortran, "x.npy").status().message().find("Fortran order"), std::string::npos);
  EXPECT_NE(ParseNpy(bytes.substr(0, bytes.size() - 4), "x.npy")
                .status()
                .message()
                .find("holds 1 floats, its shape needs 2"),
            std::string::npos);
  EXPECT_FALSE(ParseNpy("hello", "x.npy").ok());
}

TEST(NpyTest, NchwToNhwcMovesChannelsLast) {
  // [1, 2, 1, 3]: channel 0 = {0,1,2}, channel 1 = {10,11,12}.
  NpyArray in{{1, 2, 1, 3}, {0, 1, 2, 10, 11, 12}};
  NpyArray out = NchwToNhwc(in);
  EXPECT_EQ(out.shape, (std::vector<int64_t>{1, 1, 3, 2}));
  EXPECT_EQ(out.data, (std::vector<float>{0, 10, 1, 11, 2, 12}));
}

TEST(NpyTest, ShapeWhoseByteCountWrapsIsRefusedAsUsageError) {
  // (2^62 + 1) floats * 4 bytes wraps to 4 in 64 bits: 4 data bytes must
  // not pass the size check.
  NpyArray one{{1}, {0}};
  std::string bytes = SerializeNpy(one);
  const std::string from = "(1,)", to = "(4611686018427387905,)";
  bytes.replace(bytes.find(from), from.size(), to);
  bytes.erase(bytes.find('\n') - to.size() + from.size(), to.size() - from.size());
  auto parsed = ParseNpy(bytes, "wrap.npy");
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(IsUsageError(parsed.status())) << parsed.status();
  EXPECT_NE(parsed.status().message().find("its shape needs 4611686018427387905"),
            std::string::npos)
      << parsed.status();
}

}  // namespace
}  // namespace h8
