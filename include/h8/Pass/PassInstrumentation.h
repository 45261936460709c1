//===- PassInstrumentation.h - Hooks around passes and pipelines -*- C++ -*-===//
//
// Tooling that watches a pipeline (IR printing, verification between
// passes, the HTML report's collectors, a profiler) is an instrumentation
// registered with the PassManager, as in MLIR, instead of code inside the
// manager's loop. Before-hooks run in registration order, after-hooks in
// reverse order, so an instrumentation added first wraps all others.
//
// What stays in the manager itself, because the pipeline is not correct
// without it: timing each pass's Run(), checking its change claim against
// the model's structural fingerprint, and dropping cached analyses after a
// change. Instrumentations see the outcome in PassRunInfo.
//
//===----------------------------------------------------------------------===//
#ifndef H8_PASS_PASSINSTRUMENTATION_H
#define H8_PASS_PASSINSTRUMENTATION_H

#include "absl/status/status.h"
#include "onnx/onnx_pb.h"

namespace h8 {

class Pass;
class PassContext;

/// One pass run as the manager saw it.
struct PassRunInfo {
  /// The pass reported a change (checked under --verify-each=full, trusted
  /// otherwise).
  bool changed = false;
  /// Under --verify-each=full: the model's structural fingerprint differs
  /// from before the pass (a change with an equal fingerprint touched only
  /// bytes in the middle of a large tensor). Otherwise the pass's claim.
  bool structural_change = false;
  /// Under --verify-each=full: the part of the fingerprint the structural
  /// verifier reads (everything but value types and value_info, see
  /// ModelFingerprint) differs from before the pass, or the change is not
  /// seen at all. Otherwise the claim, unless the pass declared that it
  /// changed only types (PassContext::DeclareOnlyTypesChanged).
  bool topology_change = false;
  /// The model before the pass, when an instrumentation asked for it with
  /// NeedsModelBefore(); else nullptr.
  const onnx::ModelProto* before = nullptr;
  /// Wall time of the pass's Run().
  double seconds = 0;
};

class PassInstrumentation {
 public:
  virtual ~PassInstrumentation();

  /// Whether RunAfterPass needs a copy of the model as it was before `pass`
  /// (the manager copies it once for all instrumentations that ask).
  virtual bool NeedsModelBefore(const Pass& pass) const;

  virtual void RunBeforePipeline(const onnx::ModelProto& model, PassContext& ctx);
  virtual void RunBeforePass(const Pass& pass, const onnx::ModelProto& model, PassContext& ctx);
  /// After a pass succeeded. A non-OK status stops the pipeline; the
  /// instrumentation has reported the problem itself.
  virtual absl::Status RunAfterPass(const Pass& pass, const PassRunInfo& info,
                                    const onnx::ModelProto& model, PassContext& ctx);
  /// After a pass returned an error (already reported by the manager).
  virtual void RunAfterPassFailed(const Pass& pass, const absl::Status& status, PassContext& ctx);
  /// After the last pass, or after the run stopped with `status`.
  virtual void RunAfterPipeline(const onnx::ModelProto& model, const absl::Status& status,
                                PassContext& ctx);
};

}  // namespace h8

#endif  // H8_PASS_PASSINSTRUMENTATION_H
