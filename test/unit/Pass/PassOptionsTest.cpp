//===- PassOptionsTest.cpp - Typed pass options ---------------------------===//
#include "h8/Pass/PassOptions.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace h8 {
namespace {

struct TestOptions {
  int64_t count = 3;
  bool flag = false;
  std::string mode = "lift";
  std::vector<int64_t> shape;
  int64_t arity = 2;
  double scale = 0.5;
  static void Bind(OptionBinder<TestOptions>& b) {
    b.Add("count", &TestOptions::count, "how many").Check([](const TestOptions& o) {
      return o.count > 0 ? std::string() : std::string("must be positive");
    });
    b.Add("flag", &TestOptions::flag, "a switch");
    b.Add("mode", &TestOptions::mode, "what to do").OneOf({"lift", "keep"}).Primary();
    b.Add("shape", &TestOptions::shape, "a shape");
    b.Add("arity", &TestOptions::arity, "2 or 3").OneOf({"2", "3"});
    b.Add("scale", &TestOptions::scale, "a factor");
  }
};

OptionBinder<TestOptions> MakeBinder() {
  OptionBinder<TestOptions> b;
  TestOptions::Bind(b);
  return b;
}

TEST(PassOptionsTest, IntOptionRejectsNonInteger) {
  auto b = MakeBinder();
  TestOptions o;
  absl::Status s = b.Set(o, "count", "x", "my-pass");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()), "my-pass: option 'count' expects an integer, got 'x'");
  EXPECT_TRUE(b.Set(o, "count", " 7 ", "my-pass").ok());
  EXPECT_EQ(o.count, 7);
}

TEST(PassOptionsTest, BoolOptionRejectsMaybe) {
  auto b = MakeBinder();
  TestOptions o;
  absl::Status s = b.Set(o, "flag", "maybe", "my-pass");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()), "my-pass: option 'flag' expects true or false, got 'maybe'");
  for (const char* yes : {"true", "TRUE", "1", ""}) {
    o.flag = false;
    ASSERT_TRUE(b.Set(o, "flag", yes, "my-pass").ok()) << yes;
    EXPECT_TRUE(o.flag) << yes;
  }
  for (const char* no : {"false", "False", "0"}) {
    o.flag = true;
    ASSERT_TRUE(b.Set(o, "flag", no, "my-pass").ok()) << no;
    EXPECT_FALSE(o.flag) << no;
  }
}

TEST(PassOptionsTest, OneOfViolationMessageListsAllowedValues) {
  auto b = MakeBinder();
  TestOptions o;
  absl::Status s = b.Set(o, "arity", "5", "my-pass");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()), "my-pass: option 'arity' expects 2 or 3, got '5'");
  absl::Status m = b.Set(o, "mode", "drop", "my-pass");
  EXPECT_EQ(std::string(m.message()), "my-pass: option 'mode' expects lift or keep, got 'drop'");
}

TEST(PassOptionsTest, OneOfComparesCanonicalForm) {
  auto b = MakeBinder();
  TestOptions o;
  // "03" parses to 3, whose canonical text "3" is allowed.
  EXPECT_TRUE(b.Set(o, "arity", "03", "my-pass").ok());
  EXPECT_EQ(o.arity, 3);
}

TEST(PassOptionsTest, CheckFailureNamesPassAndKey) {
  auto b = MakeBinder();
  TestOptions o;
  absl::Status s = b.Set(o, "count", "-1", "my-pass");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()), "my-pass: option 'count' must be positive, got '-1'");
}

TEST(PassOptionsTest, UnknownKeyListsValidOptions) {
  auto b = MakeBinder();
  TestOptions o;
  absl::Status s = b.Set(o, "colour", "red", "my-pass");
  EXPECT_EQ(std::string(s.message()),
            "my-pass: unknown option 'colour'; valid options: count, flag, mode, shape, "
            "arity, scale");
  OptionBinder<NoOptions> none;
  NoOptions::Bind(none);
  NoOptions n;
  EXPECT_EQ(std::string(none.Set(n, "x", "1", "plain").message()),
            "plain: unknown option 'x'; the pass takes no options");
}

