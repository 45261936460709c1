//===- PassManagerTest.cpp - Pipeline execution and instrumentation -------===//
#include "h8/Pass/PassManager.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "TestUtil.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/Fingerprint.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/GraphRewriter.h"

namespace h8 {
namespace {

constexpr char kChain[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
{
  t = Relu (x)
  y = Relu (t)
}
)";

// A configurable pass: counts its runs, then runs `body`.
class TestPass : public Pass {
 public:
  using Body = std::function<absl::StatusOr<bool>(onnx::ModelProto&, PassContext&)>;
  TestPass(std::string name, int* runs, Body body)
      : name_(std::move(name)), runs_(runs), body_(std::move(body)) {}
  absl::string_view Argument() const override { return name_; }
  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) override {
    ++*runs_;
    return body_(model, ctx);
  }

 private:
  std::string name_;
  int* runs_;
  Body body_;
};

std::unique_ptr<Pass> Returning(std::string name, int* runs, absl::StatusOr<bool> result) {
  return std::make_unique<TestPass>(std::move(name), runs,
                                    [result](onnx::ModelProto&, PassContext&) { return result; });
}

// Turns node 1 of the model into a Neg and reports `claim`.
std::unique_ptr<Pass> Negating(std::string name, int* runs, bool claim) {
  return std::make_unique<TestPass>(
      std::move(name), runs,
      [claim](onnx::ModelProto& model, PassContext&) -> absl::StatusOr<bool> {
        model.mutable_graph()->mutable_node(1)->set_op_type("Neg");
        return claim;
      });
}

PassManagerOptions Verifying(VerifyEachMode mode) {
  PassManagerOptions options;
  options.verify_each = mode;
  return options;
}

struct Capture {
  DiagnosticEngine engine;
  std::vector<Diagnostic> diags;
  Capture() {
    engine.SetHandler([this](const Diagnostic& d) { diags.push_back(d); });
  }
};

bool Contains(absl::string_view haystack, absl::string_view needle) {
  return haystack.find(needle) != absl::string_view::npos;
}

TEST(PassManagerTest, RunsEveryPassInOrder) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  std::vector<std::string> order;
  int runs = 0;
  PassManager pm(PassManagerOptions{});
  for (const char* name : {"first", "second", "third"}) {
    pm.AddPass(
        std::make_unique<TestPass>(name, &runs, [&order, name](onnx::ModelProto&, PassContext& c) {
          order.push_back(name);
          EXPECT_EQ(c.current_pass(), name);
          return absl::StatusOr<bool>(false);
        }));
  }
  onnx::ModelProto model = ParseModelOrDie(kChain);
  ASSERT_TRUE(pm.Run(model, ctx).ok());
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_TRUE(cap.diags.empty());
  EXPECT_EQ(pm.passes().size(), 3u);
}

TEST(PassManagerTest, ChangedAndUnchangedPassesBothSucceed) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int changed_runs = 0, unchanged_runs = 0;
  PassManager pm(PassManagerOptions{});
  pm.AddPass(Returning("changes", &changed_runs, true));
  pm.AddPass(Returning("keeps", &unchanged_runs, false));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  EXPECT_TRUE(pm.Run(model, ctx).ok());
  EXPECT_TRUE(pm.Run(model, ctx).ok());
  EXPECT_EQ(changed_runs, 2);
  EXPECT_EQ(unchanged_runs, 2);
  EXPECT_EQ(cap.engine.num_errors(), 0);
}

TEST(PassManagerTest, StopsAtFirstFailingPass) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int a = 0, b = 0, c = 0;
  PassManager pm(PassManagerOptions{});
  pm.AddPass(Returning("ok-pass", &a, true));
  pm.AddPass(Returning("bad-pass", &b, absl::UnimplementedError("cannot lower Foo")));
  pm.AddPass(Returning("never", &c, true));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  absl::Status s = pm.Run(model, ctx);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(std::string(s.message()), "cannot lower Foo");
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(c, 0);
  ASSERT_EQ(cap.diags.size(), 1u);
  EXPECT_EQ(cap.diags[0].severity, Severity::kError);
  EXPECT_EQ(cap.diags[0].pass, "bad-pass");
  EXPECT_EQ(cap.diags[0].file, "m.onnx");
  EXPECT_EQ(cap.diags[0].message, "cannot lower Foo");
  EXPECT_EQ(cap.engine.num_errors(), 1);
}

// Deletes the producer of `t`, leaving `y = Relu (t)` reading nothing.
absl::StatusOr<bool> DeleteFirstNode(onnx::ModelProto& model, PassContext&) {
  model.mutable_graph()->mutable_node()->DeleteSubrange(0, 1);
  return true;
}

TEST(PassManagerTest, VerifyEachNamesThePassThatBrokeTheGraph) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int fine = 0, breaker = 0, after = 0;
  PassManager pm(PassManagerOptions{});  // kStructural by default
  pm.AddPass(Returning("fine", &fine, false));
  pm.AddPass(std::make_unique<TestPass>("breaker", &breaker, &DeleteFirstNode));
  pm.AddPass(Returning("after", &after, false));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  absl::Status s = pm.Run(model, ctx);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(Contains(s.message(), "breaker")) << s;
  EXPECT_EQ(after, 0);
  ASSERT_EQ(cap.diags.size(), 1u);
  EXPECT_EQ(cap.diags[0].severity, Severity::kError);
  EXPECT_EQ(cap.diags[0].pass, "verify-each");
  EXPECT_EQ(cap.diags[0].message,
            "after pass 'breaker': node 'y' (Relu): input 't' is not defined");
}

