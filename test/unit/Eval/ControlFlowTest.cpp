//===- ControlFlowTest.cpp - Evaluator If, Loop and Scan tests --------===//
//
// Small hand-written graphs whose bodies read values of the enclosing
// graphs; expected values are the loops unrolled by hand in the comments.
//
//===----------------------------------------------------------------------===//

#include <string>

#include "EvalTestUtil.h"
#include "gtest/gtest.h"

// Inside evaltest, so its helpers need no using-declarations.
namespace h8 {
namespace evaltest {
namespace {

Tensor Bool(bool v) { return I({}, {v ? 1 : 0}, onnx::TensorProto::BOOL); }

/// Replaces the first "@" in `text` with `with`.
std::string Fill(std::string text, const std::string& with) {
  text.replace(text.find('@'), 1, with);
  return text;
}

TEST(ControlFlowTest, IfBranchesReadOuterValues) {
  // then: x + k (k = 10, a node output read only inside the branch, so it
  // must stay alive until the If runs); else: -x.
  const std::string text = R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (bool c, float[2] x) => (float[2] y) {
      k = Constant <value = float[1] {10}> ()
      y = If (c) <then_branch = then_g () => (float[2] t) { t = Add (x, k) },
                  else_branch = else_g () => (float[2] e) { e = Neg (x) }>
    })";
  Tensor x = F({2}, {1, 2});
  H8_ASSERT_OK_AND_ASSIGN(auto taken, RunModel(text, {{"c", Bool(true)}, {"x", x}}));
  ExpectFloats(taken[0], {2}, {11, 12});
  H8_ASSERT_OK_AND_ASSIGN(auto other, RunModel(text, {{"c", Bool(false)}, {"x", x}}));
  ExpectFloats(other[0], {2}, {-1, -2});
}

// acc' = acc + i * w (w = 2, an outer graph input), scan output acc',
// cond' = acc' < limit (limit an outer graph input). From acc = 1:
// i = 0: 1, i = 1: 3, i = 2: 7, i = 3: 13.
const char kLoop[] = R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (int64 m, bool c, float[1] a, float[1] w, float[1] limit) => (float[1] sum, float[?,1] parts) {
      sum, parts = Loop (@, a) <body = b (int64 i, bool cin, float[1] acc) => (bool cout, float[1] next, float[1] part) {
        fi = Cast <to = 1> (i)
        step = Mul (fi, w)
        next = Add (acc, step)
        part = Identity (next)
        cout = Less (next, limit)
      }>
    })";

TEST(ControlFlowTest, LoopTripCountConditionAndScanOutputs) {
  // The text parser rejects a leading empty input, so "none" stands for
  // it and is cleared after parsing.
  auto run = [](const std::string& loop_inputs, int64_t m, float limit) {
    onnx::ModelProto model;
    EXPECT_TRUE(onnx::OnnxParser::Parse(model, Fill(kLoop, loop_inputs).c_str()).IsOK());
    onnx::NodeProto* loop = model.mutable_graph()->mutable_node(0);
    if (loop->input(0) == "none") loop->set_input(0, "");
    return EvaluateModel(model, {{"m", I({}, {m})},
                                 {"c", Bool(true)},
                                 {"a", F({1}, {1})},
                                 {"w", F({1}, {2})},
                                 {"limit", F({1}, {limit})}});
  };
  // Trip count only (cond input empty: the body's cond output is ignored,
  // even though 13 < 5 is false): 4 iterations.
  H8_ASSERT_OK_AND_ASSIGN(auto trips, run("m, ", 4, 5));
  ExpectFloats(trips[0], {1}, {13});
  ExpectFloats(trips[1], {4, 1}, {1, 3, 7, 13});
  // Condition only: 1 < 5 and 3 < 5 go on, 7 < 5 stops after 3 iterations.
  H8_ASSERT_OK_AND_ASSIGN(auto until, run("none, c", 0, 5));
  ExpectFloats(until[0], {1}, {7});
  ExpectFloats(until[1], {3, 1}, {1, 3, 7});
  // Both: the trip count 2 ends it first.
  H8_ASSERT_OK_AND_ASSIGN(auto both, run("m, c", 2, 5));
  ExpectFloats(both[1], {2, 1}, {1, 3});
  // Zero trips: the carried value comes back unchanged, but the scan
  // output's shape is unknown.
  EXPECT_EQ(run("m, c", 0, 5).status().code(), absl::StatusCode::kUnimplemented);
}

TEST(ControlFlowTest, IfInsideLoopReadsTheOutermostGraph) {
  // Three iterations add (i > 1 ? big : small) with one = 1, small = 1,
  // big = 10, all values of the main graph: 0 + 1 + 1 + 10 = 12.
  H8_ASSERT_OK_AND_ASSIGN(auto out, RunModel(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1] small, float[1] big) => (float[1] sum) {
      m = Constant <value = int64 {3}> ()
      one = Constant <value = int64 {1}> ()
      zero = Constant <value = float[1] {0}> ()
      sum = Loop (m, , zero) <body = b (int64 i, bool cin, float[1] acc) => (bool cout, float[1] next) {
        cout = Identity (cin)
        gt = Greater (i, one)
        inc = If (gt) <then_branch = t () => (float[1] tv) { tv = Identity (big) },
                       else_branch = e () => (float[1] ev) { ev = Identity (small) }>
        next = Add (acc, inc)
      }>
    })",
                                             {{"small", F({1}, {1})}, {"big", F({1}, {10})}}));
  ExpectFloats(out[0], {1}, {12});
}

