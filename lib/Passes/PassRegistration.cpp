//===- PassRegistration.cpp - Registers every pass of Passes.def ----------===//
#include "h8/Passes/Passes.h"
#include "h8/Support/Status.h"

namespace h8 {

absl::Status RegisterAllPasses(PassRegistry& registry) {
#define H8_PASS(ARGUMENT, NAME, SUMMARY) \
  H8_RETURN_IF_ERROR(registry.Register(  \
      MakePassInfo<NAME##Options>(ARGUMENT, SUMMARY, &Create##NAME##Pass)));
#include "h8/Passes/Passes.def"
#undef H8_PASS
  return absl::OkStatus();
}

}  // namespace h8
