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

TEST(DiagnosticsTest, ParsesFormats) {
  EXPECT_EQ(ParseDiagnosticsFormat("text"), DiagnosticsFormat::kText);
  EXPECT_EQ(ParseDiagnosticsFormat("json"), DiagnosticsFormat::kJson);
  EXPECT_EQ(ParseDiagnosticsFormat("sarif"), DiagnosticsFormat::kSarif);
  EXPECT_FALSE(ParseDiagnosticsFormat("xml").has_value());
}

Diagnostic Hailo(Severity severity, std::string node, std::string message) {
  Diagnostic d;
  d.severity = severity;
  d.file = "model.onnx";
  d.pass = "check-hailo8";
  d.node = std::move(node);
  if (!d.node.empty()) d.op = "Op";
  d.message = std::move(message);
  return d;
}

TEST(DiagnosticsTest, RuleIdsFromPassAndKindOfFinding) {
  const Severity e = Severity::kError;
  EXPECT_EQ(DiagnosticRuleId(Hailo(e, "n", "LSTM: 'UnsupportedOperationError'")),
            "check-hailo8/unsupported-op");
  EXPECT_EQ(DiagnosticRuleId(Hailo(e, "n", "Gather is not supported")),
            "check-hailo8/unsupported-op");
  EXPECT_EQ(DiagnosticRuleId(Hailo(e, "n",
                                   "Gelu (opset 20) is not native on the users' "
                                   "Hailo-8 toolchain")),
            "check-hailo8/unsupported-op");
  EXPECT_EQ(DiagnosticRuleId(Hailo(e, "n",
                                   "GroupNormalization (opset 18) does not map to "
                                   "Hailo-8 on either toolchain")),
            "check-hailo8/unsupported-op");
  EXPECT_EQ(DiagnosticRuleId(Hailo(e, "n",
                                   "decomposed Softmax pattern (4 nodes): Softmax is not "
                                   "supported on the users' Hailo-8 toolchain")),
            "check-hailo8/unsupported-pattern");
  EXPECT_EQ(DiagnosticRuleId(Hailo(e, "n",
                                   "decomposed Softmax pattern (4 nodes): denied by "
                                   "deny=Softmax")),
            "check-hailo8/denied-op");
  EXPECT_EQ(DiagnosticRuleId(Hailo(Severity::kWarning, "n",
                                   "Pow is not in the Hailo-8 support table; it may fail")),
            "check-hailo8/unknown-op");
  EXPECT_EQ(DiagnosticRuleId(Hailo(e, "n", "Pad mode 'reflect': Hailo-8 pads with zeros")),
            "check-hailo8/op-constraint");
  EXPECT_EQ(DiagnosticRuleId(Hailo(e, "n", "produces the rank-5 tensor 'y': ...")),
            "check-hailo8/rank-over-4");
  EXPECT_EQ(DiagnosticRuleId(Hailo(e, "", "graph input 'x' has dynamic dims [N]: ...")),
            "check-hailo8/dynamic-shape");
  EXPECT_EQ(DiagnosticRuleId(Hailo(e, "", "graph input 'x' is of type INT64: ...")),
            "check-hailo8/input-type");
  EXPECT_EQ(DiagnosticRuleId(Hailo(Severity::kWarning, "", "graph input 'x' has batch 4: ...")),
            "check-hailo8/batch-size");
  EXPECT_EQ(DiagnosticRuleId(Hailo(Severity::kNote, "", "1 errors, 0 warnings; ...")),
            "check-hailo8/summary");
  EXPECT_EQ(DiagnosticRuleId(Hailo(e, "", "something new")), "check-hailo8");

  // Other passes: the pass; the driver: the tool; an explicit rule wins.
  EXPECT_EQ(DiagnosticRuleId(Full()), "lift-conv1d");
  Diagnostic io;
  io.message = "cannot open";
  EXPECT_EQ(DiagnosticRuleId(io), "onnx-h8-opt");
  Diagnostic ruled = Hailo(e, "n", "Gather is not supported");
  ruled.rule = "check-hailo8/gather";
  EXPECT_EQ(DiagnosticRuleId(ruled), "check-hailo8/gather");
}

