//===- Passes.h - Options and factories of the built-in passes --*- C++ -*-===//
#ifndef H8_PASSES_PASSES_H
#define H8_PASSES_PASSES_H

#include <memory>

#include "h8/Pass/Pass.h"
#include "h8/Pass/PassOptions.h"
#include "h8/Pass/PassRegistry.h"

namespace h8 {

struct CleanupOptions {
  bool forward_identity = true;
  static void Bind(OptionBinder<CleanupOptions>& b) {
    b.Add("forward-identity", &CleanupOptions::forward_identity,
          "Replace Identity outputs by their inputs");
  }
};

struct InferShapesOptions {
  bool strict = false;
  bool data_propagation = true;
  static void Bind(OptionBinder<InferShapesOptions>& b) {
    b.Add("strict", &InferShapesOptions::strict,
          "Fail on any node whose shapes cannot be inferred");
    b.Add("data-propagation", &InferShapesOptions::data_propagation,
          "Propagate constant shape values through Shape/Gather/Concat");
  }
};

struct LiftConv1dOptions {
  std::string interface = "lift";
  static void Bind(OptionBinder<LiftConv1dOptions>& b) {
    b.Add("interface", &LiftConv1dOptions::interface,
          "lift: graph inputs/outputs in a region become [N,C,H,T]; keep: they "
          "stay rank 3 behind Unsqueeze/Squeeze")
        .OneOf({"lift", "keep"});
  }
};

#define H8_PASS(ARGUMENT, NAME, SUMMARY) \
  std::unique_ptr<Pass> Create##NAME##Pass(const NAME##Options& options = {});
#include "h8/Passes/Passes.def"
#undef H8_PASS

/// Registers every pass of Passes.def. Called from main and unit tests.
absl::Status RegisterAllPasses(PassRegistry& registry);

}  // namespace h8

#endif  // H8_PASSES_PASSES_H
