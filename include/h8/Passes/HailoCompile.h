//===- HailoCompile.h - The plan hailo-compile leaves -----------*- C++ -*-===//
#ifndef H8_PASSES_HAILOCOMPILE_H
#define H8_PASSES_HAILOCOMPILE_H

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace h8 {

/// The artifact hailo-compile leaves in the run's ArtifactStore: what to
/// hand to the Hailo Dataflow Compiler and how, decided on a model
/// check-hailo8 accepts. The pass does no I/O; the driver carries the plan
/// out after the pipeline succeeded (lib/Tools/DriverHailoCompile.cpp):
/// it writes `dir`, runs the steps and records what they produced.
struct HailoCompilePlan {
  static constexpr absl::string_view kArtifactKey = "hailo-compile.plan";

  /// One `hailo` invocation. Paths in `args` are relative to `dir` (the
  /// commands run there, as compile_hailo.sh does).
  struct Step {
    std::string name;  // "parser", "optimize", "compiler"
    std::vector<std::string> args;  // after the `hailo` executable
    std::string output;  // the file it produces, relative to `dir`
    std::string statistic;  // hailo-compile's statistic for its wall time (ms)
  };

  std::string dir;  // the output folder
  std::string net_name;
  std::string hw_arch;
  /// The calibration data (.npy in the model's NCHW layout), or "" for
  /// the DFC's random calibration set.
  std::string calib;
  /// The dims of the model's one rank-4 input, which `calib` must match
  /// after its first (sample) axis; set when `calib` is a file.
  std::vector<int64_t> input_dims;
  /// The `dfc=` option ("" looks at $HAILO_CLI, then PATH).
  std::string dfc;
  std::vector<Step> steps;
  /// compile_hailo.sh: the steps as a shell script that runs in `dir`.
  std::string script;
  /// The host part's file when the model is the device part of a split.
  std::string host_part;
};

}  // namespace h8

#endif  // H8_PASSES_HAILOCOMPILE_H
