//===- ReportTest.cpp - DOT drawing and HTML report helpers ---------------===//
#include <gtest/gtest.h>

#include "h8/Report/Dot.h"
#include "h8/Report/Report.h"
#include "h8/Support/TextIO.h"

namespace h8 {
namespace {

onnx::ModelProto Parse(const char* text) {
  auto m = ParseModelText(text);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : onnx::ModelProto();
}

constexpr char kModel[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,4] x) => (float[1,4] y)
{
  ["/a/Relu"] r = Relu (x)
  [b] y = Neg (r)
}
)";

TEST(DotTest, EscapesQuotesBackslashesNewlinesAndBadUtf8) {
  EXPECT_EQ(EscapeDotString("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(EscapeDotString("/blocks.0/conv:1"), "/blocks.0/conv:1");
  EXPECT_EQ(EscapeDotString("\xc3\xa9t\xe2\x82\xac"), "\xc3\xa9t\xe2\x82\xac");  // valid UTF-8 kept
  EXPECT_EQ(EscapeDotString("x\xff\xc3y\x01"), "x??y?");
  EXPECT_EQ(EscapeDotString("\xed\xa0\x80"), "???");  // a UTF-16 surrogate
}

TEST(DotTest, DeterministicAndMarksRewrittenAndRemovedNodes) {
  onnx::ModelProto before = Parse(kModel);
  onnx::ModelProto after = before;
  after.mutable_graph()->mutable_node(1)->set_op_type("Abs");  // rewritten
  DotAnnotations a;
  a.before = &before;
  std::string dot = ModelToDot(after, a);
  EXPECT_EQ(dot, ModelToDot(after, a));
  EXPECT_NE(
      dot.find("label=\"Abs\\nb\\n[1,4]\", tooltip=\"b\\nrewritten by this run\", fillcolor=\"" +
               std::string(kDotRewrittenFill)),
      std::string::npos)
      << dot;
  EXPECT_EQ(dot.find("removed"), std::string::npos);

  // The input drawn against an output that lost a node: it is grey.
  after.mutable_graph()->mutable_node()->RemoveLast();
  DotAnnotations b;
  b.after = &after;
  std::string input = ModelToDot(before, b);
  EXPECT_NE(input.find(std::string("tooltip=\"b\", fillcolor=\"") + kDotHostFill),
            std::string::npos)
      << input;
  // And the output drawn against the input lists it as removed.
  std::string output = ModelToDot(after, a);
  EXPECT_NE(output.find("removed by this run (1 node, e.g. folded):\\lNeg  b\\l"),
            std::string::npos)
      << output;
}

TEST(DotTest, DiagnosticsColourNodesWorstFirst) {
  onnx::ModelProto m = Parse(kModel);
  DotAnnotations a;
  Diagnostic w;
  w.severity = Severity::kWarning;
  w.node = "b";
  w.message = "careful";
  Diagnostic e = w;
  e.severity = Severity::kError;
  e.message = "no";
  a.diagnostics = {w, e, w};
  std::string dot = ModelToDot(m, a);
  EXPECT_NE(dot.find(std::string("tooltip=\"b\\nwarning: careful\\nerror: no\\nwarning: careful\", "
                                 "fillcolor=\"") +
                     kDotErrorFill),
            std::string::npos)
      << dot;
}

TEST(ReportTest, HtmlIsEscapedAndSelfContained) {
  EXPECT_EQ(EscapeHtml("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  RunRecord data;
  data.command_line = "onnx-h8-opt '<script>'";
  data.exit_code = 1;
  ModelRunRecord m;
  m.where = "m.onnx";
  Diagnostic d;
  d.pass = "check-hailo8";
  d.node = "</td><script>";
  d.op = "Softmax";
  d.message = "Softmax is not supported";
  d.notes = {"fix: cut it off"};
  m.diagnostics.push_back(d);
  data.models.push_back(m);
  std::string html = RenderReportHtml(data);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_NE(html.find("<td>cut it off</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("&lt;/td&gt;&lt;script&gt;"), std::string::npos);
}

TEST(ReportTest, NestedPassRowsAreIndentedAndNotCountedTwice) {
  RunRecord data;
  ModelRunRecord m;
  m.where = "m.onnx";
  m.timings = {{"fold-constants", 0.003, false},
               {"fold-constants/cleanup", 0.001, true},
               {"pin-shape", 0.001, false}};
  m.stats = {{"fold-constants", {{"nodes-folded", 2}}},
             {"fold-constants/cleanup", {{"dead-nodes-removed", 5}}},
             {"pin-shape", {{"inputs-pinned", 1}}}};
  data.models.push_back(m);
  const std::string html = RenderReportHtml(data);
  // Total 4.0 ms (3 + 1), not 5; the nested row has no number and its own
  // statistics; the next top-level pass is number 2.
  EXPECT_NE(html.find("<th>total</th><td class=\"num\">4.0 ms</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("<tr><td class=\"num\"></td><td>&nbsp;&nbsp;&nbsp;&nbsp;"
                      "<code>fold-constants/cleanup</code></td><td class=\"num\">1.0 ms</td>"
                      "<td class=\"num\">25.0%</td><td>dead-nodes-removed = 5</td>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<tr><td class=\"num\">2</td><td><code>pin-shape</code>"), std::string::npos)
      << html;
  EXPECT_NE(html.find("<td>inputs-pinned = 1</td>"), std::string::npos) << html;
}

}  // namespace
}  // namespace h8
