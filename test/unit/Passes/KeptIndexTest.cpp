//===- KeptIndexTest.cpp - Passes that commit through the AnalysisManager ===//
//
// Run by a pass manager, lift-conv1d and legalize-hailo8 commit their
// edits of the main graph through the AnalysisManager: the next pass gets
// the index those commits updated (no rebuild), and it says what a fresh
// build says. lift-conv1d's models have every structural edit it makes: a region value read outside
// (its producer writes a new name, a Squeeze the old one), a computed
// rank-3 value entering (Unsqueeze), a rank-2 operand (Unsqueeze), constant
// inputs set on an existing slot (Pad's pads) and past the last one
// (Slice's axes, named after the Slice's renamed output), and a lifted
// graph input read by an If body (a rank-3 view). legalize-hailo8's
// inserts pools and Flatten nodes and records the type of the pool output
// it names. An edit made outside the rewriter would leave the kept index
// stale, which full verification (on here) reports as a failed run.
//
//===----------------------------------------------------------------------===//
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "TestUtil.h"
#include "gtest/gtest.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/GraphIndex.h"
#include "h8/Pass/PassManager.h"
#include "h8/Passes/Passes.h"

namespace h8 {
namespace {

constexpr char kExitsAndEnters[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,5] x, float[3,4] b2) => (float[1,3,4] y, float[1,3,4] z)
  <float[3,2,2] w = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, int64[3] s = {1, 2, 5},
   int64[3] s2 = {1, 3, 4}>
{
  e = Reshape (x, s)
  t = Conv <kernel_shape = [2]> (e, w)
  u = Add (t, b2)
  y = Relu (u)
  z = Reshape (u, s2)
}
)";

constexpr char kSlicePadView[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[1,2,6] x) => (float[1,3,4] y, float[1,3,4] r, float[1,2,6] v)
  <float[3,2,2] w = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, int64[3] st = {0, 0, 0},
   int64[3] en = {1, 3, 4}, int64[6] pads = {0, 0, 1, 0, 0, 0}, int64[3] s3 = {1, 3, 4}>
{
  t = Conv <kernel_shape = [2]> (x, w)
  p = Pad (t, pads)
  s = Slice (p, st, en)
  y = Relu (s)
  r = Reshape (s, s3)
  v = If (c) <then_branch = th () => (float[1,2,6] a) { a = Identity (x) },
              else_branch = el () => (float[1,2,6] b) { b = Neg (x) }>
}
)";

constexpr char kHeads[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,16,1,100] x4, float[16,8] w) => (float[1,8] y, float[1,8] z)
  <int64[2] ax = {2, 3}>
{
  m = ReduceMean <axes = [2, 3], keepdims = 0> (x4)
  y = MatMul (m, w)
  k = ReduceMax <axes = [2, 3], keepdims = 1> (x4)
  s = Squeeze (k, ax)
  z = Gemm (s, w)
}
)";

// Records what the AnalysisManager hands the pass after the one tested.
class ProbePass : public Pass {
 public:
  ProbePass(const GraphIndex** kept, const GraphIndex** got) : kept_(kept), got_(got) {}
  absl::string_view Argument() const override { return "probe"; }
  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) override {
    *kept_ = ctx.analyses().LastKeptIndex(model.graph());
    index_ = ctx.analyses().Index(model.graph());
    *got_ = index_.get();
    return false;
  }

 private:
  const GraphIndex** kept_;
  const GraphIndex** got_;
  std::shared_ptr<const GraphIndex> index_;
};

// The error diagnostics of a run, one per line.
struct ErrorText {
  DiagnosticEngine engine;
  std::string text;
  ErrorText() {
    engine.SetHandler([this](const Diagnostic& d) {
      if (d.severity == Severity::kError) text += d.message + "\n";
    });
  }
};

struct Case {
  const char* model;
  const char* interface;  // lift-conv1d's; nullptr: legalize-hailo8
  int nodes_after;
};