// Structural verification runs only after a change to what it reads: on
// a model that is already broken (as only a broken input could be), a pass
// that changes nothing but a value's type (and says so) is not
// re-verified, one that also renames a node is (and the break is found).
// Full verification checks both.
TEST(PassManagerTest, StructuralVerificationFollowsTopologyChangesOnly) {
  auto retype = [](bool also_rename) {
    return [also_rename](onnx::ModelProto& model, PassContext& c) -> absl::StatusOr<bool> {
      model.mutable_graph()
          ->mutable_output(0)
          ->mutable_type()
          ->mutable_tensor_type()
          ->set_elem_type(onnx::TensorProto::DOUBLE);
      if (also_rename) model.mutable_graph()->mutable_node(0)->set_name("renamed");
      else c.DeclareOnlyTypesChanged();
      return true;
    };
  };
  for (VerifyEachMode mode : {VerifyEachMode::kStructural, VerifyEachMode::kFull}) {
    for (bool also_rename : {false, true}) {
      Capture cap;
      PassContext ctx(cap.engine, "m.onnx");
      int runs = 0;
      PassManager pm(Verifying(mode));
      pm.AddPass(std::make_unique<TestPass>("retype", &runs, retype(also_rename)));
      onnx::ModelProto model = ParseModelOrDie(kChain);
      model.mutable_graph()->mutable_node()->DeleteSubrange(0, 1);  // t is now undefined
      absl::Status s = pm.Run(model, ctx);
      const bool verified = also_rename || mode == VerifyEachMode::kFull;
      EXPECT_EQ(s.ok(), !verified) << "rename " << also_rename << ": " << s;
      if (verified) {
        ASSERT_FALSE(cap.diags.empty());
        EXPECT_TRUE(Contains(cap.diags.back().message, "input 't' is not defined"))
            << cap.diags.back().message;
      }
    }
  }
}

TEST(PassManagerTest, VerifyEachNoneLetsBrokenGraphThrough) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int breaker = 0, after = 0;
  PassManager pm(Verifying(VerifyEachMode::kNone));
  pm.AddPass(std::make_unique<TestPass>("breaker", &breaker, &DeleteFirstNode));
  pm.AddPass(Returning("after", &after, false));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  EXPECT_TRUE(pm.Run(model, ctx).ok());
  EXPECT_EQ(after, 1);
  EXPECT_TRUE(cap.diags.empty());
}

TEST(PassManagerTest, VerifyEachFullRunsTheOnnxChecker) {
  auto add_unknown_op = [](onnx::ModelProto& model, PassContext&) -> absl::StatusOr<bool> {
    model.mutable_graph()->mutable_node(1)->set_op_type("NoSuchOp");
    return true;
  };
  for (VerifyEachMode mode : {VerifyEachMode::kStructural, VerifyEachMode::kFull}) {
    Capture cap;
    PassContext ctx(cap.engine, "m.onnx");
    int runs = 0;
    PassManager pm(Verifying(mode));
    pm.AddPass(std::make_unique<TestPass>("renamer", &runs, add_unknown_op));
    onnx::ModelProto model = ParseModelOrDie(kChain);
    absl::Status s = pm.Run(model, ctx);
    if (mode == VerifyEachMode::kStructural) {
      EXPECT_TRUE(s.ok()) << s;
    } else {
      EXPECT_FALSE(s.ok());
      ASSERT_EQ(cap.diags.size(), 1u);
      EXPECT_TRUE(Contains(cap.diags[0].message, "after pass 'renamer': ONNX checker:"))
          << cap.diags[0].message;
    }
  }
}

// A verifier that records which passes it was asked about, and rejects
// the model after `reject`.
class RecordingVerifier : public PassInstrumentation {
 public:
  RecordingVerifier(std::vector<std::string>* log, std::string tag, std::string reject = "")
      : log_(log), tag_(std::move(tag)), reject_(std::move(reject)) {}
  absl::Status RunAfterPass(const Pass& pass, const PassRunInfo&, const onnx::ModelProto&,
                            PassContext&) override {
    log_->push_back(absl::StrCat(tag_, ":", pass.Argument()));
    if (pass.Argument() != reject_) return absl::OkStatus();
    // Slow enough to tell its time from the pass's.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return absl::InternalError("rejected");
    return absl::OkStatus();
  }

 private:
  std::vector<std::string>* log_;
  std::string tag_, reject_;
};

// An instrumentation added the ordinary way, for the order of after-hooks.
class RecordingHook : public PassInstrumentation {
 public:
  explicit RecordingHook(std::vector<std::string>* log) : log_(log) {}
  absl::Status RunAfterPass(const Pass& pass, const PassRunInfo&, const onnx::ModelProto&,
                            PassContext&) override {
    log_->push_back(absl::StrCat("hook:", pass.Argument()));
    return absl::OkStatus();
  }

 private:
  std::vector<std::string>* log_;
};

TEST(PassManagerTest, VerifiersRunAfterStructuralVerificationInTheOrderAdded) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int fine = 0, breaker = 0;
  std::vector<std::string> log;
  PassManager pm(PassManagerOptions{});
  pm.AddVerifier(std::make_unique<RecordingVerifier>(&log, "first"));
  pm.AddVerifier(std::make_unique<RecordingVerifier>(&log, "second"));
  pm.AddInstrumentation(std::make_unique<RecordingHook>(&log));
  pm.AddPass(Returning("fine", &fine, false));
  pm.AddPass(std::make_unique<TestPass>("breaker", &breaker, &DeleteFirstNode));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  absl::Status s = pm.Run(model, ctx);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  // After 'breaker' the structural verification failed first: no verifier
  // saw the broken model.
  EXPECT_EQ(log,
            (std::vector<std::string>{"hook:fine", "first:fine", "second:fine", "hook:breaker"}));
  ASSERT_EQ(cap.diags.size(), 1u);
  EXPECT_EQ(cap.diags[0].pass, "verify-each");
}

