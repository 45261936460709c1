//===- Driver.h - One run of onnx-h8-opt ------------------------*- C++ -*-===//
//
// The driver of one command line, after its flags are parsed. Its jobs live
// in one file each:
//   OptMain.cpp       the run: read input -> run pipeline -> write outputs
//                     -> report, and the exit-code policy
//   DriverInput.cpp   reading the input and splitting it into models
//   DriverOutput.cpp  guarding and writing the outputs (model, DOT, host
//                     part of a split, external data), all or nothing
//   DriverVerify.cpp  numeric verification and its tables
//   DriverHailoCompile.cpp  the hailo-compile stage: the plan the pass
//                     left, carried out (folder, DFC runs) after the pipeline
//   DriverReport.cpp  the run record for --report and --emit=dot
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_TOOLS_DRIVER_H
#define H8_LIB_TOOLS_DRIVER_H

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "DriverFlags.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/arena.h"
#include "h8/Pass/PassManager.h"
#include "h8/Report/Report.h"
#include "h8/Support/Diagnostics.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/Status.h"
#include "h8/Tools/OptMain.h"
#include "h8/Tools/OptRun.h"
#include "h8/Tools/VerifyNumerics.h"
#include "onnx/onnx_pb.h"

#ifndef H8_VERSION
#define H8_VERSION "0.0.0"
#endif

namespace h8 {

/// The line separating models with --split-input-file (input and output).
inline constexpr absl::string_view kSplitMarker = "# -----";

class Driver {
 public:
  Driver(DriverConfig& config, const PassRegistry& registry, OptRunRequest& request,
         OptRunResult& result);

  /// Runs the command line; returns the exit code.
  int Run();
  /// --diagnostics-format=sarif: the log of the whole run, written last.
  void FlushDiagnostics(int exit_code);
  /// What the run collected per model (RunOpt moves it into its result).
  RunRecord& report() { return report_; }

 private:
  bool Drawing() const { return config_.emit_dot || !config_.report.empty(); }
  /// RunOpt keeps the output (no -o) in its result instead of stdout.
  bool Capturing() const { return request_.capture_output && !config_.output_given; }

  // OptMain.cpp
  int RunPipeline();
  absl::StatusOr<std::unique_ptr<PassManager>> BuildPassManager();
  int ProcessModel(onnx::ModelProto& model, const std::string& where, PassManager& pm);
  int RunOnModel(onnx::ModelProto& model, const std::string& where, PassManager& pm);
  absl::Status StripLabel(const absl::Status& s);
  void Emit(const std::string& where, std::string message);
  int Fail(const std::string& where, const absl::Status& s, int code);

  // DriverInput.cpp: reads the input and runs the pipeline on each model;
  // the models that succeeded go to `results`. Returns the exit code.
  int ReadAndRun(PassManager& pm, ModelFormat out_format, std::vector<onnx::ModelProto*>& results);

  // DriverOutput.cpp
  int WriteOutputs(std::vector<onnx::ModelProto*>& results, ModelFormat out_format, int exit_code,
                   const PassManager& pm);
  int WriteBinaryOutput(onnx::ModelProto& model, std::vector<PendingFile>& host_files);
  int CaptureOutput(const std::vector<onnx::ModelProto*>& results, ModelFormat out_format);
  absl::Status PrepareHostFiles(std::vector<PendingFile>& files);
  absl::Status GuardOutputs(onnx::ModelProto& model, ModelFormat out_format);
  std::string HostOutPath() const;
  absl::Status GuardHostOutput(onnx::ModelProto& model);
  absl::Status GuardTextReferences(onnx::ModelProto& model, const std::string& path,
                                   ModelFormat format) const;

  // DriverVerify.cpp
  // The exit code for one model: from the pipeline's status, then from the
  // end-of-run checks the command line asked for (--verify-numerics,
  // --verify-against), which it runs and prints.
  int VerifyAndGetExitCode(const absl::Status& s, onnx::ModelProto& model,
                           const onnx::ModelProto* original, PassContext& ctx,
                           const std::string& where);
  bool PrintVerification(const absl::StatusOr<std::vector<OutputComparison>>& reports,
                         const std::string& what, const std::string& where);

  // DriverHailoCompile.cpp: after a pipeline that succeeded, carries out
  // the plan hailo-compile left in `ctx` (none: nothing to do) on `model`;
  // its failure is reported (exit 3 for the DFC, 2 for files).
  absl::Status RunHailoCompileStage(const onnx::ModelProto& model, PassContext& ctx);

  // DriverReport.cpp
  int OpenReport();
  int CommitReport(int code);
  void RecordRun(const PassManager& pm, PassContext& ctx);
  // `stopped`: the pipeline did not get to its end (the drawing says so).
  void Draw(const onnx::ModelProto& original, const onnx::ModelProto& model, bool stopped,
            int code);

  DriverConfig& config_;
  const PassRegistry& registry_;
  OptRunRequest& request_;
  OptRunResult& result_;
  DiagnosticEngine diags_;
  std::string label_;
  // --verify-each=numerics, owned by the pass manager; it keeps the input
  // of the model being run.
  const NumericsVerification* numerics_ = nullptr;
  // What --report shows, collected while running; the model being run.
  RunRecord report_;
  int current_model_ = -1;
  // --emit=dot: one digraph per model.
  std::vector<std::string> dots_;
  // --report: created before the pipeline runs, committed after.
  std::optional<PendingFile> report_file_;
  // The models read. A binary model is parsed into `arena_`: its messages
  // and string objects are carved from large blocks instead of allocated
  // one by one (a third of a protobuf parse's instructions on node-heavy
  // graphs went to malloc; a string's characters still come from malloc)
  // and are dropped together. Text models (many with
  // --split-input-file, small) live in `text_models_`.
  std::unique_ptr<google::protobuf::Arena> arena_;
  std::deque<onnx::ModelProto> text_models_;
  // The host part of a split and its file: split-hailo8 leaves it in
  // memory, and it is written with the outputs.
  std::shared_ptr<onnx::ModelProto> host_model_;
  std::string host_path_;
};

}  // namespace h8

#endif  // H8_LIB_TOOLS_DRIVER_H
