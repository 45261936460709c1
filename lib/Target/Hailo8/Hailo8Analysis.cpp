//===- Hailo8Analysis.cpp - What Hailo-8 can run, and where to cut --------===//
//
// Moved out of check-hailo8 so the split (split-hailo8) and the DFC hand-off
// (hailo-compile) share one judgement. check-hailo8 formats diagnostics
// from the result; nothing here emits any.
//
//===----------------------------------------------------------------------===//
#include "h8/Target/Hailo8/Hailo8Analysis.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/Match.h"

namespace h8 {
namespace {

using hailo8::Finding;
using hailo8::FindingLevel;
using hailo8::OpSupport;
using hailo8::Profile;

std::string NodeName(const onnx::NodeProto& node, int index) {
  if (!node.name().empty()) return node.name();
  if (node.output_size() > 0 && !node.output(0).empty()) return node.output(0);
  return absl::StrCat("#", index);
}

bool IsDynamic(const onnx::TypeProto& type, std::string* why) {
  if (!type.has_tensor_type()) return false;
  if (!type.tensor_type().has_shape()) {
    *why = "unknown shape";
    return true;
  }
  std::vector<std::string> dims;
  bool dynamic = false;
  for (const auto& d : type.tensor_type().shape().dim()) {
    if (d.has_dim_value()) {
      dims.push_back(absl::StrCat(d.dim_value()));
    } else {
      dynamic = true;
      dims.push_back(d.has_dim_param() ? d.dim_param() : "?");
    }
  }
  *why = absl::StrCat("[", absl::StrJoin(dims, ","), "]");
  return dynamic;
}

// Where a control-flow body sits: "If 'cond' / then_branch", nested bodies
// joined the same way.
std::string BodyPath(const std::string& parent, const onnx::NodeProto& node, int index,
                     const std::string& attr) {
  return absl::StrCat(parent, parent.empty() ? "" : " / ", node.op_type(), " '",
                      NodeName(node, index), "' / ", attr);
}

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

  Hailo8Analysis Run() {
    result_.num_nodes = n_;
    flagged_.assign(n_, false);
    MatchPatterns();
    JudgeNodes();
    JudgeInterface();
    std::stable_sort(result_.node_reports.begin(), result_.node_reports.end(),
                     [](const Hailo8NodeReport& a, const Hailo8NodeReport& b) {
                       return a.SortKey() < b.SortKey();
                     });
    for (int i = 0; i < n_; ++i)
      if (flagged_[i]) result_.flagged.push_back(i);
    result_.is_flagged = flagged_;
    result_.in_tail.assign(n_, false);
    if (!result_.flagged.empty()) FindCut();
    return std::move(result_);
  }

 private:
  // Applies allow=/deny= to the op `op`: kOk = allowed, kError = denied,
  // nullopt = follow the profile.
  std::optional<FindingLevel> Override(const std::string& op) const {
    if (deny_.contains(op)) return FindingLevel::kError;
    if (allow_.contains(op)) return FindingLevel::kOk;
    return std::nullopt;
  }

  // 1. Multi-node patterns: one report per instance, at its last node.
  void MatchPatterns() {
    const int p = static_cast<int>(profile_);
    pattern_of_.assign(n_, -1);
    int instances = 0;
    for (int i = 0; i < n_; ++i) {
      const auto& node = graph_.node(i);
      if (!IsOnnxDomain(node) || pattern_of_[i] >= 0) continue;
      for (const hailo8::PatternRule& rule : hailo8::PatternRules()) {
        if (!hailo8::IsPatternRoot(rule, node.op_type())) continue;
        auto m = rule.match(i, index_, shapes_);
        if (!m) continue;
        bool free = std::all_of(m->members.begin(), m->members.end(),
                                [&](int k) { return pattern_of_[k] < 0; });
        if (!free) continue;
        for (int k : m->members) pattern_of_[k] = instances;
        ++instances;
        result_.pattern_instances.push_back(rule.equivalent);
        std::vector<Finding> findings;
        std::optional<FindingLevel> over = Override(rule.equivalent);
        if (over == FindingLevel::kError) {
          findings.push_back(
              {FindingLevel::kError, absl::StrCat("denied by deny=", rule.equivalent), ""});
        } else if (!over) {
          switch (rule.support[p]) {
            case OpSupport::kSupported: break;
            case OpSupport::kUnsupported:
              findings.push_back({FindingLevel::kError, rule.message, rule.hint});
              break;
            case OpSupport::kConstrained:
              if (rule.check) rule.check(*m, shapes_, profile_, findings);
              break;
          }
        }
        std::vector<std::string> member_names;
        for (int k : m->members)
          member_names.push_back(
              absl::StrCat("'", NodeName(graph_.node(k), k), "' (", graph_.node(k).op_type(), ")"));
        for (Finding& f : findings) {
          Hailo8NodeReport r;
          r.node = m->members.back();
          r.finding = f;
          r.finding.message =
              absl::StrCat(rule.name, " pattern (", m->members.size(), " nodes): ", f.message);
          r.notes.push_back(absl::StrCat("pattern members: ", absl::StrJoin(member_names, ", ")));
          if (f.level == FindingLevel::kError)
            for (int k : m->members) flagged_[k] = true;
          result_.node_reports.push_back(std::move(r));
        }
        break;
      }
    }
  }

