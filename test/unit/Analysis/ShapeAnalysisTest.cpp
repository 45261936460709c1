//===- ShapeAnalysisTest.cpp - Shape rules and the differential check -----===//
#include "h8/Analysis/ShapeAnalysis.h"

#include <dirent.h>

#include <functional>
#include <limits>

#include "TestUtil.h"
#include "gtest/gtest.h"
#include "h8/Analysis/OnnxShapeInference.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/GraphRewriter.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/OnnxBridge.h"

namespace h8 {
namespace {

// Shape of `value` as text ("[1,9,time]"), or "none".
std::string ShapeOf(const ShapeAnalysis& a, const std::string& value) {
  const ValueFacts* f = a.Facts(value);
  return f == nullptr ? "none" : f->ShapeString();
}

std::string ValueOf(const ShapeAnalysis& a, const std::string& value) {
  const ValueFacts* f = a.Facts(value);
  if (f == nullptr || !f->has_value) return "none";
  std::string out;
  for (const Dim& d : f->value) out += (out.empty() ? "" : ",") + d.ToString();
  return out;
}

TEST(ShapeAnalysisTest, ConvPoolOverSymbolicTime) {
  auto m = ParseModelOrDie(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[batch,9,time] x, float[16,9,3] w) => (float[batch,16,?] y)
{
  c = Conv <strides = [2], pads = [1, 1]> (x, w)
  p = MaxPool <kernel_shape = [2], strides = [2], ceil_mode = 0> (c)
  y = Relu (p)
}
)");
  ShapeAnalysis a(m);
  // (time + 2 - 3)//2 + 1, then (c - 2)//2 + 1.
  EXPECT_EQ(ShapeOf(a, "c"), "[batch,16,(time - 1)//2 + 1]");
  EXPECT_EQ(ShapeOf(a, "y"), "[batch,16,((time - 1)//2 - 1)//2 + 1]");
  ShapeAnalysis pinned(m, {{{"time", 100}, {"batch", 1}}});
  EXPECT_EQ(ShapeOf(pinned, "c"), "[1,16,50]");
  EXPECT_EQ(ShapeOf(pinned, "y"), "[1,16,25]");
}

// A stride-1 window adds pads - (k - 1) * d to its input dim: a 'same'
// conv keeps the symbol itself, a valid one subtracts, a static one that
// would be empty is unknown.
TEST(ShapeAnalysisTest, StrideOneWindows) {
  auto m = ParseModelOrDie(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[batch,9,time] x, float[9,9,3] w, float[1,9,2] s) => (float[batch,9,?] v)
{
  same = Conv <pads = [2, 2], dilations = [2]> (x, w)
  v = Conv (same, w)
  e = Conv (s, w)
}
)");
  ShapeAnalysis a(m);
  EXPECT_EQ(ShapeOf(a, "same"), "[batch,9,time]");
  EXPECT_EQ(ShapeOf(a, "v"), "[batch,9,time - 2]");
  EXPECT_EQ(ShapeOf(a, "e"), "[1,9,?]");
}

// Nodes out of order: the walk in node order meets `t` before its
// producer, and is redone in topological order.
TEST(ShapeAnalysisTest, UnsortedGraphsAreWalkedInTopologicalOrder) {
  auto m = ParseModelOrDie(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[batch,9,time] x) => (float[batch,9,?] y)
{
  y = Relu (t)
  t = Neg (x)
}
)");
  ShapeAnalysis a(m);
  EXPECT_EQ(ShapeOf(a, "t"), "[batch,9,time]");
  EXPECT_EQ(ShapeOf(a, "y"), "[batch,9,time]");
}

TEST(ShapeAnalysisTest, ShapePlumbingValuesAndReshape) {
  // x.view(x.size(0), -1) as PyTorch exports it.
  auto m = ParseModelOrDie(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[batch,9,time] x) => (float[batch,?] y)
  <int64 zero = {0}, int64[1] minus1 = {-1}, int64[1] axes0 = {0}>
{
  s = Shape (x)
  b = Gather <axis = 0> (s, zero)
  u = Unsqueeze (b, axes0)
  cat = Concat <axis = 0> (u, minus1)
  y = Reshape (x, cat)
}
)");
  ShapeAnalysis a(m);
  EXPECT_EQ(ValueOf(a, "s"), "batch,9,time");
  EXPECT_EQ(ShapeOf(a, "b"), "[]");
  EXPECT_EQ(ValueOf(a, "cat"), "batch,-1");
  // -1 is what is left after cancelling batch: 9*time.
  EXPECT_EQ(ShapeOf(a, "y"), "[batch,9*time]");
  ShapeAnalysis pinned(m, {{{"time", 100}, {"batch", 2}}});
  EXPECT_EQ(ShapeOf(pinned, "y"), "[2,900]");
}

