//===- EvalBench.cpp - Times the reference evaluator on a model -----------===//
//
// Usage: h8-eval-bench MODEL.onnx REPS [name=dim ...]
// Runs the model REPS times on seeded random inputs (dynamic dims from the
// arguments, else 1) and prints the median and min wall time per run.
// A benchmark, not a test: the README quotes its medians.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "h8/Eval/Compare.h"
#include "h8/Eval/Evaluator.h"
#include "h8/IR/GraphIndex.h"
#include "h8/Support/ModelIO.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.onnx REPS [name=dim ...]\n", argv[0]);
    return 2;
  }
  auto model = h8::ReadBinaryModelFile(argv[1]);
  int reps = 0;
  if (!model.ok() || !absl::SimpleAtoi(argv[2], &reps) || reps < 1) {
    std::fprintf(stderr, "%s: cannot read model or repetitions\n", argv[1]);
    return 2;
  }
  std::map<std::string, int64_t> named;
  for (int i = 3; i < argc; ++i) {
    std::string arg = argv[i];
    size_t eq = arg.find('=');
    int64_t v = 1;
    if (eq != std::string::npos && absl::SimpleAtoi(arg.substr(eq + 1), &v))
      named[arg.substr(0, eq)] = v;
  }
  h8::GraphIndex index(model->graph());
  std::map<std::string, h8::Tensor> inputs;
  for (const auto& in : model->graph().input()) {
    if (!index.IsRuntimeInput(in.name())) continue;
    std::vector<int64_t> dims;
    for (const auto& d : in.type().tensor_type().shape().dim())
      dims.push_back(d.has_dim_value() ? d.dim_value()
                                       : (named.count(d.dim_param()) ? named[d.dim_param()] : 1));
    inputs[in.name()] = h8::RandomTensor(in.type().tensor_type().elem_type(), dims, 1);
  }
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    auto start = std::chrono::steady_clock::now();
    auto out = h8::EvaluateModel(*model, inputs, h8::DirName(argv[1]));
    times.push_back(std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start).count());
    if (!out.ok()) {
      std::fprintf(stderr, "%s\n", std::string(out.status().message()).c_str());
      return 1;
    }
  }
  std::sort(times.begin(), times.end());
  std::printf("%s: median %.3f ms, min %.3f ms over %d runs\n", argv[1],
              times[times.size() / 2], times.front(), reps);
  return 0;
}
