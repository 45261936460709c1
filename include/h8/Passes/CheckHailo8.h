//===- CheckHailo8.h - The verdicts check-hailo8 leaves ---------*- C++ -*-===//
#ifndef H8_PASSES_CHECKHAILO8_H
#define H8_PASSES_CHECKHAILO8_H

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "h8/Support/Diagnostics.h"

namespace h8 {

/// The artifact check-hailo8 leaves in the run's ArtifactStore: its verdict
/// (counts, the recommended cut) on the model, one per check-hailo8 run, in
/// pipeline order, as data, so embedders (h8::RunOpt, the Python module,
/// the report) need not read it back from the printed lines.
struct Hailo8Findings {
  static constexpr absl::string_view kArtifactKey = "check-hailo8.findings";
  std::vector<LintSummary> verdicts;
  /// The structural fingerprint (h8/IR/Fingerprint.h) of the model the
  /// last verdict judged: a later consumer (hailo-compile) trusts that
  /// verdict only while the model still has it.
  uint64_t last_judged_fingerprint = 0;
};

}  // namespace h8

#endif  // H8_PASSES_CHECKHAILO8_H