TEST(ShapeAnalysisTest, Opset18ReduceAndPadAndSplitForms) {
  auto m = ParseModelOrDie(R"(
<ir_version: 8, opset_import: ["" : 18]>
g (float[1,8,s53] x) => (float[1,8] y, float[1,4,?] a, float[1,4,?] b)
  <int64[1] t = {-1}, int64[2] pads = {2, 0}, int64[1] pax = {2}>
{
  y = ReduceMean <keepdims = 0> (x, t)
  mx = ReduceMax (x, t)
  p = Pad (x, pads, , pax)
  a, b = Split <axis = 1, num_outputs = 2> (p)
  e = ReduceMean <noop_with_empty_axes = 1> (x)
  s = ReduceSum (x)
}
)");
  ShapeAnalysis a(m);
  EXPECT_EQ(ShapeOf(a, "y"), "[1,8]");
  EXPECT_EQ(ShapeOf(a, "mx"), "[1,8,1]");
  EXPECT_EQ(ShapeOf(a, "p"), "[1,8,s53 + 2]");
  EXPECT_EQ(ShapeOf(a, "a"), "[1,4,s53 + 2]");
  EXPECT_EQ(ShapeOf(a, "b"), "[1,4,s53 + 2]");
  EXPECT_EQ(ShapeOf(a, "e"), "[1,8,s53]");  // no axes + noop: identity
  EXPECT_EQ(ShapeOf(a, "s"), "[1,1,1]");  // no axes: all, keepdims
}

TEST(ShapeAnalysisTest, AttributeFormsBeforeOpset13) {
  auto m = ParseModelOrDie(R"(
<ir_version: 6, opset_import: ["" : 11]>
g (float[2,3,5] x) => (float[2,3] y)
  <int64[1] st = {1}, int64[1] en = {100}, int64[1] ax = {-1}, int64[6] pd = {0, 0, 1, 0, 0, 2}>
{
  u = Unsqueeze <axes = [0, -1]> (x)
  q = Squeeze <axes = [0]> (u)
  y = ReduceSum <axes = [-1], keepdims = 0> (x)
  a, b = Split <axis = -1, split = [2, 3]> (x)
  r = Slice (x, st, en, ax)
  p = Pad (x, pd)
}
)");
  ShapeAnalysis a(m);
  EXPECT_EQ(ShapeOf(a, "u"), "[1,2,3,5,1]");
  EXPECT_EQ(ShapeOf(a, "q"), "[2,3,5,1]");
  EXPECT_EQ(ShapeOf(a, "y"), "[2,3]");
  EXPECT_EQ(ShapeOf(a, "a"), "[2,3,2]");
  EXPECT_EQ(ShapeOf(a, "b"), "[2,3,3]");
  EXPECT_EQ(ShapeOf(a, "r"), "[2,3,4]");
  EXPECT_EQ(ShapeOf(a, "p"), "[2,3,8]");
}

TEST(ShapeAnalysisTest, BroadcastingMatMulGemmAndEmptyTensors) {
  auto m = ParseModelOrDie(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[batch,1,5] x, float[4,1] z, float[0,5] e, float[5,7] w) => (float[batch,4,5] y)
{
  y = Add (x, z)
  mm = MatMul (x, w)
  ee = Relu (e)
  gm = Gemm <transB = 1> (e, e)
  cmp = Less (x, z)
}
)");
  ShapeAnalysis a(m);
  EXPECT_EQ(ShapeOf(a, "y"), "[batch,4,5]");
  EXPECT_EQ(ShapeOf(a, "mm"), "[batch,1,7]");
  EXPECT_EQ(ShapeOf(a, "ee"), "[0,5]");
  EXPECT_EQ(ShapeOf(a, "gm"), "[0,0]");
  EXPECT_EQ(a.Facts("cmp")->elem_type, onnx::TensorProto::BOOL);
}

