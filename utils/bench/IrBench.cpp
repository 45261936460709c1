//===- IrBench.cpp - Times the IR building blocks every pass pays ---------===//
//
// Usage: h8-ir-bench MODEL.onnx [REPS]
// Prints the median wall time (ms) of: building a GraphIndex, the shape
// analysis, a structural fingerprint (the pass manager takes one after every
// pass), the structural verifier (run after every pass that changed the
// model), ONNX's checker, GraphRewriter::Commit erasing half the nodes, and
// one whole-model copy, so run.sh can put per-node figures for deep and deeper
// side by side. A benchmark, not a test.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/Fingerprint.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/GraphRewriter.h"
#include "h8/IR/Verifier.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/OnnxBridge.h"

namespace {

double MedianMs(int reps, const std::function<void()>& fn) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto start = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 5;
  if (argc < 2 || (argc > 2 && !absl::SimpleAtoi(argv[2], &reps)) || reps < 1) {
    std::fprintf(stderr, "usage: %s MODEL.onnx [REPS]\n", argv[0]);
    return 2;
  }
  auto model = h8::ReadBinaryModelFile(argv[1]);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", std::string(model.status().message()).c_str());
    return 2;
  }
  const int nodes = model->graph().node_size();
  auto report = [&](const char* what, double ms) {
    std::printf("%-28s %10.2f ms %8.2f us/node\n", what, ms, ms * 1000.0 / nodes);
  };
  report("GraphIndex", MedianMs(reps, [&] { h8::GraphIndex index(model->graph()); }));
  report("ShapeAnalysis", MedianMs(reps, [&] { h8::ShapeAnalysis shapes(*model); }));
  report("ModelFingerprint", MedianMs(reps, [&] {
           volatile uint64_t fp = h8::ModelFingerprint(*model);
           (void)fp;
         }));
  report("VerifyModelStructure", MedianMs(reps, [&] {
           if (!h8::VerifyModelStructure(*model).ok()) std::abort();
         }));
  report("CheckModelWithOnnx", MedianMs(reps, [&] {
           if (!h8::CheckModelWithOnnx(*model).ok()) std::abort();
         }));
  // GraphRewriter::Commit erasing every other node (its linearity shows in
  // run.sh's deep vs deeper figures). The copy is outside the timing.
  {
    std::vector<double> t;
    for (int r = 0; r < reps; ++r) {
      onnx::ModelProto copy(*model);
      h8::GraphRewriter rewriter(*copy.mutable_graph());
      for (int i = 0; i < copy.graph().node_size(); i += 2) rewriter.Erase(i);
      auto start = std::chrono::steady_clock::now();
      rewriter.Commit();
      t.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
    }
    std::sort(t.begin(), t.end());
    report("GraphRewriter erase half", t[t.size() / 2]);
  }
  report("ModelProto copy", MedianMs(reps, [&] { onnx::ModelProto copy(*model); }));
  return 0;
}
