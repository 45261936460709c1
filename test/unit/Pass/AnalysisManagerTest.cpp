//===- AnalysisManagerTest.cpp - Analyses kept while the graph is unchanged ===//
#include "h8/Pass/AnalysisManager.h"

#include <memory>

#include "TestUtil.h"
#include "gtest/gtest.h"

namespace h8 {
namespace {

constexpr char kModel[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,4] x) => (float[N,4] y)
{
  t = Relu (x)
  y = Neg (t)
}
)";

TEST(AnalysisManagerTest, IndexIsReusedUntilTheGraphChanges) {
  onnx::ModelProto model = ParseModelOrDie(kModel);
  AnalysisManager am;
  auto first = am.Index(model.graph());
  auto again = am.Index(model.graph());
  EXPECT_EQ(first.get(), again.get());
  EXPECT_EQ(am.counters().builds, 1);
  EXPECT_EQ(am.counters().hits, 1);

  // Rewire y to read x directly: a stale index would still report t's user.
  model.mutable_graph()->mutable_node(1)->set_input(0, "x");
  auto rebuilt = am.Index(model.graph());
  EXPECT_NE(rebuilt.get(), first.get());
  EXPECT_EQ(am.counters().builds, 2);
  EXPECT_TRUE(rebuilt->Consumers("t").empty());
  EXPECT_EQ(rebuilt->Consumers("x").size(), 2u);
  // A result still held stays usable and describes the graph it was built on.
  EXPECT_EQ(first->Consumers("t").size(), 1u);
}

TEST(AnalysisManagerTest, ShapesFollowADeclaredDimChange) {
  onnx::ModelProto model = ParseModelOrDie(kModel);
  AnalysisManager am;
  auto before = am.Shapes(model);
  ASSERT_NE(before->Facts("y"), nullptr);
  EXPECT_EQ(before->Facts("y")->ShapeString(), "[N,4]");
  // What pin-shape does: the input's symbolic dim becomes static.
  model.mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->set_dim_value(2);
  auto after = am.Shapes(model);
  ASSERT_NE(after->Facts("y"), nullptr);
  EXPECT_EQ(after->Facts("y")->ShapeString(), "[2,4]");
  // The whole-model and the main-graph requests are one analysis.
  EXPECT_EQ(am.Shapes(model.graph(), 13).get(), after.get());
}

TEST(AnalysisManagerTest, ClearDropsEverything) {
  onnx::ModelProto model = ParseModelOrDie(kModel);
  AnalysisManager am;
  am.Index(model.graph());
  am.Clear();
  am.Index(model.graph());
  EXPECT_EQ(am.counters().builds, 2);
  EXPECT_EQ(am.counters().hits, 0);
}

}  // namespace
}  // namespace h8