TEST(PassManagerTest, AVerifierStopsThePipelineAndIsTimedAsVerification) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int runs = 0, after = 0;
  std::vector<std::string> log;
  PassManager pm(PassManagerOptions{});
  pm.AddVerifier(std::make_unique<RecordingVerifier>(&log, "v", "negater"));
  pm.AddPass(Negating("negater", &runs, true));
  pm.AddPass(Returning("after", &after, false));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  absl::Status s = pm.Run(model, ctx);
  EXPECT_EQ(s.message(), "rejected");
  EXPECT_EQ(after, 0);
  EXPECT_EQ(log, std::vector<std::string>{"v:negater"});
  ASSERT_EQ(pm.timings().size(), 2u);
  EXPECT_EQ(pm.timings()[0].first, "negater");
  EXPECT_LT(pm.timings()[0].second, 0.05);
  EXPECT_EQ(pm.timings()[1].first, "(verify-each)");
  EXPECT_GE(pm.timings()[1].second, 0.05);
}

// A pass declaring two statistics and counting one of them, plus one
// statistic with no owner.
class CountingPass : public Pass {
 public:
  absl::string_view Argument() const override { return "counter"; }
  absl::StatusOr<bool> Run(onnx::ModelProto&, PassContext& ctx) override {
    counted_.Add(ctx, 4);
    counted_.Add(ctx);
    Ownerless().Add(ctx, 2);
    return false;
  }
  static const Statistic& Ownerless() {
    static const Statistic* const kStat =
        new Statistic(nullptr, "shared", "Counted for the caller");
    return *kStat;
  }

 private:
  Statistic counted_{this, "things-counted", "Things this pass counted"};
  Statistic idle_{this, "things-ignored", "Declared, never counted"};
};

TEST(PassManagerTest, DeclaredStatisticsAreListedAndCountedPerRun) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  auto pass = std::make_unique<CountingPass>();
  ASSERT_EQ(pass->statistics().size(), 2u);
  EXPECT_EQ(pass->statistics()[0]->name(), "things-counted");
  EXPECT_EQ(pass->statistics()[0]->description(), "Things this pass counted");
  EXPECT_EQ(pass->statistics()[1]->name(), "things-ignored");
  PassManager pm(PassManagerOptions{});
  pm.AddPass(std::move(pass));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  ASSERT_TRUE(pm.Run(model, ctx).ok());
  ASSERT_TRUE(pm.Run(model, ctx).ok());
  // Values live in the context, per pass run; an uncounted one is absent.
  ASSERT_EQ(ctx.stats().size(), 1u);
  EXPECT_EQ(ctx.stats()[0].first, "counter");
  EXPECT_EQ(ctx.stats()[0].second,
            (std::map<std::string, int64_t>{{"shared", 4}, {"things-counted", 10}}));
  EXPECT_EQ(FormatStatistics(ctx).substr(FormatStatistics(ctx).find("counter")),
            "counter\n  (S) 4 shared\n  (S) 10 things-counted\n");
}

TEST(PassManagerTest, StatisticsAppearPerPassInPipelineOrder) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int runs = 0;
  PassManager pm(PassManagerOptions{});
  pm.AddPass(std::make_unique<TestPass>(
      "folder", &runs, [](onnx::ModelProto&, PassContext& c) -> absl::StatusOr<bool> {
        c.Stat("nodes-folded", 2);
        c.Stat("nodes-folded");
        c.Stat("constants-made", 4);
        return true;
      }));
  pm.AddPass(Returning("quiet", &runs, false));
  pm.AddPass(std::make_unique<TestPass>(
      "remover", &runs, [](onnx::ModelProto&, PassContext& c) -> absl::StatusOr<bool> {
        c.Stat("nodes-removed", 5);
        return true;
      }));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  ASSERT_TRUE(pm.Run(model, ctx).ok());
  ASSERT_EQ(ctx.stats().size(), 2u);
  EXPECT_EQ(ctx.stats()[0].first, "folder");
  EXPECT_EQ(ctx.stats()[0].second.at("nodes-folded"), 3);
  std::string text = FormatStatistics(ctx);
  EXPECT_TRUE(Contains(text, "Pass statistics report")) << text;
  // Statistics of one pass are sorted by name.
  EXPECT_TRUE(Contains(text,
                       "folder\n  (S) 4 constants-made\n  (S) 3 nodes-folded\n"
                       "remover\n  (S) 5 nodes-removed\n"))
      << text;
  EXPECT_FALSE(Contains(text, "quiet")) << text;
}

