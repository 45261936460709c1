//===- ShapeAnalysis.h - Types, shapes and shape-plumbing values -*- C++ -*-===//
//
// The one shape analysis of the project, for opsets 11 to 23. For every
// value of a model (subgraphs included) it computes the element type, the
// rank and the dims (static, symbolic expression, or unknown, see Dim.h),
// and for small integer tensors — the Shape/Gather/Concat/Reshape plumbing
// exporters write — their contents, element by element (an element may be
// symbolic: Shape of float[batch,9,time] is [batch, 9, time]).
//
// Facts come from the model's declarations (graph inputs, initializers,
// Constant nodes, value_info, graph outputs) and from one shape rule per op
// (lib/Analysis/ShapeRules*.cpp), applied in one topological walk: each node is computed
// once, after its inputs, so the walk is linear in the nodes and the
// result is the fixed point (the graph is acyclic). Declared facts refine
// computed ones dim by dim (a static dim wins over a symbolic one, a
// computed one over a stale declaration). Subgraphs (If/Loop/Scan) are
// analysed with their outer-scope values.
//
// An op without a rule (or a custom-domain op) gives unknown outputs
// (declared facts still apply) and is listed in unknown_ops(), so callers
// can say which op stopped the analysis. Rules never trust attribute values
// blindly: an out-of-range axis, a zero stride or an overflowing dim gives
// an unknown result, never a crash.
//
//===----------------------------------------------------------------------===//
#ifndef H8_ANALYSIS_SHAPEANALYSIS_H
#define H8_ANALYSIS_SHAPEANALYSIS_H

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "h8/Analysis/Dim.h"
#include "onnx/onnx_pb.h"

namespace h8 {

class GraphIndex;

/// What is known about one value.
struct ValueFacts {
  // The flags first, side by side: 56 bytes instead of 64 (a 20k-node
  // graph holds some 50k of these).
  /// onnx::TensorProto::DataType; 0 when unknown.
  int32_t elem_type = 0;
  /// Whether the rank (dims.size()) is known.
  bool has_shape = false;
  /// Whether `value` holds the contents (row-major) of a small integer or
  /// bool tensor.
  bool has_value = false;
  std::vector<Dim> dims;
  std::vector<Dim> value;

  int rank() const { return has_shape ? static_cast<int>(dims.size()) : -1; }
  /// Rank known and every dim static.
  bool IsStatic() const;
  /// Static dims, or nullopt unless IsStatic().
  std::optional<std::vector<int64_t>> StaticDims() const;
  /// Static contents, or nullopt unless every element of `value` is static.
  std::optional<std::vector<int64_t>> StaticValue() const;
  /// "[1,9,time]" or "[?]" for an unknown rank.
  std::string ShapeString() const;
};

/// Largest integer tensor whose contents are tracked.
constexpr int64_t kMaxTrackedElements = 64;

class ShapeAnalysis {
 public:
  struct Options {
    /// Symbols with known values (pin-dim): substituted in every declared
    /// and computed dim.
    std::map<std::string, int64_t> bindings;
  };

  /// Analyses `model` (main graph and subgraphs). `model` must outlive the
  /// analysis and not change while it is used.
  explicit ShapeAnalysis(const onnx::ModelProto& model, Options options = {});
  /// Analyses one graph of a model importing ai.onnx `opset` (names it
  /// reads from an enclosing graph are unknown).
  ///
  /// With `index`, the use-def index of `graph` as it is now (its wiring;
  /// the types it records are not read), the facts of the graph's values
  /// are kept in arrays by the index's value ids and the walk reads each
  /// node's ids from the index instead of hashing names: the same facts,
  /// at a fraction of the cost when a pass has built the index anyway.
  /// The analysis shares the index (ids never change, see GraphIndex::Id).
  ShapeAnalysis(const onnx::GraphProto& graph, int64_t opset, Options options = {},
                std::shared_ptr<const GraphIndex> index = nullptr);
  ~ShapeAnalysis();

