//===- Dot.cpp - Graphviz drawings of a model: the layout -----------------===//
//
// Layout of the output (every statement in a fixed order, ids sequential):
//   digraph header and defaults, graph label (title, cut, collapse note)
//   graph inputs (ellipses), nodes in graph order (host-side nodes inside
//   the dashed "cluster_host"), subgraph clusters, graph outputs, the grey
//   "removed" box, then every edge (edges come last so that no edge
//   statement creates a node inside the wrong cluster).
//
// The label text, the marks of the run and the folding of repeated op
// sequences are in DotText.cpp, DotAnnotate.cpp and DotCollapse.cpp.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <set>
#include <utility>

#include "DotInternal.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/IR/GraphIndex.h"

namespace h8 {
namespace dot {
namespace {

constexpr int kMaxRemovedListed = 40;

struct Edge {
  std::string from, to, label;
  std::string style;  // extra attributes
};

// Tensor name -> drawn id, with the enclosing graph's scope behind it.
struct Scope {
  std::map<std::string, std::string> ids;
  const Scope* parent = nullptr;
  const Shapes* shapes = nullptr;
  const std::string* Find(const std::string& name, bool* outer) const {
    *outer = false;
    for (const Scope* s = this; s != nullptr; s = s->parent) {
      auto it = s->ids.find(name);
      if (it != s->ids.end()) return &it->second;
      *outer = true;
    }
    return nullptr;
  }
  // The type of `name` as drawn on an edge, from the innermost graph that
  // knows it ("" when none does).
  std::string EdgeLabel(const std::string& name) const {
    for (const Scope* sc = this; sc != nullptr; sc = sc->parent)
      if (sc->shapes != nullptr)
        if (const ShapeText* s = sc->shapes->Find(name)) return s->text;
    return "";
  }
};

// One graph being drawn: where its statements go and what its nodes became.
struct GraphDraw {
  GraphDraw(const onnx::GraphProto& g, const std::string& path, Scope* scope,
            const std::vector<bool>& host, std::string& out)
      : g(g),
        path(path),
        scope(scope),
        indent(path.empty() ? "  " : "    "),
        host(host),
        out(out) {}

  const onnx::GraphProto& g;
  const std::string& path;  // "" for the main graph
  Scope* scope;
  std::string indent;
  const std::vector<bool>& host;
  std::string& out;
  std::string host_body;  // statements inside cluster_host
  std::vector<std::string> node_ids;  // drawn id of each node (its box)
  std::vector<bool> node_host;  // each node's box is on the host side
  std::vector<std::pair<int, std::string>> subgraph_owners;  // node, its id

  bool IsHost(int i) const { return path.empty() && i < static_cast<int>(host.size()) && host[i]; }
};

class DotWriter {
 public:
  DotWriter(const onnx::ModelProto& model, const DotAnnotations& a)
      : model_(model), a_(a), marks_(a), collapse_(CountNodes(model.graph()) > a.collapse_above) {}