TEST(PassManagerTest, NestedPassesGetTheirOwnRowsAndStatistics) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int runs = 0;
  // inner: counts and changes the model; middle runs inner twice and counts
  // after it; outer counts, then runs middle. Diagnostics keep the name of
  // the top-level pass.
  TestPass inner("inner", &runs, [](onnx::ModelProto& m, PassContext& c) -> absl::StatusOr<bool> {
    c.Stat("removed", 2);
    c.Warning() << "from inner";
    m.mutable_graph()->mutable_node(0)->set_name("renamed");
    return true;
  });
  TestPass middle("middle", &runs,
                  [&inner](onnx::ModelProto& m, PassContext& c) -> absl::StatusOr<bool> {
                    for (int k = 0; k < 2; ++k) {
                      auto r = c.RunNestedPass(inner, m);
                      if (!r.ok()) return r.status();
                    }
                    c.Stat("rounds");
                    return true;
                  });
  std::shared_ptr<const GraphIndex> before_nested, after_nested;
  PassManager pm(PassManagerOptions{});
  pm.AddPass(std::make_unique<TestPass>(
      "outer", &runs, [&](onnx::ModelProto& m, PassContext& c) -> absl::StatusOr<bool> {
        c.Stat("seen");
        auto r = c.RunNestedPass(middle, m);
        if (!r.ok()) return r.status();
        c.Stat("seen");
        return *r;
      }));
  // A nested run shares the analyses: an index built before it is handed
  // out again after it when the nested pass changed nothing.
  TestPass reader("reader", &runs,
                  [](onnx::ModelProto&, PassContext&) -> absl::StatusOr<bool> { return false; });
  pm.AddPass(std::make_unique<TestPass>(
      "shares", &runs, [&](onnx::ModelProto& m, PassContext& c) -> absl::StatusOr<bool> {
        before_nested = c.analyses().Index(m.graph());
        auto r = c.RunNestedPass(reader, m);
        if (!r.ok()) return r.status();
        after_nested = c.analyses().Index(m.graph());
        return false;
      }));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  ASSERT_TRUE(pm.Run(model, ctx).ok());
  EXPECT_EQ(before_nested, after_nested);

  std::vector<std::string> rows;
  for (const auto& [name, seconds] : pm.timings()) rows.push_back(name);
  ASSERT_GE(rows.size(), 5u);
  rows.resize(5);  // then "(verify-each)"
  EXPECT_EQ(rows, (std::vector<std::string>{"outer", "outer/middle", "outer/middle/inner", "shares",
                                            "shares/reader"}));
  EXPECT_FALSE(IsNestedPassRow("outer"));
  EXPECT_TRUE(IsNestedPassRow("outer/middle"));
  // The outer row includes the nested rows' time; the total counts it once.
  EXPECT_GE(pm.timings()[0].second, pm.timings()[1].second);
  EXPECT_GE(pm.timings()[1].second, pm.timings()[2].second);
  const std::string timing = pm.FormatTimings();
  EXPECT_TRUE(Contains(timing, "  outer\n")) << timing;
  EXPECT_TRUE(Contains(timing, "    middle\n")) << timing;
  EXPECT_TRUE(Contains(timing, "      inner\n")) << timing;

  // One entry per pass, parents before the passes they nest, the two runs
  // of inner added up.
  ASSERT_EQ(ctx.stats().size(), 3u);
  EXPECT_EQ(ctx.stats()[0].first, "outer");
  EXPECT_EQ(ctx.stats()[0].second, (std::map<std::string, int64_t>{{"seen", 2}}));
  EXPECT_EQ(ctx.stats()[1].first, "outer/middle");
  EXPECT_EQ(ctx.stats()[1].second, (std::map<std::string, int64_t>{{"rounds", 1}}));
  EXPECT_EQ(ctx.stats()[2].first, "outer/middle/inner");
  EXPECT_EQ(ctx.stats()[2].second, (std::map<std::string, int64_t>{{"removed", 4}}));
  ASSERT_EQ(cap.diags.size(), 2u);
  EXPECT_EQ(cap.diags[0].pass, "outer");
  EXPECT_EQ(runs, 6);
}

TEST(PassManagerTest, AParentCountingAfterItsNestedPassesComesFirst) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int runs = 0;
  TestPass inner("inner", &runs, [](onnx::ModelProto&, PassContext& c) -> absl::StatusOr<bool> {
    c.Stat("n");
    return false;
  });
  PassManager pm(PassManagerOptions{});
  pm.AddPass(std::make_unique<TestPass>(
      "late", &runs, [&inner](onnx::ModelProto& m, PassContext& c) -> absl::StatusOr<bool> {
        auto r = c.RunNestedPass(inner, m);
        if (!r.ok()) return r.status();
        c.Stat("rounds");
        return false;
      }));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  ASSERT_TRUE(pm.Run(model, ctx).ok());
  ASSERT_EQ(ctx.stats().size(), 2u);
  EXPECT_EQ(ctx.stats()[0].first, "late");
  EXPECT_EQ(ctx.stats()[1].first, "late/inner");
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool HasLineEndingWith(const std::string& text, const std::string& suffix) {
  for (const auto& line : Lines(text))
    if (line.size() >= suffix.size() &&
        line.compare(line.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  return false;
}

TEST(PassManagerTest, TimingReportListsEachPassAndTotal) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int runs = 0;
  PassManagerOptions options;
  options.time_passes = true;
  PassManager pm(options);
  pm.AddPass(Returning("alpha-pass", &runs, false));
  pm.AddPass(Returning("beta-pass", &runs, true));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  ASSERT_TRUE(pm.Run(model, ctx).ok());
  std::string report = pm.FormatTimings();
  EXPECT_TRUE(Contains(report, "Total Execution Time: ")) << report;
  EXPECT_TRUE(HasLineEndingWith(report, "  alpha-pass")) << report;
  EXPECT_TRUE(HasLineEndingWith(report, "  beta-pass")) << report;
  EXPECT_TRUE(HasLineEndingWith(report, "(100.0%)  Total")) << report;
  EXPECT_LT(report.find("alpha-pass"), report.find("beta-pass"));
}

TEST(PassManagerTest, TimingReportCoversOnlyTheLastRunUpToTheFailure) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int runs = 0;
  PassManager pm(PassManagerOptions{});
  pm.AddPass(Returning("fails-here", &runs, absl::InternalError("boom")));
  pm.AddPass(Returning("not-reached", &runs, false));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  EXPECT_FALSE(pm.Run(model, ctx).ok());
  EXPECT_FALSE(pm.Run(model, ctx).ok());
  std::string report = pm.FormatTimings();
  EXPECT_TRUE(HasLineEndingWith(report, "  fails-here")) << report;
  EXPECT_FALSE(Contains(report, "not-reached")) << report;
  // Cleared between runs: the pass appears once, not twice.
  EXPECT_EQ(report.find("fails-here"), report.rfind("fails-here")) << report;
}

std::unique_ptr<Pass> Remarking(std::string name, int* runs) {
  return std::make_unique<TestPass>(
      std::move(name), runs, [](onnx::ModelProto& model, PassContext& c) {
        c.Remark(&model.graph().node(0), 0) << "pattern did not apply: " << 42;
        return absl::StatusOr<bool>(false);
      });
}