TEST(ShapeAnalysisTest, HostileAttributesGiveUnknownNotCrashes) {
  auto m = ParseModelOrDie(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1,3,8] x, float[4,3,3] w) => (float[?] y)
{
  c = Conv <strides = [0]> (x, w)
  t = Transpose <perm = [0, 0, 1]> (x)
  g = Gather <axis = 7> (x, x)
  d = DepthToSpace <blocksize = 4294967296> (x)
  y = Flatten <axis = 9> (x)
}
)");
  ShapeAnalysis a(m);
  EXPECT_EQ(ShapeOf(a, "c"), "[1,4,?]");
  EXPECT_EQ(ShapeOf(a, "t"), "[?]");
  EXPECT_EQ(ShapeOf(a, "g"), "[?]");
  EXPECT_EQ(ShapeOf(a, "d"), "[?]");
}

// Extreme attribute and constant values: exact results where they exist,
// unknown where they do not, never signed overflow (UBSan runs this).
TEST(ShapeAnalysisTest, ExtremeValuesDoNotOverflow) {
  auto m = ParseModelOrDie(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[9223372036854775807] x, float[3,4] z) => (float[?] y)
  <int64 lo = {-9223372036854775808}, int64 hi = {9223372036854775807}, int64 one = {1},
   int64 mone = {-1}, int64[1] st = {0}, int64[1] en = {9223372036854775807},
   int64[1] ax = {0}, int64[1] mstep = {-9223372036854775808}>
{
  r = Range (lo, hi, one)
  r2 = Range (hi, lo, mone)
  y = Slice (x, st, en, ax)
  back = Slice (z, en, st, ax, mstep)
  a, b, c = Split <axis = 0> (x)
  d = Div (lo, mone)
  k = Conv <kernel_shape = [9223372036854775807], strides = [9223372036854775807]> (z, z)
}
)");
  ShapeAnalysis a(m);
  EXPECT_EQ(ShapeOf(a, "r"), "[?]");  // 2^64 - 1 elements: not an int64
  EXPECT_EQ(ShapeOf(a, "r2"), "[?]");
  EXPECT_EQ(ShapeOf(a, "y"), "[9223372036854775807]");
  EXPECT_EQ(ShapeOf(a, "back"), "[1,4]");  // from the last row, one step of -2^63
  EXPECT_EQ(ShapeOf(a, "a"), "[3074457345618258602]");
  EXPECT_EQ(ShapeOf(a, "c"), "[3074457345618258602]");
  EXPECT_EQ(ValueOf(a, "d"), "?");  // INT64_MIN / -1: one element, unknown
  EXPECT_EQ((Dim::Symbol("t") + Dim::Static(std::numeric_limits<int64_t>::min())).ToString(),
            "t - 9223372036854775808");
}

TEST(ShapeAnalysisTest, UnknownOpIsNamedAndDeclarationsStillApply) {
  auto m = ParseModelOrDie(R"(
<ir_version: 8, opset_import: ["" : 13, "com.example" : 1]>
g (float[1,3,8] x) => (float[1,3,8] y)
{
  o = com.example.Opaque (x)
  y = Relu (o)
}
)");
  ShapeAnalysis a(m);
  ASSERT_EQ(a.unknown_ops().size(), 1u);
  EXPECT_EQ(a.unknown_ops()[0].second, "Opaque");
  EXPECT_EQ(ShapeOf(a, "o"), "[?]");
  EXPECT_EQ(ShapeOf(a, "y"), "[1,3,8]");  // the declared output
  EXPECT_NE(a.UnknownOpsNote().find("'Opaque' of node 'o'"), std::string::npos);
}

TEST(ShapeAnalysisTest, SubgraphsSeeOuterValues) {
  auto m = ParseModelOrDie(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2,5] x) => (float[2,5] y)
{
  y = If (c) <then_branch = t () => (float[?,?] a) { a = Relu (x) },
              else_branch = e () => (float[?,?] b) { b = Neg (x) }>
}
)");
  ShapeAnalysis a(m);
  EXPECT_EQ(ShapeOf(a, "a"), "[2,5]");
  EXPECT_EQ(ShapeOf(a, "y"), "[2,5]");
}

TEST(ShapeAnalysisTest, WriteValueInfoRecordsIntermediatesAndRefinesOutputs) {
  auto m = ParseModelOrDie(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1,3,8] x) => (float[?,?,?] y)
{
  r = Relu (x)
  y = Neg (r)
}
)");
  ShapeAnalysis a(m);
  EXPECT_TRUE(a.WriteValueInfo(*m.mutable_graph()));
  GraphIndex index(m.graph());
  EXPECT_EQ(index.StaticShape("r"), (std::vector<int64_t>{1, 3, 8}));
  EXPECT_EQ(index.StaticShape("y"), (std::vector<int64_t>{1, 3, 8}));
  ShapeAnalysis again(m);
  EXPECT_FALSE(again.WriteValueInfo(*m.mutable_graph()));
}

