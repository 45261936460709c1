//===- GraphRewriter.cpp - Linear-time commit of queued edits -------------===//
#include "h8/IR/GraphRewriter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace h8 {
namespace {

// Reorders `field` to `order` (indices into the current field) and deletes
// the elements not named in it, with one pointer permutation and one tail
// delete.
template <typename T>
void PermuteAndTruncate(google::protobuf::RepeatedPtrField<T>& field,
                        const std::vector<int>& order) {
  const int n = field.size();
  std::vector<T*> old(field.pointer_begin(), field.pointer_end());
  std::vector<char> kept(n, 0);
  for (int i : order) kept[i] = 1;
  auto it = field.pointer_begin();
  for (int i : order) *it++ = old[i];
  for (int i = 0; i < n; ++i)
    if (!kept[i]) *it++ = old[i];
  const int keep = static_cast<int>(order.size());
  if (keep < n) field.DeleteSubrange(keep, n - keep);
}

// Appends `value` to `field` without copying it: moved into a heap object
// the field adopts (a field on an arena has the arena own it). Swapping
// into a new element of an arena's field would copy it, weights included.
template <typename T>
void AppendMoved(google::protobuf::RepeatedPtrField<T>& field, T& value) {
  field.AddAllocated(new T(std::move(value)));
}

void RenameInputs(onnx::GraphProto& graph,
                  const absl::flat_hash_map<std::string, std::string>& renames);

void RenameInNode(onnx::NodeProto& node,
                  const absl::flat_hash_map<std::string, std::string>& renames) {
  for (auto& in : *node.mutable_input()) {
    auto it = renames.find(in);
    if (it != renames.end()) in = it->second;
  }
  for (auto& attr : *node.mutable_attribute()) {
    if (attr.has_g()) RenameInputs(*attr.mutable_g(), renames);
    for (auto& g : *attr.mutable_graphs()) RenameInputs(g, renames);
  }
}

// Subgraph reads of outer values are renamed too; ONNX forbids shadowing,
// so a name inside a subgraph that matches an outer value is that value.
void RenameInputs(onnx::GraphProto& graph,
                  const absl::flat_hash_map<std::string, std::string>& renames) {
  for (auto& node : *graph.mutable_node()) RenameInNode(node, renames);
  // Subgraph outputs may pass an outer value straight through.
  for (auto& out : *graph.mutable_output()) {
    auto it = renames.find(out.name());
    if (it != renames.end()) out.set_name(it->second);
  }
}

}  // namespace

GraphRewriter::GraphRewriter(onnx::GraphProto& graph) : graph_(graph) {
  for (const auto& o : graph.output()) outputs_.insert(o.name());
}

void GraphRewriter::InsertBefore(int anchor, onnx::NodeProto node) {
  inserts_[anchor].push_back(std::move(node));
}

void GraphRewriter::Erase(int index) { erased_.insert(index); }

absl::Status GraphRewriter::ReplaceAllUsesWith(const std::string& from, const std::string& to) {
  if (outputs_.contains(from))
    return absl::FailedPreconditionError(
        absl::StrCat("cannot replace uses of graph output '", from,
                     "': graph output names are part of the model's interface"));
  if (from == to) return absl::OkStatus();
  renames_[from] = to;
  return absl::OkStatus();
}

void GraphRewriter::AddInitializer(onnx::TensorProto tensor) {
  new_initializers_.push_back(std::move(tensor));
}

void GraphRewriter::EraseInitializer(int index) { erased_initializers_.insert(index); }

void GraphRewriter::AddValueInfo(onnx::ValueInfoProto value_info) {
  new_value_info_.push_back(std::move(value_info));
}

void GraphRewriter::SetOutput(int index, int slot, std::string name) {
  output_renames_.push_back({index, slot, std::move(name)});
}

void GraphRewriter::SetInput(int index, int slot, std::string name) {
  input_sets_.push_back({index, slot, std::move(name)});
}

void GraphRewriter::ReplaceUsesIn(int index, std::string from, std::string to) {
  if (from == to) return;
  node_renames_.push_back({index, std::move(from), std::move(to)});
}

bool GraphRewriter::HasChanges() const {
  return !inserts_.empty() || !erased_.empty() || !renames_.empty() || !new_initializers_.empty() ||
         !erased_initializers_.empty() || !output_renames_.empty() || !input_sets_.empty() ||
         !node_renames_.empty() || !new_value_info_.empty();
}

