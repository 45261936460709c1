//===- DiagnosticsTest.cpp - Diagnostic formatting and the engine ---------===//
#include "h8/Support/Diagnostics.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace h8 {
namespace {

Diagnostic Full() {
  Diagnostic d;
  d.severity = Severity::kWarning;
  d.file = "model.onnx:2";
  d.pass = "lift-conv1d";
  d.graph = "main/if.then_branch";
  d.node = "conv_3";
  d.op = "Conv";
  d.message = "kernel is not 1-D";
  d.notes = {"the kernel has rank 4", "use --lift-conv1d=keep"};
  return d;
}

TEST(DiagnosticsTest, SeverityNames) {
  EXPECT_STREQ(SeverityName(Severity::kError), "error");
  EXPECT_STREQ(SeverityName(Severity::kWarning), "warning");
  EXPECT_STREQ(SeverityName(Severity::kRemark), "remark");
  EXPECT_STREQ(SeverityName(Severity::kNote), "note");
}

TEST(DiagnosticsTest, FormatsFullDiagnosticWithNotes) {
  EXPECT_EQ(FormatDiagnosticText(Full()),
            "model.onnx:2: warning: lift-conv1d: graph 'main/if.then_branch', node 'conv_3' "
            "(Conv): kernel is not 1-D\n"
            "model.onnx:2: note: the kernel has rank 4\n"
            "model.onnx:2: note: use --lift-conv1d=keep");
}

TEST(DiagnosticsTest, LeavesOutUnknownParts) {
  Diagnostic d;
  d.message = "no input";
  EXPECT_EQ(FormatDiagnosticText(d), "error: no input");

  d.severity = Severity::kRemark;
  d.node = "n";
  EXPECT_EQ(FormatDiagnosticText(d), "remark: node 'n': no input");

  d.severity = Severity::kError;
  d.file = "f.onnx";
  d.op = "Relu";
  EXPECT_EQ(FormatDiagnosticText(d), "f.onnx: error: node 'n' (Relu): no input");

  Diagnostic notes;
  notes.pass = "cleanup";
  notes.message = "m";
  notes.notes = {"first"};
  EXPECT_EQ(FormatDiagnosticText(notes), "error: cleanup: m\nnote: first");
}

TEST(DiagnosticsTest, JsonParsesBackWithEveryField) {
  nlohmann::json j = nlohmann::json::parse(FormatDiagnosticJson(Full()));
  EXPECT_EQ(j.at("file"), "model.onnx:2");
  EXPECT_EQ(j.at("severity"), "warning");
  EXPECT_EQ(j.at("pass"), "lift-conv1d");
  EXPECT_EQ(j.at("graph"), "main/if.then_branch");
  EXPECT_EQ(j.at("node"), "conv_3");
  EXPECT_EQ(j.at("op"), "Conv");
  EXPECT_EQ(j.at("message"), "kernel is not 1-D");
  EXPECT_EQ(j.at("notes"),
            nlohmann::json::array({"the kernel has rank 4", "use --lift-conv1d=keep"}));
  EXPECT_EQ(j.size(), 8u);
}

TEST(DiagnosticsTest, JsonIsOneLineAndEscapesSpecialCharacters) {
  Diagnostic d;
  d.node = "we\"ird\nname";
  d.message = "tab\there";
  std::string text = FormatDiagnosticJson(d);
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j.at("node"), "we\"ird\nname");
  EXPECT_EQ(j.at("message"), "tab\there");
  EXPECT_EQ(j.at("severity"), "error");
  EXPECT_TRUE(j.at("notes").is_array());
  EXPECT_TRUE(j.at("notes").empty());
}

TEST(DiagnosticsTest, JsonSurvivesInvalidUtf8) {
  Diagnostic d;
  d.node = "bad\xff\xfe";
  std::string text;
  ASSERT_NO_THROW(text = FormatDiagnosticJson(d));
  nlohmann::json j = nlohmann::json::parse(text);
  std::string node = j.at("node");
  EXPECT_EQ(node.rfind("bad", 0), 0u);
  EXPECT_NE(node, "bad");
}

struct Capture {
  DiagnosticEngine engine;
  std::vector<Diagnostic> diags;
  Capture() {
    engine.SetHandler([this](const Diagnostic& d) { diags.push_back(d); });
  }
};

TEST(DiagnosticsTest, EngineCountsErrorsAndWarnings) {
  Capture cap;
  for (Severity s : {Severity::kError, Severity::kWarning, Severity::kWarning,
                     Severity::kRemark, Severity::kNote}) {
    Diagnostic d;
    d.severity = s;
    cap.engine.Emit(d);
  }
  EXPECT_EQ(cap.engine.num_errors(), 1);
  EXPECT_EQ(cap.engine.num_warnings(), 2);
  EXPECT_EQ(cap.diags.size(), 5u);
}

TEST(DiagnosticsTest, WarningsAsErrorsTurnsWarningsIntoErrors) {
  Capture cap;
  cap.engine.set_warnings_as_errors(true);
  Diagnostic w;
  w.severity = Severity::kWarning;
  w.message = "suspicious";
  cap.engine.Emit(w);
  Diagnostic r;
  r.severity = Severity::kRemark;
  cap.engine.Emit(r);
  EXPECT_EQ(cap.engine.num_errors(), 1);
  EXPECT_EQ(cap.engine.num_warnings(), 0);
  ASSERT_EQ(cap.diags.size(), 2u);
  EXPECT_EQ(cap.diags[0].severity, Severity::kError);
  EXPECT_EQ(cap.diags[0].message, "suspicious");
  EXPECT_EQ(cap.diags[1].severity, Severity::kRemark);
}

TEST(DiagnosticsTest, InFlightDiagnosticEmitsOnceWhenDestroyed) {
  Capture cap;
  {
    Diagnostic d;
    d.severity = Severity::kWarning;
    d.message = "prefix: ";
    InFlightDiagnostic diag(&cap.engine, d);
    diag << "value " << 3 << " too large";
    diag.Note("n1").Note("n2");
    EXPECT_TRUE(cap.diags.empty());
    InFlightDiagnostic moved(std::move(diag));
    EXPECT_TRUE(cap.diags.empty());
  }
  ASSERT_EQ(cap.diags.size(), 1u);
  EXPECT_EQ(cap.diags[0].message, "prefix: value 3 too large");
  EXPECT_EQ(cap.diags[0].notes, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(cap.engine.num_warnings(), 1);
}

// Counts how often it is formatted, to see whether `<<` does any work.
struct Counted {
  int* count;
  friend std::ostream& operator<<(std::ostream& os, const Counted& c) {
    ++*c.count;
    return os << "counted";
  }
};

TEST(DiagnosticsTest, InFlightDiagnosticWithNullEngineEmitsNothing) {
  Capture cap;
  int formatted = 0;
  {
    Diagnostic d;
    d.message = "dropped";
    InFlightDiagnostic diag(nullptr, d);
    diag << "more " << Counted{&formatted};
    diag.Note("note");
  }
  EXPECT_EQ(formatted, 0);
  {
    InFlightDiagnostic diag(&cap.engine, Diagnostic());
    diag << Counted{&formatted};
  }
  EXPECT_EQ(formatted, 1);
  ASSERT_EQ(cap.diags.size(), 1u);
  EXPECT_EQ(cap.diags[0].message, "counted");
}

}  // namespace
}  // namespace h8