TEST(PassManagerTest, RemarksOnlyForEnabledPasses) {
  int runs = 0;
  {
    Capture cap;
    PassContext ctx(cap.engine, "m.onnx");
    PassManager pm(PassManagerOptions{});
    pm.AddPass(Remarking("one", &runs));
    pm.AddPass(Remarking("two", &runs));
    onnx::ModelProto model = ParseModelOrDie(kChain);
    ASSERT_TRUE(pm.Run(model, ctx).ok());
    EXPECT_TRUE(cap.diags.empty());
  }
  {
    Capture cap;
    PassContext ctx(cap.engine, "m.onnx");
    ctx.EnableRemarks("two");
    PassManager pm(PassManagerOptions{});
    pm.AddPass(Remarking("one", &runs));
    pm.AddPass(Remarking("two", &runs));
    onnx::ModelProto model = ParseModelOrDie(kChain);
    ASSERT_TRUE(pm.Run(model, ctx).ok());
    ASSERT_EQ(cap.diags.size(), 1u);
    EXPECT_EQ(cap.diags[0].severity, Severity::kRemark);
    EXPECT_EQ(cap.diags[0].pass, "two");
    EXPECT_EQ(cap.diags[0].node, "t");
    EXPECT_EQ(cap.diags[0].op, "Relu");
    EXPECT_EQ(cap.diags[0].message, "pattern did not apply: 42");
    EXPECT_EQ(cap.engine.num_errors(), 0);
    EXPECT_EQ(cap.engine.num_warnings(), 0);
  }
  {
    Capture cap;
    PassContext ctx(cap.engine, "m.onnx");
    ctx.EnableRemarks("all");
    PassManager pm(PassManagerOptions{});
    pm.AddPass(Remarking("one", &runs));
    pm.AddPass(Remarking("two", &runs));
    onnx::ModelProto model = ParseModelOrDie(kChain);
    ASSERT_TRUE(pm.Run(model, ctx).ok());
    ASSERT_EQ(cap.diags.size(), 2u);
    EXPECT_EQ(cap.diags[0].pass, "one");
    EXPECT_EQ(cap.diags[1].pass, "two");
  }
}

// A pass's change claim is checked under --verify-each=full and trusted
// otherwise (as LLVM's and MLIR's pass managers trust theirs).
TEST(PassManagerTest, AChangeThePassDidNotReportIsAnErrorUnderFullVerification) {
  for (VerifyEachMode mode :
       {VerifyEachMode::kFull, VerifyEachMode::kStructural, VerifyEachMode::kNone}) {
    Capture cap;
    PassContext ctx(cap.engine, "m.onnx");
    int runs = 0, after = 0;
    PassManager pm(Verifying(mode));
    pm.AddPass(Negating("silent", &runs, false));
    pm.AddPass(Returning("after", &after, false));
    onnx::ModelProto model = ParseModelOrDie(kChain);
    absl::Status s = pm.Run(model, ctx);
    if (mode != VerifyEachMode::kFull) {
      EXPECT_TRUE(s.ok()) << s;
      EXPECT_EQ(after, 1);
      continue;
    }
    EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
    EXPECT_EQ(after, 0);
    ASSERT_EQ(cap.diags.size(), 1u);
    EXPECT_EQ(cap.diags[0].pass, "silent");
    EXPECT_EQ(cap.diags[0].message, "pass 'silent' changed the model but reported no change");
  }
}

// A lint that breaks its contract with a const_cast: caught like any pass
// under --verify-each=full.
class CastingLint : public LintPass {
 public:
  absl::string_view Argument() const override { return "casting-lint"; }
  absl::Status Check(const onnx::ModelProto& model, PassContext&) override {
    const_cast<onnx::ModelProto&>(model).mutable_graph()->mutable_node(1)->set_op_type("Neg");
    return absl::OkStatus();
  }
};

TEST(PassManagerTest, ALintThatWritesIsCaughtUnderFullVerification) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  PassManager pm(Verifying(VerifyEachMode::kFull));
  pm.AddPass(std::make_unique<CastingLint>());
  EXPECT_TRUE(pm.passes().back()->IsLint());
  onnx::ModelProto model = ParseModelOrDie(kChain);
  absl::Status s = pm.Run(model, ctx);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  ASSERT_EQ(cap.diags.size(), 1u);
  EXPECT_EQ(cap.diags[0].message, "pass 'casting-lint' changed the model but reported no change");
}

// A pass that declares it changed only types is not verified again while
// claims are trusted; under full verification a declaration that is not
// true fails the run, and a true one passes.
TEST(PassManagerTest, ATypesOnlyDeclarationSkipsVerificationAndIsCheckedUnderFull) {
  for (VerifyEachMode mode : {VerifyEachMode::kStructural, VerifyEachMode::kFull}) {
    for (bool lie : {false, true}) {
      Capture cap;
      PassContext ctx(cap.engine, "m.onnx");
      int runs = 0;
      PassManager pm(Verifying(mode));
      pm.AddPass(std::make_unique<TestPass>(
          "types", &runs, [lie](onnx::ModelProto& model, PassContext& c) -> absl::StatusOr<bool> {
            auto* g = model.mutable_graph();
            // Pins the input's dims and records a value's type: types only.
            g->mutable_input(0)
                ->mutable_type()
                ->mutable_tensor_type()
                ->mutable_shape()
                ->add_dim()
                ->set_dim_value(3);
            g->add_value_info()->set_name(g->node(0).output(0));
            // The lie: a node now reads a value nothing defines.
            if (lie) g->mutable_node(1)->set_input(0, "nowhere");
            c.DeclareOnlyTypesChanged();
            return true;
          }));
      onnx::ModelProto model = ParseModelOrDie(kChain);
      absl::Status s = pm.Run(model, ctx);
      if (!lie || mode == VerifyEachMode::kStructural) {
        EXPECT_TRUE(s.ok()) << s;
        continue;
      }
      EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
      ASSERT_EQ(cap.diags.size(), 1u);
      EXPECT_EQ(cap.diags[0].message,
                "pass 'types' declared that it changed only the types of values but changed "
                "more");
    }
  }
  // Without the declaration the same edit is verified, and the lie caught.
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int runs = 0;
  PassManager pm(PassManagerOptions{});
  pm.AddPass(std::make_unique<TestPass>(
      "breaks", &runs, [](onnx::ModelProto& model, PassContext&) -> absl::StatusOr<bool> {
        model.mutable_graph()->mutable_node(1)->set_input(0, "nowhere");
        return true;
      }));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  EXPECT_EQ(pm.Run(model, ctx).code(), absl::StatusCode::kInternal);
}

