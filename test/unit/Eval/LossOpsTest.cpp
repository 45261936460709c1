//===- LossOpsTest.cpp - NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss ===//
//
// Expected values worked out by hand in the comments.
//
//===----------------------------------------------------------------------===//

#include <cmath>

#include "EvalTestUtil.h"
#include "gtest/gtest.h"

namespace h8 {
namespace evaltest {
namespace {

TEST(LossOpsTest, NllWeightsAndIgnoreIndex) {
  // Log-probabilities [[-1,-2],[-3,-4]], targets [0, 1], weights [1, 2]:
  // losses 1*1 and 4*2; sum 9; mean 9 / (1 + 2) = 3. Ignoring class 1
  // leaves the first: 1.
  Tensor x = F({2, 2}, {-1, -2, -3, -4});
  Tensor t = I({2}, {0, 1});
  Tensor w = F({2}, {1, 2});
  auto run = [&](const std::string& attrs) {
    return RunNode("y = NegativeLogLikelihoodLoss <" + attrs + "> (x, t, w)", 13, {&x, &t, &w});
  };
  H8_ASSERT_OK_AND_ASSIGN(auto none, run("reduction = \"none\""));
  ExpectFloats(none[0], {2}, {1, 8});
  H8_ASSERT_OK_AND_ASSIGN(auto sum, run("reduction = \"sum\""));
  ExpectFloats(sum[0], {}, {9});
  H8_ASSERT_OK_AND_ASSIGN(auto mean, run("reduction = \"mean\""));
  ExpectFloats(mean[0], {}, {3});
  H8_ASSERT_OK_AND_ASSIGN(auto ign, run("reduction = \"mean\", ignore_index = 1"));
  ExpectFloats(ign[0], {}, {1});
  Tensor bad = I({2}, {0, 2});
  EXPECT_EQ(RunNode("y = NegativeLogLikelihoodLoss (x, t)", 13, {&x, &bad}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(LossOpsTest, SoftmaxCrossEntropy) {
  // Equal scores over two classes: log_softmax = log(1/2) each, so the loss
  // of either target is log 2, and the log_prob output holds -log 2.
  Tensor x = F({1, 2}, {3, 3});
  Tensor t = I({1}, {1});
  H8_ASSERT_OK_AND_ASSIGN(auto y, RunNode("y, lp = SoftmaxCrossEntropyLoss (x, t)", 13, {&x, &t}));
  ExpectFloats(y[0], {}, {std::log(2.0f)});
  ExpectFloats(y[1], {1, 2}, {-std::log(2.0f), -std::log(2.0f)});
}

}  // namespace
}  // namespace evaltest
}  // namespace h8
