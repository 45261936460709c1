//===- FuzzPipeline.cpp - libFuzzer target: the default pipeline ----------===//
//
// Decodes a model (binary, or text when the bytes sniff as text), and when
// it passes the structural verifier and the size caps runs
//   fold-constants, lift-conv1d, [pin-shape], flatten-groups, cleanup
// built through the pass registry exactly as onnx-h8-opt does (pin-shape
// only when the model has exactly one runtime input with all dims static,
// pinned to those dims), then VerifyNumerics with one trial. Passes and the
// evaluator may reject a model with a status; they may not crash, hang,
// leak or trip a sanitizer. External data resolves against a folder that
// does not exist, so nothing outside the input is ever read.
//
//===----------------------------------------------------------------------===//
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "FuzzCommon.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/Eval/Evaluator.h"
#include "h8/IR/Verifier.h"
#include "h8/Pass/PassManager.h"
#include "h8/Pass/PassPipeline.h"
#include "h8/Passes/Passes.h"
#include "h8/Support/Diagnostics.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/TextIO.h"
#include "h8/Tools/VerifyNumerics.h"

namespace {

const h8::PassRegistry& Registry() {
  static h8::PassRegistry* registry = [] {
    auto* r = new h8::PassRegistry;
    if (!h8::RegisterAllPasses(*r).ok()) h8fuzz::Fail("RegisterAllPasses failed", "");
    return r;
  }();
  return *registry;
}

// "d0,d1,..." of the single runtime input when all its dims are static and
// positive; empty otherwise (no pin-shape).
std::string PinText(const onnx::GraphProto& graph) {
  absl::flat_hash_set<std::string> inits;
  for (const auto& t : graph.initializer()) inits.insert(t.name());
  const onnx::ValueInfoProto* runtime = nullptr;
  for (const auto& in : graph.input()) {
    if (inits.contains(in.name())) continue;
    if (runtime != nullptr) return "";
    runtime = &in;
  }
  if (runtime == nullptr || !runtime->type().has_tensor_type() ||
      !runtime->type().tensor_type().has_shape())
    return "";
  std::vector<int64_t> dims;
  for (const auto& d : runtime->type().tensor_type().shape().dim()) {
    if (!d.has_dim_value() || d.dim_value() < 1) return "";
    dims.push_back(d.dim_value());
  }
  if (dims.empty()) return "";
  return absl::StrJoin(dims, ",");
}

}  // namespace

// Keeps every evaluation well inside libFuzzer's -rss_limit_mb.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  h8::SetEvaluatorElementLimit(int64_t{1} << 22);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > h8fuzz::kMaxInputBytes) return -1;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<onnx::ModelProto> model =
      h8::SniffFormat(bytes) == h8::ModelFormat::kText
          ? h8::ParseModelText(bytes)
          : h8::ParseBinaryModel(bytes.data(), bytes.size(), "fuzz");
  if (!model.ok()) return 0;
  if (!h8::VerifyModelStructure(*model).ok()) return -1;
  if (h8fuzz::CountNodes(model->graph()) > h8fuzz::kMaxNodes) return -1;
  if (!h8fuzz::TensorsSmall(model->graph())) return -1;

  std::string pipeline = "fold-constants,lift-conv1d";
  std::string pin = PinText(model->graph());
  if (!pin.empty()) absl::StrAppend(&pipeline, ",pin-shape{shape=", pin, "}");
  absl::StrAppend(&pipeline, ",flatten-groups,cleanup");
  auto specs = h8::ParsePipelineText(pipeline);
  if (!specs.ok())
    h8fuzz::Fail("the default pipeline does not parse",
                 pipeline + ": " + std::string(specs.status().message()));
  auto passes = h8::BuildPipeline(*specs, Registry());
  if (!passes.ok()) {
    // A pin built from the model's own positive dims must be accepted.
    h8fuzz::Fail("the default pipeline does not build",
                 pipeline + ": " + std::string(passes.status().message()));
  }
  h8::PassManagerOptions options;
  h8::PassManager pm(options);
  for (auto& p : *passes) pm.AddPass(std::move(p));

  h8::DiagnosticEngine diags;
  diags.SetHandler([](const h8::Diagnostic&) {});
  h8::PassContext ctx(diags, "fuzz");
  ctx.set_base_dir("/nonexistent/h8-fuzz");
  onnx::ModelProto original = *model;
  absl::Status s = pm.Run(*model, ctx);
  if (!s.ok() || diags.num_errors() > 0) return 0;
  // Whatever the pipeline produced must still be structurally valid.
  if (absl::Status v = h8::VerifyModelStructure(*model); !v.ok())
    h8fuzz::Fail("the pipeline produced a structurally invalid model",
                 std::string(v.message()) + "\n--- input:\n" + h8::PrintModelText(original));
  h8::VerifyOptions verify;
  verify.trials = 1;
  (void)h8::VerifyNumerics(original, *model, ctx.artifacts(), verify, ctx.base_dir());
  return 0;
}
