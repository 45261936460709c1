//===- GraphIndexUpdate.cpp - Bringing an index up to date with a commit --===//
//
// GraphRewriter::Commit drives these in the order GraphIndex.h lists. The
// cost is the edits plus one pass over the index's int arrays and the node
// list: erased, inserted and otherwise touched nodes are looked up by name,
// every other fact is renumbered.
//
//===----------------------------------------------------------------------===//
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/IR/GraphIndex.h"

namespace h8 {

void GraphIndex::BeginUpdate() {
  redirect_.assign(values_.size(), -1);
  lost_.assign(values_.size(), 0);
  erased_.assign(graph_->node_size(), 0);
  reread_.clear();
  rebuild_ = false;
}

int GraphIndex::InternForUpdate(absl::string_view name) {
  const int v = Intern(name);
  if (redirect_.size() < values_.size()) {
    redirect_.resize(values_.size(), -1);
    lost_.resize(values_.size(), 0);
  }
  return v;
}

void GraphIndex::DropDefinition(int v, int node) {
  ValueFacts& f = values_[v];
  --f.defs;
  lost_[v] = 1;
  if (f.producer != node) return;
  f.producer = -1;
  // Another node defines the name too: where is not known without a scan.
  if (f.defs > 0) rebuild_ = true;
}

void GraphIndex::ForgetNodes(const std::vector<int>& erased) {
  for (int i : erased) {
    erased_[i] = 1;
    const auto& node = graph_->node(i);
    for (const auto& o : node.output()) {
      if (o.empty()) continue;
      const int v = Find(o);
      if (v < 0) {
        rebuild_ = true;  // the graph changed outside a rewriter
        continue;
      }
      DropDefinition(v, i);
    }
    ForEachRead(node, [&](absl::string_view name) {
      const int v = Find(name);
      if (v < 0) rebuild_ = true;
      else --values_[v].uses;
    });
  }
}

void GraphIndex::ForgetInitializers(const std::vector<int>& erased) {
  for (int i : erased) {
    const int v = Find(graph_->initializer(i).name());
    if (v < 0) {
      rebuild_ = true;
      continue;
    }
    ValueFacts& f = values_[v];
    lost_[v] = 1;
    // Another initializer of the name, which the verifier rejects: which
    // one is first afterwards is not known without a scan.
    if (--f.inits > 0) rebuild_ = true;
    if (f.initializer == i) f.initializer = -1;
  }
}

void GraphIndex::RenameOutput(int node, absl::string_view old_name, absl::string_view new_name) {
  if (!old_name.empty()) {
    const int v = Find(old_name);
    if (v < 0) rebuild_ = true;
    else DropDefinition(v, node);
  }
  if (!new_name.empty()) {
    ValueFacts& f = values_[InternForUpdate(new_name)];
    ++f.defs;
    f.producer = f.producer < 0 ? node : std::min(f.producer, node);
  }
  touched_.push_back(node);
}

void GraphIndex::ForgetReads(int node) {
  touched_.push_back(node);
  if (erased_[node]) return;  // erased, or already forgotten
  erased_[node] = 1;
  reread_.push_back(node);
  ForEachRead(graph_->node(node), [&](absl::string_view name) {
    const int v = Find(name);
    if (v < 0) rebuild_ = true;
    else --values_[v].uses;
  });
}

void GraphIndex::PrepareRedirect(absl::string_view from) {
  for (int c : Consumers(from))
    if (!erased_[c] && HasSubgraph(graph_->node(c))) ForgetReads(c);
}

void GraphIndex::RedirectUses(absl::string_view from, absl::string_view to) {
  const int vf = Find(from);
  if (vf < 0) return;  // nothing read it
  const int vt = InternForUpdate(to);
  values_[vt].uses += values_[vf].uses;
  values_[vf].uses = 0;
  redirect_[vf] = vt;
  lost_[vf] = 1;
}

void GraphIndex::RenumberNodes(const std::vector<int>& new_position,
                               const std::vector<int>& inserted) {
  node_renumber_ = new_position;
  for (ValueFacts& f : values_)
    if (f.producer >= 0) f.producer = new_position[f.producer];
  // Nodes touched by earlier updates, in their new places.
  std::vector<int> touched;
  touched.reserve(touched_.size());
  for (int n : touched_)
    if (n < static_cast<int>(new_position.size()) && new_position[n] >= 0)
      touched.push_back(new_position[n]);
  touched_ = std::move(touched);

  // The new (value, reader) pairs: the old lists renumbered (kept nodes
  // keep their relative order, so a list stays sorted unless it receives
  // redirected or inserted readers: those lists are `dirty`), then the
  // inserted nodes' reads.
  const int old_values = static_cast<int>(consumer_begin_.size()) - 1;
  std::vector<std::pair<int, int>> reads;
  reads.reserve(consumer_nodes_.size() + inserted.size() * 2);
  std::vector<char> dirty(values_.size(), 0);
  for (int v = 0; v < old_values; ++v) {
    const int target = redirect_[v] >= 0 ? redirect_[v] : v;
    if (target != v) dirty[target] = 1;
    for (int k = consumer_begin_[v]; k < consumer_begin_[v + 1]; ++k) {
      // Erased readers go; readers counted afresh are added below.
      if (erased_[consumer_nodes_[k]]) continue;
      const int reader = new_position[consumer_nodes_[k]];
      if (reader < 0) continue;
      reads.emplace_back(target, reader);
      if (lost_[v]) touched_.push_back(reader);
    }
  }
  auto add_reads = [&](int n) {
    ForEachRead(graph_->node(n), [&](absl::string_view name) {
      const int v = InternForUpdate(name);
      ++values_[v].uses;
      reads.emplace_back(v, n);
      if (static_cast<size_t>(v) >= dirty.size()) dirty.resize(values_.size(), 0);
      dirty[v] = 1;
    });
  };
  for (int c : reread_) add_reads(new_position[c]);
  for (int n : inserted) {
    for (const auto& o : graph_->node(n).output()) {
      if (o.empty()) continue;
      ValueFacts& f = values_[InternForUpdate(o)];
      ++f.defs;
      f.producer = f.producer < 0 ? n : std::min(f.producer, n);
    }
    add_reads(n);
    touched_.push_back(n);
  }
  dirty.resize(values_.size(), 0);

  // Counting sort by value, then dirty lists sorted and made unique.
  std::vector<int> begin(values_.size() + 1, 0);
  for (const auto& [v, reader] : reads) ++begin[v + 1];
  for (size_t v = 0; v < values_.size(); ++v) begin[v + 1] += begin[v];
  std::vector<int> nodes(reads.size());
  std::vector<int> fill(begin.begin(), begin.end() - 1);
  for (const auto& [v, reader] : reads) nodes[fill[v]++] = reader;
  consumer_begin_.assign(values_.size() + 1, 0);
  consumer_nodes_.clear();
  consumer_nodes_.reserve(nodes.size());
  for (size_t v = 0; v < values_.size(); ++v) {
    auto first = nodes.begin() + begin[v];
    auto last = nodes.begin() + begin[v + 1];
    if (dirty[v]) {
      std::sort(first, last);
      last = std::unique(first, last);
    }
    consumer_nodes_.insert(consumer_nodes_.end(), first, last);
    consumer_begin_[v + 1] = static_cast<int>(consumer_nodes_.size());
  }
}

void GraphIndex::RenumberInitializers(const std::vector<int>& new_position, int first_added) {
  init_renumber_ = new_position;
  first_added_init_ = first_added;
  if (!new_position.empty()) {
    for (ValueFacts& f : values_)
      if (f.initializer >= 0) f.initializer = new_position[f.initializer];
    std::vector<int> added;
    for (int i : added_initializers_)
      if (i < static_cast<int>(new_position.size()) && new_position[i] >= 0)
        added.push_back(new_position[i]);
    added_initializers_ = std::move(added);
  }
  for (int i = first_added; i < graph_->initializer_size(); ++i) {
    ValueFacts& f = values_[InternForUpdate(graph_->initializer(i).name())];
    ++f.inits;
    if (f.initializer < 0) f.initializer = i;
    added_initializers_.push_back(i);
  }
}

void GraphIndex::FinishUpdate(int first_new_value_info) {
  updated_ = true;
  if (rebuild_) {
    std::vector<int> touched = std::move(touched_);
    std::vector<int> added = std::move(added_initializers_);
    // Ids stay as handed out: the fresh build interns the known names
    // first, in id order.
    std::vector<absl::string_view> names(values_.size());
    for (const auto& [name, v] : ids_) names[v] = name;
    *this = GraphIndex(*graph_, names);
    touched_ = std::move(touched);
    added_initializers_ = std::move(added);
    updated_ = true;
    return;
  }
  // Synthesized initializer types describe tensors that may have been
  // reshaped; value_info of values that no longer exist was pruned, so the
  // type falls back to the graph output's (what a fresh build records).
  for (ValueFacts& f : values_) {
    if (f.synthesized) {
      f.type = nullptr;
      f.synthesized = false;
    }
    if (f.producer >= 0 || f.input || f.initializer >= 0) continue;
    const onnx::ValueInfoProto* out = f.output >= 0 ? &graph_->output(f.output) : nullptr;
    f.type = out != nullptr && out->has_type() ? &out->type() : nullptr;
  }
  // Appended entries come last, so they decide their values' types as in
  // a fresh build.
  for (int k = first_new_value_info; k < graph_->value_info_size(); ++k) {
    const onnx::ValueInfoProto& vi = graph_->value_info(k);
    if (vi.has_type()) values_[InternForUpdate(vi.name())].type = &vi.type();
  }
  owned_types_.clear();
  erased_.clear();
  reread_.clear();
  UpdateSlotIds();
  node_renumber_.clear();
  init_renumber_.clear();
  // Values named after the consumer lists were rebuilt (new initializers)
  // have no readers.
  consumer_begin_.resize(values_.size() + 1, consumer_begin_.back());
  redirect_.clear();
  lost_.clear();
}

void GraphIndex::UpdateSlotIds() {
  const onnx::GraphProto& graph = *graph_;
  const int n = graph.node_size();
  std::vector<int> old_of(n, -1);
  for (int o = 0; o < static_cast<int>(node_renumber_.size()); ++o)
    if (node_renumber_[o] >= 0 && node_renumber_[o] < n) old_of[node_renumber_[o]] = o;
  // Every node whose slots an update changed is touched (inserted, an
  // input set, an output renamed, a reader of a renamed value).
  std::vector<char> touched(n, 0);
  for (int t : touched_)
    if (t >= 0 && t < n) touched[t] = 1;
  auto id = [&](const std::string& name) { return name.empty() ? -1 : Find(name); };
  std::vector<int> begin, ids;
  begin.reserve(n + 1);
  ids.reserve(slot_ids_.size());
  for (int k = 0; k < n; ++k) {
    begin.push_back(static_cast<int>(ids.size()));
    const onnx::NodeProto& node = graph.node(k);
    const int o = old_of[k];
    const int width = node.input_size() + node.output_size();
    if (o >= 0 && !touched[k] && slot_begin_[o + 1] - slot_begin_[o] == width) {
      ids.insert(ids.end(), slot_ids_.begin() + slot_begin_[o],
                 slot_ids_.begin() + slot_begin_[o + 1]);
      continue;
    }
    for (const auto& in : node.input()) ids.push_back(id(in));
    for (const auto& out : node.output()) ids.push_back(id(out));
  }
  begin.push_back(static_cast<int>(ids.size()));
  // Initializers: kept ones carry their ids to their new places.
  const int old_first = slot_begin_.back();
  const int old_count = static_cast<int>(slot_ids_.size()) - old_first;
  std::vector<int> init_ids(graph.initializer_size(), -2);
  for (int i = 0; i < old_count; ++i) {
    const int to = init_renumber_.empty() ? (i < first_added_init_ ? i : -1) : init_renumber_[i];
    if (to >= 0 && to < graph.initializer_size()) init_ids[to] = slot_ids_[old_first + i];
  }
  for (int i = 0; i < graph.initializer_size(); ++i)
    ids.push_back(init_ids[i] != -2 ? init_ids[i] : id(graph.initializer(i).name()));
  slot_begin_ = std::move(begin);
  slot_ids_ = std::move(ids);
}

std::vector<int> GraphIndex::TouchedNodes() const {
  std::vector<int> nodes;
  nodes.reserve(touched_.size());
  for (int n : touched_)
    if (n >= 0 && n < graph_->node_size()) nodes.push_back(n);
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  return nodes;
}

void GraphIndex::RefreshTypes() {
  for (ValueFacts& f : values_) {
    f.type = nullptr;
    f.synthesized = false;
  }
  owned_types_.clear();
  RecordTypes();
  // Values only value_info names have no readers.
  consumer_begin_.resize(values_.size() + 1, consumer_begin_.back());
}

void GraphIndex::ClearTouched() {
  touched_.clear();
  added_initializers_.clear();
  updated_ = false;
}

std::string GraphIndex::FirstDifference(const GraphIndex& other) const {
  const ValueFacts none;
  auto facts = [&](const GraphIndex& index, absl::string_view name) -> const ValueFacts& {
    const int v = index.Find(name);
    return v < 0 ? none : index.values_[v];
  };
  auto type_text = [](const onnx::TypeProto* t) {
    return t == nullptr ? std::string("none") : t->ShortDebugString();
  };
  auto compare = [&](absl::string_view name) -> std::string {
    const ValueFacts& a = facts(*this, name);
    const ValueFacts& b = facts(other, name);
    auto differ = [&](const char* what, int x, int y) {
      return absl::StrCat("value '", name, "': ", what, " ", x, ", the other index says ", y);
    };
    if (a.producer != b.producer) return differ("producer", a.producer, b.producer);
    if (a.initializer != b.initializer) return differ("initializer", a.initializer, b.initializer);
    if (a.uses != b.uses) return differ("uses", a.uses, b.uses);
    if (a.defs != b.defs) return differ("definitions", a.defs, b.defs);
    if (a.inits != b.inits) return differ("initializers", a.inits, b.inits);
    if (a.output != b.output) return differ("graph output", a.output, b.output);
    if (a.input != b.input) return differ("graph input", a.input, b.input);
    const absl::Span<const int> ca = Consumers(name), cb = other.Consumers(name);
    if (!std::equal(ca.begin(), ca.end(), cb.begin(), cb.end()))
      return absl::StrCat("value '", name, "': consumers [", absl::StrJoin(ca, ","),
                          "], the other index says [", absl::StrJoin(cb, ","), "]");
    const onnx::TypeProto* ta = Type(name);
    const onnx::TypeProto* tb = other.Type(name);
    if (ta != tb && type_text(ta) != type_text(tb))
      return absl::StrCat("value '", name, "': type ", type_text(ta), ", the other index says ",
                          type_text(tb));
    return "";
  };
  // In id order, so the difference named is the same on every run.
  auto by_id = [](const GraphIndex& index) {
    std::vector<absl::string_view> names(index.values_.size());
    for (const auto& [name, v] : index.ids_) names[v] = name;
    return names;
  };
  for (absl::string_view name : by_id(*this))
    if (std::string d = compare(name); !d.empty()) return d;
  for (absl::string_view name : by_id(other))
    if (Find(name) < 0)
      if (std::string d = compare(name); !d.empty()) return d;
  return "";
}

}  // namespace h8
