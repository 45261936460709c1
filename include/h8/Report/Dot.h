//===- Dot.h - Graphviz drawings of a model ---------------------*- C++ -*-===//
//
// Draws a model as Graphviz DOT (`--emit=dot`, and the drawings of
// `--report`): one box per node (op type, name, output shape once static,
// weight shape of convolutions and matrix products), edges labelled with
// tensor shapes, graph inputs and outputs as ellipses, subgraphs (If/Loop/
// Scan bodies) as clusters, rankdir TB. On top of the graph it marks what a
// run found:
//
//   red     a node with an error diagnostic (e.g. check-hailo8)
//   orange  a node with a warning
//   green   a node this run rewrote (op type, attributes or inputs differ
//           from the input model's node of the same name) or created
//   grey    the host side of the recommended cut, and nodes of the input
//           that the run removed (folded away), listed in a grey box
//
// and the recommended cut (check-hailo8's `--end-node-names a b`) as a
// dashed cluster around the host side, dashed edges across the cut, and the
// DFC flag in the graph label.
//
// The output depends only on the model and the annotations: nodes are
// visited in graph order and ids are sequential ("n0", "n1", ...), never
// derived from model names, which appear only inside escaped labels.
// Graphs of more than `collapse_above` nodes are drawn collapsed: runs of a
// repeated op-type sequence become one box "A > B x N".
//
//===----------------------------------------------------------------------===//
#ifndef H8_REPORT_DOT_H
#define H8_REPORT_DOT_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "h8/Support/Diagnostics.h"
#include "onnx/onnx_pb.h"

namespace h8 {

// Fill colours of the drawing (also looked for by the tests).
inline constexpr char kDotErrorFill[] = "#ff8a80";
inline constexpr char kDotWarningFill[] = "#ffcc80";
inline constexpr char kDotRewrittenFill[] = "#b9f6ca";
inline constexpr char kDotHostFill[] = "#e0e0e0";

/// What a drawing marks on top of the graph.
struct DotAnnotations {
  /// Diagnostics of the run; those naming a node colour it (errors red,
  /// warnings orange) and give it a tooltip.
  std::vector<Diagnostic> diagnostics;
  /// The input model, when the drawn model is the run's output: nodes that
  /// differ from (or are missing in) it are green, its nodes missing from
  /// the drawn model are listed as removed.
  const onnx::ModelProto* before = nullptr;
  /// The output model, when the drawn model is the run's input: nodes
  /// missing from it are grey (removed by the run).
  const onnx::ModelProto* after = nullptr;
  /// check-hailo8's recommended end nodes (`--end-node-names`).
  std::vector<std::string> end_nodes;
  /// Extra lines of the graph label (title, state of the run).
  std::vector<std::string> title;
  /// Node count above which repeated op sequences are folded.
  int64_t collapse_above = 2000;
};

/// Draws `model` (its main graph and every subgraph) as one DOT digraph.
std::string ModelToDot(const onnx::ModelProto& model, const DotAnnotations& annotations);

/// Escapes `text` for a double-quoted DOT string: quotes and backslashes
/// escaped, newlines as \n, other control bytes and invalid UTF-8 as '?'.
std::string EscapeDotString(const std::string& text);

/// Number of nodes in the main graph and every subgraph.
int64_t CountNodes(const onnx::GraphProto& graph);

}  // namespace h8

#endif  // H8_REPORT_DOT_H
