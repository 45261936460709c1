//===- Hailo8Analyzer.h - The Hailo-8 analysis of one graph -----*- C++ -*-===//
//
// The class behind AnalyzeForHailo8: patterns and nodes judged in
// Hailo8Analysis.cpp, the graph's interface and the recommended cut in
// Hailo8Cut.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_TARGET_HAILO8_HAILO8ANALYZER_H
#define H8_LIB_TARGET_HAILO8_HAILO8ANALYZER_H

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "h8/IR/GraphIndex.h"
#include "h8/Target/Hailo8/Hailo8Analysis.h"

namespace h8 {
namespace hailo8_analyzer {

using hailo8::Finding;
using hailo8::FindingLevel;
using hailo8::OpSupport;
using hailo8::Profile;

/// The node's name, else its first output, else #index.
std::string NodeName(const onnx::NodeProto& node, int index);
/// Whether `type` is a tensor of unknown shape or with a dim that is not
/// static; `why` then says which (it is left alone for a static one).
bool IsDynamic(const onnx::TypeProto& type, std::string* why);
/// Where a control-flow body sits: "If 'cond' / then_branch", nested bodies
/// joined the same way.
std::string BodyPath(const std::string& parent, const onnx::NodeProto& node, int index,
                     const std::string& attr);

class Analyzer {
 public:
  // `path` is empty for the main graph, else the body's path (BodyPath).
  // `index` and `shapes` may be given (analyses kept by the caller) or are
  // computed here.
  Analyzer(const onnx::GraphProto& graph, int64_t opset, const Hailo8AnalysisOptions& options,
           std::string path = "", std::shared_ptr<const GraphIndex> index = nullptr,
           std::shared_ptr<const ShapeAnalysis> shapes = nullptr)
      : graph_(graph),
        opset_(opset),
        index_holder_(index ? std::move(index) : std::make_shared<const GraphIndex>(graph_)),
        index_(*index_holder_),
        shapes_(shapes ? hailo8::ShapeFacts(std::move(shapes))
                       : hailo8::ShapeFacts(graph_, index_, opset_)),
        n_(graph_.node_size()),
        options_(options),
        path_(std::move(path)) {
    profile_ = hailo8::ParseProfile(options.profile).value_or(Profile::kDefault);
    allow_.insert(options.allow.begin(), options.allow.end());
    deny_.insert(options.deny.begin(), options.deny.end());
  }

  Hailo8Analysis Run();

 private:
  // Applies allow=/deny= to the op `op`: kOk = allowed, kError = denied,
  // nullopt = follow the profile.
  std::optional<FindingLevel> Override(const std::string& op) const {
    if (deny_.contains(op)) return FindingLevel::kError;
    if (allow_.contains(op)) return FindingLevel::kOk;
    return std::nullopt;
  }

  // 1. Multi-node patterns: one report per instance, at its last node.
  void MatchPatterns();

  // 2. Single nodes by their op rule, plus the generic rank <= 4 check.
  void JudgeNodes();

  static Hailo8NodeReport Report(int node, Finding finding);

  // Bodies of an If/Loop/Scan (any graph attribute): their nodes are judged
  // by the same rules, recursively; their errors are reported at the inner
  // node with the body's path, and a node whose bodies hold an unsupported
  // node is itself unsupported (even under allow=If).
  void JudgeBodies(int i, bool own_error);

  // A body: patterns and nodes (and nested bodies); only errors are kept
  // (a body's outer-scope values have no shapes here, so the rank checks
  // would only warn that they cannot tell).
  Hailo8Analysis RunBody();

  // The batch axis of a graph input: 0, or for an input read only by
  // LSTM/GRU/RNN (data X [seq, batch, in], initial states
  // [num_layers*directions, batch, hidden]) 1, or 0 under layout=1.
  // -1 (no batch to judge) for an input that reaches recurrent ops only
  // through slicing (a multi-layer LSTM's initial states are sliced per
  // layer).
  int BatchAxis(const std::string& value) const;

  static bool IsRecurrent(const onnx::NodeProto& node);
  static bool IsStatePlumbing(const onnx::NodeProto& node);
  // Whether every use of `value`, through state plumbing (at most 4 deep,
  // as data input 0), is an input of a recurrent op.
  bool FeedsOnlyRecurrent(const std::string& value, int depth) const;

  // 3. The interface: dynamic dims, non-float inputs, batch > 1 (for inputs
  // of recurrent ops only, on their batch axis).
  void JudgeInterface();

  // 4. Where the graph can be cut.
  void FindCut();

  static constexpr const char* kBodyHint =
      "cut it off with --end-node-names and run it on the host (the whole control-flow node "
      "goes)";

  const onnx::GraphProto& graph_;
  const int64_t opset_;
  std::shared_ptr<const GraphIndex> index_holder_;
  const GraphIndex& index_;
  hailo8::ShapeFacts shapes_;
  const int n_;
  const Hailo8AnalysisOptions& options_;
  const std::string path_;
  Profile profile_;
  absl::flat_hash_set<std::string> allow_, deny_;
  std::vector<int> pattern_of_;
  std::vector<bool> flagged_;
  Hailo8Analysis result_;
};

}  // namespace hailo8_analyzer
}  // namespace h8

#endif  // H8_LIB_TARGET_HAILO8_HAILO8ANALYZER_H
