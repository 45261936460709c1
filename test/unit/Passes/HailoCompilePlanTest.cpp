//===- HailoCompilePlanTest.cpp - hailo-compile only plans ----------------===//
//
// The pass does no I/O: run by a pass manager outside the driver, it
// leaves a HailoCompilePlan and writes nothing (the driver's stage writes
// the folder and runs the DFC). Its report text is made from the record.
//
//===----------------------------------------------------------------------===//
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "h8/Pass/PassManager.h"
#include "h8/Passes/HailoCompile.h"
#include "h8/Passes/Passes.h"
#include "h8/Report/Report.h"
#include "h8/Support/TextIO.h"

namespace h8 {
namespace {

constexpr char kModel[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,1,8] x) => (float[1,3,1,8] y)
  <float[3,2,1,1] w = {1, 2, 3, 4, 5, 6}>
{
  y = Conv <kernel_shape: ints = [1, 1]> (x, w)
}
)";

TEST(HailoCompilePlanTest, PassLeavesAPlanAndWritesNothing) {
  auto model = ParseModelText(kModel);
  ASSERT_TRUE(model.ok()) << model.status();
  model->mutable_graph()->set_name("9-net");
  const std::string dir = ::testing::TempDir() + "/h8-plan-never-written";
  HailoCompileOptions options;
  options.out = dir;
  options.hw_arch = "hailo8l";
  PassManager pm(PassManagerOptions{});
  pm.AddPass(CreateHailoCompilePass(options));
  DiagnosticEngine diags;
  PassContext ctx(diags, "m");
  ASSERT_TRUE(pm.Run(*model, ctx).ok());

  struct stat st;
  EXPECT_NE(::stat(dir.c_str(), &st), 0) << dir << " was created by the pass";
  const HailoCompilePlan* plan = ctx.artifacts().Get<HailoCompilePlan>();
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->dir, dir);
  EXPECT_EQ(plan->net_name, "net9_net");  // the graph name as an identifier
  EXPECT_TRUE(plan->calib.empty());
  ASSERT_EQ(plan->steps.size(), 3u);
  EXPECT_EQ(
      plan->steps[0].args,
      (std::vector<std::string>{"parser", "onnx", "net9_net.onnx", "--hw-arch", "hailo8l",
                                "--net-name", "net9_net", "--har-path", "net9_net.har", "-y"}));
  EXPECT_EQ(plan->steps[1].args,
            (std::vector<std::string>{"optimize", "net9_net.har", "--hw-arch", "hailo8l",
                                      "--use-random-calib-set", "--output-har-path",
                                      "net9_net_optimized.har"}));
  EXPECT_EQ(plan->steps[2].output, "net9_net.hef");
  EXPECT_NE(plan->script.find("hailo 'compiler' 'net9_net_optimized.har'"), std::string::npos);
  // Each step's time goes to a statistic the pass declares.
  const Pass& pass = *pm.passes()[0];
  for (const HailoCompilePlan::Step& step : plan->steps) {
    bool declared = false;
    for (const Statistic* s : pass.statistics()) declared |= s->name() == step.statistic;
    EXPECT_TRUE(declared) << step.statistic;
  }
  // The check it ran (none ran before it) is in the run record.
  ASSERT_NE(ctx.artifacts().Get<Hailo8Findings>(), nullptr);
  EXPECT_EQ(ctx.artifacts().Get<Hailo8Findings>()->verdicts.size(), 1u);
}

TEST(HailoCompilePlanTest, RecordFormatsAsPrinted) {
  HailoCompileRecord record;
  record.dir = "out";
  record.net_name = "n";
  record.hw_arch = "hailo8";
  record.planned_steps = 3;
  record.steps.push_back({"parser", 1.5, 0, "out/n.har", 21});
  record.steps.push_back({"optimize", 0.25, 2, "out/n_optimized.har", -1});
  EXPECT_EQ(FormatHailoCompile(record),
            "hailo-compile: [1/3] hailo parser ...\n"
            "hailo-compile: [1/3] hailo parser done in 1.50 s\n"
            "hailo-compile: [2/3] hailo optimize ...\n"
            "hailo-compile: [2/3] hailo optimize FAILED after 0.25 s\n");
  record.steps[1].exit_code = 0;
  record.steps[1].output_bytes = 7;
  record.steps.push_back({"compiler", 2, 0, "out/n.hef", 48});
  record.built = true;
  record.host_part = "host.onnx";
  const std::string text = FormatHailoCompile(record);
  EXPECT_EQ(text.rfind("hailo-compile: compiling the Hailo-8 part of the split; the host part "
                       "is host.onnx\n",
                       0),
            0u);
  EXPECT_NE(text.find("hailo-compile: built out/n.hef for hailo8\n"
                      "  step           time  output\n"
                      "  parser        1.50s  out/n.har (21 bytes)\n"
                      "  optimize      0.25s  out/n_optimized.har (7 bytes)\n"
                      "  compiler      2.00s  out/n.hef (48 bytes)\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace h8