  std::string Run() {
    const onnx::GraphProto& g = model_.graph();
    std::vector<bool> host = marks_.HostSide(g);
    std::string body;
    Scope scope;
    DrawGraph(g, "", &scope, nullptr, host, body);

    std::string out =
        absl::StrCat("digraph ", Quote(g.name().empty() ? "model" : g.name()), " {\n");
    std::vector<std::string> label = a_.title;
    if (!a_.end_nodes.empty())
      label.push_back(
          absl::StrCat("recommended cut: --end-node-names ", absl::StrJoin(a_.end_nodes, " ")));
    if (collapse_)
      label.push_back(absl::StrCat("collapsed: ", CountNodes(g), " nodes drawn as ", boxes_,
                                   boxes_ == 1 ? " box" : " boxes",
                                   "; runs of a repeated op sequence are one box"));
    absl::StrAppend(&out,
                    "  graph [rankdir=TB, compound=true, fontname=\"Helvetica\", "
                    "fontsize=12, labelloc=t, labeljust=l, nodesep=0.3, ranksep=0.35");
    if (!label.empty()) absl::StrAppend(&out, ", label=", Quote(absl::StrJoin(label, "\n")));
    absl::StrAppend(&out, "];\n");
    absl::StrAppend(&out,
                    "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", "
                    "color=\"#455a64\", fontname=\"Helvetica\", fontsize=10];\n"
                    "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#607d8b\", "
                    "fontcolor=\"#37474f\"];\n");
    absl::StrAppend(&out, body);
    for (const Edge& e : edges_) {
      absl::StrAppend(&out, "  ", e.from, " -> ", e.to);
      std::vector<std::string> attrs;
      if (!e.label.empty()) attrs.push_back(absl::StrCat("label=", Quote(e.label)));
      if (!e.style.empty()) attrs.push_back(e.style);
      if (!attrs.empty()) absl::StrAppend(&out, " [", absl::StrJoin(attrs, ", "), "]");
      absl::StrAppend(&out, ";\n");
    }
    absl::StrAppend(&out, "}\n");
    return out;
  }

 private:
  std::string NewId(const char* prefix) { return absl::StrCat(prefix, next_id_++); }

  void AddEdge(std::string from, std::string to, std::string label, std::string style = "") {
    if (from == to) return;
    if (!edge_seen_.insert({from, to}).second) return;
    edges_.push_back(Edge{std::move(from), std::move(to), std::move(label), std::move(style)});
  }

  void DrawGraph(const onnx::GraphProto& g, const std::string& path, Scope* scope,
                 const Scope* parent, const std::vector<bool>& host, std::string& out) {
    Shapes shapes(g);
    scope->parent = parent;
    scope->shapes = &shapes;
    GraphDraw d(g, path, scope, host, out);
    DrawInputs(d);
    DrawNodes(d);
    if (!d.host_body.empty()) {
      absl::StrAppend(&out, d.indent, "subgraph cluster_host {\n", d.indent,
                      "  style=\"dashed,filled\"; color=\"#c62828\"; fillcolor=\"#fafafa\"; "
                      "penwidth=1.5; fontcolor=\"#c62828\"; label=",
                      Quote(absl::StrCat("host side, after the cut: --end-node-names ",
                                         absl::StrJoin(a_.end_nodes, " "))),
                      ";\n", d.host_body, d.indent, "}\n");
    }
    DrawNodeEdges(d);
    DrawSubgraphs(d);
    std::string last_output = DrawOutputs(d);
    if (path.empty() && a_.before != nullptr) {
      std::string removed = DrawRemoved(g, out);
      // Below the graph: after its last output.
      if (!removed.empty() && !last_output.empty())
        edges_.push_back(Edge{last_output, removed, "", "style=invis"});
    }
  }

  // Graph inputs that are not initializers, as ellipses.
  void DrawInputs(GraphDraw& d) {
    std::set<std::string> initializers;
    for (const auto& t : d.g.initializer()) initializers.insert(t.name());
    for (const auto& in : d.g.input()) {
      if (initializers.count(in.name()) > 0) continue;
      std::string id = NewId("i");
      const ShapeText* s = d.scope->shapes->Find(in.name());
      std::string label = Shorten(in.name());
      if (s != nullptr) absl::StrAppend(&label, "\n", s->text);
      absl::StrAppend(&d.out, d.indent, id, " [shape=ellipse, style=filled, label=", Quote(label),
                      marks_.InterfaceAttrs(d.path, "input ", in.name(), "#e3f2fd", "#1565c0"),
                      "];\n");
      d.scope->ids[in.name()] = id;
    }
  }