// What a pass sees as the model's identity at its start: equal across
// passes that reported no change, different after one that did, and never
// repeated by a later run on the same model.
TEST(PassManagerTest, ModelIdentityChangesOnlyWithAReportedChange) {
  for (VerifyEachMode mode : {VerifyEachMode::kStructural, VerifyEachMode::kFull}) {
    Capture cap;
    PassContext ctx(cap.engine, "m.onnx");
    std::vector<uint64_t> seen;
    PassManager pm(Verifying(mode));
    int runs = 0;
    auto record = [&seen](bool change) {
      return [&seen, change](onnx::ModelProto& model, PassContext& c) -> absl::StatusOr<bool> {
        seen.push_back(c.ModelFingerprintAtPassStart(model));
        if (change) model.mutable_graph()->mutable_node(1)->set_op_type("Neg");
        return change;
      };
    };
    pm.AddPass(std::make_unique<TestPass>("a", &runs, record(false)));
    pm.AddPass(std::make_unique<TestPass>("b", &runs, record(true)));
    pm.AddPass(std::make_unique<TestPass>("c", &runs, record(false)));
    pm.AddPass(std::make_unique<TestPass>("d", &runs, record(false)));
    onnx::ModelProto model = ParseModelOrDie(kChain);
    ASSERT_TRUE(pm.Run(model, ctx).ok());
    ASSERT_EQ(seen.size(), 4u);
    EXPECT_EQ(seen[0], seen[1]);
    EXPECT_NE(seen[1], seen[2]);
    EXPECT_EQ(seen[2], seen[3]);
    EXPECT_NE(seen[0], 0u);
    EXPECT_NE(seen[2], 0u);
    if (mode == VerifyEachMode::kFull) {
      EXPECT_EQ(seen[0], ModelFingerprint(ParseModelOrDie(kChain)));
      EXPECT_EQ(seen[2], ModelFingerprint(model));
      continue;
    }
    // A second run on the model the first left: a new identity, though the
    // model is the same (stamps are not fingerprints).
    const uint64_t last = seen[3];
    seen.clear();
    ASSERT_TRUE(pm.Run(model, ctx).ok());
    EXPECT_NE(seen[0], last);
  }
}

TEST(PassManagerTest, AnalysesSurviveUnchangedPassesOnly) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int runs = 0;
  std::vector<const GraphIndex*> seen;
  auto look = [&seen](onnx::ModelProto& model, PassContext& c) -> absl::StatusOr<bool> {
    seen.push_back(c.analyses().Index(model.graph()).get());
    return false;
  };
  PassManager pm(PassManagerOptions{});
  pm.AddPass(std::make_unique<TestPass>("a", &runs, look));
  pm.AddPass(std::make_unique<TestPass>("b", &runs, look));
  // Claims a change without making one the fingerprint sees (as a rewrite
  // of tensor bytes would): the cache is dropped all the same.
  pm.AddPass(Returning("claims", &runs, true));
  pm.AddPass(std::make_unique<TestPass>("c", &runs, look));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  ASSERT_TRUE(pm.Run(model, ctx).ok());
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_EQ(ctx.analyses().counters().builds, 2);
  EXPECT_EQ(ctx.analyses().counters().hits, 1);
}

// What cleanup does: drop a node and declare the shape facts kept. The next
// pass gets the same analysis object, not a rebuilt one; a pass that keeps
// nothing after a change makes the next one rebuild.
TEST(PassManagerTest, KeptShapesSurviveTheChangeTheyWereKeptThrough) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int runs = 0;
  std::vector<const ShapeAnalysis*> seen;
  auto look = [&seen](onnx::ModelProto& model, PassContext& c) -> absl::StatusOr<bool> {
    seen.push_back(c.analyses().Shapes(model).get());
    return false;
  };
  auto bypass = [](bool keep) {
    return [keep](onnx::ModelProto& model, PassContext& c) -> absl::StatusOr<bool> {
      if (keep) c.analyses().KeepShapes(model.graph());
      // y = Relu(t) now reads x: t is dead, and no remaining value's facts change.
      model.mutable_graph()->mutable_node(1)->set_input(0, "x");
      model.mutable_graph()->mutable_node()->DeleteSubrange(0, 1);
      return true;
    };
  };
  PassManager pm(PassManagerOptions{});
  pm.AddPass(std::make_unique<TestPass>("a", &runs, look));
  pm.AddPass(std::make_unique<TestPass>("keeps", &runs, bypass(true)));
  pm.AddPass(std::make_unique<TestPass>("b", &runs, look));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  ASSERT_TRUE(pm.Run(model, ctx).ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], seen[1]);
  // One analysis and the index it walks by.
  EXPECT_EQ(ctx.analyses().counters().builds, 2);

  PassManager forget(PassManagerOptions{});
  forget.AddPass(std::make_unique<TestPass>("a", &runs, look));
  forget.AddPass(std::make_unique<TestPass>("drops", &runs, bypass(false)));
  forget.AddPass(std::make_unique<TestPass>("b", &runs, look));
  PassContext fresh(cap.engine, "m.onnx");
  seen.clear();
  onnx::ModelProto again = ParseModelOrDie(kChain);
  ASSERT_TRUE(forget.Run(again, fresh).ok());
  ASSERT_EQ(seen.size(), 2u);
  // Two analyses, each with its index.
  EXPECT_EQ(fresh.analyses().counters().builds, 4);
}

