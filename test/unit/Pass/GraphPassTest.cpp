//===- GraphPassTest.cpp - Per-graph walk and per-model hooks -------------===//
#include "h8/Pass/Pass.h"

#include <string>
#include <vector>

#include "TestUtil.h"
#include "gtest/gtest.h"

namespace h8 {
namespace {

// Logs the hooks and the graphs it visits; changes nothing itself, but
// EndModel can override the result.
class Walker : public GraphPass {
 public:
  std::vector<std::string> log;
  bool end_result = false;
  absl::string_view Argument() const override { return "walker"; }

 protected:
  absl::Status BeginModel(onnx::ModelProto& model, PassContext&) override {
    log.push_back("begin:" + model.graph().name());
    return absl::OkStatus();
  }
  absl::StatusOr<bool> RunOnGraph(GraphRef ref, PassContext&) override {
    log.push_back(ref.is_main ? "main" : "body:" + ref.graph->name());
    return !ref.is_main;  // a body "changed"
  }
  absl::StatusOr<bool> EndModel(onnx::ModelProto&, PassContext&, bool changed) override {
    log.push_back(changed ? "end:changed" : "end:unchanged");
    return end_result;
  }
};

TEST(GraphPassTest, HooksWrapTheWalkAndEndModelDecides) {
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] y)
{
  y = If (c) <then_branch = th () => (float[2] z) { z = Abs (x) },
              else_branch = el () => (float[2] w) { w = Neg (x) }>
}
)");
  DiagnosticEngine engine;
  PassContext ctx(engine, "m.onnx");
  Walker walker;
  absl::StatusOr<bool> result = walker.Run(model, ctx);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(*result);  // EndModel's answer, not the walk's
  EXPECT_EQ(walker.log,
            (std::vector<std::string>{"begin:g", "body:th", "body:el", "main", "end:changed"}));
  walker.end_result = true;
  walker.log.clear();
  EXPECT_TRUE(*walker.Run(model, ctx));
  EXPECT_EQ(walker.log.front(), "begin:g");
}

}  // namespace
}  // namespace h8
