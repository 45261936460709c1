//===- PassPipelineTest.cpp - Pipeline text parsing and printing ----------===//
#include "h8/Pass/PassPipeline.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "h8/Pass/PassRegistry.h"
#include "h8/Passes/Passes.h"

namespace h8 {
namespace {

// A pass with list, string and bool options, to exercise value syntax the
// built-in passes do not take.
struct ValuesOptions {
  std::vector<int64_t> shape;
  std::string label = "none";
  std::vector<std::string> names;
  bool flag = false;
  static void Bind(OptionBinder<ValuesOptions>& b) {
    b.Add("shape", &ValuesOptions::shape, "a shape");
    b.Add("label", &ValuesOptions::label, "free text");
    b.Add("names", &ValuesOptions::names, "some names");
    b.Add("flag", &ValuesOptions::flag, "a switch");
  }
};

class ValuesPass : public Pass {
 public:
  explicit ValuesPass(const ValuesOptions& o) : options(o) {}
  absl::string_view Argument() const override { return "values"; }
  absl::StatusOr<bool> Run(onnx::ModelProto&, PassContext&) override { return false; }
  ValuesOptions options;
};

std::unique_ptr<Pass> CreateValuesPass(const ValuesOptions& o) {
  return std::make_unique<ValuesPass>(o);
}

PassRegistry MakeRegistry() {
  PassRegistry registry;
  EXPECT_TRUE(RegisterAllPasses(registry).ok());
  EXPECT_TRUE(
      registry.Register(MakePassInfo<ValuesOptions>("values", "test pass", &CreateValuesPass))
          .ok());
  return registry;
}

// Parses and builds `text`, returning the canonical print (or the error).
absl::StatusOr<std::string> RoundTrip(const std::string& text, const PassRegistry& registry) {
  auto specs = ParsePipelineText(text);
  if (!specs.ok()) return specs.status();
  auto passes = BuildPipeline(*specs, registry);
  if (!passes.ok()) return passes.status();
  return PrintPipeline(*passes);
}

bool Contains(absl::string_view haystack, absl::string_view needle) {
  return haystack.find(needle) != absl::string_view::npos;
}

TEST(PassPipelineTest, PrintsCanonicalFormWithDefaultsAndReparsesToSamePrint) {
  PassRegistry registry = MakeRegistry();
  auto printed =
      RoundTrip("cleanup,infer-shapes{strict=true},cleanup{forward-identity=false}", registry);
  ASSERT_TRUE(printed.ok()) << printed.status();
  EXPECT_EQ(*printed,
            "cleanup{forward-identity=true},"
            "infer-shapes{strict=true data-propagation=true onnx=false},"
            "cleanup{forward-identity=false}");
  auto again = RoundTrip(*printed, registry);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *printed);
}

TEST(PassPipelineTest, SplitsElementsAndOptionsInOrder) {
  auto specs = ParsePipelineText(" a , b{k=v x}, c ");
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_EQ(specs->size(), 3u);
  EXPECT_EQ((*specs)[0].name, "a");
  EXPECT_TRUE((*specs)[0].options.empty());
  EXPECT_EQ((*specs)[1].name, "b");
  OptionList expected = {{"k", "v"}, {"x", "true"}};
  EXPECT_EQ((*specs)[1].options, expected);
  EXPECT_EQ((*specs)[2].name, "c");
}

TEST(PassPipelineTest, EmptyTextIsAnEmptyPipeline) {
  auto specs = ParsePipelineText("   ");
  ASSERT_TRUE(specs.ok()) << specs.status();
  EXPECT_TRUE(specs->empty());
}

TEST(PassPipelineTest, BareKeyMeansTrue) {
  PassRegistry registry = MakeRegistry();
  auto printed = RoundTrip("infer-shapes{strict}", registry);
  ASSERT_TRUE(printed.ok()) << printed.status();
  EXPECT_EQ(*printed, "infer-shapes{strict=true data-propagation=true onnx=false}");
}

TEST(PassPipelineTest, ListValuesKeepTheirCommas) {
  auto specs = ParsePipelineText("values{shape=[1, 2] names=[a,b]},cleanup");
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_EQ(specs->size(), 2u);
  OptionList expected = {{"shape", "[1, 2]"}, {"names", "[a,b]"}};
  EXPECT_EQ((*specs)[0].options, expected);

  PassRegistry registry = MakeRegistry();
  auto passes = BuildPipeline(*specs, registry);
  ASSERT_TRUE(passes.ok()) << passes.status();
  auto* values = static_cast<ValuesPass*>((*passes)[0].get());
  EXPECT_EQ(values->options.shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(values->options.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(PrintPipeline(*passes),
            "values{shape=[1,2] label=none names=[a,b] flag=false},"
            "cleanup{forward-identity=true}");
}

TEST(PassPipelineTest, QuotedValuesMayHoldSpacesCommasAndBraces) {
  auto specs = ParsePipelineText(R"(values{label='a b, c}' flag},cleanup)");
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_EQ(specs->size(), 2u);
  OptionList expected = {{"label", "a b, c}"}, {"flag", "true"}};
  EXPECT_EQ((*specs)[0].options, expected);

  PassRegistry registry = MakeRegistry();
  auto printed = RoundTrip(R"(values{label='a b, c}' flag})", registry);
  ASSERT_TRUE(printed.ok()) << printed.status();
  EXPECT_EQ(*printed, "values{shape=[] label='a b, c}' names=[] flag=true}");
  auto again = RoundTrip(*printed, registry);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *printed);
}

TEST(PassPipelineTest, EscapedQuotesAndEmptyStringsRoundTrip) {
  PassRegistry registry = MakeRegistry();
  auto printed = RoundTrip(R"(values{label="it's"})", registry);
  ASSERT_TRUE(printed.ok()) << printed.status();
  EXPECT_EQ(*printed, R"(values{shape=[] label='it\'s' names=[] flag=false})");
  auto again = RoundTrip(*printed, registry);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *printed);

  auto empty = RoundTrip("values{label=''}", registry);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, "values{shape=[] label='' names=[] flag=false}");
  auto empty_again = RoundTrip(*empty, registry);
  ASSERT_TRUE(empty_again.ok()) << empty_again.status();
  EXPECT_EQ(*empty_again, *empty);
}

TEST(PassPipelineTest, StringWithUnbalancedBracketRoundTrips) {
  PassRegistry registry = MakeRegistry();
  auto printed = RoundTrip("values{label='[x'}", registry);
  ASSERT_TRUE(printed.ok()) << printed.status();
  auto again = RoundTrip(*printed, registry);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *printed);
}