  // 2. Single nodes by their op rule, plus the generic rank <= 4 check.
  void JudgeNodes() {
    const int p = static_cast<int>(profile_);
    for (int i = 0; i < n_; ++i) {
      const auto& node = graph_.node(i);
      std::vector<Finding> findings;
      if (pattern_of_[i] < 0) {
        std::optional<FindingLevel> over = Override(node.op_type());
        const hailo8::OpRule* rule =
            IsOnnxDomain(node) ? hailo8::FindOpRule(node.op_type()) : nullptr;
        if (over == FindingLevel::kError) {
          findings.push_back(
              {FindingLevel::kError, absl::StrCat("denied by deny=", node.op_type()), ""});
        } else if (over == FindingLevel::kOk) {
          // allowed regardless of the profile
        } else if (!IsOnnxDomain(node)) {
          findings.push_back({FindingLevel::kError,
                              absl::StrCat("custom-domain op '", node.domain(),
                                           "::", node.op_type(), "' is not supported"),
                              "cut it off with --end-node-names and run it on the host"});
        } else if (rule == nullptr) {
          findings.push_back({FindingLevel::kWarning,
                              absl::StrCat(node.op_type(),
                                           " is not in the Hailo-8 support table; it may "
                                           "fail to parse"),
                              "allow=" + node.op_type() + " if you know your DFC maps it"});
        } else {
          switch (rule->support[p]) {
            case OpSupport::kSupported: break;
            case OpSupport::kUnsupported:
              findings.push_back({FindingLevel::kError, rule->message, rule->hint});
              break;
            case OpSupport::kConstrained:
              if (rule->check) {
                hailo8::RuleContext rc{node, index_, shapes_, opset_, profile_};
                rule->check(rc, findings);
              }
              break;
          }
        }
      }
      // Generic: Hailo-8 tensors are at most 4-D.
      for (const auto& out : node.output()) {
        if (out.empty()) continue;
        int rank = shapes_.Rank(out).value_or(-1);
        if (rank > 4) {
          findings.push_back(
              {FindingLevel::kError,
               absl::StrCat("produces the rank-", rank, " tensor '", out,
                            "': Hailo-8 tensors are at most 4-D (UnsupportedShuffleLayerError)"),
               "keep tensors 4-D (fold the extra axis into channels)"});
          break;
        }
      }
      const bool own_error = std::any_of(findings.begin(), findings.end(), [](const Finding& f) {
        return f.level == FindingLevel::kError;
      });
      for (Finding& f : findings) {
        if (f.level == FindingLevel::kError) flagged_[i] = true;
        result_.node_reports.push_back(Report(i, std::move(f)));
      }
      JudgeBodies(i, own_error);
    }
  }

  static Hailo8NodeReport Report(int node, Finding finding) {
    Hailo8NodeReport r;
    r.node = node;
    r.finding = std::move(finding);
    return r;
  }

