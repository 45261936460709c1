//===- OptRunTest.cpp - h8::RunOpt's structured result --------------------===//
#include "h8/Tools/OptRun.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "h8/Passes/Passes.h"
#include "h8/Tools/OptMain.h"
#include "onnx/onnx_pb.h"

namespace h8 {
namespace {

constexpr char kSoftmaxModel[] = R"onnx(<
  ir_version: 8,
  opset_import: ["" : 13]
>
g (float[1,4,1,8] x) => (float[1,4,1,8] y)
{
  [relu] r = Relu (x)
  [head] y = Softmax <axis: int = 1> (r)
}
)onnx";

OptRunResult RunInMemory(std::vector<std::string> args, std::string input = kSoftmaxModel) {
  static PassRegistry* registry = [] {
    auto* r = new PassRegistry();
    EXPECT_TRUE(RegisterAllPasses(*r).ok());
    return r;
  }();
  OptRunRequest request;
  request.args = std::move(args);
  request.input_bytes = std::move(input);
  request.capture_output = true;
  request.print = false;
  return RunOpt(std::move(request), *registry);
}

TEST(OptRunTest, CapturesTheModelAsBinaryAndTheTimings) {
  OptRunResult r = RunInMemory({"--passes=cleanup"});
  ASSERT_EQ(r.exit_code, kExitOk);
  ASSERT_TRUE(r.output.has_value());
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(*r.output));
  EXPECT_EQ(m.graph().node_size(), 2);
  EXPECT_EQ(m.graph().input(0).name(), "x");
  EXPECT_TRUE(r.diagnostics.empty());
  ASSERT_EQ(r.models.size(), 1u);
  EXPECT_EQ(r.models[0].where, "<memory>");
  ASSERT_FALSE(r.models[0].timings.empty());
  EXPECT_EQ(r.models[0].timings[0].pass, "cleanup");
  EXPECT_EQ(r.pipeline, "cleanup{forward-identity=true}");

  OptRunResult text = RunInMemory({"--passes=cleanup", "--emit=text"});
  ASSERT_TRUE(text.output.has_value());
  EXPECT_TRUE(absl::StartsWith(*text.output, "<\n  ir_version: 8")) << *text.output;
}

TEST(OptRunTest, LintVerdictIsDataAndMatchesItsNotes) {
  OptRunResult r = RunInMemory({"--check-hailo8"});
  EXPECT_EQ(r.exit_code, kExitModelError);
  EXPECT_FALSE(r.output.has_value());
  ASSERT_EQ(r.models.size(), 1u);
  ASSERT_EQ(r.models[0].lints.size(), 1u);
  const LintSummary& lint = r.models[0].lints[0];
  EXPECT_EQ(lint.pass, "check-hailo8");
  EXPECT_EQ(lint.errors, 1);
  EXPECT_EQ(lint.total_nodes, 2);
  EXPECT_EQ(lint.runnable_nodes, 1);
  // The DFC parses Relu and rejects the Softmax head: cut after Relu.
  EXPECT_EQ(lint.end_nodes, std::vector<std::string>{"relu"});
  EXPECT_EQ(r.models[0].end_nodes, lint.end_nodes);
  // The records: the Softmax error, then the summary notes saying the same.
  bool softmax = false, summary = false, cut = false;
  for (const Diagnostic& d : r.diagnostics) {
    EXPECT_EQ(d.file, "<memory>");
    if (d.severity == Severity::kError && d.node == "head" && d.op == "Softmax") softmax = true;
    if (d.message == "1 errors, 0 warnings; Hailo-8 can run 1 of 2 nodes") summary = true;
    if (d.message == "recommended cut: --end-node-names " + absl::StrJoin(lint.end_nodes, " "))
      cut = true;
  }
  EXPECT_TRUE(softmax);
  EXPECT_TRUE(summary);
  EXPECT_TRUE(cut);
  EXPECT_FALSE(r.command_line_error);
}

// check-hailo8's JSON summary line goes through the diagnostics engine:
// printed only when the request prints, and the same verdict as the record.
TEST(OptRunTest, LintJsonSummaryIsPrintedOnlyWhenPrinting) {
  testing::internal::CaptureStderr();
  OptRunResult quiet = RunInMemory({"--check-hailo8", "--diagnostics-format=json"});
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(quiet.exit_code, kExitModelError);

  static PassRegistry* registry = [] {
    auto* r = new PassRegistry();
    EXPECT_TRUE(RegisterAllPasses(*r).ok());
    return r;
  }();
  OptRunRequest request;
  request.args = {"--check-hailo8", "--diagnostics-format=json"};
  request.input_bytes = kSoftmaxModel;
  request.capture_output = true;
  testing::internal::CaptureStderr();
  OptRunResult loud = RunOpt(std::move(request), *registry);
  const std::string err = testing::internal::GetCapturedStderr();
  ASSERT_EQ(loud.models.size(), 1u);
  ASSERT_EQ(loud.models[0].lints.size(), 1u);
  EXPECT_NE(
      err.find(absl::StrCat("{\"summary\":{\"errors\":", loud.models[0].lints[0].errors, ",")),
      std::string::npos)
      << err;
  EXPECT_NE(err.find("\"end_node_names\":[\"relu\"]"), std::string::npos) << err;
}

TEST(OptRunTest, CommandLineErrorsAreRecords) {
  OptRunResult r = RunInMemory({"--nope"});
  EXPECT_EQ(r.exit_code, kExitUsageError);
  EXPECT_TRUE(r.command_line_error);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].file, "onnx-h8-opt");
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kError);
  EXPECT_TRUE(absl::StartsWith(r.diagnostics[0].message, "unknown option '--nope'"))
      << r.diagnostics[0].message;
  EXPECT_TRUE(r.models.empty());

  OptRunResult two = RunInMemory({"model.onnx"});
  EXPECT_EQ(two.exit_code, kExitUsageError);
  ASSERT_EQ(two.diagnostics.size(), 1u);
  EXPECT_TRUE(absl::StrContains(two.diagnostics[0].message, "the model is given in memory"));

  // A bad pipeline is found by the driver (not the command-line parser).
  OptRunResult pipeline = RunInMemory({"--passes=lift-conv1d{interface=sideways}"});
  EXPECT_EQ(pipeline.exit_code, kExitUsageError);
  EXPECT_FALSE(pipeline.command_line_error);
  ASSERT_FALSE(pipeline.diagnostics.empty());
  EXPECT_TRUE(absl::StrContains(pipeline.diagnostics[0].message, "sideways"));

  // Unparseable bytes name the in-memory input.
  OptRunResult junk = RunInMemory({}, "\x08\x07\x12junk");
  EXPECT_EQ(junk.exit_code, kExitUsageError);
  ASSERT_FALSE(junk.diagnostics.empty());
  EXPECT_EQ(junk.diagnostics[0].file, "<memory>");
}

TEST(OptRunTest, ListPassesGoesToTheOutput) {
  OptRunResult r = RunInMemory({"--list-passes"});
  EXPECT_EQ(r.exit_code, kExitOk);
  ASSERT_TRUE(r.output.has_value());
  EXPECT_TRUE(absl::StrContains(*r.output, "check-hailo8 - ")) << *r.output;
}

}  // namespace
}  // namespace h8
