//===- NameUniquerTest.cpp - Deterministic fresh names --------------------===//
#include "h8/IR/NameUniquer.h"

#include <string>
#include <vector>

#include "TestUtil.h"
#include "gtest/gtest.h"

namespace h8 {
namespace {

TEST(NameUniquerTest, HandsOutBaseThenNumberedSuffixes) {
  NameUniquer names;
  EXPECT_EQ(names.Unique("x"), "x");
  EXPECT_EQ(names.Unique("x"), "x_1");
  EXPECT_EQ(names.Unique("x"), "x_2");
  EXPECT_EQ(names.Unique("y"), "y");
  EXPECT_TRUE(names.IsUsed("x_2"));
  EXPECT_FALSE(names.IsUsed("x_3"));
}

TEST(NameUniquerTest, SkipsReservedNames) {
  NameUniquer names;
  names.Reserve("x");
  names.Reserve("x_1");
  EXPECT_EQ(names.Unique("x"), "x_2");
  // A free base is used as is even when suffixed names are taken.
  names.Reserve("z_1");
  EXPECT_EQ(names.Unique("z"), "z");
}

constexpr char kModel[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] y)
  <float[2] w = {1, 2}, float[2] info>
{
  [relu] info = Relu (x)
  y = If (c) <then_branch = th () => (float[2] inner) { [deep] inner = Add (info, w) }, else_branch = el () => (float[2] x) { }>
}
)";

TEST(NameUniquerTest, ReservesEveryNameOfTheModel) {
  onnx::ModelProto model = ParseModelOrDie(kModel);
  NameUniquer names(model);
  for (const char* used : {"c", "x", "y", "w", "info", "relu"})
    EXPECT_TRUE(names.IsUsed(used)) << used;
  EXPECT_EQ(names.Unique("w"), "w_1");
  EXPECT_EQ(names.Unique("relu"), "relu_1");
  EXPECT_EQ(names.Unique("fresh"), "fresh");
}

TEST(NameUniquerTest, ReservesNamesInsideSubgraphs) {
  onnx::ModelProto model = ParseModelOrDie(kModel);
  NameUniquer names(model);
  EXPECT_TRUE(names.IsUsed("inner"));
  EXPECT_TRUE(names.IsUsed("deep"));
  EXPECT_EQ(names.Unique("inner"), "inner_1");
  EXPECT_EQ(names.Unique("deep"), "deep_1");
}

TEST(NameUniquerTest, SameModelAndCallsGiveSameNames) {
  onnx::ModelProto model = ParseModelOrDie(kModel);
  auto run = [&model]() {
    NameUniquer names(model);
    std::vector<std::string> out;
    for (const char* base : {"x", "t", "x", "inner", "t", "w"}) out.push_back(names.Unique(base));
    return out;
  };
  std::vector<std::string> first = run();
  EXPECT_EQ(first, (std::vector<std::string>{"x_1", "t", "x_2", "inner_1", "t_1", "w_1"}));
  EXPECT_EQ(run(), first);
}

TEST(NameUniquerTest, NamesAreThoseOfTheModelAtFirstUse) {
  onnx::ModelProto model = ParseModelOrDie(kModel);
  NameUniquer names(model);
  // A value the pass adds before asking for a name is not handed out again;
  // a name reserved explicitly before then stays reserved.
  names.Reserve("kept");
  model.mutable_graph()->mutable_node(0)->add_output("late");
  EXPECT_EQ(names.Unique("late"), "late_1");
  EXPECT_EQ(names.Unique("kept"), "kept_1");
  EXPECT_TRUE(names.IsUsed("x"));
}

}  // namespace
}  // namespace h8