// A value_info entry repeating a graph input (dynamo exports of a cut
// write them) follows the pinned input instead of keeping its symbols.
TEST(ShapeAnalysisTest, WriteValueInfoUpdatesEntriesOfGraphInputs) {
  auto m = ParseModelOrDie(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1,3,8] x) => (float[1,3,8] y)
{
  y = Relu (x)
}
)");
  onnx::ValueInfoProto* vi = m.mutable_graph()->add_value_info();
  *vi = m.graph().input(0);
  vi->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(2)->set_dim_param("s53");
  ShapeAnalysis a(m);
  EXPECT_TRUE(a.WriteValueInfo(*m.mutable_graph()));
  const auto& shape = m.graph().value_info(0).type().tensor_type().shape();
  ASSERT_EQ(shape.dim_size(), 3);
  EXPECT_TRUE(shape.dim(2).has_dim_value());
  EXPECT_EQ(shape.dim(2).dim_value(), 8);
}

// On every fixture at opset <= 17 the analysis never contradicts ONNX
// 1.12's inference (with data propagation) and is at least as precise: a
// static dim ONNX finds is static and equal here.
// Calls `fn(path, model)` for the model of every fixture.
void ForEachFixture(const std::function<void(const std::string&, onnx::ModelProto&)>& fn) {
  std::string root = std::string(H8_SOURCE_DIR) + "/test/fixtures";
  DIR* dir = opendir(root.c_str());
  ASSERT_NE(dir, nullptr) << root;
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name[0] == '.' || name == "README.md") continue;
    std::string path = root + "/" + name + "/model.onnx";
    auto model = ReadBinaryModelFile(path);
    EXPECT_TRUE(model.ok()) << path << ": " << model.status();
    if (model.ok()) fn(path, *model);
  }
  closedir(dir);
}

TEST(ShapeAnalysisTest, NeverContradictsOnnxInferenceOnFixtures) {
  int models = 0, compared = 0;
  ForEachFixture([&](const std::string& path, onnx::ModelProto& fixture) {
    const onnx::ModelProto* model = &fixture;
    if (OnnxOpsetVersion(*model) > 17) return;
    ++models;
    onnx::ModelProto inferred = *model;
    inferred.mutable_graph()->clear_value_info();
    ASSERT_TRUE(InferShapesWithOnnx(inferred).ok()) << path;
    ShapeAnalysis ours(*model);
    for (const auto& vi : inferred.graph().value_info()) {
      ValueFacts theirs = ShapeAnalysis::FromTypeProto(vi.type(), {});
      if (!theirs.has_shape) continue;
      const ValueFacts* f = ours.Facts(vi.name());
      ASSERT_NE(f, nullptr) << path << ": " << vi.name();
      ASSERT_TRUE(f->has_shape) << path << ": no rank for " << vi.name();
      ASSERT_EQ(f->dims.size(), theirs.dims.size()) << path << ": " << vi.name();
      for (size_t i = 0; i < theirs.dims.size(); ++i) {
        if (!theirs.dims[i].is_static()) continue;
        ++compared;
        EXPECT_TRUE(f->dims[i] == theirs.dims[i])
            << path << ": " << vi.name() << " dim " << i << ": ours " << f->ShapeString()
            << ", ONNX " << theirs.ShapeString();
      }
      if (theirs.elem_type != 0) {
        EXPECT_EQ(f->elem_type, theirs.elem_type) << path << ": " << vi.name();
      }
    }
  });
  EXPECT_GE(models, 20);
  EXPECT_GT(compared, 500);
}

