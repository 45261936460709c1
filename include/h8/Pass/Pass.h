//===- Pass.h - Pass, GraphPass and PassContext -----------------*- C++ -*-===//
//
// A pass transforms one onnx::ModelProto in place and returns whether it
// changed it; a non-OK Status means the pass could not leave the model
// valid, and the pipeline stops. "The pattern did not apply" is not an
// error: the pass returns false and may explain itself with a remark.
// Instances are created per pipeline and keep no mutable state from one
// Run() to the next: per-run state lives in locals, configuration in the
// typed options the pass was created with.
//
//===----------------------------------------------------------------------===//
#ifndef H8_PASS_PASS_H
#define H8_PASS_PASS_H

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "h8/Pass/AnalysisManager.h"
#include "h8/Pass/ArtifactStore.h"
#include "h8/Support/Diagnostics.h"
#include "onnx/onnx_pb.h"

namespace h8 {

class Pass;

/// Per-run state shared by the passes of one pipeline run: diagnostics,
/// statistics, the artifacts passes leave for each other and for the driver.
/// One per input model (per chunk with
/// --split-input-file).
class PassContext {
 public:
  PassContext(DiagnosticEngine& diags, std::string file) : diags_(diags), file_(std::move(file)) {}

  DiagnosticEngine& diags() { return diags_; }
  const std::string& file() const { return file_; }
  /// Folder that external data paths are relative to.
  const std::string& base_dir() const { return base_dir_; }
  void set_base_dir(std::string dir) { base_dir_ = std::move(dir); }

  /// The pass now running (set by the pass manager).
  const std::string& current_pass() const { return current_pass_; }
  void set_current_pass(std::string pass) { current_pass_ = std::move(pass); }

  /// Passes whose remarks are shown ("all" enables every pass).
  void EnableRemarks(const std::string& pass) { remark_passes_.insert(pass); }
  bool RemarksEnabled() const {
    return remark_passes_.contains(current_pass_) || remark_passes_.contains("all");
  }

  /// Diagnostics about a node of the graph at `graph_path` ("" for main).
  InFlightDiagnostic Error(const onnx::NodeProto* node = nullptr, int index = -1,
                           const std::string& graph_path = "");
  InFlightDiagnostic Warning(const onnx::NodeProto* node = nullptr, int index = -1,
                             const std::string& graph_path = "");
  /// Discarded unless remarks are enabled for the current pass.
  InFlightDiagnostic Remark(const onnx::NodeProto* node = nullptr, int index = -1,
                            const std::string& graph_path = "");

  /// Adds `delta` to the current pass's statistic `name` (a pass declares
  /// its statistics as Statistic members and counts with Statistic::Add).
  /// Inside a nested pass (RunNestedPass) it counts for that pass.
  void Stat(const std::string& name, int64_t delta = 1);
  /// pass -> statistic -> value, for --pass-statistics, in pipeline order:
  /// one entry per pass run that counted something, nested passes as
  /// "<pass>/<nested>" entries (one per name within a top-level pass run).
  std::vector<std::pair<std::string, std::map<std::string, int64_t>>>& stats() { return stats_; }

  /// Runs `pass` on `model` from inside the running pass: a nested pipeline
  /// of one pass, as MLIR's Pass::runPipeline. Its statistics are counted
  /// for "<running>/<nested>" (e.g. "fold-constants/cleanup"), its wall
  /// time is reported as a nested row under the running pass (see
  /// set_nested_timer), and the analyses are shared with the running pass:
  /// nothing cached is reset, and a change the nested pass reports is
  /// noted (AnalysisManager::NoteChange) before the running pass asks for
  /// an analysis again. Its diagnostics keep the running pass's name. The
  /// running pass's own change claim covers what the nested pass changed.
  absl::StatusOr<bool> RunNestedPass(Pass& pass, onnx::ModelProto& model);
  /// For the pass manager: receives each nested pass run's qualified name
  /// when it starts (with 0 seconds) and with its wall time when it ends.
  using NestedTimer = std::function<void(const std::string& pass, double seconds)>;
  void set_nested_timer(NestedTimer timer) { nested_timer_ = std::move(timer); }
  /// For the pass manager: a top-level pass run begins (statistics are
  /// merged per pass name within one top-level pass run).
  void BeginPassRun() {
    stats_run_begin_ = stats_.size();
    only_types_changed_ = false;
  }

  /// Declares, from inside a pass that reports a change, that it changed
  /// only the types of values (graph inputs', outputs' and value_info's)
  /// and which values have value_info: nothing the structural verifier
  /// reads, so the pass manager does not verify the structure again after
  /// it (pin-shape when it folded nothing). Under --verify-each=full the
  /// manager checks the declaration against the main graph's fingerprint
  /// without types. A nested pass's change (RunNestedPass) is the running
  /// pass's to account for.
  void DeclareOnlyTypesChanged() { only_types_changed_ = true; }
  /// For the pass manager: whether the running pass declared so.
  bool only_types_changed() const { return only_types_changed_; }

  /// An identity of the model as the running pass received it: equal for
  /// two passes of one run only when no pass between them reported a
  /// change. Under --verify-each=full it is ModelFingerprint(model), which
  /// the pass manager computes for its change checks; otherwise the
  /// manager hands over a stamp it draws after every reported change
  /// (unique in the process, so never the identity of another state of
  /// any model). Outside a pass manager, or after a nested pass changed
  /// the model, it is ModelFingerprint(model), computed.
  uint64_t ModelFingerprintAtPassStart(const onnx::ModelProto& model) const;
  /// For the pass manager: the model's identity before the next pass, or 0
  /// (unknown).
  void set_model_fingerprint(uint64_t fingerprint) { model_fingerprint_ = fingerprint; }

