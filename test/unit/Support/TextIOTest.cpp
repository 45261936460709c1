//===- TextIOTest.cpp - Printer/parser round trips ------------------------===//
#include "h8/Support/TextIO.h"

#include <filesystem>

#include <string>

#include "TestUtil.h"
#include "gtest/gtest.h"
#include "h8/Support/ModelIO.h"

namespace h8 {
namespace {

constexpr char kConv[] = R"(<ir_version: 8, opset_import: ["" : 13]>
conv1d (float[N,2,5] x) => (float[N,3,4] y)
  <float[3,2,2] w = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, float[N,3,4] t>
{
  t = Conv <kernel_shape = [2], pads = [0, 0]> (x, w)
  y = Relu (t)
}
)";

TEST(TextIOTest, ParsesInitializersAsRawData) {
  onnx::ModelProto m = ParseModelOrDie(kConv);
  ASSERT_EQ(m.graph().initializer_size(), 1);
  const auto& w = m.graph().initializer(0);
  EXPECT_EQ(w.name(), "w");
  EXPECT_EQ(w.dims_size(), 3);
  EXPECT_EQ(w.raw_data().size(), 12u * 4u);
  float last;
  std::memcpy(&last, w.raw_data().data() + 44, 4);
  EXPECT_EQ(last, 12.0f);
  EXPECT_EQ(m.graph().value_info_size(), 1);
  EXPECT_EQ(m.graph().node(0).attribute(0).type(), onnx::AttributeProto::INTS);
}

TEST(TextIOTest, PrintParsePrintIsAFixedPoint) {
  onnx::ModelProto m = ParseModelOrDie(kConv);
  std::string once = PrintModelText(m);
  onnx::ModelProto again = ParseModelOrDie(once);
  EXPECT_EQ(PrintModelText(again), once);
  EXPECT_EQ(again.SerializeAsString(), m.SerializeAsString());
}

TEST(TextIOTest, QuotesNamesThatAreNotIdentifiers) {
  onnx::ModelProto m = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] "onnx::x") => (float[2] "/a/b.c")
{
  "/a/b.c" = Relu ("onnx::x")
}
)");
  EXPECT_EQ(m.graph().node(0).input(0), "onnx::x");
  std::string text = PrintModelText(m);
  EXPECT_NE(text.find("\"/a/b.c\" = Relu (\"onnx::x\")"), std::string::npos) << text;
}

TEST(TextIOTest, TensorAndGraphAttributesRoundTrip) {
  onnx::ModelProto m = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c) => (float[2] y)
{
  [k] k0 = Constant <value = float[2] {1.5, -2}> ()
  y = If (c) <then_branch = t () => (float[2] k0) { }, else_branch = e () => (float[2] z) { z = Neg (k0) }>
}
)");
  const auto& attr = m.graph().node(0).attribute(0);
  EXPECT_EQ(attr.type(), onnx::AttributeProto::TENSOR);
  EXPECT_EQ(m.graph().node(0).name(), "k");
  EXPECT_EQ(m.graph().node(1).attribute(1).g().node(0).op_type(), "Neg");
  std::string once = PrintModelText(m);
  EXPECT_EQ(PrintModelText(ParseModelOrDie(once)), once);
}

TEST(TextIOTest, FloatAttributesKeepTheirType) {
  onnx::ModelProto m = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y) { y = LeakyRelu <alpha = 1.0> (x) }
)");
  EXPECT_EQ(m.graph().node(0).attribute(0).type(), onnx::AttributeProto::FLOAT);
  std::string text = PrintModelText(m);
  onnx::ModelProto again = ParseModelOrDie(text);
  EXPECT_EQ(again.graph().node(0).attribute(0).type(), onnx::AttributeProto::FLOAT) << text;
}

