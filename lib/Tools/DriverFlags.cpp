//===- DriverFlags.cpp - Parsing argv and printing --help -----------------===//
//
// The parser looks flags up in the rows of the flag table
// (DriverFlagTable.cpp); --help is printed from them. Flags that are not
// rows are pass names (`--lift-conv1d`, `--pin-shape=1,9,2,100`): the
// registry, plugins included, decides.
//
//===----------------------------------------------------------------------===//
#include "DriverFlags.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <utility>

#include "DriverFlagTable.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "h8/Plugin/PassPlugin.h"
#include "h8/Support/BoolText.h"
#include "h8/Support/DimsText.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/Status.h"

namespace h8 {
namespace {

const Flag* FindFlag(absl::string_view name, bool short_form) {
  for (const Flag& f : DriverFlagTable()) {
    if (f.kind == FlagKind::kSection || f.kind == FlagKind::kHelpOnly) continue;
    if (f.short_flag != short_form) continue;
    if (name == f.name || (f.alias != nullptr && name == f.alias)) return &f;
  }
  return nullptr;
}

// A --<pass> flag: appended to the pipeline now, its name checked now or,
// when no pass has it yet, after the whole command line.
absl::Status AddPassFlag(FlagParser& p, const std::string& arg, const std::string& name,
                         const std::optional<std::string>& value) {
  const size_t slot = p.config.pipeline.size();
  p.config.pipeline.push_back(PassSpec{name, {}});
  auto resolve = [&config = p.config, &registry = p.registry, slot, arg, name,
                  value]() -> absl::Status {
    const PassInfo* info = registry.Find(name);
    if (info == nullptr)
      return UsageError(absl::StrCat("unknown option '", arg,
                                     "'; see --help; passes usable as flags: ", registry.Names()));
    if (!value) return absl::OkStatus();
    if (info->primary_option.empty())
      return UsageError(absl::StrCat("--", name, " takes no value; use --passes='", name,
                                     "{key=value}' for its options"));
    config.pipeline[slot].options.emplace_back(info->primary_option, *value);
    return absl::OkStatus();
  };
  if (p.registry.Find(name) != nullptr) return resolve();
  p.deferred.emplace_back(p.index, std::move(resolve));
  return absl::OkStatus();
}

// Runs the deferred checks of arguments before `end`, in order.
absl::Status RunDeferred(FlagParser& p, size_t end) {
  for (auto& [index, check] : p.deferred)
    if (index < end) H8_RETURN_IF_ERROR(check());
  return absl::OkStatus();
}

// Parses one argument (and its value, which may be the next one).
absl::Status ParseOne(FlagParser& p, const std::vector<std::string>& args, size_t& i) {
  const std::string& arg = args[i];
  const bool is_short = !absl::StartsWith(arg, "--");
  absl::string_view flag = arg;
  absl::ConsumePrefix(&flag, "--") || absl::ConsumePrefix(&flag, "-");
  std::string name(flag);
  std::optional<std::string> value;
  const Flag* f = nullptr;
  if (is_short) {
    // A short flag holds its value attached: -ofile, -o=file.
    for (const Flag& candidate : DriverFlagTable()) {
      if (!candidate.short_flag || !absl::StartsWith(flag, candidate.name)) continue;
      f = &candidate;
      absl::string_view rest = flag.substr(std::strlen(candidate.name));
      if (!rest.empty()) {
        absl::ConsumePrefix(&rest, "=");
        value = std::string(rest);
      } else if (i + 1 < args.size() && !args[i + 1].empty()) {
        value = args[++i];
      } else {
        return UsageError(absl::StrCat("-", candidate.name, " needs ", candidate.needs));
      }
      name = candidate.name;
      break;
    }
  }
  if (f == nullptr) {
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    f = FindFlag(name, /*short_form=*/false);
  }
  if (f == nullptr) return AddPassFlag(p, arg, name, value);
  p.name = name;
  if (f->kind == FlagKind::kRequired && !value) {
    if (i + 1 >= args.size()) return UsageError(absl::StrCat("--", name, " needs ", f->needs));
    value = args[++i];
  }
  return f->handler(p, value);
}

// Wraps `text` to `width` columns, continuation lines indented by `indent`.
std::string Wrap(absl::string_view text, size_t column, size_t indent, size_t width) {
  std::string out;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (column > indent && column + 1 + word.size() > width) {
      absl::StrAppend(&out, "\n", std::string(indent, ' '));
      column = indent;
    } else if (column > indent) {
      out += ' ';
      ++column;
    }
    absl::StrAppend(&out, word);
    column += word.size();
  }
  return out;
}

}  // namespace

absl::Status ParseDriverFlags(const std::vector<std::string>& args, PassRegistry& registry,
                              DriverConfig& config) {
  FlagParser p{config, registry, "", {}, 0};
  bool inputs_only = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    p.index = i;
    if (inputs_only || arg == "-" || arg.empty() || arg[0] != '-') {
      if (!config.input.empty())
        return UsageError(
            absl::StrCat("more than one input file: '", config.input, "' and '", arg, "'"));
      config.input = arg;
      continue;
    }
    if (arg == "--") {
      inputs_only = true;
      continue;
    }
    if (absl::Status s = ParseOne(p, args, i); !s.ok()) {
      // An earlier argument's own error comes first.
      H8_RETURN_IF_ERROR(RunDeferred(p, p.index));
      return s;
    }
  }
  H8_RETURN_IF_ERROR(RunDeferred(p, args.size()));
  return ExpandNamedPipelines(config.pipeline, registry);
}

std::string DriverUsage(const PassRegistry& registry) {
  constexpr size_t kHelpColumn = 32;
  constexpr size_t kWidth = 80;
  std::string out =
      "USAGE: onnx-h8-opt [options] <input> [-o <output>]\n\n"
      "Rewrites an ONNX model (binary .onnx or textual .onnxtext; '-' reads stdin)\n"
      "with a pipeline of passes and writes the result (text on stdout by default).\n";
  for (const Flag& f : DriverFlagTable()) {
    if (f.kind == FlagKind::kSection) {
      absl::StrAppend(&out, "\n", f.name, *f.name != '\0' ? "\n" : "");
      continue;
    }
    std::string left = absl::StrCat("  ", f.short_flag ? "-" : "--", f.name, f.value_help);
    if (left.size() + 2 > kHelpColumn) {
      absl::StrAppend(&out, left, "\n");
      left.clear();
    }
    left.resize(kHelpColumn, ' ');
    std::string help = f.help;
    // A pipeline's flag shows what it expands to.
    if (const PipelineInfo* pipeline = registry.FindPipeline(f.name); pipeline != nullptr)
      absl::StrAppend(&help, " ", DescribePipeline(*pipeline));
    absl::StrAppend(&out, left, Wrap(help, kHelpColumn, kHelpColumn, kWidth), "\n");
  }
  absl::StrAppend(&out,
                  "\nExit codes: 0 success; 1 the model has problems (a pass failed, lint errors,\n"
                  "numeric mismatch); 2 usage, I/O or parse errors; 3 the Hailo toolchain is\n"
                  "missing or failed.\n");
  return out;
}

std::string QuoteCommandLine(const std::vector<std::string>& args) {
  std::string out = "onnx-h8-opt";
  for (const std::string& a : args) {
    std::string arg = a;
    bool plain = !arg.empty() &&
                 arg.find_first_not_of(
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=./,:+@%") ==
                     std::string::npos;
    if (!plain) {
      std::string quoted = "'";
      for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      arg = quoted + "'";
    }
    absl::StrAppend(&out, " ", arg);
  }
  return out;
}

}  // namespace h8
