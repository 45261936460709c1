//===- PassRegistry.cpp ---------------------------------------------------===//
#include "h8/Pass/PassRegistry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace h8 {

absl::Status PassRegistry::Register(PassInfo info) {
  std::string name = info.argument;
  if (name.empty()) return absl::InvalidArgumentError("a pass needs a name");
  auto [it, inserted] = passes_.emplace(name, std::move(info));
  if (!inserted)
    return absl::AlreadyExistsError(absl::StrCat(
        "pass '", name, "' is already registered",
        it->second.plugin.empty() ? " (built-in)"
                                  : absl::StrCat(" by plugin '", it->second.plugin, "'")));
  return absl::OkStatus();
}

const PassInfo* PassRegistry::Find(const std::string& argument) const {
  auto it = passes_.find(argument);
  return it == passes_.end() ? nullptr : &it->second;
}

std::vector<const PassInfo*> PassRegistry::List() const {
  std::vector<const PassInfo*> out;
  for (const auto& [name, info] : passes_) out.push_back(&info);
  return out;
}

std::string PassRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, info] : passes_) names.push_back(name);
  return absl::StrJoin(names, ", ");
}

std::string FormatPassList(const PassRegistry& registry) {
  std::string out = "Passes:\n";
  for (const PassInfo* info : registry.List()) {
    absl::StrAppend(&out, "  ", info->argument);
    if (!info->plugin.empty()) absl::StrAppend(&out, " [plugin ", info->plugin, "]");
    absl::StrAppend(&out, " - ", info->summary, "\n");
    for (const OptionInfo& o : info->options) {
      absl::StrAppend(&out, "      ", o.key, "=<", o.type, ">");
      if (!o.allowed.empty()) absl::StrAppend(&out, " {", absl::StrJoin(o.allowed, "|"), "}");
      absl::StrAppend(&out, " (default: ", o.default_value.empty() ? "\"\"" : o.default_value,
                      ")");
      if (o.key == info->primary_option)
        absl::StrAppend(&out, " [--", info->argument, "=<value>]");
      absl::StrAppend(&out, " - ", o.help, "\n");
    }
  }
  return out;
}

}  // namespace h8