TEST(DiagnosticsTest, SarifLogHasRulesResultsLocationsAndFixes) {
  Diagnostic unsupported = Hailo(Severity::kError, "/m/Gather", "Gather is not supported");
  unsupported.notes = {"pattern members: a, b", "fix: cut it off with --end-node-names"};
  Diagnostic remark = Full();
  remark.severity = Severity::kRemark;
  remark.file = "model.onnx";
  Diagnostic summary = Hailo(Severity::kNote, "", "1 errors, 0 warnings");
  Diagnostic second = Hailo(Severity::kError, "/m/Gather_1", "Gather is not supported");
  SarifRunInfo run;
  run.tool_version = "1.2.3";
  run.artifact = "model.onnx";
  run.exit_code = 1;
  nlohmann::json log =
      nlohmann::json::parse(FormatDiagnosticsSarif({unsupported, remark, summary, second}, run));

  EXPECT_EQ(log.at("version"), "2.1.0");
  EXPECT_TRUE(log.at("$schema").is_string());
  ASSERT_EQ(log.at("runs").size(), 1u);
  const nlohmann::json& r = log.at("runs")[0];
  const nlohmann::json& driver = r.at("tool").at("driver");
  EXPECT_EQ(driver.at("name"), "onnx-h8-opt");
  EXPECT_EQ(driver.at("version"), "1.2.3");
  // One rule per id, in order of first use.
  ASSERT_EQ(driver.at("rules").size(), 3u);
  EXPECT_EQ(driver.at("rules")[0].at("id"), "check-hailo8/unsupported-op");
  EXPECT_EQ(driver.at("rules")[1].at("id"), "lift-conv1d");
  EXPECT_EQ(driver.at("rules")[2].at("id"), "check-hailo8/summary");
  for (const auto& rule : driver.at("rules"))
    EXPECT_FALSE(rule.at("shortDescription").at("text").get<std::string>().empty());
  EXPECT_EQ(r.at("invocations")[0].at("exitCode"), 1);
  EXPECT_EQ(r.at("invocations")[0].at("executionSuccessful"), true);

  const nlohmann::json& results = r.at("results");
  ASSERT_EQ(results.size(), 4u);
  const nlohmann::json& first = results[0];
  EXPECT_EQ(first.at("ruleId"), "check-hailo8/unsupported-op");
  EXPECT_EQ(first.at("ruleIndex"), 0);
  EXPECT_EQ(first.at("level"), "error");
  EXPECT_EQ(first.at("message").at("text"),
            "Gather is not supported\npattern members: a, b\n"
            "fix: cut it off with --end-node-names");
  const nlohmann::json& loc = first.at("locations")[0];
  EXPECT_EQ(loc.at("physicalLocation").at("artifactLocation").at("uri"), "model.onnx");
  EXPECT_EQ(loc.at("logicalLocations")[0].at("name"), "/m/Gather");
  EXPECT_EQ(loc.at("logicalLocations")[0].at("kind"), "function");
  ASSERT_EQ(first.at("fixes").size(), 1u);
  EXPECT_EQ(first.at("fixes")[0].at("description").at("text"), "cut it off with --end-node-names");
  EXPECT_FALSE(first.at("fixes")[0].at("artifactChanges").empty());
  EXPECT_EQ(first.at("properties").at("op"), "Op");

  EXPECT_EQ(results[1].at("level"), "note");  // remarks are notes
  EXPECT_EQ(results[1].at("locations")[0].at("logicalLocations")[0].at("fullyQualifiedName"),
            "main/if.then_branch / Conv 'conv_3'");
  EXPECT_EQ(results[2].at("ruleIndex"), 2);
  EXPECT_FALSE(results[2].at("locations")[0].contains("logicalLocations"));
  EXPECT_FALSE(results[2].contains("fixes"));
  EXPECT_EQ(results[3].at("ruleIndex"), 0);
}

