//===- Dot.cpp - Graphviz drawings of a model -----------------------------===//
//
// Layout of the output (every statement in a fixed order, ids sequential):
//   digraph header and defaults, graph label (title, cut, collapse note)
//   graph inputs (ellipses), nodes in graph order (host-side nodes inside
//   the dashed "cluster_host"), subgraph clusters, graph outputs, the grey
//   "removed" box, then every edge (edges come last so that no edge
//   statement creates a node inside the wrong cluster).
//
//===----------------------------------------------------------------------===//
#include "h8/Report/Dot.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "h8/IR/GraphIndex.h"

namespace h8 {
namespace {

constexpr size_t kMaxLabelName = 64;
constexpr int kMaxRemovedListed = 40;
constexpr int kMaxPeriod = 16;

// Length of the valid UTF-8 sequence starting at s[i], or 0.
size_t Utf8Length(const std::string& s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = 0;
  uint32_t min = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    min = 0x80;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    min = 0x800;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    min = 0x10000;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Shortens very long names in labels (the tooltip keeps the full name).
std::string Shorten(const std::string& name) {
  if (name.size() <= kMaxLabelName) return name;
  return absl::StrCat(name.substr(0, kMaxLabelName / 2 - 2), "...",
                      name.substr(name.size() - (kMaxLabelName / 2 - 2)));
}

std::string Quote(const std::string& text) { return absl::StrCat("\"", EscapeDotString(text), "\""); }

std::string DimsText(const google::protobuf::RepeatedField<int64_t>& dims) {
  return absl::StrJoin(dims, "x");
}

struct ShapeText {
  std::string text;  // "[1,9,1,100]" or "int64[2]"
  bool is_static = false;
};

std::string ElemPrefix(int32_t elem) {
  if (elem == onnx::TensorProto::FLOAT || elem == onnx::TensorProto::UNDEFINED) return "";
  if (!onnx::TensorProto::DataType_IsValid(elem)) return absl::StrCat("type", elem);
  std::string name = onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(elem));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

// Tensor types of one graph, by name.
class Shapes {
 public:
  explicit Shapes(const onnx::GraphProto& g) {
    for (const auto& v : g.input()) Add(v);
    for (const auto& v : g.value_info()) Add(v);
    for (const auto& v : g.output()) Add(v);
    for (const auto& t : g.initializer()) {
      ShapeText s;
      s.text = absl::StrCat(ElemPrefix(t.data_type()), "[", absl::StrJoin(t.dims(), ","), "]");
      s.is_static = true;
      shapes_.emplace(t.name(), s);
      weights_.emplace(t.name(), DimsText(t.dims()));
    }
  }
  const ShapeText* Find(const std::string& name) const {
    auto it = shapes_.find(name);
    return it == shapes_.end() ? nullptr : &it->second;
  }
  const std::string* Weight(const std::string& name) const {
    auto it = weights_.find(name);
    return it == weights_.end() ? nullptr : &it->second;
  }

 private:
  void Add(const onnx::ValueInfoProto& v) {
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return;
    const auto& tt = v.type().tensor_type();
    std::vector<std::string> dims;
    bool is_static = true;
    for (const auto& d : tt.shape().dim()) {
      if (d.has_dim_value()) {
        dims.push_back(absl::StrCat(d.dim_value()));
      } else {
        is_static = false;
        dims.push_back(d.has_dim_param() && !d.dim_param().empty() ? d.dim_param() : "?");
      }
    }
    ShapeText s;
    s.text = absl::StrCat(ElemPrefix(tt.elem_type()), "[", absl::StrJoin(dims, ","), "]");
    s.is_static = is_static;
    shapes_[v.name()] = s;  // later sources (outputs) win
  }

  std::map<std::string, ShapeText> shapes_;
  std::map<std::string, std::string> weights_;
};

// What identifies a node's computation: compared across the run.
std::string Signature(const onnx::NodeProto& node) {
  std::string sig = absl::StrCat(node.domain(), "::", node.op_type(), "(",
                                 absl::StrJoin(node.input(), ","), ")");
  for (const auto& attr : node.attribute()) absl::StrAppend(&sig, "|", attr.SerializeAsString());
  return sig;
}

std::string SubgraphPath(const onnx::GraphProto& g, const std::string& path,
                         const onnx::NodeProto& node, int index, const std::string& attr) {
  return absl::StrCat(path.empty() ? g.name() : path, "/", NodeRef(node, index), ".", attr);
}

std::string NodeKey(const std::string& path, const std::string& ref) {
  return absl::StrCat(path, "\x1f", ref);
}

// Node key (graph path + NodeRef) -> signature, every graph of a model.
void CollectSignatures(const onnx::GraphProto& g, const std::string& path,
                       std::map<std::string, std::string>& out) {
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& node = g.node(i);
    out.emplace(NodeKey(path, NodeRef(node, i)), Signature(node));
    for (const auto& attr : node.attribute()) {
      std::string sub = SubgraphPath(g, path, node, i, attr.name());
      if (attr.has_g()) CollectSignatures(attr.g(), sub, out);
      for (const auto& sg : attr.graphs()) CollectSignatures(sg, sub, out);
    }
  }
}

bool HasSubgraph(const onnx::NodeProto& node) {
  for (const auto& attr : node.attribute())
    if (attr.has_g() || attr.graphs_size() > 0) return true;
  return false;
}

enum class Mark { kNone, kHost, kRewritten, kWarning, kError };

struct Edge {
  std::string from, to, label;
  std::string style;  // extra attributes
};

class DotWriter {
 public:
  DotWriter(const onnx::ModelProto& model, const DotAnnotations& a) : model_(model), a_(a) {
    for (const Diagnostic& d : a.diagnostics) {
      if (d.node.empty() && d.graph.empty() &&
          (d.severity == Severity::kError || d.severity == Severity::kWarning)) {
        // Interface findings ("graph input 'x' has dynamic dims ...").
        for (absl::string_view prefix : {"graph input '", "graph output '"}) {
          absl::string_view m = d.message;
          if (!absl::ConsumePrefix(&m, prefix)) continue;
          size_t end = m.find('\'');
          if (end == absl::string_view::npos) continue;
          Mark mark = d.severity == Severity::kError ? Mark::kError : Mark::kWarning;
          Mark& slot = interface_[std::string(m.substr(0, end))];
          slot = std::max(slot, mark);
          std::string& tip = interface_tips_[std::string(m.substr(0, end))];
          absl::StrAppend(&tip, "\n", SeverityName(d.severity), ": ", d.message);
        }
        continue;
      }
      if (d.node.empty()) continue;
      if (d.severity != Severity::kError && d.severity != Severity::kWarning) continue;
      std::string key = NodeKey(d.graph, d.node);
      Mark m = d.severity == Severity::kError ? Mark::kError : Mark::kWarning;
      auto [it, inserted] = severity_.emplace(key, m);
      if (!inserted && m > it->second) it->second = m;
      std::string& tip = tooltips_[key];
      if (!tip.empty()) tip += "\n";
      absl::StrAppend(&tip, SeverityName(d.severity), ": ", d.message);
    }
    if (a.before != nullptr) CollectSignatures(a.before->graph(), "", before_);
    if (a.after != nullptr) CollectSignatures(a.after->graph(), "", after_);
    collapse_ = CountNodes(model.graph()) > a.collapse_above;
  }