  // One box per node, or per folded group (drawn at its first member).
  void DrawNodes(GraphDraw& d) {
    std::vector<Group> groups;
    std::vector<int> group_of =
        collapse_ ? FoldRepeats(d.g, groups) : std::vector<int>(d.g.node_size(), -1);
    std::vector<std::string> group_ids(groups.size());
    d.node_ids.assign(d.g.node_size(), "");
    d.node_host.assign(d.g.node_size(), false);
    for (int i = 0; i < d.g.node_size(); ++i) {
      const auto& node = d.g.node(i);
      const int gi = group_of[i];
      if (gi >= 0 && i != groups[gi].start) {
        d.node_ids[i] = group_ids[gi];
        d.node_host[i] = d.node_host[groups[gi].start];
      } else if (gi >= 0) {
        group_ids[gi] = DrawGroup(d, groups[gi]);
      } else {
        DrawNode(d, i);
      }
      for (const auto& o : node.output())
        if (!o.empty()) d.scope->ids[o] = d.node_ids[i];
    }
  }

  // A folded run: "A > B\nx N (M nodes)\nfrom ...\nto ...", marked with its
  // worst member, on the host side when all its members are.
  std::string DrawGroup(GraphDraw& d, const Group& grp) {
    const int i = grp.start;
    const int len = grp.period * grp.repeats;
    Mark worst = Mark::kNone;
    bool all_host = true, any_rewritten = false;
    for (int k = i; k < i + len; ++k) {
      bool h = d.IsHost(k);
      all_host = all_host && h;
      bool rw = false;
      Mark m = marks_.NodeMark(d.path, d.g.node(k), k, h, &rw);
      any_rewritten = any_rewritten || rw;
      if (m != Mark::kHost) worst = std::max(worst, m);
    }
    if (worst == Mark::kNone && all_host) worst = Mark::kHost;
    std::vector<std::string> seq;
    for (int k = i; k < i + grp.period; ++k) seq.push_back(d.g.node(k).op_type());
    std::string id = NewId("g");
    ++boxes_;
    d.node_ids[i] = id;
    d.node_host[i] = all_host;
    std::string label = absl::StrCat(absl::StrJoin(seq, " > "), "\nx ", grp.repeats, " (", len,
                                     " nodes)\nfrom ", Shorten(NodeRef(d.g.node(i), i)), "\nto ",
                                     Shorten(NodeRef(d.g.node(i + len - 1), i + len - 1)));
    std::string attrs = MarkAttrs(worst, any_rewritten && worst >= Mark::kWarning);
    absl::StrAppend(all_host ? &d.host_body : &d.out, all_host ? d.indent + "  " : d.indent, id,
                    " [shape=box3d, style=filled, fillcolor=\"#ffffff\", label=", Quote(label),
                    attrs.empty() ? "" : ", ", attrs, "];\n");
    return id;
  }

  // A node's box: op (with its domain when not ONNX), name, static output
  // type, weight dims of convolutions and matrix products.
  void DrawNode(GraphDraw& d, int i) {
    const auto& node = d.g.node(i);
    const bool is_host = d.IsHost(i);
    std::string id = NewId("n");
    ++boxes_;
    d.node_ids[i] = id;
    d.node_host[i] = is_host;
    bool rewritten = false;
    Mark mark = marks_.NodeMark(d.path, node, i, is_host, &rewritten);
    std::string ref = NodeRef(node, i);
    std::string op = node.domain().empty() || node.domain() == "ai.onnx"
                         ? node.op_type()
                         : absl::StrCat(node.domain(), "::", node.op_type());
    std::string label = op;
    if (ref != op) absl::StrAppend(&label, "\n", Shorten(ref));
    if (node.output_size() > 0) {
      const ShapeText* s = d.scope->shapes->Find(node.output(0));
      if (s != nullptr && s->is_static) absl::StrAppend(&label, "\n", s->text);
    }
    const std::string& t = node.op_type();
    if ((t == "Conv" || t == "ConvTranspose" || t == "Gemm" || t == "MatMul") &&
        node.input_size() > 1) {
      const std::string* w = nullptr;
      for (const Scope* sc = d.scope; sc != nullptr && w == nullptr; sc = sc->parent)
        if (sc->shapes != nullptr) w = sc->shapes->Weight(node.input(1));
      if (w != nullptr) absl::StrAppend(&label, "\nW ", *w);
    }
    std::string tooltip = marks_.NodeTooltip(d.path, ref, mark, rewritten);
    std::string attrs = MarkAttrs(mark, rewritten);
    absl::StrAppend(is_host ? &d.host_body : &d.out, is_host ? d.indent + "  " : d.indent, id,
                    " [label=", Quote(label), ", tooltip=", Quote(tooltip),
                    attrs.empty() ? "" : ", ", attrs, "];\n");
    if (HasSubgraph(node)) d.subgraph_owners.emplace_back(i, id);
  }

