//===- CheckHailo8.cpp - Report what Hailo-8's DFC will reject ------------===//
//
// A lint: judges the main graph against the Hailo-8 rule tables in
// lib/Target/Hailo8/Hailo8Rules.cpp and reports, per node, what the
// Dataflow Compiler will reject, with a fix hint. It never changes the
// model; errors make the run exit 1.
//
//   $ onnx-h8-opt model.onnx --check-hailo8
//   model.onnx: error: check-hailo8: node '/Softmax_1' (Softmax): Softmax is
//       not supported on the users' Hailo-8 toolchain
//   model.onnx: note: fix: cut it off with --end-node-names ...
//   model.onnx: note: check-hailo8: 1 errors, 0 warnings; Hailo-8 can run 5 of 6 nodes
//   model.onnx: note: check-hailo8: recommended cut: --end-node-names /fc/Gemm
//
// Order of work:
//  1. multi-node patterns (decomposed LayerNorm/Softmax, GroupNorm, Gelu)
//     are matched first; one diagnostic per instance, anchored at its last
//     node, with a note listing the members, which are then not judged
//     individually;
//  2. every other node is judged by its op rule (allow=/deny= override the
//     profile), plus a generic rank <= 4 check on its outputs;
//  3. the interface: dynamic dims (inputs, outputs, value_info), batch > 1,
//     non-float inputs;
//  4. the summary, and the end-node recommendation when the errors form a
//     tail of the graph (else a note on which region is runnable).
// With --diagnostics-format=json steps 4's text is replaced by one JSON
// object on its own line:
//   {"summary": {"errors":N,"warnings":M,"runnable_nodes":K,"total_nodes":T},
//    "end_node_names": [...], "file": "..."}
//
// Shapes come from value_info, inputs, outputs and initializers propagated
// through common ops (hailo8::ShapeFacts); where a rank stays unknown the
// check says so instead of guessing. Subgraph bodies are not inspected: the
// owning Loop/If/Scan is itself unsupported.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <iostream>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/Match.h"
#include "h8/Passes/Passes.h"
#include "h8/Target/Hailo8/Hailo8Rules.h"
#include "nlohmann/json.hpp"

namespace h8 {
namespace {

using hailo8::Finding;
using hailo8::Level;
using hailo8::Profile;
using hailo8::Support;

// One node-anchored report, emitted in node order once everything is judged.
struct Report {
  int node = -1;
  Finding finding;
  std::vector<std::string> notes;
};

class CheckHailo8Pass : public Pass {
 public:
  explicit CheckHailo8Pass(const CheckHailo8Options& options) {
    profile_ = hailo8::ParseProfile(options.profile).value_or(Profile::kDefault);
    allow_.insert(options.allow.begin(), options.allow.end());
    deny_.insert(options.deny.begin(), options.deny.end());
  }
  absl::string_view Argument() const override { return "check-hailo8"; }
  bool IsLint() const override { return true; }
  absl::StatusOr<bool> Run(onnx::ModelProto& model, PassContext& ctx) override;

 private:
  // Applies allow=/deny= to the op `op`: kOk = allowed, kError = denied,
  // nullopt = follow the profile.
  std::optional<Level> Override(const std::string& op) const {
    if (deny_.contains(op)) return Level::kError;
    if (allow_.contains(op)) return Level::kOk;
    return std::nullopt;
  }