// A pass that keeps an analysis its edit made false: full verification
// compares it with a fresh one and names the pass and the value.
TEST(PassManagerTest, AWronglyKeptAnalysisIsCaughtByFullVerification) {
  for (VerifyEachMode mode : {VerifyEachMode::kStructural, VerifyEachMode::kFull}) {
    Capture cap;
    PassContext ctx(cap.engine, "m.onnx");
    int runs = 0;
    PassManager pm(Verifying(mode));
    pm.AddPass(std::make_unique<TestPass>(
        "liar", &runs, [](onnx::ModelProto& model, PassContext& c) -> absl::StatusOr<bool> {
          c.analyses().Shapes(model);
          c.analyses().KeepShapes(model.graph());
          // y now has x's 2 elements stacked twice: [4], not [2].
          auto* node = model.mutable_graph()->mutable_node(1);
          node->set_op_type("Concat");
          node->add_input("t");
          auto* axis = node->add_attribute();
          axis->set_name("axis");
          axis->set_type(onnx::AttributeProto::INT);
          axis->set_i(0);
          model.mutable_graph()
              ->mutable_output(0)
              ->mutable_type()
              ->mutable_tensor_type()
              ->mutable_shape()
              ->mutable_dim(0)
              ->set_dim_value(4);
          return true;
        }));
    onnx::ModelProto model = ParseModelOrDie(kChain);
    absl::Status s = pm.Run(model, ctx);
    if (mode == VerifyEachMode::kStructural) {
      // Trusted without the full check.
      EXPECT_TRUE(s.ok()) << s;
      continue;
    }
    EXPECT_FALSE(s.ok());
    ASSERT_FALSE(cap.diags.empty());
    EXPECT_TRUE(Contains(cap.diags.back().message, "after pass 'liar'"))
        << cap.diags.back().message;
    EXPECT_TRUE(Contains(cap.diags.back().message, "'y': type 1 [2] vs type 1 [4]"))
        << cap.diags.back().message;
  }
}

// A pass committing through the AnalysisManager: the index it updated is
// the one the next pass gets (no rebuild), it says what a fresh build says,
// and the structural verifier checks where the commit edited. An invalid
// edit committed there is still caught, with the full verifier's message.
TEST(PassManagerTest, AnIndexUpdatedByCommitsIsKeptAndVerifiedWhereItChanged) {
  for (bool valid : {true, false}) {
    Capture cap;
    PassContext ctx(cap.engine, "m.onnx");
    int runs = 0;
    std::vector<const GraphIndex*> seen;
    auto look = [&seen](onnx::ModelProto& model, PassContext& c) -> absl::StatusOr<bool> {
      seen.push_back(c.analyses().Index(model.graph()).get());
      return false;
    };
    PassManager pm(PassManagerOptions{});
    pm.AddPass(std::make_unique<TestPass>("a", &runs, look));
    pm.AddPass(std::make_unique<TestPass>(
        "edits", &runs, [valid](onnx::ModelProto& model, PassContext& c) -> absl::StatusOr<bool> {
          onnx::GraphProto& g = *model.mutable_graph();
          GraphRewriter rw(g);
          if (valid) {
            // y reads x: t is dead and goes.
            EXPECT_TRUE(rw.ReplaceAllUsesWith("t", "x").ok());
          }
          rw.Erase(0);
          c.analyses().Commit(rw, g);
          return true;
        }));
    pm.AddPass(std::make_unique<TestPass>("b", &runs, look));
    onnx::ModelProto model = ParseModelOrDie(kChain);
    absl::Status s = pm.Run(model, ctx);
    if (!valid) {
      EXPECT_FALSE(s.ok());
      ASSERT_FALSE(cap.diags.empty());
      EXPECT_EQ(cap.diags.back().message,
                "after pass 'edits': node 'y' (Relu): input 't' is not defined");
      continue;
    }
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0], seen[1]);
    EXPECT_EQ(ctx.analyses().counters().builds, 1);
    EXPECT_EQ(seen[1]->FirstDifference(GraphIndex(model.graph())), "");
    EXPECT_EQ(seen[1]->ProducerIndex("y"), 0);
  }
}

// A pass that commits through the AnalysisManager and then edits the graph
// directly breaks its declaration: the kept index is stale. Full
// verification compares it with a fresh build and names the pass.
TEST(PassManagerTest, AnIndexMadeStaleByADirectEditIsCaughtByFullVerification) {
  for (VerifyEachMode mode : {VerifyEachMode::kStructural, VerifyEachMode::kFull}) {
    Capture cap;
    PassContext ctx(cap.engine, "m.onnx");
    int runs = 0;
    PassManager pm(Verifying(mode));
    pm.AddPass(std::make_unique<TestPass>(
        "mixed", &runs, [](onnx::ModelProto& model, PassContext& c) -> absl::StatusOr<bool> {
          onnx::GraphProto& g = *model.mutable_graph();
          GraphRewriter rw(g);
          onnx::TensorProto w = MakeTensorProto(onnx::TensorProto::FLOAT, {0});
          w.set_name("w");
          rw.AddInitializer(std::move(w));
          c.analyses().Commit(rw, g);
          g.mutable_node(1)->set_input(0, "x");  // outside the rewriter
          return true;
        }));
    onnx::ModelProto model = ParseModelOrDie(kChain);
    absl::Status s = pm.Run(model, ctx);
    if (mode == VerifyEachMode::kStructural) {
      EXPECT_TRUE(s.ok()) << s;  // the declaration is trusted
      continue;
    }
    EXPECT_FALSE(s.ok());
    ASSERT_FALSE(cap.diags.empty());
    EXPECT_TRUE(Contains(cap.diags.back().message,
                         "after pass 'mixed': the use-def index its commits updated disagrees"))
        << cap.diags.back().message;
  }
}