  /// Facts of a value of the main graph (or of a subgraph: names are looked
  /// up in every scope), nullptr when nothing is known.
  const ValueFacts* Facts(absl::string_view value) const;
  std::optional<int> Rank(absl::string_view value) const;
  /// The index the analysis was built over (see the constructor), or
  /// nullptr. A pass holding the same index object, current for the graph,
  /// reads facts by the ids it gives (its slot ids too) through FactsById.
  const GraphIndex* index() const;
  /// Facts of the main graph's value with id `id` in index(): what
  /// Facts(name) gives for it, without hashing the name. nullptr when
  /// nothing is known (also for an id the index handed out after the
  /// analysis was built, or -1).
  const ValueFacts* FactsById(int id) const;
  /// Rank(name) for the value with id `id` (see FactsById).
  std::optional<int> RankById(int id) const;

  /// Nodes (of the main graph) whose op has no shape rule, in node order:
  /// (node index in the graph as analysed, op_type).
  const std::vector<std::pair<int, std::string>>& unknown_ops() const { return unknown_ops_; }
  /// For messages: " (no shape rule for op 'X' of node 'n', and N more)",
  /// or "" when every op had a rule.
  std::string UnknownOpsNote() const;

  /// Writes the facts back: every intermediate value of the main graph with
  /// a known type or rank gets a value_info (existing entries replaced),
  /// and graph outputs are refined (a static or symbolic dim replaces an
  /// unknown one; declared static dims are kept). Subgraph value_info is
  /// left alone. Returns whether anything changed. `current`: index(),
  /// when the caller knows it is current for `graph` (its wiring unchanged
  /// since): the walk then reads ids instead of hashing names.
  bool WriteValueInfo(onnx::GraphProto& graph, const GraphIndex* current = nullptr) const;

  /// The first value of `graph` (inputs, node outputs, outputs; main graph
  /// only) whose facts differ between this analysis and `other`, as
  /// "'v': [1,9,100] vs [1,9,?]", or "" when they agree everywhere. Used
  /// to check an analysis a pass declared still valid against a fresh one.
  std::string FirstDifference(const ShapeAnalysis& other, const onnx::GraphProto& graph) const;

  /// The first graph output of `graph` (the main graph analysed) whose
  /// declared rank differs from the rank the graph computes for it, as
  /// "graph output 'y' is declared with rank 4 [1,3,16,4] but the graph
  /// computes rank 3 [1,3,16] for it", or "" when none does (or a rank is
  /// unknown). Such a declaration is ignored by the analysis but is the
  /// model's interface: a pass that rewrites output types from it (lift-conv1d
  /// adds a dim, pin-shape pins dims) refuses the model instead.
  std::string FirstOutputRankConflict(const onnx::GraphProto& graph) const;

  /// Writes `facts` into `type`, replacing what it held (tensor type; dims as dim_value, symbolic
  /// dims as dim_param in canonical text, unknown dims without either).
  static void ToTypeProto(const ValueFacts& facts, onnx::TypeProto* type);
  /// Reads a declared TypeProto into facts (dim_params parsed, bindings
  /// substituted).
  static ValueFacts FromTypeProto(const onnx::TypeProto& type,
                                  const std::map<std::string, int64_t>& bindings);

 private:
  struct Scope;
  static ValueFacts FromTypeProtoCached(const onnx::TypeProto& type,
                                        const std::map<std::string, int64_t>& bindings,
                                        absl::flat_hash_map<std::string, Dim>* params);
  void AnalyzeGraph(const onnx::GraphProto& graph, Scope& scope, int64_t opset, bool main);

  Options options_;
  std::unique_ptr<Scope> main_;
  std::vector<std::unique_ptr<Scope>> subscopes_;
  std::vector<std::pair<int, std::string>> unknown_ops_;
  std::string first_unknown_ref_;
  absl::flat_hash_map<std::string, Dim> param_cache_;
  friend class ShapeRuleContext;
};

/// The facts one node produces, for rules and tests: `inputs[i]` may be
/// nullptr (missing or unknown input). `outer` resolves names read by
/// subgraphs; it may be empty.
struct NodeShapeInput {
  const onnx::NodeProto& node;
  int64_t opset;
  std::vector<const ValueFacts*> inputs;
};

/// Applies the shape rule of `node`'s op. Returns false when the op has no
/// rule (outputs left unknown). `outputs` is resized to the node's outputs.
/// If/Loop/Scan are handled by ShapeAnalysis, not here.
bool ApplyShapeRule(const NodeShapeInput& in, std::vector<ValueFacts>& outputs);

}  // namespace h8

#endif  // H8_ANALYSIS_SHAPEANALYSIS_H