TEST(DiagnosticsTest, SarifNamesHaveNoDoubleSlash) {
  // PyTorch names start with '/': the node in an If body, in a file named
  // with repeated slashes.
  Diagnostic in_body = Hailo(Severity::kError, "/LSTM", "LSTM: 'UnsupportedOperationError'");
  in_body.graph = "If '/If' / then_branch";
  in_body.op = "LSTM";
  in_body.file = "models//gated.onnx";
  Diagnostic no_op = in_body;
  no_op.op = "";
  Diagnostic absolute = in_body;
  absolute.file = "//abs///m.onnx";
  SarifRunInfo run;
  const std::string text = FormatDiagnosticsSarif({in_body, no_op, absolute}, run);
  nlohmann::json results = nlohmann::json::parse(text)["runs"][0]["results"];
  auto logical = [&](int i) { return results[i]["locations"][0]["logicalLocations"][0]; };
  auto uri = [&](int i) {
    return results[i]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
  };
  EXPECT_EQ(logical(0)["name"], "/LSTM");
  EXPECT_EQ(logical(0)["fullyQualifiedName"], "If '/If' / then_branch / LSTM '/LSTM'");
  EXPECT_EQ(logical(1)["fullyQualifiedName"], "If '/If' / then_branch / '/LSTM'");
  EXPECT_EQ(uri(0), "models/gated.onnx");
  EXPECT_EQ(uri(2), "file:///abs/m.onnx");
  // The graph path stays as the other formats print it.
  EXPECT_EQ(results[0]["properties"]["graph"], "If '/If' / then_branch");
  // Apart from the $schema URL and file:///, no '//' anywhere.
  std::string rest = text;
  for (const std::string allowed : {"https://json.schemastore.org", "file:///abs"}) {
    size_t at = rest.find(allowed);
    ASSERT_NE(at, std::string::npos) << allowed;
    rest.erase(at, allowed.size());
  }
  EXPECT_EQ(rest.find("//"), std::string::npos) << text;
}

TEST(DiagnosticsTest, SarifUrisAndChunks) {
  SarifRunInfo run;
  run.artifact = "dir/a b:c.onnx";
  Diagnostic chunk;
  chunk.file = "dir/a b:c.onnx:2";
  Diagnostic driver;  // no file: the model
  driver.file = "onnx-h8-opt";
  Diagnostic absolute;
  absolute.file = "/abs/m.onnx";
  Diagnostic stdin_input;
  stdin_input.file = "<stdin>";
  nlohmann::json results = nlohmann::json::parse(
      FormatDiagnosticsSarif({chunk, driver, absolute, stdin_input}, run))["runs"][0]["results"];
  auto uri = [&](int i) {
    return results[i]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
  };
  EXPECT_EQ(uri(0), "dir/a%20b%3Ac.onnx");
  EXPECT_EQ(results[0]["properties"]["chunk"], "2");
  EXPECT_EQ(uri(1), "dir/a%20b%3Ac.onnx");
  EXPECT_EQ(uri(2), "file:///abs/m.onnx");
  EXPECT_FALSE(results[3].contains("locations"));
  EXPECT_FALSE(
      nlohmann::json::parse(FormatDiagnosticsSarif({}, run))["runs"][0].contains("invocations"));
}

TEST(DiagnosticsTest, SarifEngineKeepsDiagnosticsUntilTheEnd) {
  DiagnosticEngine engine;
  engine.SetFormat(DiagnosticsFormat::kSarif);
  EXPECT_FALSE(engine.json());
  Diagnostic w;
  w.severity = Severity::kWarning;
  w.message = "a\nb";
  engine.set_warnings_as_errors(true);
  engine.Emit(w);
  ASSERT_EQ(engine.sarif_diagnostics().size(), 1u);
  EXPECT_EQ(engine.sarif_diagnostics()[0].severity, Severity::kError);
  EXPECT_EQ(engine.sarif_diagnostics()[0].message, "a b");
  EXPECT_EQ(engine.num_errors(), 1);
  // A custom handler can hand on to the default output.
  int seen = 0;
  engine.SetHandler([&](const Diagnostic& d) {
    ++seen;
    engine.Print(d);
  });
  engine.Emit(w);
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(engine.sarif_diagnostics().size(), 2u);
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
  for (Severity s : {Severity::kError, Severity::kWarning, Severity::kWarning, Severity::kRemark,
                     Severity::kNote}) {
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
