//===- Hailo8Analysis.h - What Hailo-8 can run, and where to cut -*- C++ -*-===//
//
// The analysis behind check-hailo8, usable without emitting diagnostics
// (split-hailo8 and hailo-compile use it too): per-node findings from the
// rule tables in Hailo8Rules.h (multi-node patterns first, then single
// nodes, then a generic rank <= 4 check), the interface findings (dynamic
// dims, non-float inputs, batch > 1), the nodes Hailo-8 cannot run
// (`flagged`; an If/Loop/Scan whose bodies hold such a node is one), the tail (flagged nodes and
// everything downstream of them) and, unless an unsupported node reads a graph input directly (no
// Hailo-8 prefix), the recommended cut: the end nodes whose outputs the host part starts from.
// Everything downstream of an unsupported node goes to the host, supported or not; the device keeps
// the prefix before it.
//
//===----------------------------------------------------------------------===//
#ifndef H8_TARGET_HAILO8_HAILO8ANALYSIS_H
#define H8_TARGET_HAILO8_HAILO8ANALYSIS_H

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "h8/Target/Hailo8/Hailo8Rules.h"
#include "onnx/onnx_pb.h"

namespace h8 {

/// The knobs of the analysis (check-hailo8's options).
struct Hailo8AnalysisOptions {
  std::string profile = "default";  // "default" or "dfc3.27"
  std::vector<std::string> allow, deny;  // op types overriding the profile
};

/// A finding anchored at a node (`notes` come before the fix hint). A node
/// inside an If/Loop/Scan body has its body's path in `graph` ("If 'cond' /
/// then_branch"; empty for the main graph), `node` is its index in that
/// body, `proto` points at it and `owner` is the main-graph node holding it.
struct Hailo8NodeReport {
  int node = -1;
  hailo8::Finding finding;
  std::vector<std::string> notes;
  std::string graph;
  const onnx::NodeProto* proto = nullptr;
  int owner = -1;
  /// Report order: by main-graph node, a body's reports after its owner's.
  int SortKey() const { return graph.empty() ? node : owner; }
};

/// A finding about the graph interface (inputs, outputs, value_info).
struct Hailo8InterfaceReport {
  hailo8::FindingLevel level = hailo8::FindingLevel::kError;
  std::string message;
  std::vector<std::string> notes;
};

/// Where the graph splits into a Hailo-8 part and a host part.
struct Hailo8Cut {
  /// Names (NodeRef) of the end nodes, in node order: the producers of the
  /// tail's inputs and of graph outputs computed before the tail.
  std::vector<std::string> end_nodes;
  std::vector<int> end_node_indices;
  /// The tail's nodes (run on the host), in node order.
  std::vector<int> host_nodes;
  /// Tail nodes Hailo-8 could run (not Constants) that follow an unsupported
  /// node and so move to the host with it.
  int supported_moved = 0;
};

struct Hailo8Analysis {
  int num_nodes = 0;
  /// In the order check-hailo8 reports them.
  std::vector<Hailo8InterfaceReport> interface_reports;
  /// Sorted by node (stable: a node's pattern finding before its own, then
  /// the errors inside its bodies).
  std::vector<Hailo8NodeReport> node_reports;
  /// Nodes inside If/Loop/Scan bodies (all depths), how many of them
  /// Hailo-8 cannot run, and how many bodies there are.
  int subgraph_nodes = 0, subgraph_flagged = 0, subgraph_bodies = 0;
  /// The op each matched pattern instance computes, in match order.
  std::vector<std::string> pattern_instances;
  /// Nodes Hailo-8 cannot run, in node order.
  std::vector<int> flagged;
  /// flagged[i] as a mask, and the tail mask (flagged + downstream).
  std::vector<bool> is_flagged, in_tail;
  /// Set when something is flagged and a Hailo-8 prefix precedes it;
  /// nullopt when nothing is flagged or the tail reads a graph input.
  std::optional<Hailo8Cut> cut;
  /// Which region runs where (empty when nothing is flagged): for a cut,
  /// what runs on the host; otherwise why no cut exists, naming the node.
  std::string region_note;

  int num_runnable() const { return num_nodes - static_cast<int>(flagged.size()); }
};

/// Names `node` reads: its inputs and, for If/Loop/Scan, the outer-scope
/// values its bodies read (sorted). The cut and split-hailo8 agree on it.
std::vector<std::string> Hailo8NodeReads(const onnx::NodeProto& node);

/// Judges the main graph of `model` against the Hailo-8 rules, and the
/// nodes inside its control-flow bodies (their errors only). The main
/// graph's index and shape analysis are computed unless given (a pass hands
/// over the ones its AnalysisManager keeps).
Hailo8Analysis AnalyzeForHailo8(const onnx::ModelProto& model,
                                const Hailo8AnalysisOptions& options = {},
                                std::shared_ptr<const GraphIndex> index = nullptr,
                                std::shared_ptr<const ShapeAnalysis> shapes = nullptr);

}  // namespace h8

#endif  // H8_TARGET_HAILO8_HAILO8ANALYSIS_H