  // Edges into each node (or group) from its producers: dotted from an
  // enclosing graph, dashed red across the cut.
  void DrawNodeEdges(GraphDraw& d) {
    std::map<std::string, bool> id_host;  // drawn node id -> on the host side
    for (int i = 0; i < d.g.node_size(); ++i) id_host.emplace(d.node_ids[i], d.node_host[i]);
    for (int i = 0; i < d.g.node_size(); ++i) {
      for (const auto& in : d.g.node(i).input()) {
        if (in.empty()) continue;
        bool outer = false;
        const std::string* from = d.scope->Find(in, &outer);
        if (from == nullptr) continue;  // initializer or unknown
        std::string label = d.scope->EdgeLabel(in);
        std::string style;
        auto producer = id_host.find(*from);
        if (outer) {
          style = "style=dotted";
        } else if (d.path.empty() && !a_.end_nodes.empty() && d.node_host[i] &&
                   producer != id_host.end() && !producer->second) {
          style = "style=dashed, color=\"#c62828\", penwidth=1.5, fontcolor=\"#c62828\"";
          label = absl::StrCat(label, label.empty() ? "" : " ", "(cut)");
        }
        AddEdge(*from, d.node_ids[i], label, style);
      }
    }
  }

  // Each body of an If/Loop/Scan as a dashed cluster, anchored below its
  // owner by an invisible-headed dotted edge.
  void DrawSubgraphs(GraphDraw& d) {
    for (const auto& [i, owner_id] : d.subgraph_owners) {
      const auto& node = d.g.node(i);
      for (const auto& attr : node.attribute()) {
        std::vector<const onnx::GraphProto*> bodies;
        if (attr.has_g()) bodies.push_back(&attr.g());
        for (const auto& sg : attr.graphs()) bodies.push_back(&sg);
        for (const onnx::GraphProto* body : bodies) {
          std::string sub = SubgraphPath(d.g, d.path, node, i, attr.name());
          std::string cluster = NewId("cluster_");
          absl::StrAppend(&d.out, d.indent, "subgraph ", cluster, " {\n", d.indent,
                          "  style=\"rounded,dashed\"; color=\"#78909c\"; label=",
                          Quote(Shorten(absl::StrCat(NodeRef(node, i), ".", attr.name()))), ";\n");
          Scope inner;
          size_t edges_before = edges_.size();
          std::string inner_out;
          DrawGraph(*body, sub, &inner, d.scope, {}, inner_out);
          absl::StrAppend(&d.out, inner_out, d.indent, "}\n");
          // Anchor the cluster below its owner (first drawn element inside).
          std::string anchor = FirstId(inner_out);
          if (!anchor.empty())
            edges_.insert(edges_.begin() + static_cast<long>(edges_before),
                          Edge{owner_id, anchor, attr.name(),
                               absl::StrCat("style=dotted, arrowhead=none, lhead=", cluster)});
        }
      }
    }
  }

