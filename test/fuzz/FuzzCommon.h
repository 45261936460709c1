//===- FuzzCommon.h - Shared helpers for the libFuzzer targets --*- C++ -*-===//
//
// Size caps (one iteration must stay well under a second) and a fatal check
// that prints the broken property before aborting, so libFuzzer records the
// input as a crash.
//
//===----------------------------------------------------------------------===//
#ifndef H8_TEST_FUZZ_FUZZCOMMON_H
#define H8_TEST_FUZZ_FUZZCOMMON_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "onnx/onnx_pb.h"

namespace h8fuzz {

/// Inputs larger than this are ignored.
constexpr size_t kMaxInputBytes = 64 * 1024;
/// Models with more nodes (all graphs, subgraphs included) are not run.
constexpr int kMaxNodes = 200;
/// Models declaring a tensor with more elements than this are not run.
constexpr int64_t kMaxElements = 100000;

[[noreturn]] inline void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "FUZZ PROPERTY VIOLATED: %s\n%s\n", what, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

/// Number of nodes in `graph` and all its subgraphs.
inline int CountNodes(const onnx::GraphProto& graph) {
  int n = graph.node_size();
  for (const auto& node : graph.node())
    for (const auto& attr : node.attribute()) {
      if (attr.has_g()) n += CountNodes(attr.g());
      for (const auto& g : attr.graphs()) n += CountNodes(g);
    }
  return n;
}

/// Element count of dims, or -1 when negative or beyond `kMaxElements`.
template <typename Dims>
int64_t CappedElements(const Dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0 || d > kMaxElements) return -1;
    n *= d;
    if (n > kMaxElements) return -1;
  }
  return n;
}

inline bool ShapeSmall(const onnx::TypeProto& type) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape()) return true;
  int64_t n = 1;
  for (const auto& d : type.tensor_type().shape().dim()) {
    if (!d.has_dim_value()) continue;
    if (d.dim_value() < 0 || d.dim_value() > kMaxElements) return false;
    n *= d.dim_value();
    if (n > kMaxElements) return false;
  }
  return true;
}

/// Whether every declared tensor (initializers, Constant values, inputs,
/// outputs, value_info) of `graph` and its subgraphs is within the caps.
inline bool TensorsSmall(const onnx::GraphProto& graph) {
  for (const auto& t : graph.initializer())
    if (CappedElements(t.dims()) < 0) return false;
  for (const auto& v : graph.input())
    if (!ShapeSmall(v.type())) return false;
  for (const auto& v : graph.output())
    if (!ShapeSmall(v.type())) return false;
  for (const auto& v : graph.value_info())
    if (!ShapeSmall(v.type())) return false;
  for (const auto& node : graph.node())
    for (const auto& attr : node.attribute()) {
      if (attr.has_t() && CappedElements(attr.t().dims()) < 0) return false;
      for (const auto& t : attr.tensors())
        if (CappedElements(t.dims()) < 0) return false;
      // Constant value_ints / value_floats and shape-like ints (ConstantOfShape,
      // Expand targets come from tensors) are bounded by the input size.
      if (attr.has_g() && !TensorsSmall(attr.g())) return false;
      for (const auto& g : attr.graphs())
        if (!TensorsSmall(g)) return false;
    }
  return true;
}

}  // namespace h8fuzz

#endif  // H8_TEST_FUZZ_FUZZCOMMON_H
