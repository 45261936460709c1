//===- PassPipeline.cpp - Pipeline text parser and printer ----------------===//
#include "h8/Pass/PassPipeline.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "h8/Support/Status.h"

namespace h8 {
namespace {

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// Parses `key[=value] key[=value] ...` (the text between braces).
absl::Status ParseOptionText(const std::string& pass, absl::string_view text, OptionList& out) {
  size_t i = 0;
  auto error = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(pass, ": malformed options '{", text, "}': ", what));
  };
  while (true) {
    while (i < text.size() && text[i] == ' ') ++i;
    if (i >= text.size()) break;
    size_t key_begin = i;
    while (i < text.size() && text[i] != '=' && text[i] != ' ') ++i;
    std::string key(text.substr(key_begin, i - key_begin));
    if (key.empty()) return error("empty option name");
    std::string value = "true";
    if (i < text.size() && text[i] == '=') {
      ++i;
      value.clear();
      if (i < text.size() && (text[i] == '\'' || text[i] == '"')) {
        char quote = text[i++];
        bool closed = false;
        while (i < text.size()) {
          char c = text[i++];
          if (c == '\\' && i < text.size()) {
            value.push_back(text[i++]);
          } else if (c == quote) {
            closed = true;
            break;
          } else {
            value.push_back(c);
          }
        }
        if (!closed) return error("unterminated quote");
      } else {
        int bracket = 0;
        while (i < text.size() && (text[i] != ' ' || bracket > 0)) {
          if (text[i] == '[') ++bracket;
          if (text[i] == ']') --bracket;
          value.push_back(text[i++]);
        }
        if (bracket != 0) return error("unbalanced '['");
      }
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<PassSpec>> ParsePipelineText(const std::string& text) {
  std::vector<PassSpec> specs;
  size_t i = 0;
  auto error = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid pass pipeline '", text, "': ", what, " at column ", i + 1));
  };
  if (absl::StripAsciiWhitespace(text).empty()) return specs;
  while (true) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t begin = i;
    while (i < text.size() && IsNameChar(text[i])) ++i;
    if (i == begin) return error("expected a pass name");
    PassSpec spec;
    spec.name = text.substr(begin, i - begin);
    while (i < text.size() && text[i] == ' ') ++i;
    if (i < text.size() && text[i] == '{') {
      size_t open = ++i;
      char quote = 0;
      while (i < text.size() && (quote != 0 || text[i] != '}')) {
        if (quote == 0 && (text[i] == '\'' || text[i] == '"')) quote = text[i];
        else if (quote != 0 && text[i] == '\\') ++i;
        else if (quote != 0 && text[i] == quote) quote = 0;
        ++i;
      }
      if (i >= text.size()) return error("missing '}'");
      absl::Status s =
          ParseOptionText(spec.name, absl::string_view(text).substr(open, i - open), spec.options);
      if (!s.ok()) return s;
      ++i;
    }
    specs.push_back(std::move(spec));
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size()) break;
    if (text[i] != ',') return error("expected ','");
    ++i;
  }
  return specs;
}

absl::StatusOr<std::vector<std::unique_ptr<Pass>>> BuildPipeline(const std::vector<PassSpec>& specs,
                                                                 const PassRegistry& registry) {
  std::vector<std::unique_ptr<Pass>> passes;
  for (const PassSpec& spec : specs) {
    const PassInfo* info = registry.Find(spec.name);
    if (info == nullptr)
      return absl::InvalidArgumentError(
          absl::StrCat("unknown pass '", spec.name, "'; valid passes: ", registry.Names()));
    auto pass = info->factory(spec.options);
    if (!pass.ok()) return pass.status();
    passes.push_back(std::move(pass).value());
  }
  return passes;
}