  // Graph outputs as ellipses; returns the id of the last one ("" if none).
  std::string DrawOutputs(GraphDraw& d) {
    std::string last_output;
    for (const auto& o : d.g.output()) {
      std::string id = NewId("o");
      last_output = id;
      const ShapeText* s = d.scope->shapes->Find(o.name());
      std::string label = Shorten(o.name());
      if (s != nullptr) absl::StrAppend(&label, "\n", s->text);
      absl::StrAppend(&d.out, d.indent, id, " [shape=ellipse, style=filled, label=", Quote(label),
                      marks_.InterfaceAttrs(d.path, "output ", o.name(), "#ede7f6", "#4527a0"),
                      "];\n");
      bool outer = false;
      if (const std::string* from = d.scope->Find(o.name(), &outer))
        AddEdge(*from, id, "", outer ? "style=dotted" : "");
    }
    return last_output;
  }

  static std::string FirstId(const std::string& body) {
    size_t p = body.find_first_not_of(' ');
    if (p == std::string::npos) return "";
    size_t e = body.find(' ', p);
    std::string id = body.substr(p, e - p);
    if (id == "subgraph") return "";
    return id;
  }

  // Nodes of the input's main graph that the drawn model no longer has;
  // returns the id of the box listing them, or "".
  std::string DrawRemoved(const onnx::GraphProto& g, std::string& out) {
    std::set<std::string> now;
    for (int i = 0; i < g.node_size(); ++i) now.insert(NodeRef(g.node(i), i));
    const onnx::GraphProto& b = a_.before->graph();
    std::vector<std::string> lines;
    int removed = 0;
    for (int i = 0; i < b.node_size(); ++i) {
      std::string ref = NodeRef(b.node(i), i);
      if (now.count(ref) > 0) continue;
      ++removed;
      if (static_cast<int>(lines.size()) < kMaxRemovedListed)
        lines.push_back(absl::StrCat(b.node(i).op_type(), "  ", Shorten(ref)));
    }
    if (removed == 0) return "";
    if (removed > kMaxRemovedListed)
      lines.push_back(absl::StrCat("... and ", removed - kMaxRemovedListed, " more"));
    std::string label =
        absl::StrCat("removed by this run (", removed, " node", removed == 1 ? "" : "s",
                     ", e.g. folded):\n", absl::StrJoin(lines, "\n"), "\n");
    // Left-justified lines: DOT's \l ends a line; the label is escaped first.
    std::string escaped = EscapeDotString(label);
    std::string ljust;
    for (size_t k = 0; k < escaped.size(); ++k) {
      if (escaped[k] == '\\' && k + 1 < escaped.size() && escaped[k + 1] == 'n') {
        ljust += "\\l";
        ++k;
      } else if (escaped[k] == '\\' && k + 1 < escaped.size()) {
        ljust += escaped[k];
        ljust += escaped[++k];
      } else {
        ljust += escaped[k];
      }
    }
    std::string id = NewId("r");
    absl::StrAppend(&out,
                    "  subgraph cluster_removed {\n    style=\"filled\"; color=\"#bdbdbd\"; "
                    "fillcolor=\"#f5f5f5\"; fontcolor=\"#616161\"; label=\"removed\";\n    ",
                    id, " [shape=note, style=filled, fillcolor=\"", kDotHostFill,
                    "\", color=\"#9e9e9e\", fontcolor=\"#424242\", label=\"", ljust, "\"];\n  }\n");
    return id;
  }

  const onnx::ModelProto& model_;
  const DotAnnotations& a_;
  const Marks marks_;
  const bool collapse_;
  int next_id_ = 0;
  int64_t boxes_ = 0;
  std::vector<Edge> edges_;
  std::set<std::pair<std::string, std::string>> edge_seen_;
};

}  // namespace
}  // namespace dot

int64_t CountNodes(const onnx::GraphProto& graph) {
  int64_t n = graph.node_size();
  for (const auto& node : graph.node())
    for (const auto& attr : node.attribute()) {
      if (attr.has_g()) n += CountNodes(attr.g());
      for (const auto& g : attr.graphs()) n += CountNodes(g);
    }
  return n;
}

std::string ModelToDot(const onnx::ModelProto& model, const DotAnnotations& annotations) {
  return dot::DotWriter(model, annotations).Run();
}

}  // namespace h8