  /// Typed results of the passes run so far (ArtifactStore.h).
  ArtifactStore& artifacts() { return artifacts_; }
  const ArtifactStore& artifacts() const { return artifacts_; }

  /// Analyses shared by the passes of this run (see AnalysisManager.h).
  AnalysisManager& analyses() { return analyses_; }

 private:
  uint64_t model_fingerprint_ = 0;
  bool only_types_changed_ = false;
  InFlightDiagnostic Make(Severity severity, const onnx::NodeProto* node, int index,
                          const std::string& graph_path, bool enabled);

  DiagnosticEngine& diags_;
  std::string file_;
  std::string base_dir_ = ".";
  std::string current_pass_;
  absl::flat_hash_set<std::string> remark_passes_;
  std::vector<std::pair<std::string, std::map<std::string, int64_t>>> stats_;
  size_t stats_run_begin_ = 0;
  // The nested pass running (qualified), "" outside RunNestedPass.
  std::string nested_pass_;
  NestedTimer nested_timer_;
  ArtifactStore artifacts_;
  AnalysisManager analyses_;
};

/// A statistic a pass counts, declared as a member of the pass with its
/// name and description, as MLIR's Pass::Statistic:
///
///   Statistic nodes_folded_{this, "nodes-folded", "Nodes evaluated into initializers"};
///   nodes_folded_.Add(ctx);
///
/// Its values live in the run's PassContext, per pass run, not in the
/// statistic (passes keep no state from one Run() to the next); the pass
/// lists what it declares in statistics(). A statistic with no owner counts
/// for whichever pass is running (a helper shared by several passes); a
/// pass run inside another (PassContext::RunNestedPass) counts for itself.
class Statistic {
 public:
  Statistic(Pass* owner, std::string name, std::string description);
  Statistic(const Statistic&) = delete;
  Statistic& operator=(const Statistic&) = delete;

  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  /// Adds `delta` to this statistic of the pass now running in `ctx`.
  void Add(PassContext& ctx, int64_t delta = 1) const { ctx.Stat(name_, delta); }

 private:
  std::string name_;
  std::string description_;
};

class Pass {
 public:
  Pass() = default;
  // Statistic members point back at their pass.
  Pass(const Pass&) = delete;
  Pass& operator=(const Pass&) = delete;
  virtual ~Pass() = default;
  /// The stable dash-case name, e.g. "lift-conv1d".
  virtual absl::string_view Argument() const = 0;
  /// Returns whether the model changed.
  virtual absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) = 0;

  /// A lint reports on the model instead of transforming it. When a
  /// pipeline ends with a lint and no -o is given, the driver prints only
  /// the report, not the IR.
  virtual bool IsLint() const { return false; }
  /// A lint with errors fails (LintFindingsStatus) and the pipeline stops
  /// there, unless a later pass consumes its findings (split-hailo8 cuts at
  /// them, hailo-compile refuses on them): then the pipeline goes on, and
  /// the run still fails with the lint's status at the end.
  virtual bool ConsumesLintFindings() const { return false; }

  /// Canonical option text (`k=v ...`), set by the registry's factory.
  const std::string& options_text() const { return options_text_; }
  void set_options_text(std::string text) { options_text_ = std::move(text); }

  /// The statistics the pass declares, in declaration order.
  const std::vector<const Statistic*>& statistics() const { return statistics_; }

 private:
  friend class Statistic;
  std::string options_text_;
  std::vector<const Statistic*> statistics_;
};

/// A lint that only inspects the model. Run is final: it hands Check a
/// const model and reports no change, so the model comes out as it went in
/// (the compiler sees to it, short of a const_cast); --verify-each=full
/// checks that claim as it checks every pass's.
class LintPass : public Pass {
 public:
  bool IsLint() const final { return true; }
  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) final;
  /// The lint's verdict: OK, or LintFindingsStatus when the model has errors.
  virtual absl::Status Check(const onnx::ModelProto& model, PassContext& ctx) = 0;
};

/// One graph of a model handed to a GraphPass.
struct GraphRef {
  onnx::GraphProto* graph;
  /// "" for the main graph, else "<main>/<node>.<attr>/...".
  std::string path;
  /// The model's ai.onnx opset.
  int64_t opset;
  bool is_main;
};

/// A pass that rewrites each graph independently, subgraphs (If/Loop/Scan
/// bodies) before their parents.
class GraphPass : public Pass {
 public:
  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) final;

 protected:
  virtual absl::StatusOr<bool> RunOnGraph(GraphRef graph, PassContext& ctx) = 0;
  /// Per-model hooks around the graph walk, for state the graphs of one
  /// model share (fresh names, totals for a warning). BeginModel resets
  /// that state, so nothing carries over from one Run() to the next;
  /// EndModel gets whether any graph changed and returns the pass's result.
  virtual absl::Status BeginModel(onnx::ModelProto& model, PassContext& ctx);
  virtual absl::StatusOr<bool> EndModel(onnx::ModelProto& model, PassContext& ctx, bool changed);
};

}  // namespace h8

#endif  // H8_PASS_PASS_H
