//===- PassRegistryTest.cpp - Registration, listing, help text ------------===//
#include "h8/Pass/PassRegistry.h"

#include <memory>
#include <string>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "h8/Pass/PassPipeline.h"
#include "h8/Passes/Passes.h"

namespace h8 {
namespace {

class NamedPass : public Pass {
 public:
  absl::string_view Argument() const override { return "named"; }
  absl::StatusOr<bool> Run(onnx::ModelProto&, PassContext&) override { return false; }
};

std::unique_ptr<Pass> CreateNamedPass(const NoOptions&) { return std::make_unique<NamedPass>(); }

struct ModeOptions {
  std::string mode = "lift";
  std::string tag;
  static void Bind(OptionBinder<ModeOptions>& b) {
    b.Add("mode", &ModeOptions::mode, "what to do").OneOf({"lift", "keep"}).Primary();
    b.Add("tag", &ModeOptions::tag, "a tag");
  }
};

std::unique_ptr<Pass> CreateModePass(const ModeOptions&) { return std::make_unique<NamedPass>(); }

PassInfo Plain(const std::string& name) {
  return MakePassInfo<NoOptions>(name, "summary of " + name, &CreateNamedPass);
}

bool Contains(absl::string_view haystack, absl::string_view needle) {
  return haystack.find(needle) != absl::string_view::npos;
}

TEST(PassRegistryTest, RegisterAllPassesRegistersBuiltins) {
  PassRegistry registry;
  ASSERT_TRUE(RegisterAllPasses(registry).ok());
  const PassInfo* cleanup = registry.Find("cleanup");
  ASSERT_NE(cleanup, nullptr);
  EXPECT_EQ(cleanup->argument, "cleanup");
  EXPECT_TRUE(cleanup->plugin.empty());
  ASSERT_EQ(cleanup->options.size(), 1u);
  EXPECT_EQ(cleanup->options[0].key, "forward-identity");
  const PassInfo* infer = registry.Find("infer-shapes");
  ASSERT_NE(infer, nullptr);
  ASSERT_EQ(infer->options.size(), 3u);
  EXPECT_EQ(registry.Find("no-such-pass"), nullptr);
}

// Each pass names itself (in diagnostics, statistics, timings, IR dumps) by
// Argument(); it must be the name Passes.def registers it under.
TEST(PassRegistryTest, EveryBuiltinArgumentMatchesPassesDef) {
  int count = 0;
#define H8_PASS(ARGUMENT, NAME, SUMMARY)                                         \
  {                                                                              \
    ++count;                                                                     \
    std::unique_ptr<Pass> pass = Create##NAME##Pass(NAME##Options{});            \
    ASSERT_NE(pass, nullptr) << ARGUMENT;                                        \
    EXPECT_EQ(std::string(pass->Argument()), ARGUMENT) << "Create" #NAME "Pass"; \
  }
#include "h8/Passes/Passes.def"
#undef H8_PASS
  PassRegistry registry;
  ASSERT_TRUE(RegisterAllPasses(registry).ok());
  EXPECT_EQ(static_cast<int>(registry.List().size()), count);
}

TEST(PassRegistryTest, FactoryCreatesPassWithCanonicalOptionsText) {
  PassRegistry registry;
  ASSERT_TRUE(RegisterAllPasses(registry).ok());
  auto pass = registry.Find("infer-shapes")->factory({{"strict", "1"}});
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ((*pass)->Argument(), "infer-shapes");
  EXPECT_EQ((*pass)->options_text(), "strict=true data-propagation=true onnx=false");
  auto bad = registry.Find("cleanup")->factory({{"forward-identity", "perhaps"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()),
            "cleanup: option 'forward-identity' expects true or false, got 'perhaps'");
}

TEST(PassRegistryTest, ListIsSortedByArgument) {
  PassRegistry registry;
  ASSERT_TRUE(registry.Register(Plain("zeta")).ok());
  ASSERT_TRUE(registry.Register(Plain("alpha")).ok());
  ASSERT_TRUE(registry.Register(Plain("mid-pass")).ok());
  auto list = registry.List();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]->argument, "alpha");
  EXPECT_EQ(list[1]->argument, "mid-pass");
  EXPECT_EQ(list[2]->argument, "zeta");
  EXPECT_EQ(registry.Names(), "alpha, mid-pass, zeta");
}

TEST(PassRegistryTest, DuplicateRegistrationFailsNamingThePass) {
  PassRegistry registry;
  ASSERT_TRUE(RegisterAllPasses(registry).ok());
  absl::Status again = RegisterAllPasses(registry);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  // Registration follows Passes.def, which is sorted: the first entry clashes.
  EXPECT_EQ(std::string(again.message()),
            "pass '" + registry.List().front()->argument + "' is already registered (built-in)");

  PassInfo from_plugin = Plain("plugged");
  from_plugin.plugin = "my-plugin";
  ASSERT_TRUE(registry.Register(from_plugin).ok());
  absl::Status dup = registry.Register(Plain("plugged"));
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(std::string(dup.message()),
            "pass 'plugged' is already registered by plugin 'my-plugin'");
  // The first registration survives.
  EXPECT_EQ(registry.Find("plugged")->plugin, "my-plugin");
}

TEST(PassRegistryTest, EmptyNameIsRejected) {
  PassRegistry registry;
  absl::Status s = registry.Register(Plain(""));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(registry.List().empty());
}

TEST(PassRegistryTest, FormatPassListShowsEveryPassAndOption) {
  PassRegistry registry;
  ASSERT_TRUE(RegisterAllPasses(registry).ok());
  std::string text = FormatPassList(registry);
  EXPECT_EQ(text.rfind("Passes:\n", 0), 0u) << text;
  EXPECT_TRUE(Contains(text, "\n  cleanup - Remove dead nodes")) << text;
  EXPECT_TRUE(Contains(text, "\n  infer-shapes - Run the shape analysis")) << text;
  EXPECT_TRUE(Contains(text,
                       "\n      forward-identity=<bool> (default: true) - Replace Identity "
                       "outputs by their inputs\n"))
      << text;
  EXPECT_TRUE(Contains(text, "\n      strict=<bool> (default: false) - ")) << text;
  EXPECT_TRUE(Contains(text, "\n      data-propagation=<bool> (default: true) - ")) << text;
  // Sorted: cleanup before infer-shapes.
  EXPECT_LT(text.find("  cleanup"), text.find("  infer-shapes"));
}

TEST(PassRegistryTest, FormatPassListShowsAllowedValuesPrimaryAndPlugin) {
  PassRegistry registry;
  PassInfo info = MakePassInfo<ModeOptions>("moder", "Modes things", &CreateModePass);
  info.plugin = "ext";
  EXPECT_EQ(info.primary_option, "mode");
  ASSERT_TRUE(registry.Register(std::move(info)).ok());
  std::string text = FormatPassList(registry);
  EXPECT_EQ(text,
            "Passes:\n"
            "  moder [plugin ext] - Modes things\n"
            "      mode=<string> {lift|keep} (default: lift) [--moder=<value>] - what to do\n"
            "      tag=<string> (default: \"\") - a tag\n");
}

}  // namespace
}  // namespace h8