TEST(KeptIndexTest, TheNextPassGetsTheIndexTheCommitsUpdated) {
  const Case cases[] = {
      {kExitsAndEnters, "lift", 8},  // + Unsqueeze e, Unsqueeze b2, Squeeze u
      {kExitsAndEnters, "keep", 9},  // + Squeeze y
      {kSlicePadView, "lift", 8},  // + Squeeze x (the If's view), Squeeze s
      {kSlicePadView, "keep", 9},  // + Unsqueeze x, Squeeze y; the If reads x
      // m_gap = GlobalAveragePool, m = Flatten, k = GlobalMaxPool, s = Flatten
      {kHeads, nullptr, 6},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.interface != nullptr ? c.interface : "legalize") + " " + c.model);
    ErrorText errors;
    PassContext ctx(errors.engine, "m.onnx");
    PassManagerOptions options;
    options.verify_each = VerifyEachMode::kFull;
    PassManager pm(options);
    if (c.interface != nullptr) {
      LiftConv1dOptions lift;
      lift.interface = c.interface;
      pm.AddPass(CreateLiftConv1dPass(lift));
    } else {
      pm.AddPass(CreateLegalizeHailo8Pass(LegalizeHailo8Options{}));
    }
    const GraphIndex* kept = nullptr;
    const GraphIndex* got = nullptr;
    pm.AddPass(std::make_unique<ProbePass>(&kept, &got));
    onnx::ModelProto model = ParseModelOrDie(c.model);
    ASSERT_TRUE(pm.Run(model, ctx).ok()) << errors.text;
    EXPECT_EQ(errors.text, "");
    EXPECT_EQ(model.graph().node_size(), c.nodes_after);
    ASSERT_NE(kept, nullptr) << "the pass did not commit through the AnalysisManager";
    EXPECT_EQ(got, kept);
    EXPECT_EQ(got->FirstDifference(GraphIndex(model.graph())), "");
    if (c.interface == nullptr) {
      // The pool output's type, recorded by the commit, is the index's.
      EXPECT_EQ(got->StaticShape("m_gap"), (std::vector<int64_t>{1, 16, 1, 1}));
    }
  }
}

// A model lift-conv1d lifts in place (weights reshaped, attributes and
// interface types edited, no node inserted): its index is kept through
// lift-conv1d, whose empty commit declares it made no other structural
// edit, and through pin-shape, which changed only types; the next pass gets
// it with the lifted and pinned types, without a rebuild.
TEST(KeptIndexTest, AnIndexOutlivesEditsInPlaceAndTypesOnlyChanges) {
  constexpr char kInPlace[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,2,T] x) => (float[N,3,U] y)
  <float[3,2,2] w = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}>
{
  t = Conv <kernel_shape = [2]> (x, w)
  y = Relu (t)
}
)";
  for (VerifyEachMode mode : {VerifyEachMode::kStructural, VerifyEachMode::kFull}) {
    ErrorText errors;
    PassContext ctx(errors.engine, "m.onnx");
    PassManagerOptions options;
    options.verify_each = mode;
    PassManager pm(options);
    const GraphIndex* after_lift = nullptr;
    const GraphIndex* got = nullptr;
    const GraphIndex* kept = nullptr;
    const GraphIndex* lift_kept = nullptr;
    pm.AddPass(CreateLiftConv1dPass(LiftConv1dOptions{}));
    pm.AddPass(std::make_unique<ProbePass>(&lift_kept, &after_lift));
    PinShapeOptions pin;
    pin.shape = "1,2,1,9";
    pm.AddPass(CreatePinShapePass(pin));
    pm.AddPass(std::make_unique<ProbePass>(&kept, &got));
    onnx::ModelProto model = ParseModelOrDie(kInPlace);
    ASSERT_TRUE(pm.Run(model, ctx).ok()) << errors.text;
    EXPECT_EQ(errors.text, "");
    EXPECT_EQ(model.graph().node_size(), 2);
    ASSERT_NE(lift_kept, nullptr) << "lift-conv1d's empty commit did not keep its index";
    EXPECT_EQ(after_lift, lift_kept);
    ASSERT_NE(kept, nullptr) << "pin-shape's types-only change dropped the index";
    EXPECT_EQ(got, kept);
    // The first probe still holds its index, so a rebuilt one cannot
    // have its address.
    EXPECT_EQ(got, after_lift) << "the index was rebuilt between the passes";
    EXPECT_EQ(got->FirstDifference(GraphIndex(model.graph())), "");
    EXPECT_EQ(got->Rank("w"), 4);
    EXPECT_EQ(got->StaticShape("x"), (std::vector<int64_t>{1, 2, 1, 9}));
  }
}

// Runs the pass `make_pass` makes on the model `text`, alone and after a
// probe that caches an index; `check(model, probe_first, hits)` judges each
// run, and both must leave the same model.
void ExpectAlikeWithAndWithoutACachedIndex(
    const char* text, const std::function<std::unique_ptr<Pass>()>& make_pass,
    const std::function<void(const onnx::ModelProto&, bool, int64_t)>& check) {
  std::string results[2];
  for (bool probe_first : {false, true}) {
    ErrorText errors;
    PassContext ctx(errors.engine, "m.onnx");
    PassManager pm(PassManagerOptions{});
    const GraphIndex* kept = nullptr;
    const GraphIndex* got = nullptr;
    if (probe_first) pm.AddPass(std::make_unique<ProbePass>(&kept, &got));
    pm.AddPass(make_pass());
    onnx::ModelProto model = ParseModelOrDie(text);
    ASSERT_TRUE(pm.Run(model, ctx).ok()) << errors.text;
    check(model, probe_first, ctx.analyses().counters().hits);
    results[probe_first] = model.SerializeAsString();
  }
  EXPECT_TRUE(results[0] == results[1]);
}