// A pass that commits a body and then the main graph through the manager:
// the main commit drops the body's index and what its commits touched, so
// the whole model is verified, and an invalid body edit is still caught.
TEST(PassManagerTest, BodyEditsLostToALaterMainCommitAreStillVerified) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int runs = 0;
  PassManager pm(PassManagerOptions{});
  pm.AddPass(std::make_unique<TestPass>(
      "two-graphs", &runs, [](onnx::ModelProto& model, PassContext& c) -> absl::StatusOr<bool> {
        onnx::GraphProto& g = *model.mutable_graph();
        onnx::GraphProto* body = nullptr;
        for (auto& a : *g.mutable_node(1)->mutable_attribute())
          if (a.name() == "then_branch") body = a.mutable_g();
        GraphRewriter in_body(*body);
        in_body.SetInput(0, 0, "nowhere");
        c.analyses().Commit(in_body, *body);
        GraphRewriter in_main(g);
        onnx::TensorProto w = MakeTensorProto(onnx::TensorProto::FLOAT, {0});
        w.set_name("w");
        in_main.AddInitializer(std::move(w));
        c.analyses().Commit(in_main, g);
        return true;
      }));
  onnx::ModelProto model = ParseModelOrDie(R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x) => (float[2] y)
{
  a = Relu (x)
  y = If (c) <then_branch = g1 () => (float[2] t) { t = Neg (a) },
              else_branch = g2 () => (float[2] e) { e = Abs (a) }>
}
)");
  absl::Status s = pm.Run(model, ctx);
  EXPECT_FALSE(s.ok());
  ASSERT_FALSE(cap.diags.empty());
  EXPECT_TRUE(Contains(cap.diags.back().message, "after pass 'two-graphs'"))
      << cap.diags.back().message;
  EXPECT_TRUE(Contains(cap.diags.back().message, "nowhere")) << cap.diags.back().message;
}

// Within a pass, fingerprints are remembered: a pass that edits the graph
// and asks again without NoteChange() gets the analysis of the graph it
// had. Checking mode (--verify-each=full) recomputes and names the pass;
// with NoteChange() the second request sees the edit.
TEST(PassManagerTest, AnAnalysisAskedForAfterAnUnannouncedEditIsCaught) {
  for (bool announce : {false, true}) {
    for (VerifyEachMode mode : {VerifyEachMode::kStructural, VerifyEachMode::kFull}) {
      Capture cap;
      PassContext ctx(cap.engine, "m.onnx");
      int runs = 0;
      size_t consumers_of_t = 99;
      PassManager pm(Verifying(mode));
      pm.AddPass(std::make_unique<TestPass>(
          "edits", &runs, [&](onnx::ModelProto& model, PassContext& c) -> absl::StatusOr<bool> {
            c.analyses().Index(model.graph());
            // y reads x instead of t.
            model.mutable_graph()->mutable_node(1)->set_input(0, "x");
            if (announce) c.analyses().NoteChange();
            consumers_of_t = c.analyses().Index(model.graph())->Consumers("t").size();
            return true;
          }));
      onnx::ModelProto model = ParseModelOrDie(kChain);
      absl::Status s = pm.Run(model, ctx);
      const std::string what =
          absl::StrCat("announce ", announce, " full ", mode == VerifyEachMode::kFull);
      if (announce) {
        EXPECT_TRUE(s.ok()) << what << ": " << s;
        EXPECT_EQ(consumers_of_t, 0u) << what;
      } else if (mode == VerifyEachMode::kFull) {
        EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << what;
        ASSERT_FALSE(cap.diags.empty()) << what;
        EXPECT_EQ(cap.diags[0].message,
                  "pass 'edits' asked for an analysis of graph 'g' after changing it without "
                  "AnalysisManager::NoteChange()");
      } else {
        // The remembered fingerprint answers: the stale index is served.
        EXPECT_TRUE(s.ok()) << what << ": " << s;
        EXPECT_EQ(consumers_of_t, 1u) << what;
      }
    }
  }
}

// Records every hook it sees, as "hook:pass:detail".
class Recorder : public PassInstrumentation {
 public:
  explicit Recorder(std::vector<std::string>* log) : log_(log) {}
  bool NeedsModelBefore(const Pass& pass) const override { return pass.Argument() == "negate"; }
  void RunBeforePipeline(const onnx::ModelProto&, PassContext&) override {
    log_->push_back("before-pipeline");
  }
  void RunBeforePass(const Pass& pass, const onnx::ModelProto&, PassContext&) override {
    log_->push_back(absl::StrCat("before:", pass.Argument()));
  }
  absl::Status RunAfterPass(const Pass& pass, const PassRunInfo& info,
                            const onnx::ModelProto& model, PassContext&) override {
    std::string detail = absl::StrCat(info.changed, info.structural_change);
    if (info.before != nullptr)
      absl::StrAppend(&detail, ":", info.before->graph().node(1).op_type(), "->",
                      model.graph().node(1).op_type());
    log_->push_back(absl::StrCat("after:", pass.Argument(), ":", detail));
    return absl::OkStatus();
  }
  void RunAfterPassFailed(const Pass& pass, const absl::Status& status, PassContext&) override {
    log_->push_back(absl::StrCat("failed:", pass.Argument(), ":", status.message()));
  }
  void RunAfterPipeline(const onnx::ModelProto&, const absl::Status& status,
                        PassContext&) override {
    log_->push_back(absl::StrCat("after-pipeline:", status.ok() ? "ok" : status.message()));
  }

 private:
  std::vector<std::string>* log_;
};

TEST(PassManagerTest, InstrumentationsSeeEveryHookInOrder) {
  Capture cap;
  PassContext ctx(cap.engine, "m.onnx");
  int runs = 0;
  std::vector<std::string> log;
  PassManager pm(PassManagerOptions{});
  pm.AddInstrumentation(std::make_unique<Recorder>(&log));
  pm.AddPass(Returning("keep", &runs, false));
  pm.AddPass(Negating("negate", &runs, true));
  pm.AddPass(Returning("claims", &runs, true));
  pm.AddPass(Returning("fails", &runs, absl::UnimplementedError("no")));
  pm.AddPass(Returning("never", &runs, false));
  onnx::ModelProto model = ParseModelOrDie(kChain);
  EXPECT_EQ(pm.Run(model, ctx).code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(log, (std::vector<std::string>{
                     "before-pipeline", "before:keep", "after:keep:00", "before:negate",
                     // The copy before the pass was asked for. Outside
                     // --verify-each=full a claimed change is taken as
                     // structural (claims are trusted).
                     "after:negate:11:Relu->Neg", "before:claims", "after:claims:11",
                     "before:fails", "failed:fails:no", "after-pipeline:no"}));
}

}  // namespace
}  // namespace h8
