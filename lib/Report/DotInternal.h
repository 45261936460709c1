//===- DotInternal.h - The parts of a Graphviz drawing ----------*- C++ -*-===//
//
// Internal to lib/Report. ModelToDot (Dot.cpp) lays the drawing out from
// three parts, one file each:
//
//   DotText.cpp      label text: escaping, shortened names, tensor types
//   DotAnnotate.cpp  what a run marks: diagnostics, rewritten and removed
//                    nodes (against the other side of the run), the host
//                    side of the recommended cut, and the fill colours
//   DotCollapse.cpp  folding runs of a repeated op sequence into one box
//
// Nodes are identified across models by NodeKey(graph path, NodeRef); a
// subgraph's path is SubgraphPath(), the form the pass manager gives
// diagnostics inside bodies.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_REPORT_DOTINTERNAL_H
#define H8_LIB_REPORT_DOTINTERNAL_H

#include <map>
#include <string>
#include <vector>

#include "h8/IR/GraphIndex.h"
#include "h8/Report/Dot.h"
#include "onnx/onnx_pb.h"

namespace h8 {
namespace dot {

//===----------------------------------------------------------------------===//
// Label text (DotText.cpp)
//===----------------------------------------------------------------------===//

/// Shortens very long names in labels (the tooltip keeps the full name).
std::string Shorten(const std::string& name);
/// `text` escaped in double quotes.
std::string Quote(const std::string& text);

struct ShapeText {
  std::string text;  // "[1,9,1,100]" or "int64[2]"
  bool is_static = false;
};

/// Tensor types of one graph by name (inputs, value_info, outputs; later
/// sources win), and the dims of its initializers ("16x9x1x3").
class Shapes {
 public:
  explicit Shapes(const onnx::GraphProto& g);
  const ShapeText* Find(const std::string& name) const;
  const std::string* Weight(const std::string& name) const;

 private:
  void Add(const onnx::ValueInfoProto& v);

  std::map<std::string, ShapeText> shapes_;
  std::map<std::string, std::string> weights_;
};

//===----------------------------------------------------------------------===//
// Annotation (DotAnnotate.cpp)
//===----------------------------------------------------------------------===//

/// What a node is marked as; a higher mark wins.
enum class Mark { kNone, kHost, kRewritten, kWarning, kError };

std::string NodeKey(const std::string& path, const std::string& ref);
std::string SubgraphPath(const onnx::GraphProto& g, const std::string& path,
                         const onnx::NodeProto& node, int index, const std::string& attr);
/// Fill and border attributes of a mark ("" for none); a rewritten node
/// that also has a diagnostic keeps a green border.
std::string MarkAttrs(Mark m, bool rewritten);

/// The annotations of one drawing, indexed by node key.
class Marks {
 public:
  explicit Marks(const DotAnnotations& a);

  /// Main-graph nodes after the cut: not an end node nor upstream of one.
  std::vector<bool> HostSide(const onnx::GraphProto& g) const;
  /// The mark of node `i` of the graph at `path`; `*rewritten` tells
  /// whether it differs from (or is missing in) the input model.
  Mark NodeMark(const std::string& path, const onnx::NodeProto& node, int i, bool host,
                bool* rewritten) const;
  /// The node's tooltip: its name, then its diagnostics or what the run
  /// did to it.
  std::string NodeTooltip(const std::string& path, const std::string& ref, Mark mark,
                          bool rewritten) const;
  /// Tooltip and colours of a graph input or output (coloured when a
  /// diagnostic names it), as attributes starting with ", ".
  std::string InterfaceAttrs(const std::string& path, const char* what, const std::string& name,
                             const char* fill, const char* colour) const;

 private:
  void AddInterfaceFinding(const Diagnostic& d);

  const DotAnnotations& a_;
  std::map<std::string, Mark> severity_;
  std::map<std::string, std::string> tooltips_;
  // Main-graph input/output name -> worst interface finding, its messages.
  std::map<std::string, Mark> interface_;
  std::map<std::string, std::string> interface_tips_;
  std::map<std::string, std::string> before_, after_;
};

//===----------------------------------------------------------------------===//
// Collapsing (DotCollapse.cpp)
//===----------------------------------------------------------------------===//

/// A run of `repeats` copies of the op sequence of `period` nodes at `start`.
struct Group {
  int start = 0, period = 0, repeats = 0;
};

/// Folds runs of a repeated op sequence (period up to 16, at least two
/// copies; nodes owning subgraphs never fold): the group index of every
/// node, or -1.
std::vector<int> FoldRepeats(const onnx::GraphProto& g, std::vector<Group>& groups);

}  // namespace dot
}  // namespace h8

#endif  // H8_LIB_REPORT_DOTINTERNAL_H