  // Bodies of an If/Loop/Scan (any graph attribute): their nodes are judged
  // by the same rules, recursively; their errors are reported at the inner
  // node with the body's path, and a node whose bodies hold an unsupported
  // node is itself unsupported (even under allow=If).
  void JudgeBodies(int i, bool own_error) {
    const onnx::NodeProto& node = graph_.node(i);
    int inner_flagged = 0;
    std::vector<Hailo8NodeReport> inner;
    for (const auto& attr : node.attribute()) {
      std::vector<const onnx::GraphProto*> bodies;
      if (attr.has_g()) bodies.push_back(&attr.g());
      for (const auto& g : attr.graphs()) bodies.push_back(&g);
      for (const onnx::GraphProto* body : bodies) {
        Analyzer sub(*body, opset_, options_, BodyPath(path_, node, i, attr.name()));
        Hailo8Analysis r = sub.RunBody();
        ++result_.subgraph_bodies;
        result_.subgraph_bodies += r.subgraph_bodies;
        result_.subgraph_nodes += r.num_nodes + r.subgraph_nodes;
        result_.subgraph_flagged += static_cast<int>(r.flagged.size()) + r.subgraph_flagged;
        inner_flagged += static_cast<int>(r.flagged.size()) + r.subgraph_flagged;
        for (Hailo8NodeReport& rep : r.node_reports) inner.push_back(std::move(rep));
      }
    }
    if (inner_flagged == 0) return;
    flagged_[i] = true;
    if (!own_error)
      result_.node_reports.push_back(Report(
          i, {FindingLevel::kError,
              absl::StrCat("control flow (", node.op_type(), ") whose bodies hold ", inner_flagged,
                           " node", inner_flagged == 1 ? "" : "s", " Hailo-8 cannot run"),
              kBodyHint}));
    // The node's own report (the last one pushed for it) counts the inner
    // reports that follow.
    if (own_error)
      result_.node_reports.back().notes.push_back(
          absl::StrCat("its bodies hold ", inner_flagged, " node", inner_flagged == 1 ? "" : "s",
                       " Hailo-8 cannot run (reported below with their path)"));
    for (Hailo8NodeReport& rep : inner) {
      rep.owner = i;  // ends as the main-graph node
      result_.node_reports.push_back(std::move(rep));
    }
  }

  // A body: patterns and nodes (and nested bodies); only errors are kept
  // (a body's outer-scope values have no shapes here, so the rank checks
  // would only warn that they cannot tell).
  Hailo8Analysis RunBody() {
    result_.num_nodes = n_;
    flagged_.assign(n_, false);
    MatchPatterns();
    JudgeNodes();
    std::vector<Hailo8NodeReport> kept;
    for (Hailo8NodeReport& r : result_.node_reports) {
      if (r.finding.level != FindingLevel::kError) continue;
      if (r.graph.empty()) {
        r.graph = path_;
        r.proto = &graph_.node(r.node);
      }
      kept.push_back(std::move(r));
    }
    std::stable_sort(kept.begin(), kept.end(),
                     [](const Hailo8NodeReport& a, const Hailo8NodeReport& b) {
                       return a.SortKey() < b.SortKey();
                     });
    result_.node_reports = std::move(kept);
    for (int i = 0; i < n_; ++i)
      if (flagged_[i]) result_.flagged.push_back(i);
    return std::move(result_);
  }

  // The batch axis of a graph input: 0, or for an input read only by
  // LSTM/GRU/RNN (data X [seq, batch, in], initial states
  // [num_layers*directions, batch, hidden]) 1, or 0 under layout=1.
  // -1 (no batch to judge) for an input that reaches recurrent ops only
  // through slicing (a multi-layer LSTM's initial states are sliced per
  // layer).
  int BatchAxis(const std::string& value) const {
    absl::Span<const int> readers = index_.Consumers(value);
    const bool sliced = std::any_of(readers.begin(), readers.end(),
                                    [&](int c) { return IsStatePlumbing(graph_.node(c)); });
    if (sliced && FeedsOnlyRecurrent(value, 0)) return -1;
    int axis = -1;
    for (int c : readers) {
      const auto& node = graph_.node(c);
      // Shape reads no data (the exporter builds zero initial states from
      // Shape(X)).
      if (IsOnnxDomain(node) && node.op_type() == "Shape") continue;
      bool direct = false;
      for (const auto& in : node.input()) direct |= in == value;
      if (!IsRecurrent(node) || !direct) return 0;
      const int a = GetIntAttr(node, "layout", 0) == 0 ? 1 : 0;
      if (axis >= 0 && axis != a) return 0;
      axis = a;
    }
    return axis < 0 ? 0 : axis;
  }

