//===- DriverFlags.h - onnx-h8-opt's command line ---------------*- C++ -*-===//
//
// The driver's flags are one table (DriverFlags.cpp): each row has the
// flag's name, the kind of value it takes, its help text and the handler
// that stores the value in a DriverConfig. The table generates --help and
// parses argv; nothing else lists the flags.
//
// Parsing is one pass over argv in order. --load-pass-plugin loads its
// plugin from its handler, so passes it registers are known to every later
// flag; a --<pass> flag or a --print-ir-*/--pass-remarks name that is
// unknown when it is read is looked up again after the whole command line
// (a plugin named later may register it). Pipeline text is only split when
// read; its names and options are checked when the pipeline is built.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_TOOLS_DRIVERFLAGS_H
#define H8_LIB_TOOLS_DRIVERFLAGS_H

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "h8/Pass/PassManager.h"
#include "h8/Pass/PassPipeline.h"
#include "h8/Pass/PassRegistry.h"
#include "h8/Support/Diagnostics.h"
#include "h8/Support/ExternalData.h"
#include "h8/Support/ModelIO.h"
#include "h8/Tools/VerifyNumerics.h"

namespace h8 {

/// A usage error of the command line (exit 2); defined in OptMain.cpp.
absl::Status UsageError(absl::string_view message);

/// Everything the command line asks for.
struct DriverConfig {
  std::string input;
  std::string output = "-";
  /// -o was given (`-o -` and --report=- would both write to stdout).
  bool output_given = false;
  std::optional<ModelFormat> emit;
  /// --emit=dot: a Graphviz drawing instead of the model.
  bool emit_dot = false;
  /// --report=FILE: the HTML report.
  std::string report;
  /// The command line, quoted for a shell (the report and SARIF show it).
  std::string command_line;
  ModelFormat input_format = ModelFormat::kAuto;
  bool split_input_file = false;
  bool list_passes = false;
  bool dump_pipeline = false;
  bool help = false;
  bool version = false;
  DiagnosticsFormat diagnostics_format = DiagnosticsFormat::kText;
  bool werror = false;
  bool pass_statistics = false;
  std::vector<std::string> remark_passes;
  /// The pipeline in command-line order, named pipelines expanded.
  std::vector<PassSpec> pipeline;
  PassManagerOptions pm;
  /// Numeric verification (--verify-numerics; its trials, seed, tolerances).
  VerifyOptions verify;
  bool verify_numerics = false;
  std::string verify_against;
  ExternalDataOptions external_data;
};

/// Parses `args` (without the program name) into `config`, loading plugins
/// into `registry` as --load-pass-plugin flags are met. Errors are usage
/// errors: their message is the text after `onnx-h8-opt: error: `.
absl::Status ParseDriverFlags(const std::vector<std::string>& args, PassRegistry& registry,
                              DriverConfig& config);

/// The --help text, generated from the flag table (and the pipelines of
/// `registry` the flags name).
std::string DriverUsage(const PassRegistry& registry);

/// `args` as one shell-quoted line starting with `onnx-h8-opt`.
std::string QuoteCommandLine(const std::vector<std::string>& args);

}  // namespace h8

#endif  // H8_LIB_TOOLS_DRIVERFLAGS_H