// fold-constants finds the initializers through a cached index when a
// pass before it left one, and through its own table otherwise: the same
// folds either way, an initializer that is also a graph input (a default
// the caller may override) not folded.
TEST(KeptIndexTest, FoldConstantsFoldsAlikeWithAndWithoutACachedIndex) {
  constexpr char kFoldable[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x, float[2] d) => (float[2] y, float[2] z)
  <float[2] a = {1, 2}, float[2] b = {3, 4}, float[2] d = {5, 6}>
{
  c = Add (a, b)
  y = Add (x, c)
  e = Add (a, d)
  z = Mul (x, e)
}
)";
  ExpectAlikeWithAndWithoutACachedIndex(
      kFoldable, [] { return CreateFoldConstantsPass(FoldConstantsOptions{}); },
      [](const onnx::ModelProto& model, bool probe_first, int64_t hits) {
        // The probe's build, then fold-constants' use of it as a hit, and
        // the shape analysis' (built over the index) as another.
        EXPECT_EQ(hits, probe_first ? 2 : 0);
        // c folded into an initializer; e reads d, which the caller may set.
        ASSERT_EQ(model.graph().node_size(), 3);
        EXPECT_EQ(model.graph().node(0).output(0), "y");
        EXPECT_EQ(model.graph().node(1).output(0), "e");
      });
}

// pin-shape hands fold-constants its analysis, built over the index it
// holds: folding then reads initializers and output facts by the index's
// ids. The same folds as with an analysis keyed by name: the shape
// plumbing of a pinned graph and an all-constant node, not a node reading
// an initializer that is also a graph input.
TEST(KeptIndexTest, FoldingByAGivenAnalysisIndexFoldsAlike) {
  constexpr char kPlumbing[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,8,100] x, float[2] d) => (float[1,8,100] y, float[2] z)
  <float[2] a = {1, 2}, float[2] b = {3, 4}, float[2] d = {5, 6}, int64[1] zero = {0}>
{
  s = Shape (x)
  n = Gather <axis = 0> (s, zero)
  r = Reshape (x, s)
  y = Relu (r)
  c = Add (a, b)
  f = Mul (c, a)
  e = Add (f, d)
  z = Mul (e, d)
}
)";
  std::string results[2];
  for (bool by_id : {false, true}) {
    ErrorText errors;
    PassContext ctx(errors.engine, "m.onnx");
    onnx::ModelProto model = ParseModelOrDie(kPlumbing);
    const onnx::GraphProto& g = model.graph();
    std::shared_ptr<const GraphIndex> index;
    if (by_id) index = std::make_shared<const GraphIndex>(g);
    const ShapeAnalysis shapes(g, OnnxOpsetVersion(model), {}, index);
    ASSERT_EQ(shapes.index() != nullptr, by_id);
    const std::unique_ptr<Pass> fold = CreateFoldConstantsPass(FoldConstantsOptions{}, &shapes);
    absl::StatusOr<bool> changed = fold->Run(model, ctx);
    ASSERT_TRUE(changed.ok()) << changed.status();
    EXPECT_TRUE(*changed);
    // s and n from the analysis, c from its constant inputs and f from c
    // in the same sweep, the Reshape to the shape it already has; e reads
    // d, which the caller may set, and stays.
    std::vector<std::string> ops;
    for (const auto& node : model.graph().node()) ops.push_back(node.op_type());
    EXPECT_EQ(ops, (std::vector<std::string>{"Relu", "Add", "Mul"})) << by_id;
    results[by_id] = model.SerializeAsString();
  }
  EXPECT_TRUE(results[0] == results[1]);
}

// cleanup marks liveness by value id when a valid index is cached (here the
// probe's) and by name otherwise: the same nodes and initializers go, also
// what only a body reads and an initializer that is a graph input stay.
TEST(KeptIndexTest, CleanupRemovesAlikeWithAndWithoutACachedIndex) {
  constexpr char kDead[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2] x, float[2] d) => (float[2] y)
  <float[2] a = {1, 2}, float[2] unused = {3, 4}, float[2] d = {5, 6}, float[2] inbody = {7, 8}>
{
  dead1 = Neg (x)
  dead2 = Relu (dead1)
  t = Add (x, a)
  [if] y = If (c) <then_branch = th () => (float[2] z) { z = Add (t, inbody) },
                   else_branch = el () => (float[2] w) { w = Neg (t) }>
}
)";
  ExpectAlikeWithAndWithoutACachedIndex(
      kDead, [] { return CreateCleanupPass(CleanupOptions{}); },
      [](const onnx::ModelProto& model, bool probe_first, int64_t hits) {
        EXPECT_EQ(hits, probe_first ? 1 : 0);
        std::vector<std::string> nodes, initializers;
        for (const auto& node : model.graph().node()) nodes.push_back(node.output(0));
        for (const auto& t : model.graph().initializer()) initializers.push_back(t.name());
        EXPECT_EQ(nodes, (std::vector<std::string>{"t", "y"})) << probe_first;
        EXPECT_EQ(initializers, (std::vector<std::string>{"a", "d", "inbody"})) << probe_first;
      });
}

}  // namespace
}  // namespace h8