  static bool IsRecurrent(const onnx::NodeProto& node) {
    const std::string& op = node.op_type();
    return IsOnnxDomain(node) && (op == "LSTM" || op == "GRU" || op == "RNN");
  }
  static bool IsStatePlumbing(const onnx::NodeProto& node) {
    const std::string& op = node.op_type();
    return IsOnnxDomain(node) &&
           (op == "Slice" || op == "Gather" || op == "Split" || op == "Squeeze" ||
            op == "Unsqueeze" || op == "Reshape" || op == "Identity");
  }
  // Whether every use of `value`, through state plumbing (at most 4 deep,
  // as data input 0), is an input of a recurrent op.
  bool FeedsOnlyRecurrent(const std::string& value, int depth) const {
    absl::Span<const int> readers = index_.Consumers(value);
    if (readers.empty() || depth > 4 || index_.IsGraphOutput(value)) return false;
    for (int c : readers) {
      const onnx::NodeProto& node = graph_.node(c);
      if (IsRecurrent(node)) continue;
      if (!IsStatePlumbing(node) || node.input(0) != value) return false;
      for (const std::string& out : node.output())
        if (!out.empty() && !FeedsOnlyRecurrent(out, depth + 1)) return false;
    }
    return true;
  }

  // 3. The interface: dynamic dims, non-float inputs, batch > 1 (for inputs
  // of recurrent ops only, on their batch axis).
  void JudgeInterface() {
    auto add = [&](FindingLevel level, std::string message, std::vector<std::string> notes = {}) {
      result_.interface_reports.push_back({level, std::move(message), std::move(notes)});
    };
    for (const auto& in : graph_.input()) {
      if (!index_.IsRuntimeInput(in.name())) continue;
      std::string why;
      if (IsDynamic(in.type(), &why))
        add(FindingLevel::kError,
            absl::StrCat("graph input '", in.name(), "' has dynamic dims ", why,
                         ": 'Could not parse the model due to dynamic shapes'"));
      if (in.type().has_tensor_type()) {
        const auto& tt = in.type().tensor_type();
        if (tt.elem_type() != onnx::TensorProto::FLOAT)
          add(FindingLevel::kError,
              absl::StrCat("graph input '", in.name(), "' is of type ",
                           onnx::TensorProto::DataType_Name(
                               static_cast<onnx::TensorProto::DataType>(tt.elem_type())),
                           ": Hailo-8 inputs are float32 (quantized on device)"));
        const int b = BatchAxis(in.name());
        if (b >= 0 && tt.has_shape() && tt.shape().dim_size() > b &&
            tt.shape().dim(b).has_dim_value() && tt.shape().dim(b).dim_value() > 1)
          add(FindingLevel::kWarning,
              absl::StrCat("graph input '", in.name(), "' has batch ",
                           tt.shape().dim(b).dim_value(),
                           ": compile at N=1 (batch is a runtime setting in HailoRT)"));
      }
    }
    for (const auto& out : graph_.output()) {
      std::string why;
      if (IsDynamic(out.type(), &why))
        add(FindingLevel::kError,
            absl::StrCat("graph output '", out.name(), "' has dynamic dims ", why,
                         ": 'Could not parse the model due to dynamic shapes'"));
    }
    std::vector<std::string> dynamic;
    for (const auto& vi : graph_.value_info()) {
      std::string why;
      if (IsDynamic(vi.type(), &why) && why != "unknown shape")
        dynamic.push_back(absl::StrCat("'", vi.name(), "' ", why));
    }
    if (!dynamic.empty()) {
      std::vector<std::string> shown(dynamic.begin(),
                                     dynamic.begin() + std::min<size_t>(5, dynamic.size()));
      add(FindingLevel::kError,
          absl::StrCat(dynamic.size(), " intermediate tensor",
                       dynamic.size() == 1 ? " has" : "s have",
                       " dynamic dims: 'Could not parse the model due to dynamic shapes'"),
          {absl::StrCat("e.g. ", absl::StrJoin(shown, ", "),
                        dynamic.size() > shown.size() ? ", ..." : ""),
           "fix: run --pin-shape"});
    }
  }

