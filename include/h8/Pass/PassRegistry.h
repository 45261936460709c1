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
  info.factory = [argument, create](const OptionList& list)
      -> absl::StatusOr<std::unique_ptr<Pass>> {
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

 private:
  std::map<std::string, PassInfo> passes_;
};

/// `--list-passes` text: name, summary, options with types and defaults.
std::string FormatPassList(const PassRegistry& registry);

}  // namespace h8

#endif  // H8_PASS_PASSREGISTRY_H