  Profile profile_;
  absl::flat_hash_set<std::string> allow_, deny_;
};

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

absl::StatusOr<bool> CheckHailo8Pass::Run(onnx::ModelProto& model, PassContext& ctx) {
  const onnx::GraphProto& graph = model.graph();
  const int64_t opset = OnnxOpsetVersion(model);
  GraphIndex index(graph);
  hailo8::ShapeFacts shapes(graph, index, opset);
  const int n = graph.node_size();
  const int errors_before = ctx.diags().num_errors();
  const int warnings_before = ctx.diags().num_warnings();
  const int p = static_cast<int>(profile_);

  std::vector<Report> reports;
  std::vector<bool> flagged(n, false);  // nodes Hailo-8 cannot run

  // 1. Patterns.
  std::vector<int> pattern_of(n, -1);
  int instances = 0;
  for (int i = 0; i < n; ++i) {
    const auto& node = graph.node(i);
    if (!IsOnnxDomain(node) || pattern_of[i] >= 0) continue;
    for (const hailo8::PatternRule& rule : hailo8::PatternRules()) {
      if (node.op_type() != rule.root_op) continue;
      auto m = rule.match(i, index, shapes);
      if (!m) continue;
      bool free = std::all_of(m->members.begin(), m->members.end(),
                              [&](int k) { return pattern_of[k] < 0; });
      if (!free) continue;
      for (int k : m->members) pattern_of[k] = instances;
      ++instances;
      ctx.Stat(absl::StrCat("patterns-", rule.equivalent));
      std::vector<Finding> findings;
      std::optional<Level> over = Override(rule.equivalent);
      if (over == Level::kError) {
        findings.push_back({Level::kError,
                            absl::StrCat("denied by deny=", rule.equivalent), ""});
      } else if (!over) {
        switch (rule.support[p]) {
          case Support::kSupported:
            break;
          case Support::kUnsupported:
            findings.push_back({Level::kError, rule.message, rule.hint});
            break;
          case Support::kConstrained:
            if (rule.check) rule.check(*m, shapes, profile_, findings);
            break;
        }
      }
      std::vector<std::string> member_names;
      for (int k : m->members)
        member_names.push_back(
            absl::StrCat("'", NodeName(graph.node(k), k), "' (", graph.node(k).op_type(), ")"));
      for (Finding& f : findings) {
        Report r;
        r.node = m->members.back();
        r.finding = f;
        r.finding.message = absl::StrCat(rule.name, " pattern (", m->members.size(),
                                         " nodes): ", f.message);
        r.notes.push_back(absl::StrCat("pattern members: ", absl::StrJoin(member_names, ", ")));
        if (f.level == Level::kError)
          for (int k : m->members) flagged[k] = true;
        reports.push_back(std::move(r));
      }
      break;
    }
  }

  // 2. Single nodes.
  for (int i = 0; i < n; ++i) {
    const auto& node = graph.node(i);
    std::vector<Finding> findings;
    if (pattern_of[i] < 0) {
      std::optional<Level> over = Override(node.op_type());
      const hailo8::OpRule* rule = IsOnnxDomain(node) ? hailo8::FindOpRule(node.op_type())
                                                      : nullptr;
      if (over == Level::kError) {
        findings.push_back({Level::kError, absl::StrCat("denied by deny=", node.op_type()),
                            ""});
      } else if (over == Level::kOk) {
        // allowed regardless of the profile
      } else if (!IsOnnxDomain(node)) {
        findings.push_back({Level::kError,
                            absl::StrCat("custom-domain op '", node.domain(), "::",
                                         node.op_type(), "' is not supported"),
                            "cut it off with --end-node-names and run it on the host"});
      } else if (rule == nullptr) {
        findings.push_back({Level::kWarning,
                            absl::StrCat(node.op_type(),
                                         " is not in the Hailo-8 support table; it may "
                                         "fail to parse"),
                            "allow=" + node.op_type() + " if you know your DFC maps it"});
      } else {
        switch (rule->support[p]) {
          case Support::kSupported:
            break;
          case Support::kUnsupported:
            findings.push_back({Level::kError, rule->message, rule->hint});
            break;
          case Support::kConstrained:
            if (rule->check) {
              hailo8::RuleContext rc{node, index, shapes, opset, profile_};
              rule->check(rc, findings);
            }
            break;
        }
      }
    }
    // Generic: Hailo-8 tensors are at most 4-D.
    for (const auto& out : node.output()) {
      if (out.empty()) continue;
      int rank = shapes.Rank(out).value_or(-1);
      if (rank > 4) {
        findings.push_back(
            {Level::kError,
             absl::StrCat("produces the rank-", rank, " tensor '", out,
                          "': Hailo-8 tensors are at most 4-D (UnsupportedShuffleLayerError)"),
             "keep tensors 4-D (fold the extra axis into channels)"});
        break;
      }
    }
    for (Finding& f : findings) {
      if (f.level == Level::kError) flagged[i] = true;
      reports.push_back({i, std::move(f), {}});
    }
  }

  // 3. The interface.
  for (const auto& in : graph.input()) {
    if (!index.IsRuntimeInput(in.name())) continue;
    std::string why;
    if (IsDynamic(in.type(), &why))
      ctx.Error() << "graph input '" << in.name() << "' has dynamic dims " << why
                  << ": 'Could not parse the model due to dynamic shapes'";
    if (in.type().has_tensor_type()) {
      const auto& tt = in.type().tensor_type();
      if (tt.elem_type() != onnx::TensorProto::FLOAT)
        ctx.Error() << "graph input '" << in.name() << "' is of type "
                    << onnx::TensorProto::DataType_Name(
                           static_cast<onnx::TensorProto::DataType>(tt.elem_type()))
                    << ": Hailo-8 inputs are float32 (quantized on device)";
      if (tt.has_shape() && tt.shape().dim_size() > 0 && tt.shape().dim(0).has_dim_value() &&
          tt.shape().dim(0).dim_value() > 1)
        ctx.Warning() << "graph input '" << in.name() << "' has batch "
                      << tt.shape().dim(0).dim_value()
                      << ": compile at N=1 (batch is a runtime setting in HailoRT)";
    }
  }
  for (const auto& out : graph.output()) {
    std::string why;
    if (IsDynamic(out.type(), &why))
      ctx.Error() << "graph output '" << out.name() << "' has dynamic dims " << why
                  << ": 'Could not parse the model due to dynamic shapes'";
  }
  {
    std::vector<std::string> dynamic;
    for (const auto& vi : graph.value_info()) {
      std::string why;
      if (IsDynamic(vi.type(), &why) && why != "unknown shape")
        dynamic.push_back(absl::StrCat("'", vi.name(), "' ", why));
    }
    if (!dynamic.empty()) {
      auto d = ctx.Error();
      d << dynamic.size() << " intermediate tensor" << (dynamic.size() == 1 ? " has" : "s have")
        << " dynamic dims: 'Could not parse the model due to dynamic shapes'";
      std::vector<std::string> shown(dynamic.begin(),
                                     dynamic.begin() + std::min<size_t>(5, dynamic.size()));
      d.Note(absl::StrCat("e.g. ", absl::StrJoin(shown, ", "),
                          dynamic.size() > shown.size() ? ", ..." : ""));
      d.Note("fix: run --pin-shape");
    }
  }

  // Node reports, in node order.
  std::stable_sort(reports.begin(), reports.end(),
                   [](const Report& a, const Report& b) { return a.node < b.node; });
  for (Report& r : reports) {
    const auto* node = &graph.node(r.node);
    auto d = r.finding.level == Level::kError ? ctx.Error(node, r.node)
                                              : ctx.Warning(node, r.node);
    d << r.finding.message;
    for (auto& note : r.notes) d.Note(std::move(note));
    if (!r.finding.hint.empty()) d.Note(absl::StrCat("fix: ", r.finding.hint));
  }

  // 4. Where the graph can be cut.
  int num_flagged = static_cast<int>(std::count(flagged.begin(), flagged.end(), true));
  std::vector<std::string> end_nodes;
  std::string region_note;
  if (num_flagged > 0) {
    // The tail: flagged nodes and everything downstream of them.
    std::vector<bool> tail(n, false);
    std::vector<int> stack;
    for (int i = 0; i < n; ++i)
      if (flagged[i]) {
        tail[i] = true;
        stack.push_back(i);
      }
    while (!stack.empty()) {
      int u = stack.back();
      stack.pop_back();
      for (const auto& out : graph.node(u).output())
        for (int c : index.Consumers(out))
          if (!tail[c]) {
            tail[c] = true;
            stack.push_back(c);
          }
    }
    // A supported tail node that reaches a graph output without passing a
    // flagged node would be moved to the host needlessly: then the errors
    // are not only at the tail. Nodes are in topological order.
    std::vector<bool> free_path(n, false);
    std::string escaping;
    for (int i = n - 1; i >= 0; --i) {
      if (flagged[i]) continue;
      for (const auto& out : graph.node(i).output()) {
        if (out.empty()) continue;
        if (index.IsGraphOutput(out)) free_path[i] = true;
        for (int c : index.Consumers(out))
          if (!flagged[c] && free_path[c]) free_path[i] = true;
      }
      if (tail[i] && free_path[i]) escaping = NodeName(graph.node(i), i);
    }
    int first = static_cast<int>(std::find(flagged.begin(), flagged.end(), true) - flagged.begin());
    const std::string first_name = NodeName(graph.node(first), first);
    // End nodes: producers of the tail's inputs, and of graph outputs
    // computed before the tail.
    std::vector<bool> is_end(n, false);
    std::string raw_input;
    for (int i = 0; i < n; ++i) {
      if (!tail[i]) continue;
      for (const auto& in : graph.node(i).input()) {
        if (in.empty()) continue;
        int prod = index.ProducerIndex(in);
        if (prod < 0) {
          if (index.IsRuntimeInput(in) && raw_input.empty()) raw_input = in;
          continue;
        }
        if (tail[prod] || graph.node(prod).op_type() == "Constant") continue;
        is_end[prod] = true;
      }
    }
    for (int i = 0; i < n; ++i) {
      if (tail[i] || graph.node(i).op_type() == "Constant") continue;
      for (const auto& out : graph.node(i).output())
        if (!out.empty() && index.IsGraphOutput(out)) is_end[i] = true;
    }
    std::vector<std::string> cut;
    for (int i = 0; i < n; ++i)
      if (is_end[i]) cut.push_back(NodeName(graph.node(i), i));
    int host_nodes = static_cast<int>(std::count(tail.begin(), tail.end(), true));
    if (escaping.empty() && raw_input.empty() && !cut.empty()) {
      end_nodes = cut;
      region_note = absl::StrCat("the ", host_nodes, " nodes from '", first_name,
                                 "' on run on the host after the cut");
    } else if (!raw_input.empty()) {
      region_note = absl::StrCat(
          "no Hailo-8 region precedes the unsupported nodes: '", first_name,
          "' (or a node after it) reads the graph input '", raw_input, "' directly; ",
          host_nodes, " of ", n, " nodes sit at or after an unsupported node");
    } else {
      region_note = absl::StrCat(
          "unsupported node '", first_name, "' sits in the middle of the graph: Hailo-8 can run "
          "the ", n - host_nodes, " nodes not downstream of an unsupported node (end nodes: ",
          absl::StrJoin(cut, " "), ") but not the ", host_nodes,
          " downstream ones, which include supported nodes leading to graph outputs (e.g. '",
          escaping, "'); rewrite the unsupported nodes or run that region on the host");
    }
  }

  const int errors = ctx.diags().num_errors() - errors_before;
  const int warnings = ctx.diags().num_warnings() - warnings_before;
  ctx.Stat("errors", errors);
  ctx.Stat("warnings", warnings);
  ctx.Stat("runnable-nodes", n - num_flagged);
  auto note = [&](std::string message, std::string extra = "") {
    Diagnostic d;
    d.severity = Severity::kNote;
    d.file = ctx.file();
    d.pass = ctx.current_pass();
    d.message = std::move(message);
    if (!extra.empty()) d.notes.push_back(std::move(extra));
    ctx.diags().Emit(std::move(d));
  };
  if (ctx.diags().json()) {
    nlohmann::ordered_json j;
    j["summary"] = {{"errors", errors},
                    {"warnings", warnings},
                    {"runnable_nodes", n - num_flagged},
                    {"total_nodes", n}};
    j["end_node_names"] = end_nodes;
    j["file"] = ctx.file();
    if (!region_note.empty()) j["region"] = region_note;
    std::cerr << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    note(absl::StrCat(errors, " errors, ", warnings, " warnings; Hailo-8 can run ",
                      n - num_flagged, " of ", n, " nodes"));
    if (!end_nodes.empty())
      note(absl::StrCat("recommended cut: --end-node-names ", absl::StrJoin(end_nodes, " ")),
           region_note);
    else if (!region_note.empty())
      note(region_note);
  }
  return false;
}

}  // namespace

std::unique_ptr<Pass> CreateCheckHailo8Pass(const CheckHailo8Options& options) {
  return std::make_unique<CheckHailo8Pass>(options);
}

}  // namespace h8
