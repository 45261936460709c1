//===- EvalBench.cpp - Times the reference evaluator on a model -----------===//
//
// Usage: h8-eval-bench MODEL.onnx REPS [name=dim ...]
//        h8-eval-bench lstm:HIDDEN:STEPS:FEATURES REPS
// Runs the model REPS times on seeded random inputs (dynamic dims from the
// arguments, else 1) and prints the median and min wall time per run.
// `lstm:64:100:9` builds a one-layer forward LSTM (hidden 64, 100 time
// steps, batch 1, 9 input features, random weights) instead of reading a
// file. A benchmark, not a test: the README quotes its medians.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "h8/Eval/Compare.h"
#include "h8/Eval/Evaluator.h"
#include "h8/Eval/Tensor.h"
#include "h8/IR/GraphIndex.h"
#include "h8/Support/ModelIO.h"

namespace {

/// A one-layer forward LSTM from "lstm:HIDDEN:STEPS:FEATURES" (opset 14).
absl::StatusOr<onnx::ModelProto> LstmModel(const std::string& spec) {
  std::vector<std::string> parts = absl::StrSplit(spec, ':');
  int64_t h = 0, t = 0, f = 0;
  if (parts.size() != 4 || !absl::SimpleAtoi(parts[1], &h) || !absl::SimpleAtoi(parts[2], &t) ||
      !absl::SimpleAtoi(parts[3], &f) || h < 1 || t < 1 || f < 1)
    return absl::InvalidArgumentError("expected lstm:HIDDEN:STEPS:FEATURES");
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(14);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("lstm_bench");
  auto add_value = [](google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list,
                      const std::string& name, std::vector<int64_t> dims) {
    onnx::ValueInfoProto* vi = list->Add();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  };
  add_value(g->mutable_input(), "x", {t, 1, f});
  add_value(g->mutable_output(), "y", {t, 1, 1, h});
  add_value(g->mutable_output(), "y_h", {1, 1, h});
  // Weights in [-1, 1) scaled by 1/sqrt(hidden), PyTorch's init range.
  const float scale = 1.0f / std::sqrt(static_cast<float>(h));
  auto add_weight = [&](const std::string& name, std::vector<int64_t> dims, uint64_t seed) {
    h8::Tensor w = h8::RandomTensor(onnx::TensorProto::FLOAT, dims, seed);
    for (float& v : w.f) v *= scale;
    *g->add_initializer() = h8::TensorToProto(w, name);
  };
  add_weight("W", {1, 4 * h, f}, 11);
  add_weight("R", {1, 4 * h, h}, 12);
  add_weight("B", {1, 8 * h}, 13);
  onnx::NodeProto* n = g->add_node();
  n->set_op_type("LSTM");
  n->set_name("lstm");
  for (const char* in : {"x", "W", "R", "B"}) n->add_input(in);
  n->add_output("y");
  n->add_output("y_h");
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name("hidden_size");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(h);
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.onnx REPS [name=dim ...]\n", argv[0]);
    return 2;
  }
  absl::StatusOr<onnx::ModelProto> model =
      absl::StartsWith(argv[1], "lstm:") ? LstmModel(argv[1]) : h8::ReadBinaryModelFile(argv[1]);
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
    times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    if (!out.ok()) {
      std::fprintf(stderr, "%s\n", std::string(out.status().message()).c_str());
      return 1;
    }
  }
  std::sort(times.begin(), times.end());
  std::printf("%s: median %.3f ms, min %.3f ms over %d runs\n", argv[1], times[times.size() / 2],
              times.front(), reps);
  return 0;
}
