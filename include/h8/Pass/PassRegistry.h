//===- PassRegistry.h - Name -> pass factory --------------------*- C++ -*-===//
//
// Filled explicitly: RegisterAllPasses() (lib/Passes/PassRegistration.cpp,
// from Passes.def) for built-in passes, and at run time by pass plugins.
// No static self-registration: linkers drop unreferenced objects from
// static libraries.
//
//===----------------------------------------------------------------------===//
#ifndef H8_PASS_PASSREGISTRY_H
#define H8_PASS_PASSREGISTRY_H

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "h8/Pass/Pass.h"
#include "h8/Pass/PassOptions.h"

namespace h8 {

/// (key, value) pairs as written in a pipeline, in order.
using OptionList = std::vector<std::pair<std::string, std::string>>;

struct PassInfo {
  std::string argument;
  std::string summary;
  /// Name of the plugin that registered the pass; empty for built-ins.
  std::string plugin;
  std::vector<OptionInfo> options;
  /// Option set by `--<argument>=value`; empty when the flag takes none.
  std::string primary_option;
  /// Creates a pass from options; errors name the pass and key.
  std::function<absl::StatusOr<std::unique_ptr<Pass>>(const OptionList&)> factory;
};

/// Builds a PassInfo for a pass with a typed options struct.
template <typename OptionsT>
PassInfo MakePassInfo(std::string argument, std::string summary,
                      std::unique_ptr<Pass> (*create)(const OptionsT&)) {
  OptionBinder<OptionsT> binder;
  OptionsT::Bind(binder);
  PassInfo info;
  info.argument = argument;
  info.summary = std::move(summary);
  info.options = binder.Describe();
  info.primary_option = binder.primary();
  info.factory = [argument,
                  create](const OptionList& list) -> absl::StatusOr<std::unique_ptr<Pass>> {
    OptionBinder<OptionsT> b;
    OptionsT::Bind(b);
    OptionsT options;
    for (const auto& [key, value] : list) {
      absl::Status s = b.Set(options, key, value, argument);
      if (!s.ok()) return s;
    }
    std::unique_ptr<Pass> pass = create(options);
    pass->set_options_text(b.Print(options));
    return pass;
  };
  return info;
}

/// A named pipeline (Pipelines.def): its passes, a pin slot and where its
/// closing lint goes. Expanded by ExpandNamedPipelines (PassPipeline.h).
struct PipelineInfo {
  std::string name;
  std::string summary;
  /// The one option (`hailo8{opset=13}`); `$<parameter>` in `head` and
  /// `tail` is replaced by its value, `default_value` when unset.
  std::string parameter;
  std::string default_value;
  /// Pipeline text before and after the pin slot.
  std::string head;
  std::string tail;
  /// Passes that fill the pin slot (comma-separated), and what fills it
  /// when none is given (pipeline text).
  std::string pin_passes;
  std::string pin_default;
  /// The pass closing the pipeline; it runs right after `lint_after`
  /// instead when that pass is in the same pipeline.
  std::string lint;
  std::string lint_after;
};

class PassRegistry {
 public:
  /// Fails with AlreadyExists when the argument is taken.
  absl::Status Register(PassInfo info);
  /// nullptr when unknown.
  const PassInfo* Find(const std::string& argument) const;
  /// All passes sorted by argument.
  std::vector<const PassInfo*> List() const;
  /// "a, b, c" for error messages.
  std::string Names() const;

  /// Fails with AlreadyExists when a pass or pipeline has the name.
  absl::Status RegisterPipeline(PipelineInfo info);
  /// nullptr when unknown.
  const PipelineInfo* FindPipeline(const std::string& name) const;
  /// All pipelines sorted by name.
  std::vector<const PipelineInfo*> ListPipelines() const;

 private:
  std::map<std::string, PassInfo> passes_;
  std::map<std::string, PipelineInfo> pipelines_;
};

/// One line of what `info` expands to, e.g. `fold-constants, lift-conv1d,
/// [pin-shape|pin-dim, else pin-dim{dims=}], ..., check-hailo8`.
std::string DescribePipeline(const PipelineInfo& info);

/// `--list-passes` text: name, summary, options with types and defaults;
/// then the named pipelines.
std::string FormatPassList(const PassRegistry& registry);

}  // namespace h8

#endif  // H8_PASS_PASSREGISTRY_H