  std::string Run() {
    const onnx::GraphProto& g = model_.graph();
    std::vector<bool> host = HostSide(g);
    std::string body;
    Scope scope;
    DrawGraph(g, "", &scope, nullptr, host, body);

    std::string out = absl::StrCat("digraph ", Quote(g.name().empty() ? "model" : g.name()),
                                   " {\n");
    std::vector<std::string> label = a_.title;
    if (!a_.end_nodes.empty())
      label.push_back(absl::StrCat("recommended cut: --end-node-names ",
                                   absl::StrJoin(a_.end_nodes, " ")));
    if (collapse_)
      label.push_back(absl::StrCat("collapsed: ", CountNodes(g), " nodes drawn as ", boxes_,
                                   boxes_ == 1 ? " box" : " boxes",
                                   "; runs of a repeated op sequence are one box"));
    absl::StrAppend(&out, "  graph [rankdir=TB, compound=true, fontname=\"Helvetica\", "
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
  };

  std::string NewId(const char* prefix) { return absl::StrCat(prefix, next_id_++); }

  // Main-graph nodes after the cut: not an end node nor upstream of one.
  std::vector<bool> HostSide(const onnx::GraphProto& g) {
    const int n = g.node_size();
    std::vector<bool> host(n, false);
    if (a_.end_nodes.empty()) return host;
    std::set<std::string> ends(a_.end_nodes.begin(), a_.end_nodes.end());
    std::map<std::string, int> producer;
    for (int i = 0; i < n; ++i)
      for (const auto& o : g.node(i).output())
        if (!o.empty()) producer.emplace(o, i);
    std::vector<bool> device(n, false);
    std::vector<int> stack;
    for (int i = 0; i < n; ++i)
      if (ends.count(NodeRef(g.node(i), i)) > 0) {
        device[i] = true;
        stack.push_back(i);
      }
    if (stack.empty()) return host;
    while (!stack.empty()) {
      int u = stack.back();
      stack.pop_back();
      for (const auto& in : g.node(u).input()) {
        auto it = producer.find(in);
        if (it != producer.end() && !device[it->second]) {
          device[it->second] = true;
          stack.push_back(it->second);
        }
      }
    }
    for (int i = 0; i < n; ++i) host[i] = !device[i];
    return host;
  }

  Mark NodeMark(const std::string& path, const onnx::NodeProto& node, int i, bool host,
                bool* rewritten) {
    std::string ref = NodeRef(node, i);
    std::string key = NodeKey(path, ref);
    *rewritten = false;
    if (a_.before != nullptr) {
      auto it = before_.find(key);
      *rewritten = it == before_.end() || it->second != Signature(node);
    }
    bool removed = a_.after != nullptr && after_.count(key) == 0;
    auto sev = severity_.find(key);
    if (sev != severity_.end()) return sev->second;
    if (*rewritten) return Mark::kRewritten;
    if (host || removed) return Mark::kHost;
    return Mark::kNone;
  }

  static std::string MarkAttrs(Mark m, bool rewritten) {
    std::string s;
    switch (m) {
      case Mark::kError:
        s = absl::StrCat("fillcolor=\"", kDotErrorFill, "\", color=\"#c62828\"");
        break;
      case Mark::kWarning:
        s = absl::StrCat("fillcolor=\"", kDotWarningFill, "\", color=\"#e65100\"");
        break;
      case Mark::kRewritten:
        s = absl::StrCat("fillcolor=\"", kDotRewrittenFill, "\", color=\"#2e7d32\"");
        break;
      case Mark::kHost:
        s = absl::StrCat("fillcolor=\"", kDotHostFill, "\", color=\"#9e9e9e\", fontcolor=\"#616161\"");
        break;
      case Mark::kNone:
        break;
    }
    // A rewritten node that also has a diagnostic keeps a green border.
    if (rewritten && (m == Mark::kError || m == Mark::kWarning))
      s = absl::StrCat(s.substr(0, s.find(", color=")), ", color=\"#2e7d32\", penwidth=2.5");
    return s;
  }

  // Folding of repeated op sequences: group index per node, or -1.
  struct Group {
    int start = 0, period = 0, repeats = 0;
  };
  std::vector<int> Fold(const onnx::GraphProto& g, std::vector<Group>& groups) {
    const int n = g.node_size();
    std::vector<int> group_of(n, -1);
    if (!collapse_) return group_of;
    std::vector<std::string> ops(n);
    for (int i = 0; i < n; ++i) {
      const auto& node = g.node(i);
      // Nodes owning subgraphs are never folded.
      ops[i] = HasSubgraph(node) ? absl::StrCat("\x1f", i) : absl::StrCat(node.domain(), "::", node.op_type());
    }
    int i = 0;
    while (i < n) {
      int best_len = 0, best_p = 0;
      for (int p = 1; p <= kMaxPeriod && i + 2 * p <= n; ++p) {
        int r = 1;
        while (i + (r + 1) * p <= n &&
               std::equal(ops.begin() + i, ops.begin() + i + p, ops.begin() + i + r * p))
          ++r;
        if (r >= 2 && r * p > best_len) {
          best_len = r * p;
          best_p = p;
        }
      }
      if (best_len == 0) {
        ++i;
        continue;
      }
      groups.push_back(Group{i, best_p, best_len / best_p});
      for (int k = i; k < i + best_len; ++k) group_of[k] = static_cast<int>(groups.size()) - 1;
      i += best_len;
    }
    return group_of;
  }

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
    const std::string indent = path.empty() ? "  " : "    ";
    std::set<std::string> initializers;
    for (const auto& t : g.initializer()) initializers.insert(t.name());

    // Graph inputs.
    for (const auto& in : g.input()) {
      if (initializers.count(in.name()) > 0) continue;
      std::string id = NewId("i");
      const ShapeText* s = shapes.Find(in.name());
      std::string label = Shorten(in.name());
      if (s != nullptr) absl::StrAppend(&label, "\n", s->text);
      absl::StrAppend(&out, indent, id, " [shape=ellipse, style=filled, label=", Quote(label),
                      InterfaceAttrs(path, "input ", in.name(), "#e3f2fd", "#1565c0"), "];\n");
      scope->ids[in.name()] = id;
    }

    // Nodes (or folded groups).
    std::vector<Group> groups;
    std::vector<int> group_of = Fold(g, groups);
    std::vector<std::string> group_ids(groups.size());
    std::string host_body;
    std::vector<std::string> node_ids(g.node_size());
    std::vector<bool> node_host(g.node_size(), false);
    std::vector<std::pair<int, std::string>> subgraph_owners;
    for (int i = 0; i < g.node_size(); ++i) {
      const auto& node = g.node(i);
      bool is_host = path.empty() && i < static_cast<int>(host.size()) && host[i];
      int gi = group_of[i];
      if (gi >= 0) {
        const Group& grp = groups[gi];
        if (i != grp.start) {
          node_ids[i] = group_ids[gi];
          node_host[i] = node_host[grp.start];
          for (const auto& o : node.output())
            if (!o.empty()) scope->ids[o] = node_ids[i];
          continue;
        }
        // The group's mark: its worst member.
        Mark worst = Mark::kNone;
        bool all_host = true, any_rewritten = false;
        const int len = grp.period * grp.repeats;
        for (int k = i; k < i + len; ++k) {
          bool h = path.empty() && k < static_cast<int>(host.size()) && host[k];
          all_host = all_host && h;
          bool rw = false;
          Mark m = NodeMark(path, g.node(k), k, h, &rw);
          any_rewritten = any_rewritten || rw;
          if (m != Mark::kHost) worst = std::max(worst, m);
        }
        if (worst == Mark::kNone && all_host) worst = Mark::kHost;
        std::vector<std::string> seq;
        for (int k = i; k < i + grp.period; ++k) seq.push_back(g.node(k).op_type());
        std::string id = NewId("g");
        ++boxes_;
        group_ids[gi] = id;
        node_ids[i] = id;
        node_host[i] = all_host;
        std::string label = absl::StrCat(absl::StrJoin(seq, " > "), "\nx ", grp.repeats, " (",
                                         len, " nodes)\nfrom ", Shorten(NodeRef(node, i)),
                                         "\nto ", Shorten(NodeRef(g.node(i + len - 1), i + len - 1)));
        std::string attrs = MarkAttrs(worst, any_rewritten && worst >= Mark::kWarning);
        absl::StrAppend(all_host ? &host_body : &out, all_host ? indent + "  " : indent, id,
                        " [shape=box3d, style=filled, fillcolor=\"#ffffff\", label=", Quote(label),
                        attrs.empty() ? "" : ", ", attrs, "];\n");
        for (const auto& o : node.output())
          if (!o.empty()) scope->ids[o] = id;
        continue;
      }
      std::string id = NewId("n");
      ++boxes_;
      node_ids[i] = id;
      node_host[i] = is_host;
      bool rewritten = false;
      Mark mark = NodeMark(path, node, i, is_host, &rewritten);
      std::string ref = NodeRef(node, i);
      std::string op = node.domain().empty() || node.domain() == "ai.onnx"
                           ? node.op_type()
                           : absl::StrCat(node.domain(), "::", node.op_type());
      std::string label = op;
      if (ref != op) absl::StrAppend(&label, "\n", Shorten(ref));
      if (node.output_size() > 0) {
        const ShapeText* s = shapes.Find(node.output(0));
        if (s != nullptr && s->is_static) absl::StrAppend(&label, "\n", s->text);
      }
      const std::string& t = node.op_type();
      if ((t == "Conv" || t == "ConvTranspose" || t == "Gemm" || t == "MatMul") &&
          node.input_size() > 1) {
        const std::string* w = nullptr;
        for (const Scope* sc = scope; sc != nullptr && w == nullptr; sc = sc->parent)
          if (sc->shapes != nullptr) w = sc->shapes->Weight(node.input(1));
        if (w != nullptr) absl::StrAppend(&label, "\nW ", *w);
      }
      std::string tooltip = ref;
      auto tip = tooltips_.find(NodeKey(path, ref));
      if (tip != tooltips_.end()) absl::StrAppend(&tooltip, "\n", tip->second);
      else if (rewritten && mark == Mark::kRewritten)
        absl::StrAppend(&tooltip, "\n", before_.count(NodeKey(path, ref)) ? "rewritten by this run"
                                                                            : "new in this run");
      std::string attrs = MarkAttrs(mark, rewritten);
      absl::StrAppend(is_host ? &host_body : &out, is_host ? indent + "  " : indent, id, " [label=", Quote(label),
                      ", tooltip=", Quote(tooltip), attrs.empty() ? "" : ", ", attrs, "];\n");
      for (const auto& o : node.output())
        if (!o.empty()) scope->ids[o] = id;
      if (HasSubgraph(node)) subgraph_owners.emplace_back(i, id);
    }
    if (!host_body.empty()) {
      absl::StrAppend(&out, indent, "subgraph cluster_host {\n", indent,
                      "  style=\"dashed,filled\"; color=\"#c62828\"; fillcolor=\"#fafafa\"; "
                      "penwidth=1.5; fontcolor=\"#c62828\"; label=",
                      Quote(absl::StrCat("host side, after the cut: --end-node-names ",
                                         absl::StrJoin(a_.end_nodes, " "))),
                      ";\n", host_body, indent, "}\n");
    }

    // Edges into each node (or group) from its producers.
    std::map<std::string, bool> id_host;  // drawn node id -> on the host side
    for (int i = 0; i < g.node_size(); ++i) id_host.emplace(node_ids[i], node_host[i]);
    for (int i = 0; i < g.node_size(); ++i) {
      const auto& node = g.node(i);
      for (const auto& in : node.input()) {
        if (in.empty()) continue;
        bool outer = false;
        const std::string* from = scope->Find(in, &outer);
        if (from == nullptr) continue;  // initializer or unknown
        std::string label;
        for (const Scope* sc = scope; sc != nullptr && label.empty(); sc = sc->parent)
          if (sc->shapes != nullptr)
            if (const ShapeText* s = sc->shapes->Find(in)) label = s->text;
        std::string style;
        auto producer = id_host.find(*from);
        if (outer) {
          style = "style=dotted";
        } else if (path.empty() && !a_.end_nodes.empty() && node_host[i] &&
                   producer != id_host.end() && !producer->second) {
          style = "style=dashed, color=\"#c62828\", penwidth=1.5, fontcolor=\"#c62828\"";
          label = absl::StrCat(label, label.empty() ? "" : " ", "(cut)");
        }
        AddEdge(*from, node_ids[i], label, style);
      }
    }

    // Subgraph bodies.
    for (const auto& [i, owner_id] : subgraph_owners) {
      const auto& node = g.node(i);
      for (const auto& attr : node.attribute()) {
        std::vector<const onnx::GraphProto*> bodies;
        if (attr.has_g()) bodies.push_back(&attr.g());
        for (const auto& sg : attr.graphs()) bodies.push_back(&sg);
        for (const onnx::GraphProto* body : bodies) {
          std::string sub = SubgraphPath(g, path, node, i, attr.name());
          std::string cluster = NewId("cluster_");
          absl::StrAppend(&out, indent, "subgraph ", cluster, " {\n", indent,
                          "  style=\"rounded,dashed\"; color=\"#78909c\"; label=",
                          Quote(Shorten(absl::StrCat(NodeRef(node, i), ".", attr.name()))),
                          ";\n");
          Scope inner;
          size_t edges_before = edges_.size();
          std::string inner_out;
          DrawGraph(*body, sub, &inner, scope, {}, inner_out);
          absl::StrAppend(&out, inner_out, indent, "}\n");
          // Anchor the cluster below its owner (first drawn element inside).
          std::string anchor = FirstId(inner_out);
          if (!anchor.empty())
            edges_.insert(edges_.begin() + static_cast<long>(edges_before),
                          Edge{owner_id, anchor, attr.name(),
                               absl::StrCat("style=dotted, arrowhead=none, lhead=", cluster)});
        }
      }
    }

    // Graph outputs.
    std::string last_output;
    for (const auto& o : g.output()) {
      std::string id = NewId("o");
      last_output = id;
      const ShapeText* s = shapes.Find(o.name());
      std::string label = Shorten(o.name());
      if (s != nullptr) absl::StrAppend(&label, "\n", s->text);
      absl::StrAppend(&out, indent, id, " [shape=ellipse, style=filled, label=", Quote(label),
                      InterfaceAttrs(path, "output ", o.name(), "#ede7f6", "#4527a0"), "];\n");
      bool outer = false;
      if (const std::string* from = scope->Find(o.name(), &outer))
        AddEdge(*from, id, "", outer ? "style=dotted" : "");
    }

    if (path.empty() && a_.before != nullptr) {
      std::string removed = DrawRemoved(g, out);
      // Below the graph: after its last output.
      if (!removed.empty() && !last_output.empty())
        edges_.push_back(Edge{last_output, removed, "", "style=invis"});
    }
  }