namespace {

// The passes `info` stands for, its pin slot filled with `pins`.
absl::StatusOr<std::vector<PassSpec>> ExpandOne(const PipelineInfo& info, const PassSpec& spec,
                                                std::vector<PassSpec>& pins, bool lint_moves) {
  std::string value = info.default_value;
  for (const auto& [key, v] : spec.options) {
    if (key != info.parameter)
      return absl::InvalidArgumentError(
          absl::StrCat(info.name, ": unknown option '", key, "'; valid options: ", info.parameter));
    value = v;
  }
  const std::string param = absl::StrCat("$", info.parameter);
  H8_ASSIGN_OR_RETURN(std::vector<PassSpec> out,
                      ParsePipelineText(absl::StrReplaceAll(info.head, {{param, value}})));
  if (pins.empty()) {
    H8_ASSIGN_OR_RETURN(pins, ParsePipelineText(info.pin_default));
  }
  for (PassSpec& pin : pins) out.push_back(std::move(pin));
  pins.clear();
  H8_ASSIGN_OR_RETURN(std::vector<PassSpec> tail,
                      ParsePipelineText(absl::StrReplaceAll(info.tail, {{param, value}})));
  for (PassSpec& p : tail) out.push_back(std::move(p));
  if (!lint_moves) out.push_back(PassSpec{info.lint, {}});
  return out;
}

absl::Status ExpandPipeline(const PipelineInfo& info, std::vector<PassSpec>& specs,
                            const PassRegistry& registry) {
  const std::vector<std::string> pin_names = absl::StrSplit(info.pin_passes, ',');
  auto is_pin = [&](const PassSpec& s) {
    return std::find(pin_names.begin(), pin_names.end(), s.name) != pin_names.end();
  };
  bool lint_moves = false;
  std::vector<PassSpec> pins;
  for (PassSpec& s : specs) {
    lint_moves |= s.name == info.lint_after;
    if (is_pin(s)) pins.push_back(s);
  }
  // The options of lint_after that the lint has too (profile, allow, deny).
  const PassInfo* lint = registry.Find(info.lint);
  auto lint_option = [&](const std::string& key) {
    if (lint == nullptr) return false;
    for (const OptionInfo& o : lint->options)
      if (o.key == key) return true;
    return false;
  };
  std::vector<PassSpec> out;
  bool expanded = false;
  for (PassSpec& s : specs) {
    if (is_pin(s)) continue;
    if (s.name == info.name) {
      // The pipeline once, where it is first named.
      if (expanded) continue;
      expanded = true;
      H8_ASSIGN_OR_RETURN(std::vector<PassSpec> passes, ExpandOne(info, s, pins, lint_moves));
      for (PassSpec& p : passes) out.push_back(std::move(p));
      continue;
    }
    const bool lint_here = s.name == info.lint_after;
    PassSpec moved{info.lint, {}};
    if (lint_here)
      for (const auto& [key, value] : s.options)
        if (lint_option(key)) moved.options.emplace_back(key, value);
    out.push_back(std::move(s));
    if (lint_here) out.push_back(std::move(moved));
  }
  specs = std::move(out);
  return absl::OkStatus();
}

}  // namespace

absl::Status ExpandNamedPipelines(std::vector<PassSpec>& specs, const PassRegistry& registry) {
  for (const PipelineInfo* info : registry.ListPipelines()) {
    const bool named = std::any_of(specs.begin(), specs.end(),
                                   [&](const PassSpec& s) { return s.name == info->name; });
    if (named) H8_RETURN_IF_ERROR(ExpandPipeline(*info, specs, registry));
  }
  return absl::OkStatus();
}

std::string PrintPipeline(const std::vector<std::unique_ptr<Pass>>& passes) {
  std::vector<std::string> parts;
  for (const auto& pass : passes) {
    if (pass->options_text().empty()) parts.push_back(std::string(pass->Argument()));
    else parts.push_back(absl::StrCat(pass->Argument(), "{", pass->options_text(), "}"));
  }
  return absl::StrJoin(parts, ",");
}

}  // namespace h8