TEST(TextIOTest, ErrorsGiveLineColumnAndContext) {
  auto m = ParseModelText("<ir_version: 8>\ng (float x) => (float y)\n{\n  y = Relu (x\n}\n");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("line 5, column 1: expected ')'"), std::string::npos)
      << m.status();
  auto count = ParseModelText("g () => (float[3] y) <float[3] w = {1, 2}> { y = Relu (w) }");
  ASSERT_FALSE(count.ok());
  EXPECT_NE(count.status().message().find("has 2 values, its shape needs 3"), std::string::npos)
      << count.status();
}

TEST(TextIOTest, ElementTypesComeFromTheOneTable) {
  // complex data has no text form (the parser once wrote 16 bytes from an
  // 8-byte integer for each complex128 value).
  auto complex =
      ParseModelText("g () => (complex128[1] y) <complex128[1] w = {1}> { y = Identity (w) }");
  ASSERT_FALSE(complex.ok());
  EXPECT_NE(
      complex.status().message().find("tensors of type COMPLEX128 are not supported in text form"),
      std::string::npos)
      << complex.status();
  // The float8 names of the element-type table are types of the text form;
  // onnx 1.12's enum stops at 16, float8e4m3fn is 17.
  auto f8 = ParseModelText("g (float8e4m3fn[2] x) => (float8e4m3fn[2] y) { y = Identity (x) }");
  ASSERT_TRUE(f8.ok()) << f8.status();
  EXPECT_EQ(f8->graph().input(0).type().tensor_type().elem_type(), 17);
  EXPECT_NE(PrintModelText(*f8).find("float8e4m3fn[2] x"), std::string::npos);
}

TEST(TextIOTest, ElidesLargeInitializersOnlyWhenAsked) {
  onnx::ModelProto m = ParseModelOrDie(kConv);
  PrintOptions options;
  options.elide_initializers_larger_than = 4;
  EXPECT_NE(PrintModelText(m, options).find("w = {...}"), std::string::npos);
  EXPECT_EQ(PrintModelText(m).find("{...}"), std::string::npos);
}

// Every committed PyTorch fixture prints, re-parses to the same graph and
// prints identically again.
TEST(TextIOTest, EveryFixtureRoundTrips) {
  const std::filesystem::path root = std::filesystem::path(H8_SOURCE_DIR) / "test/fixtures";
  ASSERT_TRUE(std::filesystem::is_directory(root)) << root;
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    // Every fixture folder holds a model.onnx that must read; a fixture that
    // cannot be read is a failure, not a fixture left out.
    if (!entry.is_directory() || entry.path().filename().string()[0] == '.') continue;
    const std::string path = (entry.path() / "model.onnx").string();
    auto model = ReadBinaryModelFile(path);
    if (!model.ok()) {
      ADD_FAILURE() << path << ": " << model.status();
      continue;
    }
    ++count;
    std::string once = PrintModelText(*model);
    auto parsed = ParseModelText(once);
    ASSERT_TRUE(parsed.ok()) << path << ": " << parsed.status();
    EXPECT_EQ(PrintModelText(*parsed), once) << path;
    // Structure survives: same node count, same names, same initializer bytes.
    ASSERT_EQ(parsed->graph().node_size(), model->graph().node_size()) << path;
    for (int i = 0; i < model->graph().node_size(); ++i) {
      EXPECT_EQ(parsed->graph().node(i).op_type(), model->graph().node(i).op_type());
      EXPECT_EQ(parsed->graph().node(i).name(), model->graph().node(i).name());
    }
    ASSERT_EQ(parsed->graph().initializer_size(), model->graph().initializer_size());
    for (int i = 0; i < model->graph().initializer_size(); ++i) {
      if (model->graph().initializer(i).has_raw_data()) {
        EXPECT_EQ(parsed->graph().initializer(i).raw_data(),
                  model->graph().initializer(i).raw_data())
            << path << " " << model->graph().initializer(i).name();
      }
    }
  }
  EXPECT_GE(count, 10);
}

}  // namespace
}  // namespace h8