namespace {

std::vector<int> Sorted(const absl::flat_hash_set<int>& set) {
  std::vector<int> v(set.begin(), set.end());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

void GraphRewriter::Commit(GraphIndex* index) {
  if (!HasChanges()) return;
  if (index != nullptr) {
    // The index learns what goes while the graph still has it.
    index->BeginUpdate();
    index->ForgetNodes(Sorted(erased_));
    index->ForgetInitializers(Sorted(erased_initializers_));
  }
  ApplySlotEdits(index);
  ApplyRenames(index);
  ApplyNodeOrder(index);
  ApplyInitializerEdits(index);
  PruneValueInfo(index);
  const int first_new_value_info = graph_.value_info_size();
  AppendValueInfo();
  if (index != nullptr) index->FinishUpdate(first_new_value_info);
  inserts_.clear();
  erased_.clear();
  renames_.clear();
  new_initializers_.clear();
  erased_initializers_.clear();
  output_renames_.clear();
  input_sets_.clear();
  node_renames_.clear();
  new_value_info_.clear();
}

void GraphRewriter::ApplySlotEdits(GraphIndex* index) {
  for (auto& r : output_renames_) {
    if (erased_.contains(r.node)) continue;
    std::string* out = graph_.mutable_node(r.node)->mutable_output(r.slot);
    if (index != nullptr) index->RenameOutput(r.node, *out, r.name);
    out->swap(r.name);
  }
  for (auto& r : input_sets_) {
    if (erased_.contains(r.node)) continue;
    if (index != nullptr) index->ForgetReads(r.node);
    onnx::NodeProto& node = *graph_.mutable_node(r.node);
    while (node.input_size() <= r.slot) node.add_input();
    node.mutable_input(r.slot)->swap(r.name);
  }
  for (auto& r : node_renames_) {
    if (erased_.contains(r.node)) continue;
    if (index != nullptr) index->ForgetReads(r.node);
    absl::flat_hash_map<std::string, std::string> rename;
    rename.emplace(std::move(r.from), std::move(r.to));
    RenameInNode(*graph_.mutable_node(r.node), rename);
  }
}

void GraphRewriter::ApplyRenames(GraphIndex* index) {
  if (renames_.empty()) return;
  // Resolve rename chains (a -> b, b -> c) so one lookup suffices; the hop
  // limit guards against a cycle queued by mistake.
  absl::flat_hash_map<std::string, std::string> resolved;
  for (const auto& [from, to] : renames_) {
    std::string target = to;
    for (size_t hops = 0; hops <= renames_.size(); ++hops) {
      auto it = renames_.find(target);
      if (it == renames_.end()) break;
      target = it->second;
    }
    resolved.emplace(from, target);
  }
  if (index != nullptr)
    for (const auto& [from, to] : resolved) index->PrepareRedirect(from);
  for (auto& node : *graph_.mutable_node()) RenameInNode(node, resolved);
  for (auto& [anchor, nodes] : inserts_)
    for (auto& node : nodes) RenameInNode(node, resolved);
  if (index != nullptr)
    for (const auto& [from, to] : resolved) index->RedirectUses(from, to);
}

void GraphRewriter::ApplyNodeOrder(GraphIndex* index) {
  auto* nodes = graph_.mutable_node();
  const int original = nodes->size();
  if (inserts_.empty() && erased_.empty()) {
    if (index == nullptr) return;
    std::vector<int> same(original);
    for (int i = 0; i < original; ++i) same[i] = i;
    index->RenumberNodes(same, {});
    return;
  }
  std::vector<int> order;
  order.reserve(original);
  auto insert_at = [&](int anchor) {
    auto it = inserts_.find(anchor);
    if (it == inserts_.end()) return;
    for (auto& node : it->second) {
      order.push_back(nodes->size());
      AppendMoved(*nodes, node);
    }
  };
  for (int i = 0; i < original; ++i) {
    insert_at(i);
    if (!erased_.contains(i)) order.push_back(i);
  }
  // Anchors at or past the end append, in anchor order.
  for (auto it = inserts_.lower_bound(original); it != inserts_.end(); ++it) insert_at(it->first);
  PermuteAndTruncate(*nodes, order);
  if (index == nullptr) return;
  std::vector<int> new_position(original, -1), inserted;
  for (int k = 0; k < static_cast<int>(order.size()); ++k) {
    if (order[k] < original) new_position[order[k]] = k;
    else inserted.push_back(k);
  }
  index->RenumberNodes(new_position, inserted);
}

void GraphRewriter::ApplyInitializerEdits(GraphIndex* index) {
  std::vector<int> position;
  if (!erased_initializers_.empty()) {
    std::vector<int> order;
    position.assign(graph_.initializer_size(), -1);
    for (int i = 0; i < graph_.initializer_size(); ++i)
      if (!erased_initializers_.contains(i)) {
        position[i] = static_cast<int>(order.size());
        order.push_back(i);
      }
    PermuteAndTruncate(*graph_.mutable_initializer(), order);
  }
  const int first_added = graph_.initializer_size();
  for (auto& t : new_initializers_) AppendMoved(*graph_.mutable_initializer(), t);
  if (index != nullptr) index->RenumberInitializers(position, first_added);
}

namespace {

// An initializer's value_info says the tensor's dims (a pass may have
// reshaped it in place).
void SyncInitializerDims(onnx::ValueInfoProto& vi, const onnx::TensorProto& t) {
  if (!vi.type().tensor_type().has_shape()) return;
  auto* shape = vi.mutable_type()->mutable_tensor_type()->mutable_shape();
  bool same = shape->dim_size() == t.dims_size();
  for (int k = 0; same && k < shape->dim_size(); ++k)
    same = shape->dim(k).has_dim_value() && shape->dim(k).dim_value() == t.dims(k);
  if (same) return;
  shape->clear_dim();
  for (int64_t d : t.dims()) shape->add_dim()->set_dim_value(d);
}

}  // namespace

void GraphRewriter::PruneValueInfo(const GraphIndex* index) {
  // value_info of values that no longer exist would describe nothing.
  // Exporters also describe graph inputs and initializers there (with
  // metadata_props): those stay while the value does, an initializer's
  // with the tensor's dims. The first initializer of a name is the one its
  // value_info describes.
  const int n = graph_.value_info_size();
  if (n == 0) return;
  std::vector<int> keep;
  keep.reserve(n);
  if (index != nullptr && !index->rebuild_) {
    // The index this commit brought up to date knows every value's
    // definitions: one lookup per entry, instead of tables of every node
    // output, input and initializer (a commit that forwards one Identity
    // of a 100k-node graph paid 400k lookups for them).
    for (int i = 0; i < n; ++i) {
      onnx::ValueInfoProto& vi = *graph_.mutable_value_info(i);
      const int v = index->Find(vi.name());
      if (v < 0) continue;
      const GraphIndex::ValueFacts& f = index->values_[v];
      if (f.defs == 0 && !f.input && f.inits == 0) continue;
      keep.push_back(i);
      if (f.inits > 0) SyncInitializerDims(vi, graph_.initializer(f.initializer));
    }
    if (static_cast<int>(keep.size()) != n) PermuteAndTruncate(*graph_.mutable_value_info(), keep);
    return;
  }
  // Without one, only the described names are tabled (value_info is
  // usually smaller than the initializer list); entries sharing a name are
  // chained so each is judged on its own.
  absl::flat_hash_map<absl::string_view, int> described;
  described.reserve(n);
  std::vector<int> next_same(n, -1);
  for (int i = 0; i < n; ++i) {
    auto [it, fresh] = described.emplace(graph_.value_info(i).name(), i);
    if (!fresh) {
      next_same[i] = it->second;
      it->second = i;
    }
  }
  enum : uint8_t { kDefined = 1, kTensor = 2 };
  std::vector<uint8_t> seen(n, 0);
  auto first = [&](absl::string_view name) -> int {
    auto it = described.find(name);
    return it == described.end() ? -1 : it->second;
  };
  auto mark_defined = [&](absl::string_view name) {
    for (int i = first(name); i >= 0; i = next_same[i]) seen[i] |= kDefined;
  };
  for (const auto& node : graph_.node())
    for (const auto& o : node.output()) mark_defined(o);
  for (const auto& in : graph_.input()) mark_defined(in.name());
  for (const auto& t : graph_.initializer()) {
    for (int i = first(t.name()); i >= 0; i = next_same[i]) {
      if (seen[i] & kTensor) continue;
      seen[i] |= kTensor;
      SyncInitializerDims(*graph_.mutable_value_info(i), t);
    }
  }
  for (int i = 0; i < n; ++i)
    if (seen[i] != 0) keep.push_back(i);
  if (static_cast<int>(keep.size()) != n) PermuteAndTruncate(*graph_.mutable_value_info(), keep);
}

void GraphRewriter::AppendValueInfo() {
  for (auto& vi : new_value_info_) AppendMoved(*graph_.mutable_value_info(), vi);
}

}  // namespace h8
