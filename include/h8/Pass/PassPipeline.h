//===- PassPipeline.h - Pipeline text ---------------------------*- C++ -*-===//
//
// MLIR's textual pipeline grammar without op anchors:
//
//   pipeline ::= element (',' element)*
//   element  ::= pass-name ('{' option (' ' option)* '}')?
//   option   ::= key ('=' value)?        # a bare key means key=true
//   value    ::= token | '[' ... ']' | '\'' ... '\''   # commas allowed inside
//
// Parsing validates names and options against the registry; printing gives
// the canonical form with every option, defaults included.
//
//===----------------------------------------------------------------------===//
#ifndef H8_PASS_PASSPIPELINE_H
#define H8_PASS_PASSPIPELINE_H

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "h8/Pass/PassRegistry.h"

namespace h8 {

/// One pipeline element before construction.
struct PassSpec {
  std::string name;
  OptionList options;
};

/// Splits pipeline text into elements (syntax only).
absl::StatusOr<std::vector<PassSpec>> ParsePipelineText(const std::string& text);

/// Replaces each named pipeline in `specs` (Pipelines.def, e.g. `hailo8`
/// or `hailo8{opset=13}`) by its passes, where it is first named: passes of
/// its pin slot given anywhere in `specs` move into the slot; its closing
/// lint runs right after its `lint_after` pass instead when that pass is in
/// `specs`. Nothing else moves.
absl::Status ExpandNamedPipelines(std::vector<PassSpec>& specs, const PassRegistry& registry);

/// Creates the passes, validating every name and option. Unknown names list
/// the registered passes.
absl::StatusOr<std::vector<std::unique_ptr<Pass>>> BuildPipeline(const std::vector<PassSpec>& specs,
                                                                 const PassRegistry& registry);

/// Canonical text of constructed passes: `a{k=v},b{...}`.
std::string PrintPipeline(const std::vector<std::unique_ptr<Pass>>& passes);

}  // namespace h8

#endif  // H8_PASS_PASSPIPELINE_H