// Running sum over the rows of xs: state s' = s + x, scan output s'.
const char kScan[] = R"(
    <ir_version: 8, opset_import: ["" : 11]>
    g (float[2] init, float[?,?] xs) => (float[2] last, float[?,?] ys) {
      last, ys = Scan <num_scan_inputs = 1@, body = b (float[2] s, float[2] x) => (float[2] next, float[2] y) {
        next = Add (s, x)
        y = Identity (next)
      }> (init, xs)
    })";

TEST(ControlFlowTest, Scan8Batched) {
  // Opset 8: batch axis 0 on the state and the scan input, sequence on axis
  // 1. Batch 0 sums rows (1,2),(3,4) -> running (1,2),(4,6); batch 1 starts
  // at (10,10) and adds (5,6),(7,8) -> (15,16),(22,24).
  // ONNX 1.12's text parser cannot write the leading empty sequence_lens
  // input, so it is inserted into the parsed node.
  const char text[] = R"(
    <ir_version: 4, opset_import: ["" : 8]>
    g (float[2,2] init, float[2,2,2] xs) => (float[2,2] last, float[2,2,2] ys) {
      last, ys = Scan <num_scan_inputs = 1@, body = b (float[2] s, float[2] x) => (float[2] next, float[2] y) {
        next = Add (s, x)
        y = Identity (next)
      }> (init, xs)
    })";
  auto run = [&](const std::string& attrs) {
    onnx::ModelProto model;
    EXPECT_TRUE(onnx::OnnxParser::Parse(model, Fill(text, attrs).c_str()).IsOK());
    auto* inputs = model.mutable_graph()->mutable_node(0)->mutable_input();
    inputs->Add();
    for (int k = inputs->size() - 1; k > 0; --k) inputs->SwapElements(k, k - 1);
    return EvaluateModel(model, {{"init", F({2, 2}, {0, 0, 10, 10})},
                                 {"xs", F({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})}});
  };
  H8_ASSERT_OK_AND_ASSIGN(auto fwd, run(""));
  ExpectFloats(fwd[0], {2, 2}, {4, 6, 22, 24});
  ExpectFloats(fwd[1], {2, 2, 2}, {1, 2, 4, 6, 15, 16, 22, 24});
  // directions = [1] reverses the scan input in every batch entry:
  // (3,4),(4,6) and (17,18),(22,24).
  H8_ASSERT_OK_AND_ASSIGN(auto rev, run(", directions = [1]"));
  ExpectFloats(rev[1], {2, 2, 2}, {3, 4, 4, 6, 17, 18, 22, 24});
}

TEST(ControlFlowTest, ScanAxesAndDirections) {
  Tensor init = F({2}, {0, 0});
  Tensor rows = F({3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor cols = F({2, 3}, {1, 3, 5, 2, 4, 6});  // rows transposed
  auto run = [&](const std::string& attrs, const Tensor& xs) {
    return RunModel(Fill(kScan, attrs), {{"init", init}, {"xs", xs}});
  };
  // Defaults (axes 0, forward): (1,2), (4,6), (9,12).
  H8_ASSERT_OK_AND_ASSIGN(auto fwd, run("", rows));
  ExpectFloats(fwd[0], {2}, {9, 12});
  ExpectFloats(fwd[1], {3, 2}, {1, 2, 4, 6, 9, 12});
  // Input read backwards: (5,6), (8,10), (9,12).
  H8_ASSERT_OK_AND_ASSIGN(auto rin, run(", scan_input_directions = [1]", rows));
  ExpectFloats(rin[1], {3, 2}, {5, 6, 8, 10, 9, 12});
  // Output stored backwards: (9,12), (4,6), (1,2).
  H8_ASSERT_OK_AND_ASSIGN(auto rout, run(", scan_output_directions = [1]", rows));
  ExpectFloats(rout[1], {3, 2}, {9, 12, 4, 6, 1, 2});
  // Scanning the columns of the transpose and stacking along axis 1 gives
  // the transpose of the default result.
  H8_ASSERT_OK_AND_ASSIGN(auto axes, run(", scan_input_axes = [1], scan_output_axes = [1]", cols));
  ExpectFloats(axes[0], {2}, {9, 12});
  ExpectFloats(axes[1], {2, 3}, {1, 4, 9, 2, 6, 12});
  // A negative input axis counts from the back: -1 is axis 1 here.
  H8_ASSERT_OK_AND_ASSIGN(auto neg, run(", scan_input_axes = [-1]", cols));
  ExpectFloats(neg[1], {3, 2}, {1, 2, 4, 6, 9, 12});
}

}  // namespace
}  // namespace evaltest
}  // namespace h8
