//===- PassRegistry.cpp ---------------------------------------------------===//
#include "h8/Pass/PassRegistry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace h8 {

absl::Status PassRegistry::Register(PassInfo info) {
  std::string name = info.argument;
  if (name.empty()) return absl::InvalidArgumentError("a pass needs a name");
  if (pipelines_.count(name) != 0)
    return absl::AlreadyExistsError(absl::StrCat("'", name, "' is already a pipeline"));
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

absl::Status PassRegistry::RegisterPipeline(PipelineInfo info) {
  std::string name = info.name;
  if (name.empty()) return absl::InvalidArgumentError("a pipeline needs a name");
  if (passes_.count(name) != 0)
    return absl::AlreadyExistsError(absl::StrCat("'", name, "' is already a pass"));
  if (!pipelines_.emplace(name, std::move(info)).second)
    return absl::AlreadyExistsError(absl::StrCat("pipeline '", name, "' is already registered"));
  return absl::OkStatus();
}

const PipelineInfo* PassRegistry::FindPipeline(const std::string& name) const {
  auto it = pipelines_.find(name);
  return it == pipelines_.end() ? nullptr : &it->second;
}

std::vector<const PipelineInfo*> PassRegistry::ListPipelines() const {
  std::vector<const PipelineInfo*> out;
  for (const auto& [name, info] : pipelines_) out.push_back(&info);
  return out;
}

std::string DescribePipeline(const PipelineInfo& info) {
  const std::string param = absl::StrCat("$", info.parameter);
  const std::string value = absl::StrCat("<", info.parameter, ">");
  auto items = [&](const std::string& text) {
    return absl::StrReplaceAll(absl::StrReplaceAll(text, {{param, value}}), {{",", ", "}});
  };
  return absl::StrCat(items(info.head), ", [", absl::StrReplaceAll(info.pin_passes, {{",", "|"}}),
                      " as given, else ", info.pin_default, "], ", items(info.tail), ", ",
                      info.lint, " (right after ", info.lint_after, " when one is given)");
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
      absl::StrAppend(&out, " (default: ", o.default_value.empty() ? "\"\"" : o.default_value, ")");
      if (o.key == info->primary_option) absl::StrAppend(&out, " [--", info->argument, "=<value>]");
      absl::StrAppend(&out, " - ", o.help, "\n");
    }
  }
  if (registry.ListPipelines().empty()) return out;
  absl::StrAppend(&out, "Pipelines:\n");
  for (const PipelineInfo* info : registry.ListPipelines()) {
    absl::StrAppend(&out, "  ", info->name, " - ", info->summary, "\n");
    absl::StrAppend(&out, "      ", info->parameter, "=<value> (default: ", info->default_value,
                    ") [--", info->name, "=<value>]\n");
    absl::StrAppend(&out, "      = ", DescribePipeline(*info), "\n");
  }
  return out;
}

}  // namespace h8
