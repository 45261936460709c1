//===- Passes.h - Options and factories of the built-in passes --*- C++ -*-===//
#ifndef H8_PASSES_PASSES_H
#define H8_PASSES_PASSES_H

#include <memory>

#include "h8/Pass/Pass.h"
#include "h8/Pass/PassOptions.h"
#include "h8/Pass/PassRegistry.h"
#include "h8/Passes/CheckHailo8.h"
#include "h8/Passes/HailoCompile.h"
#include "h8/Passes/LiftConv1d.h"
#include "h8/Passes/SplitHailo8.h"

namespace h8 {
class ShapeAnalysis;

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
  bool onnx = false;
  static void Bind(OptionBinder<InferShapesOptions>& b) {
    b.Add("strict", &InferShapesOptions::strict,
          "Fail on any node whose output shapes stay unknown (with onnx=true: on any ONNX "
          "inference error)");
    b.Add("data-propagation", &InferShapesOptions::data_propagation,
          "onnx=true only: ONNX's propagation of constant shape values");
    b.Add("onnx", &InferShapesOptions::onnx,
          "Use ONNX 1.12's shape inference (opsets <= 17) instead of the project's analysis, "
          "as a cross-check");
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

struct FoldConstantsOptions {
  int64_t max_growth_bytes = 1 << 20;
  /// About 0.1-1 s of evaluator time; shape arithmetic and weight
  /// transforms of real models need far less.
  int64_t max_work = int64_t{1} << 28;
  bool dedupe = false;
  bool fold_constant_nodes = false;
  static void Bind(OptionBinder<FoldConstantsOptions>& b) {
    b.Add("max-growth-bytes", &FoldConstantsOptions::max_growth_bytes,
          "Do not fold a node whose outputs add more bytes than this beyond its inputs")
        .Check([](const FoldConstantsOptions& o) {
          return o.max_growth_bytes < 0 ? "must not be negative" : "";
        });
    b.Add("max-work", &FoldConstantsOptions::max_work,
          "Do not fold a node whose estimated evaluation work (about one unit per "
          "multiply-add) exceeds this")
        .Check(
            [](const FoldConstantsOptions& o) { return o.max_work < 1 ? "must be positive" : ""; });
    b.Add("dedupe", &FoldConstantsOptions::dedupe,
          "Share one initializer between folded tensors with equal contents");
    b.Add("fold-constant-nodes", &FoldConstantsOptions::fold_constant_nodes,
          "Also turn Constant nodes into initializers");
  }
};

/// A fold-constants pass for a model whose analysis the caller already has
/// (`shapes`, of the very model it will run on, e.g. pin-shape's with the
/// pinned dims bound); CreateFoldConstantsPass(options) computes its own.
/// An analysis built over an index (ShapeAnalysis::index()) vouches that
/// the index describes the model's wiring as it is: the pass then finds
/// initializers and facts by the index's ids.
std::unique_ptr<Pass> CreateFoldConstantsPass(const FoldConstantsOptions& options,
                                              const ShapeAnalysis* shapes);

/// Checks pin-shape's `shape` text; returns an error message or "".
std::string ValidatePinText(const std::string& text);
/// Checks pin-dim's `dims` text; returns an error message or "".
std::string ValidateDimsText(const std::string& text);

struct PinShapeOptions {
  std::string shape;
  std::string dims;
  static void Bind(OptionBinder<PinShapeOptions>& b) {
    b.Add("shape", &PinShapeOptions::shape,
          "Input shape: '1,9,2,100' for the single input, or 'x:1,9,2,100 mask:1,100'")
        .Primary()
        .Check([](const PinShapeOptions& o) { return ValidatePinText(o.shape); });
    b.Add("dims", &PinShapeOptions::dims, "Symbolic dims by name: 'batch=1,time=100'")
        .Check([](const PinShapeOptions& o) { return ValidateDimsText(o.dims); });
  }
};

struct PinDimOptions {
  std::string dims;
  static void Bind(OptionBinder<PinDimOptions>& b) {
    b.Add("dims", &PinDimOptions::dims, "Symbolic dims by name: 'batch=1,time=100'")
        .Primary()
        .Check([](const PinDimOptions& o) { return ValidateDimsText(o.dims); });
  }
};

struct FlattenGroupsOptions {
  std::string strategy = "dense";
  double max_growth = 8;
  std::string only = "all";
  static void Bind(OptionBinder<FlattenGroupsOptions>& b) {
    b.Add("strategy", &FlattenGroupsOptions::strategy,
          "dense: one groups=1 conv with a block-diagonal weight; split: Split + "
          "per-group convs + Concat")
        .OneOf({"dense", "split"});
    b.Add("max-growth", &FlattenGroupsOptions::max_growth,
          "Fall back to split for a node whose dense weight grows more than this "
          "factor (default 8; 0: no limit)")
        .Check([](const FlattenGroupsOptions& o) {
          return o.max_growth < 0 ? "must not be negative" : "";
        });
    b.Add("only", &FlattenGroupsOptions::only, "Which ops to rewrite")
        .OneOf({"conv", "convtranspose", "all"});
  }
};

struct CheckHailo8Options {
  std::string profile = "default";
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  static void Bind(OptionBinder<CheckHailo8Options>& b) {
    b.Add("profile", &CheckHailo8Options::profile,
          "Compiler line: default (the users' toolchain) or dfc3.27")
        .OneOf({"default", "dfc3.27"});
    b.Add("allow", &CheckHailo8Options::allow, "Op types to accept regardless of the profile");
    b.Add("deny", &CheckHailo8Options::deny, "Op types to reject regardless of the profile");
  }
};

struct HailoCompileOptions {
  std::string out;
  std::string hw_arch = "hailo8";
  std::string net_name;
  std::string calib = "random";
  std::string dfc;
  static void Bind(OptionBinder<HailoCompileOptions>& b) {
    b.Add("out", &HailoCompileOptions::out, "Output folder for the ONNX, HAR, HEF, logs and script")
        .Primary()
        .Check([](const HailoCompileOptions& o) {
          return o.out.empty() ? "needs a folder (e.g. --hailo-compile=out)" : "";
        });
    b.Add("hw-arch", &HailoCompileOptions::hw_arch, "Target device (the HEF runs only there)")
        .OneOf({"hailo8", "hailo8l", "hailo8r"});
    b.Add("net-name", &HailoCompileOptions::net_name,
          "Network name (default: the graph name, sanitized)");
    b.Add("calib", &HailoCompileOptions::calib,
          "Calibration data: a float32 .npy in the model's NCHW layout, or 'random'");
    b.Add("dfc", &HailoCompileOptions::dfc,
          "The `hailo` executable (default: $HAILO_CLI, then PATH)");
  }
};

struct SplitHailo8Options {
  std::string host_out;
  std::string profile = "default";
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  static void Bind(OptionBinder<SplitHailo8Options>& b) {
    b.Add("host-out", &SplitHailo8Options::host_out,
          "File for the host part (.onnx binary, .onnxtext text)")
        .Primary()
        .Check([](const SplitHailo8Options& o) {
          return o.host_out.empty() ? "needs a file (e.g. --split-hailo8=host.onnx)" : "";
        });
    b.Add("profile", &SplitHailo8Options::profile,
          "Compiler line judged by check-hailo8: default or dfc3.27")
        .OneOf({"default", "dfc3.27"});
    b.Add("allow", &SplitHailo8Options::allow,
          "Op types kept on Hailo-8 regardless of the profile");
    b.Add("deny", &SplitHailo8Options::deny,
          "Op types moved to the host regardless of the profile");
  }
};

struct ConvertOpsetOptions {
  int64_t target = 0;
  bool down_only = false;
  static void Bind(OptionBinder<ConvertOpsetOptions>& b) {
    b.Add("target", &ConvertOpsetOptions::target, "The ai.onnx opset to convert to (10-23)")
        .Primary()
        .Check([](const ConvertOpsetOptions& o) {
          return o.target >= 10 && o.target <= 23
                     ? ""
                     : "must be an opset from 10 to 23 (e.g. --convert-opset=17)";
        });
    b.Add("down-only", &ConvertOpsetOptions::down_only,
          "Leave a model at or below the target alone (what --hailo8 uses)");
  }
};

struct LegalizeHailo8Options {
  static void Bind(OptionBinder<LegalizeHailo8Options>&) {}
};

#define H8_PASS(ARGUMENT, NAME, SUMMARY) \
  std::unique_ptr<Pass> Create##NAME##Pass(const NAME##Options& options = {});
#include "h8/Passes/Passes.def"
#undef H8_PASS

/// Registers every pass of Passes.def. Called from main and unit tests.
absl::Status RegisterAllPasses(PassRegistry& registry);

}  // namespace h8

#endif  // H8_PASSES_PASSES_H
