//===- Hailo8Rules.h - What Hailo-8's DFC 3.x accepts, as data --*- C++ -*-===//
//
// The single source of Hailo-8 operator rules used by check-hailo8 (and the
// shape helpers legalize-hailo8 shares). The README's "Hailo-8 facts the
// lint encodes" summarises what the tables say.
//
//  - OpRules(): one entry per ONNX op type: its support level per compiler
//    profile (supported / supported with constraints / unsupported), the
//    constraint check, the message and the fix hint.
//  - PatternRules(): multi-node forms that must be judged as one unit
//    (decomposed LayerNorm/Softmax/LogSoftmax, GroupNorm, the Gelu-with-Erf
//    pattern):
//    a matcher, the op they are equivalent to (allow=/deny= and profiles
//    apply to that op), levels, messages.
//
// Adding a rule is one table entry (plus a lit case). Ops absent from the
// table are reported as "not in the support table" warnings.
//
//===----------------------------------------------------------------------===//
#ifndef H8_TARGET_HAILO8_HAILO8RULES_H
#define H8_TARGET_HAILO8_HAILO8RULES_H

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "h8/IR/GraphIndex.h"
#include "onnx/onnx_pb.h"

namespace h8 {
class ShapeAnalysis;
namespace hailo8 {

/// Compiler line the rules describe: the users' toolchain ("default") or
/// DFC 3.27+ ("dfc3.27").
enum class Profile { kDefault, kDfc327 };
constexpr int kNumProfiles = 2;
/// "default" -> kDefault, "dfc3.27" -> kDfc327; nullopt otherwise.
std::optional<Profile> ParseProfile(absl::string_view name);

/// Shapes of the values of one graph, as the rules read them: the shape
/// analysis (h8/Analysis/ShapeAnalysis.h) with every non-static dim as -1.
class ShapeFacts {
 public:
  ShapeFacts(const onnx::GraphProto& graph, const GraphIndex& index, int64_t opset);
  /// Reads an analysis already made (e.g. kept by the pass context).
  explicit ShapeFacts(std::shared_ptr<const ShapeAnalysis> analysis);
  /// Asks `source` for the analysis on first use: a pass that finds nothing
  /// to look at never pays for one. The first use must come before the
  /// caller changes the graph.
  explicit ShapeFacts(std::function<std::shared_ptr<const ShapeAnalysis>()> source);
  ~ShapeFacts();
  std::optional<int> Rank(absl::string_view value) const;
  /// Dims (-1 = not static) when the rank is known.
  const std::vector<int64_t>* Dims(absl::string_view value) const;
  const ShapeAnalysis& analysis() const { return Load(); }

 private:
  const ShapeAnalysis& Load() const;
  mutable std::function<std::shared_ptr<const ShapeAnalysis>()> source_;
  mutable std::shared_ptr<const ShapeAnalysis> analysis_;
  mutable absl::flat_hash_map<std::string, std::vector<int64_t>> dims_;
};

/// Float values of a constant (initializer or Constant node output).
std::optional<std::vector<double>> ConstantFloats(const GraphIndex& index, absl::string_view value);
/// Whether `value` is an initializer or a Constant node output.
bool IsConstantValue(const GraphIndex& index, absl::string_view value);
/// Axes a Reduce* node reduces over (attribute or, at newer opsets, input
/// 1), normalized with `rank` when rank >= 0. An empty vector means "all
/// axes". nullopt when the axes input is not constant or out of range.
std::optional<std::vector<int64_t>> ReduceAxes(const onnx::NodeProto& node, const GraphIndex& index,
                                               int rank);

/// How a profile's compiler takes an op or pattern: always, under the
/// constraints its check judges, or never.
enum class OpSupport { kSupported, kConstrained, kUnsupported };
/// How serious one finding on one node is (kOk: an allow= override). The
/// check-hailo8 pass turns kError/kWarning into diagnostics of that
/// Severity (h8/Support/Diagnostics.h).
enum class FindingLevel { kOk, kWarning, kError };

struct Finding {
  FindingLevel level = FindingLevel::kError;
  std::string message;
  std::string hint;  // may be empty
};

/// What a constraint check sees.
struct RuleContext {
  const onnx::NodeProto& node;
  const GraphIndex& index;
  const ShapeFacts& shapes;
  int64_t opset;
  Profile profile;
};
using CheckFn = void (*)(const RuleContext&, std::vector<Finding>&);

struct OpRule {
  const char* op;
  OpSupport support[kNumProfiles];  // indexed by Profile
  CheckFn check;  // for kConstrained
  const char* message;  // for kUnsupported
  const char* hint;  // for kUnsupported
};

/// The op table, and a lookup by op type (nullptr when absent).
const std::vector<OpRule>& OpRules();
const OpRule* FindOpRule(absl::string_view op);

/// One matched instance of a multi-node pattern.
struct PatternMatch {
  std::vector<int> members;  // node indices, sorted; the last is the anchor
  std::string data;  // the pattern's data input
  int64_t axis = 0;  // normalized axis it works over (-1 unknown)
};
/// Tries to match starting at node `root` (whose op is one of the rule's root ops).
using MatchFn = std::optional<PatternMatch> (*)(int root, const GraphIndex& index,
                                                const ShapeFacts& shapes);
/// Judges a match under constraints (for kConstrained).
using PatternCheckFn = void (*)(const PatternMatch&, const ShapeFacts&, Profile,
                                std::vector<Finding>&);

struct PatternRule {
  const char* name;  // "decomposed LayerNormalization"
  const char* equivalent;  // the op it computes; allow=/deny= name this op
  const char* root_op;  // op type(s) where matching starts, '|'-separated
  MatchFn match;
  OpSupport support[kNumProfiles];
  PatternCheckFn check;
  const char* message;
  const char* hint;
};

const std::vector<PatternRule>& PatternRules();
/// Indices into PatternRules() of the rules whose root ops include `op`
/// (a rule's root_op lists them, '|'-separated), in table order. The
/// lookup table is built once.
const std::vector<int>& PatternRulesRootedAt(absl::string_view op);

}  // namespace hailo8
}  // namespace h8

#endif  // H8_TARGET_HAILO8_HAILO8RULES_H
