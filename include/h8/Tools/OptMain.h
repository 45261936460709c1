//===- OptMain.h - The onnx-h8-opt driver as a library ----------*- C++ -*-===//
//
// The whole command-line driver, so the tool's main() stays a few lines and
// tests or other tools can embed it (as mlir-opt's main calls MlirOptMain).
//
//===----------------------------------------------------------------------===//
#ifndef H8_TOOLS_OPTMAIN_H
#define H8_TOOLS_OPTMAIN_H

#include "h8/Pass/PassRegistry.h"

namespace h8 {

/// Exit codes of the tool.
enum ExitCode {
  kExitOk = 0,
  /// The model has problems: a pass failed, lint errors, numeric mismatch.
  kExitModelError = 1,
  /// Usage, I/O or parse errors.
  kExitUsageError = 2,
  /// The external Hailo toolchain is missing or failed.
  kExitToolchainError = 3,
};

/// Runs the driver with `registry` (built-in passes already registered).
/// Returns the process exit code.
int OptMain(int argc, char** argv, PassRegistry& registry);

}  // namespace h8

#endif  // H8_TOOLS_OPTMAIN_H