TEST(PassPipelineTest, MissingClosingBraceIsAnError) {
  auto specs = ParsePipelineText("cleanup{forward-identity=false");
  ASSERT_FALSE(specs.ok());
  EXPECT_EQ(specs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(specs.status().message()),
            "invalid pass pipeline 'cleanup{forward-identity=false': missing '}' at column 31");
}

TEST(PassPipelineTest, MissingPassNameIsAnError) {
  auto specs = ParsePipelineText(",cleanup");
  ASSERT_FALSE(specs.ok());
  EXPECT_EQ(std::string(specs.status().message()),
            "invalid pass pipeline ',cleanup': expected a pass name at column 1");
  auto braces = ParsePipelineText("cleanup,{x=1}");
  ASSERT_FALSE(braces.ok());
  EXPECT_TRUE(Contains(braces.status().message(), "expected a pass name at column 9"))
      << braces.status();
}

TEST(PassPipelineTest, TrailingCommaIsAnError) {
  auto specs = ParsePipelineText("cleanup,");
  ASSERT_FALSE(specs.ok());
  EXPECT_EQ(specs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(specs.status().message()),
            "invalid pass pipeline 'cleanup,': expected a pass name at column 9");
}

TEST(PassPipelineTest, JunkBetweenElementsIsAnError) {
  auto specs = ParsePipelineText("cleanup{} infer-shapes");
  ASSERT_FALSE(specs.ok());
  EXPECT_TRUE(Contains(specs.status().message(), "expected ','")) << specs.status();
}

TEST(PassPipelineTest, MalformedOptionsNameThePass) {
  auto quote = ParsePipelineText("values{label='abc}");
  ASSERT_FALSE(quote.ok());
  // The quote swallows the brace, so the element never closes.
  EXPECT_TRUE(Contains(quote.status().message(), "missing '}'")) << quote.status();

  auto bracket = ParsePipelineText("values{shape=[1,2}");
  ASSERT_FALSE(bracket.ok());
  EXPECT_EQ(std::string(bracket.status().message()),
            "values: malformed options '{shape=[1,2}': unbalanced '['");

  auto empty_key = ParsePipelineText("values{=3}");
  ASSERT_FALSE(empty_key.ok());
  EXPECT_EQ(std::string(empty_key.status().message()),
            "values: malformed options '{=3}': empty option name");
}

TEST(PassPipelineTest, UnknownPassListsValidPasses) {
  PassRegistry registry = MakeRegistry();
  auto printed = RoundTrip("cleanup,no-such-pass", registry);
  ASSERT_FALSE(printed.ok());
  EXPECT_EQ(printed.status().code(), absl::StatusCode::kInvalidArgument);
  // Other built-in passes may join the list; these three must be in it, sorted.
  EXPECT_EQ(std::string(printed.status().message()),
            "unknown pass 'no-such-pass'; valid passes: " + registry.Names());
  std::string names = registry.Names();
  const size_t cleanup = names.find("cleanup, ");
  const size_t infer = names.find(", infer-shapes, ");
  const size_t values = names.find("values");
  ASSERT_NE(cleanup, std::string::npos) << names;
  ASSERT_NE(infer, std::string::npos) << names;
  ASSERT_NE(values, std::string::npos) << names;
  EXPECT_LT(cleanup, infer) << names;
  EXPECT_LT(infer, values) << names;
}

TEST(PassPipelineTest, UnknownOptionListsValidOptions) {
  PassRegistry registry = MakeRegistry();
  auto printed = RoundTrip("infer-shapes{strict verbose=1}", registry);
  ASSERT_FALSE(printed.ok());
  EXPECT_EQ(printed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      std::string(printed.status().message()),
      "infer-shapes: unknown option 'verbose'; valid options: strict, data-propagation, onnx");
}

TEST(PassPipelineTest, BadOptionValueNamesPassAndKey) {
  PassRegistry registry = MakeRegistry();
  auto printed = RoundTrip("values{shape=[1,x]}", registry);
  ASSERT_FALSE(printed.ok());
  EXPECT_EQ(std::string(printed.status().message()),
            "values: option 'shape' expects a comma-separated list of integers, got '[1,x]'");
}

}  // namespace
}  // namespace h8
