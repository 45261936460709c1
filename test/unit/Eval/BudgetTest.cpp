//===- BudgetTest.cpp - Evaluator memory and work budgets -----------------===//
#include "EvalTestUtil.h"
#include "onnx/defs/parser.h"

namespace h8 {
namespace {

using evaltest::F;

onnx::ModelProto Parse(const char* text) {
  onnx::ModelProto model;
  auto st = onnx::OnnxParser::Parse(model, text);
  EXPECT_TRUE(st.IsOK()) << st.ErrorMessage();
  return model;
}

onnx::NodeProto ParseNode(const char* text) {
  onnx::NodeProto node;
  auto st = onnx::OnnxParser::Parse(node, text);
  EXPECT_TRUE(st.IsOK()) << st.ErrorMessage();
  return node;
}

Tensor Zeros(std::vector<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return F(std::move(dims), std::vector<float>(n, 0.0f));
}

// Ten Relus on 1000 floats: 44 KB flow through the chain, but only a node's
// input and output (8 KB) are live at once. A budget of 13 KB passes only if
// dropped values are uncounted; 7 KB is too little for the first Relu.
TEST(BudgetTest, DroppedValuesAreUncounted) {
  onnx::ModelProto model = Parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[1000] x) => (float[1000] y) {
      a = Relu (x)
      b = Relu (a)
      c = Relu (b)
      d = Relu (c)
      e = Relu (d)
      f = Relu (e)
      g = Relu (f)
      h = Relu (g)
      i = Relu (h)
      y = Relu (i)
    })");
  std::map<std::string, Tensor> inputs{{"x", Zeros({1000})}};
  EvalBudget budget;
  budget.max_live_bytes = 13000;
  auto out = EvaluateModel(model, inputs, "", budget);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dims, std::vector<int64_t>{1000});

  // Two values of 4000 bytes live at once do not fit in 7000.
  budget.max_live_bytes = 7000;
  out = EvaluateModel(model, inputs, "", budget);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(out.status().message().find("node 'a' (Relu)"), std::string::npos) << out.status();
}

TEST(BudgetTest, WorkIsChargedBeforeTheNodeRuns) {
  onnx::ModelProto model = Parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[8,16] a, float[16,4] b) => (float[8,4] y) {
      y = MatMul (a, b)
    })");
  std::map<std::string, Tensor> inputs{{"a", Zeros({8, 16})}, {"b", Zeros({16, 4})}};
  // 8*16*4 = 512 multiply-adds + 128 + 64 elements read + 1024 per node.
  const int64_t work = 512 + 128 + 64 + 1024;
  EvalBudget budget;
  budget.max_work = work;
  EXPECT_TRUE(EvaluateModel(model, inputs, "", budget).ok());
  budget.max_work = work - 1;
  auto out = EvaluateModel(model, inputs, "", budget);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("estimated work of 1728 operations"), std::string::npos)
      << out.status();
}

// Hand-computed estimates: the multiply-adds of each op plus the elements
// read plus 1024.
TEST(BudgetTest, EstimateNodeWork) {
  Tensor x = Zeros({2, 3, 10});  // N=2, C=3, T=10
  Tensor w = Zeros({4, 3, 5});  // M=4, k=5
  onnx::NodeProto conv = ParseNode("y = Conv <pads = [2, 2]> (x, w)");
  // Positions: (10 + 4) / 1 + 1 = 15 (an upper bound of the true 10).
  EXPECT_EQ(EstimateNodeWork(conv, {&x, &w}), 1024 + 60 + 60 + 2 * 4 * 3 * 5 * 15);
  onnx::NodeProto strided = ParseNode("y = Conv <strides = [2]> (x, w)");
  EXPECT_EQ(EstimateNodeWork(strided, {&x, &w}), 1024 + 120 + 2 * 4 * 3 * 5 * 6);

  Tensor wt = Zeros({3, 4, 5});  // ConvTranspose: C=3 -> M=4
  onnx::NodeProto convt = ParseNode("y = ConvTranspose (x, wt)");
  EXPECT_EQ(EstimateNodeWork(convt, {&x, &wt}), 1024 + 120 + 60 * 4 * 5);

  Tensor a = Zeros({5, 1, 6, 7}), b = Zeros({3, 7, 2});  // batch [5,3]
  onnx::NodeProto mm = ParseNode("y = MatMul (a, b)");
  EXPECT_EQ(EstimateNodeWork(mm, {&a, &b}), 1024 + 210 + 42 + 15 * 6 * 7 * 2);

  Tensor seq = Zeros({7, 2, 3}), lw = Zeros({1, 16, 3}), lr = Zeros({1, 16, 4});
  onnx::NodeProto lstm = ParseNode("y = LSTM <hidden_size = 4> (seq, lw, lr)");
  EXPECT_EQ(EstimateNodeWork(lstm, {&seq, &lw, &lr}), 1024 + 42 + 48 + 64 + 14 * (48 + 64));

  Tensor p = Zeros({2, 3}), q = Zeros({3, 4});
  onnx::NodeProto einsum = ParseNode("y = Einsum <equation = \"ij,jk->ik\"> (p, q)");
  EXPECT_EQ(EstimateNodeWork(einsum, {&p, &q}), 1024 + 6 + 12 + 2 * 3 * 4);
  Tensor r = Zeros({5, 2, 3}), s = Zeros({5, 3, 4});
  onnx::NodeProto batched = ParseNode("y = Einsum <equation = \"...ij,...jk\"> (r, s)");
  EXPECT_EQ(EstimateNodeWork(batched, {&r, &s}), 1024 + 30 + 60 + 5 * 2 * 3 * 4);

  onnx::NodeProto pool = ParseNode("y = MaxPool <kernel_shape = [3], strides = [1]> (x)");
  EXPECT_EQ(EstimateNodeWork(pool, {&x}), 1024 + 60 + 2 * 3 * 11 * 3);

  // Saturates instead of overflowing.
  Tensor huge = Zeros({1, 1, 1});
  huge.dims = {int64_t{1} << 40, 1, int64_t{1} << 20};
  Tensor huge_w = Zeros({1, 1, 1});
  huge_w.dims = {int64_t{1} << 40, 1, 1};
  EXPECT_GT(EstimateNodeWork(conv, {&huge, &huge_w}), int64_t{1} << 60);
}

}  // namespace
}  // namespace h8
