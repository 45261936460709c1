//===- Hailo8Cut.cpp - The graph interface and the recommended cut --------===//
//
// The Hailo-8 analysis of a graph's interface (dynamic dims, batch size,
// recurrent state) and of where to cut the graph into a Hailo-8 part and a
// host part (Hailo8Analyzer.h).
//
//===----------------------------------------------------------------------===//
#include <algorithm>

#include "Hailo8Analyzer.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/IR/Match.h"

namespace h8 {
namespace hailo8_analyzer {

int Analyzer::BatchAxis(const std::string& value) const {
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

bool Analyzer::IsRecurrent(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  return IsOnnxDomain(node) && (op == "LSTM" || op == "GRU" || op == "RNN");
}

bool Analyzer::IsStatePlumbing(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  return IsOnnxDomain(node) &&
         (op == "Slice" || op == "Gather" || op == "Split" || op == "Squeeze" ||
          op == "Unsqueeze" || op == "Reshape" || op == "Identity");
}

bool Analyzer::FeedsOnlyRecurrent(const std::string& value, int depth) const {
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

void Analyzer::JudgeInterface() {
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
            absl::StrCat("graph input '", in.name(), "' has batch ", tt.shape().dim(b).dim_value(),
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

void Analyzer::FindCut() {
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
      absl::StrAppend(&result_.region_note, " (", supported_moved,
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

}  // namespace hailo8_analyzer
}  // namespace h8
