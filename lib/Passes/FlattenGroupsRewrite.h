//===- FlattenGroupsRewrite.h - flatten-groups' rewrites --------*- C++ -*-===//
//
// The plan flatten-groups makes for each grouped convolution
// (FlattenGroups.cpp matches and plans) and the rewriter that carries the
// plans out, dense or split (FlattenGroupsRewrite.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_PASSES_FLATTENGROUPSREWRITE_H
#define H8_LIB_PASSES_FLATTENGROUPSREWRITE_H

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/GraphRewriter.h"
#include "h8/IR/NameUniquer.h"
#include "onnx/onnx_pb.h"

namespace h8 {
namespace flatten_groups {

/// A constant tensor cut into g equal slices along axis 0.
struct Slices {
  int32_t dtype = 0;
  std::vector<int64_t> dims;  // of one slice
  std::vector<std::string> bytes;
};

/// Everything the rewrite of one node needs, computed before any mutation.
struct NodePlan {
  int index = -1;
  int64_t group = 1;
  bool dense = true;
  std::string fallback;  // why a dense request became split ("" if none)
  // dense
  bool in_place = false;
  std::vector<int64_t> dense_dims;
  std::string dense_bytes;
  int32_t dtype = 0;
  // split
  std::optional<Slices> weight_slices;  // nullopt: Split at run time
  std::optional<Slices> bias_slices;  // nullopt: Split at run time (if any bias)
  int64_t in_part = 0;  // input channels per group (0: unknown)
  int64_t weight_part = 0;  // weight rows per group (0: unknown)
  int64_t bias_part = 0;  // bias entries per group (0: unknown)
  // cost
  int64_t bytes_before = 0;
  int64_t bytes_after = 0;
};

/// A non-empty name of an initializer that is not also a graph input.
bool IsConstantInit(const GraphIndex& index, const std::string& v);
/// A constant initializer read once and not a graph output: the rewrite may
/// replace or drop it.
bool IsUnshared(const GraphIndex& index, const std::string& v);

// Applies the plans of one graph. Every structural edit goes through
// `rewriter`; the in-place ones change only tensor bytes, dims and
// attributes.
class GroupRewriter {
 public:
  GroupRewriter(onnx::GraphProto& graph, int64_t opset, const GraphIndex& index, NameUniquer& names,
                GraphRewriter& rewriter)
      : graph_(graph), opset_(opset), index_(index), names_(names), rewriter_(rewriter) {
    for (auto& vi : *graph_.mutable_value_info()) value_infos_.emplace(vi.name(), &vi);
  }

  // One dense convolution with a block-diagonal weight.
  void Densify(NodePlan& plan);
  // g convolutions over Split inputs and weights, joined by a Concat.
  void SplitIntoGroups(NodePlan& plan);

 private:
  const std::vector<std::string>& ConstantSlices(const std::string& v, int64_t g, Slices& slices);
  onnx::NodeProto MakeSplit(const std::string& input, const std::vector<std::string>& outputs,
                            int64_t axis, int64_t part, const std::string& name);
  std::vector<std::string> RuntimeParts(const std::string& v, int64_t g) {
    std::vector<std::string> parts;
    for (int64_t k = 0; k < g; ++k) parts.push_back(names_.Unique(absl::StrCat(v, "_g", k)));
    return parts;
  }
  static std::string Named(const std::string& base, absl::string_view suffix) {
    return base.empty() ? std::string() : absl::StrCat(base, suffix);
  }

  onnx::GraphProto& graph_;
  const int64_t opset_;
  const GraphIndex& index_;
  NameUniquer& names_;
  GraphRewriter& rewriter_;
  absl::flat_hash_map<std::string, onnx::ValueInfoProto*> value_infos_;
  absl::flat_hash_map<std::pair<int64_t, int64_t>, std::string> split_inits_;
  // (shared constant, group) -> its dense copy / its slices.
  absl::flat_hash_map<std::pair<std::string, int64_t>, std::string> dense_copies_;
  absl::flat_hash_map<std::pair<std::string, int64_t>, std::vector<std::string>> slice_names_;
};

}  // namespace flatten_groups
}  // namespace h8

#endif  // H8_LIB_PASSES_FLATTENGROUPSREWRITE_H
