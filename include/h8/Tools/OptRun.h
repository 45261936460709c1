//===- OptRun.h - The driver in process, with a structured result -*- C++ -*-===//
//
// h8::RunOpt runs the onnx-h8-opt command line in the calling process and
// returns what the run produced as data: the exit code, the output bytes,
// every diagnostic as a record, and per model the pass timings, statistics,
// numeric verification figures and lint verdicts. It is the driver itself
// (OptMain is a thin user of it), so an embedder (the Python module) runs
// exactly what the CLI runs, with the same flags and messages.
//
//===----------------------------------------------------------------------===//
#ifndef H8_TOOLS_OPTRUN_H
#define H8_TOOLS_OPTRUN_H

#include <optional>
#include <string>
#include <vector>

#include "h8/Pass/PassRegistry.h"
#include "h8/Report/Report.h"
#include "h8/Support/Diagnostics.h"

namespace h8 {

/// One run of the driver.
struct OptRunRequest {
  /// The command line without the program name, as the CLI takes it.
  std::vector<std::string> args;
  /// The input model's bytes (binary or text), read instead of a file. The
  /// command line then names no input; diagnostics name it `label`, and
  /// external data is resolved from the current folder (as for stdin).
  std::optional<std::string> input_bytes;
  std::string label = "<memory>";
  /// When no -o is given, keep the output in OptRunResult::output instead
  /// of writing it to stdout; the model is then binary unless --emit says
  /// otherwise. --help, --version and --list-passes text goes there too.
  bool capture_output = false;
  /// Print diagnostics, what passes print (hailo-compile's progress,
  /// check-hailo8's JSON summary) and the instrumentation's tables
  /// (verify-numerics, --time-passes, --pass-statistics,
  /// --dump-pass-pipeline, SARIF) on stderr as the CLI does. IR dumps
  /// (--print-ir-*) are printed either way.
  bool print = true;
  /// The process ends right after the run (the CLI): the models are left
  /// for the operating system to free instead of being destroyed message
  /// by message. Never for an embedder that keeps running.
  bool exiting = false;
};

/// What one run produced.
struct OptRunResult {
  /// 0 ok, 1 model problems, 2 usage/I/O/parse, 3 Hailo toolchain.
  int exit_code = 0;
  /// The captured output (OptRunRequest::capture_output), when the run
  /// wrote one: a binary model, model text, DOT, or the --help/--version/
  /// --list-passes text.
  std::optional<std::string> output;
  /// Every diagnostic of the run in emission order, including the
  /// command-line errors the CLI prints as `onnx-h8-opt: error: ...`
  /// (file "onnx-h8-opt").
  std::vector<Diagnostic> diagnostics;
  /// The command line could not be used (unknown flag, bad value, bad
  /// plugin): nothing ran.
  bool command_line_error = false;
  /// The canonical pipeline (empty when it could not be built).
  std::string pipeline;
  /// Per model run (one per chunk with --split-input-file): timings,
  /// statistics, verification tables, lint verdicts, the host model path.
  /// Drawings are filled only with --emit=dot or --report.
  std::vector<ModelRunRecord> models;
};

/// Runs the driver with `registry` (built-in passes already registered;
/// --load-pass-plugin adds to it). Never throws; every failure is in the
/// exit code and the diagnostics. Not reentrant: the driver keeps
/// process-wide state (the set of files the run reads), so concurrent calls
/// must be serialised by the caller.
OptRunResult RunOpt(OptRunRequest request, PassRegistry& registry);

}  // namespace h8

#endif  // H8_TOOLS_OPTRUN_H
