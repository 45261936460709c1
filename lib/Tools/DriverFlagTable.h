//===- DriverFlagTable.h - The rows of onnx-h8-opt's flag table -*- C++ -*-===//
//
// One row per flag: name, value kind, help, handler (DriverFlagTable.cpp).
// DriverFlags.cpp parses argv and prints --help from the rows.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_TOOLS_DRIVERFLAGTABLE_H
#define H8_LIB_TOOLS_DRIVERFLAGTABLE_H

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "DriverFlags.h"
#include "absl/status/status.h"
#include "absl/types/span.h"

namespace h8 {

/// What a flag takes after its name.
enum class FlagKind {
  kSection,  // not a flag: a heading of --help
  kHelpOnly,  // not a row the parser matches: a line of --help
  kSwitch,  // no value (one given with '=' is ignored)
  kBool,  // optional true|false|1|0, default true
  kOptional,  // `--name` or `--name=value`
  kRequired,  // `--name=value` or `--name value`
};

/// The parse in progress: what handlers write to and what they may defer.
struct FlagParser {
  DriverConfig& config;
  PassRegistry& registry;
  /// The flag being handled, as written without dashes (error messages).
  std::string name;
  /// Checks that need the whole command line (plugins named later), with
  /// the index of the argument they belong to.
  std::vector<std::pair<size_t, std::function<absl::Status()>>> deferred;
  size_t index = 0;
};

using Handler = absl::Status (*)(FlagParser&, const std::optional<std::string>&);

struct Flag {
  const char* name;
  FlagKind kind;
  /// What follows the name in --help ("=<n>", "[=true|false]", " <file>").
  const char* value_help;
  /// kRequired: the `--name needs ...` text when the value is missing.
  const char* needs;
  const char* help;
  Handler handler;
  /// Another spelling (`-h`); a short flag is written with one dash and
  /// takes its value attached or as the next argument (`-o f`, `-of`, `-o=f`).
  const char* alias = nullptr;
  bool short_flag = false;
};

/// The rows, in --help order.
absl::Span<const Flag> DriverFlagTable();

}  // namespace h8

#endif  // H8_LIB_TOOLS_DRIVERFLAGTABLE_H
