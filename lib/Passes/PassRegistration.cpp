//===- PassRegistration.cpp - Registers Passes.def and Pipelines.def ------===//
#include "h8/Passes/Passes.h"
#include "h8/Support/Status.h"

namespace h8 {

absl::Status RegisterAllPasses(PassRegistry& registry) {
#define H8_PASS(ARGUMENT, NAME, SUMMARY) \
  H8_RETURN_IF_ERROR(                    \
      registry.Register(MakePassInfo<NAME##Options>(ARGUMENT, SUMMARY, &Create##NAME##Pass)));
#include "h8/Passes/Passes.def"
#undef H8_PASS
#define H8_PIPELINE(NAME, SUMMARY, PARAMETER, DEFAULT, HEAD, PIN_PASSES, PIN_DEFAULT, TAIL, LINT, \
                    LINT_AFTER)                                                                   \
  H8_RETURN_IF_ERROR(registry.RegisterPipeline(PipelineInfo{                                      \
      NAME, SUMMARY, PARAMETER, DEFAULT, HEAD, TAIL, PIN_PASSES, PIN_DEFAULT, LINT, LINT_AFTER}));
#include "h8/Passes/Pipelines.def"
#undef H8_PIPELINE
  return absl::OkStatus();
}

}  // namespace h8