  // Tooltip (and colours when a diagnostic names it) of a graph input/output.
  std::string InterfaceAttrs(const std::string& path, const char* what, const std::string& name,
                             const char* fill, const char* colour) {
    std::string tip = absl::StrCat(what, name);
    std::string attrs = absl::StrCat(", fillcolor=\"", fill, "\", color=\"", colour, "\"");
    if (path.empty()) {
      auto it = interface_.find(name);
      if (it != interface_.end()) {
        attrs = absl::StrCat(", ", MarkAttrs(it->second, false));
        absl::StrAppend(&tip, interface_tips_[name]);
      }
    }
    return absl::StrCat(", tooltip=", Quote(tip), attrs);
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
    std::string label = absl::StrCat("removed by this run (", removed, " node",
                                     removed == 1 ? "" : "s", ", e.g. folded):\n",
                                     absl::StrJoin(lines, "\n"), "\n");
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
    absl::StrAppend(&out, "  subgraph cluster_removed {\n    style=\"filled\"; color=\"#bdbdbd\"; "
                          "fillcolor=\"#f5f5f5\"; fontcolor=\"#616161\"; label=\"removed\";\n    ",
                    id, " [shape=note, style=filled, fillcolor=\"", kDotHostFill,
                    "\", color=\"#9e9e9e\", fontcolor=\"#424242\", label=\"", ljust, "\"];\n  }\n");
    return id;
  }

  const onnx::ModelProto& model_;
  const DotAnnotations& a_;
  std::map<std::string, Mark> severity_;
  // Main-graph input/output name -> worst interface finding, its messages.
  std::map<std::string, Mark> interface_;
  std::map<std::string, std::string> interface_tips_;
  std::map<std::string, std::string> tooltips_;
  std::map<std::string, std::string> before_, after_;
  bool collapse_ = false;
  int next_id_ = 0;
  int64_t boxes_ = 0;
  std::vector<Edge> edges_;
  std::set<std::pair<std::string, std::string>> edge_seen_;
};

}  // namespace

std::string EscapeDotString(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 8);
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    size_t len = Utf8Length(text, i);
    if (len == 0) {
      out += '?';
      ++i;
      continue;
    }
    if (len > 1) {
      out.append(text, i, len);
      i += len;
      continue;
    }
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) out += '?';
    else out += c;
    ++i;
  }
  return out;
}

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
  return DotWriter(model, annotations).Run();
}

}  // namespace h8