TEST(PassOptionsTest, ParsesIntLists) {
  std::vector<int64_t> v = {9};
  ASSERT_TRUE(ParseOptionValue("[1, 2,3]", v).ok());
  EXPECT_EQ(v, (std::vector<int64_t>{1, 2, 3}));
  ASSERT_TRUE(ParseOptionValue("4,-5", v).ok());
  EXPECT_EQ(v, (std::vector<int64_t>{4, -5}));
  ASSERT_TRUE(ParseOptionValue("[]", v).ok());
  EXPECT_TRUE(v.empty());
  ASSERT_TRUE(ParseOptionValue("", v).ok());
  EXPECT_TRUE(v.empty());
  absl::Status bad = ParseOptionValue("[1,x]", v);
  EXPECT_EQ(std::string(bad.message()), "expects a comma-separated list of integers");
  EXPECT_FALSE(ParseOptionValue("1,,2", v).ok());
  EXPECT_EQ(FormatOptionValue(std::vector<int64_t>{1, 2}), "[1,2]");
  EXPECT_EQ(FormatOptionValue(std::vector<int64_t>{}), "[]");
}

TEST(PassOptionsTest, ParsesStringLists) {
  std::vector<std::string> v;
  ASSERT_TRUE(ParseOptionValue("[a, b c ,d]", v).ok());
  EXPECT_EQ(v, (std::vector<std::string>{"a", "b c", "d"}));
  EXPECT_EQ(FormatOptionValue(v), "[a,b c,d]");
}

TEST(PassOptionsTest, PrintUsesDeclarationOrderWithDefaults) {
  auto b = MakeBinder();
  TestOptions o;
  EXPECT_EQ(b.Print(o), "count=3 flag=false mode=lift shape=[] arity=2 scale=0.5");
  // Set in a different order: the print order does not follow.
  ASSERT_TRUE(b.Set(o, "shape", "[1,3,224,224]", "p").ok());
  ASSERT_TRUE(b.Set(o, "mode", "keep", "p").ok());
  ASSERT_TRUE(b.Set(o, "flag", "true", "p").ok());
  EXPECT_EQ(b.Print(o), "count=3 flag=true mode=keep shape=[1,3,224,224] arity=2 scale=0.5");
}

TEST(PassOptionsTest, QuotesValuesThatNeedIt) {
  EXPECT_EQ(QuoteOptionValue("plain"), "plain");
  EXPECT_EQ(QuoteOptionValue("a,b"), "a,b");
  EXPECT_EQ(QuoteOptionValue(""), "''");
  EXPECT_EQ(QuoteOptionValue("a b"), "'a b'");
  EXPECT_EQ(QuoteOptionValue("{x}"), "'{x}'");
  EXPECT_EQ(QuoteOptionValue("it's"), R"('it\'s')");
  EXPECT_EQ(QuoteOptionValue(R"(say "hi\")"), R"('say "hi\\"')");
}

TEST(PassOptionsTest, FloatPrintRoundTripsValue) {
  auto b = MakeBinder();
  TestOptions o;
  ASSERT_TRUE(b.Set(o, "scale", "0.123456789", "p").ok());
  TestOptions again;
  std::string printed = FormatOptionValue(o.scale);
  ASSERT_TRUE(b.Set(again, "scale", printed, "p").ok());
  EXPECT_EQ(again.scale, o.scale) << printed;
}

TEST(PassOptionsTest, DescribeGivesTypesDefaultsAndAllowedValues) {
  auto b = MakeBinder();
  std::vector<OptionInfo> info = b.Describe();
  ASSERT_EQ(info.size(), 6u);
  EXPECT_EQ(info[0].key, "count");
  EXPECT_EQ(info[0].type, "int");
  EXPECT_EQ(info[0].default_value, "3");
  EXPECT_EQ(info[0].help, "how many");
  EXPECT_EQ(info[1].type, "bool");
  EXPECT_EQ(info[1].default_value, "false");
  EXPECT_EQ(info[2].type, "string");
  EXPECT_EQ(info[2].default_value, "lift");
  EXPECT_EQ(info[2].allowed, (std::vector<std::string>{"lift", "keep"}));
  EXPECT_EQ(info[3].type, "int-list");
  EXPECT_EQ(info[3].default_value, "[]");
  EXPECT_TRUE(info[3].allowed.empty());
  EXPECT_EQ(info[4].allowed, (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(info[5].type, "float");
  EXPECT_EQ(info[5].default_value, "0.5");
}

TEST(PassOptionsTest, PrimaryNamesTheMarkedOption) {
  auto b = MakeBinder();
  EXPECT_EQ(b.primary(), "mode");
  OptionBinder<NoOptions> none;
  NoOptions::Bind(none);
  EXPECT_EQ(none.primary(), "");
  EXPECT_TRUE(none.Describe().empty());
  EXPECT_EQ(none.Print(NoOptions{}), "");
}

}  // namespace
}  // namespace h8