// The analysis over an index (facts by value id, the walk by the index's
// slot ids) must find what the name-keyed one finds: every value's facts,
// the unknown ops and the value_info it writes. Checked on every fixture,
// also with a pinned symbol and after an update re-numbered the nodes,
// and on graphs that exercise the walk's corners.
void ExpectSameWithAndWithoutIndex(const onnx::ModelProto& model, const std::string& what,
                                   ShapeAnalysis::Options options = {}) {
  const onnx::GraphProto& g = model.graph();
  const int64_t opset = OnnxOpsetVersion(model);
  auto index = std::make_shared<const GraphIndex>(g);
  const ShapeAnalysis by_name(g, opset, options);
  const ShapeAnalysis by_id(g, opset, options, index);
  EXPECT_EQ(by_id.FirstDifference(by_name, g), "") << what;
  EXPECT_EQ(by_name.FirstDifference(by_id, g), "") << what;
  EXPECT_EQ(by_id.unknown_ops(), by_name.unknown_ops()) << what;
  EXPECT_EQ(by_id.UnknownOpsNote(), by_name.UnknownOpsNote()) << what;
  // Written by name, and by id through an index the caller vouches for.
  onnx::ModelProto written_by_name = model, written_by_id = model;
  auto copy_index = std::make_shared<const GraphIndex>(written_by_id.graph());
  const ShapeAnalysis over_copy(written_by_id.graph(), opset, options, copy_index);
  EXPECT_EQ(by_name.WriteValueInfo(*written_by_name.mutable_graph()),
            over_copy.WriteValueInfo(*written_by_id.mutable_graph(), copy_index.get()))
      << what;
  EXPECT_EQ(written_by_id.SerializeAsString(), written_by_name.SerializeAsString()) << what;
}

TEST(ShapeAnalysisTest, AnIndexChangesHowNotWhatTheAnalysisFinds) {
  const char* corners[] = {
      // Unsorted: the walk is redone in topological order.
      R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[batch,9,time] x) => (float[batch,9,?] y)
{
  y = Relu (t)
  t = Neg (x)
}
)",
      // Bodies read outer values; the If merges them.
      R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool c, float[2,5] x) => (float[2,5] y)
{
  y = If (c) <then_branch = t () => (float[?,?] a) { a = Relu (x) },
              else_branch = e () => (float[?,?] b) { b = Neg (x) }>
}
)",
      // An initializer that is also an input, a value declared twice (the
      // first declaration counts), an undefined input, an input passed
      // through to an output, an op without a rule.
      R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[n,4] x, int64[2] s) => (float[?,?] y, float[n,4] x2, float[?] u)
  <int64[2] s = {2, 2}>
{
  r = Reshape (x, s)
  y = Relu (r)
  x2 = Identity (x)
  u = Custom (missing)
}
)",
  };
  for (const char* text : corners) {
    onnx::ModelProto m = ParseModelOrDie(text);
    if (m.graph().output_size() == 3) {
      for (int k = 0; k < 2; ++k) {
        onnx::ValueInfoProto* vi = m.mutable_graph()->add_value_info();
        vi->set_name("r");
        auto* tt = vi->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(onnx::TensorProto::FLOAT);
        tt->mutable_shape()->add_dim()->set_dim_param(k == 0 ? "first" : "second");
        tt->mutable_shape()->add_dim();
      }
    }
    ExpectSameWithAndWithoutIndex(m, text);
  }

  int models = 0;
  ForEachFixture([&](const std::string& path, onnx::ModelProto& fixture) {
    const onnx::ModelProto* model = &fixture;
    ++models;
    ExpectSameWithAndWithoutIndex(*model, path);
    // Every symbol of the first input pinned, as pin-shape binds them.
    ShapeAnalysis::Options pinned;
    for (const auto& d : model->graph().input(0).type().tensor_type().shape().dim())
      if (d.has_dim_param()) pinned.bindings[d.dim_param()] = 3;
    ExpectSameWithAndWithoutIndex(*model, path + " (pinned)", pinned);
    // An index brought up to date by a commit that moved every node looks
    // its slot ids up again.
    onnx::ModelProto edited = *model;
    onnx::GraphProto& g = *edited.mutable_graph();
    auto index = std::make_shared<GraphIndex>(g);
    GraphRewriter rw(g);
    onnx::NodeProto copy;
    copy.set_op_type("Identity");
    copy.add_input(g.input(0).name());
    copy.add_output("h8_test_copy");
    rw.InsertBefore(0, copy);
    rw.Commit(index.get());
    const ShapeAnalysis by_name(g, OnnxOpsetVersion(edited));
    const ShapeAnalysis by_id(g, OnnxOpsetVersion(edited), {}, index);
    EXPECT_EQ(by_id.FirstDifference(by_name, g), "") << path << " (updated index)";
    EXPECT_NE(by_id.Facts("h8_test_copy"), nullptr) << path;
  });
  EXPECT_GE(models, 40);
}

}  // namespace
}  // namespace h8
