//===- DimTest.cpp - Symbolic dims: arithmetic, canonical form, parsing ---===//
#include "h8/Analysis/Dim.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace h8 {
namespace {

TEST(DimTest, StaticArithmeticFolds) {
  EXPECT_EQ((Dim::Static(7) + Dim::Static(5)).value(), 12);
  EXPECT_EQ((Dim::Static(7) - Dim::Static(9)).value(), -2);
  EXPECT_EQ((Dim::Static(7) * Dim::Static(3)).value(), 21);
  // Python floor division, as torch.export writes it.
  EXPECT_EQ(FloorDiv(Dim::Static(7), Dim::Static(2)).value(), 3);
  EXPECT_EQ(FloorDiv(Dim::Static(-7), Dim::Static(2)).value(), -4);
  EXPECT_EQ(CeilDiv(Dim::Static(7), Dim::Static(2)).value(), 4);
  EXPECT_TRUE(FloorDiv(Dim::Static(7), Dim::Static(0)).is_unknown());
  EXPECT_EQ(Max(Dim::Static(3), Dim::Static(8)).value(), 8);
  EXPECT_EQ(Min(Dim::Static(3), Dim::Static(8)).value(), 3);
}

TEST(DimTest, OverflowIsUnknownNotUndefined) {
  const Dim big = Dim::Static(int64_t{1} << 62);
  EXPECT_TRUE((big * Dim::Static(4)).is_unknown());
  EXPECT_TRUE((big + big + big).is_unknown());
}

// Symbolic dims share their expression nodes by reference count: copies,
// moves and assignments (self-assignment included) keep the expression
// alive for as long as any dim holds it. (The sanitizer build reports a
// node freed too early or never freed.)
TEST(DimTest, CopiesAndMovesShareTheExpression) {
  Dim kept;
  {
    Dim t = Dim::Symbol("time");
    Dim e = FloorDiv(t - Dim::Static(1), Dim::Static(2)) + Dim::Static(1);
    kept = e;
    Dim moved = std::move(e);
    EXPECT_TRUE(e.is_unknown());
    EXPECT_EQ(moved, kept);
    Dim& alias = moved;
    moved = alias;
    EXPECT_EQ(moved.ToString(), "(time - 1)//2 + 1");
    moved = Dim::Static(3);
    EXPECT_EQ(moved.value(), 3);
  }
  EXPECT_TRUE(kept.is_symbolic());
  EXPECT_EQ(kept.value(), 0);
  EXPECT_EQ(kept.ToString(), "(time - 1)//2 + 1");
  EXPECT_EQ(kept.Symbols(), (std::vector<std::string>{"time"}));
  EXPECT_EQ(kept.Substitute({{"time", 9}}).value(), 5);
  std::vector<Dim> many(1000, kept);
  many.erase(many.begin(), many.begin() + 999);
  EXPECT_EQ(many[0], kept);
  EXPECT_EQ(sizeof(Dim), 16u);
}

TEST(DimTest, UnknownIsNeverEqual) {
  Dim u;
  EXPECT_TRUE(u.is_unknown());
  EXPECT_FALSE(u == u);
  EXPECT_TRUE((u + Dim::Static(1)).is_unknown());
  EXPECT_EQ(u.ToString(), "?");
}

TEST(DimTest, CanonicalFormMakesEqualExpressionsEqual) {
  const Dim t = Dim::Symbol("time");
  const Dim n = Dim::Symbol("batch");
  EXPECT_EQ(t + n, n + t);
  EXPECT_EQ(t * n, n * t);
  EXPECT_EQ((t + Dim::Static(2)) + Dim::Static(3), t + Dim::Static(5));
  EXPECT_EQ((t - Dim::Static(1)).ToString(), "time - 1");
  EXPECT_EQ(t - t, Dim::Static(0));
  EXPECT_EQ(t + t, Dim::Static(2) * t);
  EXPECT_EQ((t * Dim::Static(1)).ToString(), "time");
  EXPECT_EQ((t * Dim::Static(0)).value(), 0);
  EXPECT_EQ(FloorDiv(Dim::Static(4) * t, Dim::Static(2)), Dim::Static(2) * t);
  EXPECT_EQ(FloorDiv(t, t).value(), 1);
  EXPECT_NE(t, n);
}

TEST(DimTest, ConvOutputOverSymbolPrintsLikeTorchExport) {
  // Conv1d k=3, stride 2, no padding over `time`: (time - 3)//2 + 1.
  const Dim t = Dim::Symbol("time");
  Dim out = FloorDiv(t - Dim::Static(3), Dim::Static(2)) + Dim::Static(1);
  EXPECT_EQ(out.ToString(), "(time - 3)//2 + 1");
  EXPECT_EQ(out.Symbols(), std::vector<std::string>{"time"});
  EXPECT_EQ(out.Substitute({{"time", 100}}).value(), 49);
}

TEST(DimTest, ParsesTorchExportExpressions) {
  Dim d = Dim::FromParam("(((s1 - 1)//8)) + 1");
  EXPECT_TRUE(d.is_symbolic());
  EXPECT_EQ(d.ToString(), "(s1 - 1)//8 + 1");
  EXPECT_EQ(d, FloorDiv(Dim::Symbol("s1") - Dim::Static(1), Dim::Static(8)) + Dim::Static(1));
  EXPECT_EQ(d.Substitute({{"s1", 100}}).value(), 13);  // (99//8) + 1
  EXPECT_EQ(Dim::FromParam("2*s0").Substitute({{"s0", 21}}).value(), 42);
  EXPECT_EQ(Dim::FromParam("Max(1, s0)").Substitute({{"s0", 0}}).value(), 1);
  EXPECT_EQ(Dim::FromParam("min(s0, 16)").Substitute({{"s0", 20}}).value(), 16);
  EXPECT_EQ(Dim::FromParam("s0 + s1").Substitute({{"s0", 2}}).ToString(), "s1 + 2");
  EXPECT_EQ(Dim::FromParam("7").value(), 7);
  // Not an expression: an opaque name.
  EXPECT_EQ(Dim::FromParam("batch size").ToString(), "batch size");
  EXPECT_EQ(Dim::FromParam("N)").ToString(), "N)");
  // Nesting beyond the parser's limit is an opaque name, not a crash.
  std::string deep(10000, '(');
  EXPECT_TRUE(Dim::FromParam(deep).is_symbolic());
}

}  // namespace
}  // namespace h8