namespace h8 {
namespace {

// Pipelines share the pass namespace: neither may take the other's name.
TEST(PassRegistryTest, PipelineAndPassNamesDoNotCollide) {
  PassRegistry registry;
  ASSERT_TRUE(registry.Register(Plain("a")).ok());
  PipelineInfo p;
  p.name = "a";
  EXPECT_TRUE(absl::IsAlreadyExists(registry.RegisterPipeline(p)));
  p.name = "both";
  ASSERT_TRUE(registry.RegisterPipeline(p).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(registry.RegisterPipeline(p)));
  EXPECT_TRUE(absl::IsAlreadyExists(registry.Register(Plain("both"))));
  EXPECT_NE(registry.FindPipeline("both"), nullptr);
  EXPECT_EQ(registry.FindPipeline("a"), nullptr);
}

// Every pass a built-in pipeline names is registered (a typo in
// Pipelines.def would otherwise surface only when the pipeline is used).
TEST(PassRegistryTest, BuiltinPipelinesNameRegisteredPasses) {
  PassRegistry registry;
  ASSERT_TRUE(RegisterAllPasses(registry).ok());
  ASSERT_FALSE(registry.ListPipelines().empty());
  for (const PipelineInfo* info : registry.ListPipelines()) {
    std::vector<PassSpec> specs = {PassSpec{info->name, {}}};
    ASSERT_TRUE(ExpandNamedPipelines(specs, registry).ok()) << info->name;
    auto passes = BuildPipeline(specs, registry);
    EXPECT_TRUE(passes.ok()) << info->name << ": " << passes.status();
    for (absl::string_view pin : absl::StrSplit(info->pin_passes, ','))
      EXPECT_NE(registry.Find(std::string(pin)), nullptr) << info->name << ": pin pass " << pin;
    EXPECT_NE(registry.Find(info->lint), nullptr) << info->name;
    EXPECT_NE(registry.Find(info->lint_after), nullptr) << info->name;
  }
}

}  // namespace
}  // namespace h8