  // 4. Where the graph can be cut.
  void FindCut() {
    std::vector<bool>& tail = result_.in_tail;
    // The tail: flagged nodes and everything downstream of them.
    std::vector<int> stack;
    for (int i = 0; i < n_; ++i)
      if (flagged_[i]) {
        tail[i] = true;
        stack.push_back(i);
      }
    while (!stack.empty()) {
      int u = stack.back();
      stack.pop_back();
      for (const auto& out : graph_.node(u).output())
        for (int c : index_.Consumers(out))
          if (!tail[c]) {
            tail[c] = true;
            stack.push_back(c);
          }
    }
    // Supported nodes downstream of an unsupported one move to the host
    // with it: what stays on the device is the prefix before the tail.
    int supported_moved = 0;
    for (int i = 0; i < n_; ++i)
      if (tail[i] && !flagged_[i] && graph_.node(i).op_type() != "Constant") ++supported_moved;
    const int first = result_.flagged.front();
    const std::string first_name = NodeName(graph_.node(first), first);
    // End nodes: producers of the tail's inputs, and of graph outputs
    // computed before the tail.
    std::vector<bool> is_end(n_, false);
    std::string raw_input;
    for (int i = 0; i < n_; ++i) {
      if (!tail[i]) continue;
      for (const std::string& in : Hailo8NodeReads(graph_.node(i))) {
        int prod = index_.ProducerIndex(in);
        if (prod < 0) {
          if (index_.IsRuntimeInput(in) && raw_input.empty()) raw_input = in;
          continue;
        }
        if (tail[prod] || graph_.node(prod).op_type() == "Constant") continue;
        is_end[prod] = true;
      }
    }
    for (int i = 0; i < n_; ++i) {
      if (tail[i] || graph_.node(i).op_type() == "Constant") continue;
      for (const auto& out : graph_.node(i).output())
        if (!out.empty() && index_.IsGraphOutput(out)) is_end[i] = true;
    }
    Hailo8Cut cut;
    for (int i = 0; i < n_; ++i) {
      if (is_end[i]) {
        cut.end_nodes.push_back(NodeName(graph_.node(i), i));
        cut.end_node_indices.push_back(i);
      }
      if (tail[i]) cut.host_nodes.push_back(i);
    }
    cut.supported_moved = supported_moved;
    const int host_nodes = static_cast<int>(cut.host_nodes.size());
    if (raw_input.empty() && !cut.end_nodes.empty()) {
      result_.region_note = absl::StrCat("the ", host_nodes, " nodes from '", first_name,
                                         "' on run on the host after the cut");
      if (supported_moved > 0)
        absl::StrAppend(
            &result_.region_note, " (", supported_moved,
            supported_moved == 1 ? " supported node follows" : " supported nodes follow",
            " an unsupported one and move", supported_moved == 1 ? "s" : "",
            " to the host with it)");
      result_.cut = std::move(cut);
    } else if (!raw_input.empty()) {
      result_.region_note =
          absl::StrCat("no Hailo-8 region precedes the unsupported nodes: '", first_name,
                       "' (or a node after it) reads the graph input '", raw_input, "' directly; ",
                       host_nodes, " of ", n_, " nodes sit at or after an unsupported node");
    } else {
      result_.region_note =
          absl::StrCat("no Hailo-8 region precedes the unsupported nodes: '", first_name,
                       "' and everything it feeds compute no "
                       "value Hailo-8 could hand over");
    }
  }

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

}  // namespace

std::vector<std::string> Hailo8NodeReads(const onnx::NodeProto& node) {
  std::vector<std::string> out;
  for (const auto& in : node.input())
    if (!in.empty()) out.push_back(in);
  for (const auto& attr : node.attribute()) {
    absl::flat_hash_set<std::string> outer;
    if (attr.has_g()) GraphIndex::CollectOuterReferences(attr.g(), outer);
    for (const auto& g : attr.graphs()) GraphIndex::CollectOuterReferences(g, outer);
    std::vector<std::string> sorted(outer.begin(), outer.end());
    std::sort(sorted.begin(), sorted.end());
    out.insert(out.end(), sorted.begin(), sorted.end());
  }
  return out;
}

Hailo8Analysis AnalyzeForHailo8(const onnx::ModelProto& model, const Hailo8AnalysisOptions& options,
                                std::shared_ptr<const GraphIndex> index,
                                std::shared_ptr<const ShapeAnalysis> shapes) {
  return Analyzer(model.graph(), OnnxOpsetVersion(model), options, "", std::move(index),
                  std::move(shapes))
      .Run();
}

}  // namespace h8
