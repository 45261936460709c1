//===- ShapeAnalysisFacts.cpp - Facts, declarations and value_info -------===//
#include "ShapeAnalysisScope.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "h8/IR/GraphIndex.h"

namespace h8 {

bool ValueFacts::IsStatic() const {
  if (!has_shape) return false;
  for (const Dim& d : dims)
    if (!d.is_static()) return false;
  return true;
}

std::optional<std::vector<int64_t>> ValueFacts::StaticDims() const {
  if (!IsStatic()) return std::nullopt;
  std::vector<int64_t> out;
  out.reserve(dims.size());
  for (const Dim& d : dims) out.push_back(d.value());
  return out;
}

std::optional<std::vector<int64_t>> ValueFacts::StaticValue() const {
  if (!has_value) return std::nullopt;
  std::vector<int64_t> out;
  out.reserve(value.size());
  for (const Dim& d : value) {
    if (!d.is_static()) return std::nullopt;
    out.push_back(d.value());
  }
  return out;
}

std::string ValueFacts::ShapeString() const {
  if (!has_shape) return "[?]";
  std::vector<std::string> parts;
  for (const Dim& d : dims) parts.push_back(d.ToString());
  return absl::StrCat("[", absl::StrJoin(parts, ","), "]");
}

void RefineFacts(ValueFacts& computed, const ValueFacts& declared) {
  if (computed.elem_type == 0) computed.elem_type = declared.elem_type;
  if (!declared.has_shape) return;
  if (!computed.has_shape) {
    computed.has_shape = true;
    computed.dims = declared.dims;
    return;
  }
  if (computed.dims.size() != declared.dims.size()) return;
  for (size_t i = 0; i < computed.dims.size(); ++i) {
    const Dim& d = declared.dims[i];
    Dim& c = computed.dims[i];
    if (c.is_static()) continue;
    if (d.is_static() || (c.is_unknown() && d.is_symbolic())) c = d;
  }
}

ValueFacts ShapeAnalysis::FromTypeProto(const onnx::TypeProto& type,
                                        const std::map<std::string, int64_t>& bindings) {
  return FromTypeProtoCached(type, bindings, nullptr);
}

ValueFacts ShapeAnalysis::FromTypeProtoCached(const onnx::TypeProto& type,
                                              const std::map<std::string, int64_t>& bindings,
                                              absl::flat_hash_map<std::string, Dim>* params) {
  ValueFacts f;
  if (!type.has_tensor_type()) return f;
  f.elem_type = type.tensor_type().elem_type();
  if (!type.tensor_type().has_shape()) return f;
  f.has_shape = true;
  f.dims.reserve(type.tensor_type().shape().dim_size());
  for (const auto& d : type.tensor_type().shape().dim()) {
    if (d.has_dim_value() && d.dim_value() >= 0) {
      f.dims.push_back(Dim::Static(d.dim_value()));
    } else if (d.has_dim_param() && !d.dim_param().empty()) {
      // Declarations repeat a handful of names: parse each once.
      if (params != nullptr) {
        auto it = params->find(d.dim_param());
        if (it == params->end()) {
          Dim dim = Dim::FromParam(d.dim_param());
          it = params->emplace(d.dim_param(), bindings.empty() ? dim : dim.Substitute(bindings))
                   .first;
        }
        f.dims.push_back(it->second);
        continue;
      }
      Dim dim = Dim::FromParam(d.dim_param());
      f.dims.push_back(bindings.empty() ? dim : dim.Substitute(bindings));
    } else {
      f.dims.push_back(Dim());
    }
  }
  return f;
}

void ShapeAnalysis::ToTypeProto(const ValueFacts& facts, onnx::TypeProto* type) {
  // Rewritten in place (a cleared repeated field keeps its dim objects for
  // reuse): pinning rewrites every value_info entry of the graph.
  if (!type->has_tensor_type()) type->Clear();
  auto* tt = type->mutable_tensor_type();
  if (facts.elem_type != 0) tt->set_elem_type(facts.elem_type);
  else tt->clear_elem_type();
  if (!facts.has_shape) {
    tt->clear_shape();
    return;
  }
  auto* shape = tt->mutable_shape();
  shape->clear_dim();
  // One allocation for the dim pointers instead of growing them dim by dim.
  shape->mutable_dim()->Reserve(static_cast<int>(facts.dims.size()));
  for (const Dim& d : facts.dims) {
    auto* out = shape->add_dim();
    if (d.is_static()) {
      out->set_dim_value(d.value());
    } else if (d.is_symbolic()) {
      out->set_dim_param(d.ToString());
    }
  }
}

namespace {

// "float[1,9,time] = [1,2]": everything FirstDifference compares.
std::string FactsText(const ValueFacts* f) {
  if (f == nullptr) return "nothing";
  std::string text = absl::StrCat("type ", f->elem_type, " ", f->ShapeString());
  if (f->has_value) {
    std::vector<std::string> parts;
    for (const Dim& d : f->value) parts.push_back(d.ToString());
    absl::StrAppend(&text, " = [", absl::StrJoin(parts, ","), "]");
  }
  return text;
}

}  // namespace

std::string ShapeAnalysis::FirstDifference(const ShapeAnalysis& other,
                                           const onnx::GraphProto& graph) const {
  auto differ = [&](const std::string& name) -> std::string {
    const std::string mine = FactsText(main_->Find(name));
    const std::string theirs = FactsText(other.main_->Find(name));
    if (mine == theirs) return "";
    return absl::StrCat("'", name, "': ", mine, " vs ", theirs);
  };
  for (const auto& in : graph.input())
    if (std::string d = differ(in.name()); !d.empty()) return d;
  for (const auto& node : graph.node())
    for (const auto& o : node.output())
      if (!o.empty())
        if (std::string d = differ(o); !d.empty()) return d;
  for (const auto& out : graph.output())
    if (std::string d = differ(out.name()); !d.empty()) return d;
  return "";
}

std::string ShapeAnalysis::FirstOutputRankConflict(const onnx::GraphProto& graph) const {
  for (const auto& out : graph.output()) {
    if (!out.type().has_tensor_type() || !out.type().tensor_type().has_shape()) continue;
    const ValueFacts* computed = main_->Find(out.name());
    if (computed == nullptr || !computed->has_shape) continue;
    const int declared = out.type().tensor_type().shape().dim_size();
    if (declared == computed->rank()) continue;
    return absl::StrCat("graph output '", out.name(), "' is declared with rank ", declared, " ",
                        FromTypeProto(out.type(), options_.bindings).ShapeString(),
                        " but the graph computes rank ", computed->rank(), " ",
                        computed->ShapeString(), " for it");
  }
  return "";
}

namespace {

// Whether `type` already says exactly what ToTypeProto would write.
bool TypeMatches(const onnx::TypeProto& type, const ValueFacts& f) {
  if (!type.has_tensor_type()) return false;
  const auto& tt = type.tensor_type();
  if (f.elem_type != 0 && tt.elem_type() != f.elem_type) return false;
  if (tt.has_shape() != f.has_shape) return false;
  if (!f.has_shape) return true;
  if (tt.shape().dim_size() != static_cast<int>(f.dims.size())) return false;
  for (int i = 0; i < tt.shape().dim_size(); ++i) {
    const auto& d = tt.shape().dim(i);
    const Dim& want = f.dims[i];
    if (want.is_static()) {
      if (!d.has_dim_value() || d.dim_value() != want.value()) return false;
    } else if (want.is_symbolic()) {
      if (!d.has_dim_param() || d.dim_param() != want.ToString()) return false;
    } else if (d.has_dim_value() || d.has_dim_param()) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ShapeAnalysis::WriteValueInfo(onnx::GraphProto& graph, const GraphIndex* current) const {
  // By id when the caller vouches for the index: interface values by the
  // index's facts, node outputs by its slot ids. Otherwise by name.
  const GraphIndex* index =
      current != nullptr && current == main_->index.get() && &current->graph() == &graph ? current
                                                                                         : nullptr;
  // Ids as the index gives them; those the analysis has entries for (it
  // was built before values the index numbered later) key its arrays.
  const int num_ids = index ? static_cast<int>(main_->by_id.size()) : 0;
  auto known = [&](int id) { return id < num_ids ? id : -1; };
  // The value_info entry of each value (by id, else by name), and each
  // entry's id.
  absl::flat_hash_map<absl::string_view, int> existing;
  std::vector<int> existing_by_id(num_ids, -1);
  std::vector<int> entry_ids(graph.value_info_size(), -1);
  if (index == nullptr) existing.reserve(graph.value_info_size());
  for (int i = 0; i < graph.value_info_size(); ++i) {
    const std::string& name = graph.value_info(i).name();
    entry_ids[i] = index ? index->Id(name) : -1;
    if (const int id = known(entry_ids[i]); id >= 0) existing_by_id[id] = i;
    else existing[name] = i;
  }
  absl::flat_hash_set<absl::string_view> interface;
  if (index == nullptr) {
    interface.reserve(graph.input_size() + graph.output_size() + graph.initializer_size());
    for (const auto& vi : graph.input()) interface.insert(vi.name());
    for (const auto& vi : graph.output()) interface.insert(vi.name());
    for (const auto& t : graph.initializer()) interface.insert(t.name());
  }
  auto is_interface = [&](const std::string& name, int id) {
    if (index == nullptr) return interface.contains(name);
    return id >= 0 && (index->IsGraphInputById(id) || index->IsGraphOutputById(id) ||
                       index->InitializerIndexById(id) >= 0);
  };
  auto facts_of = [&](const std::string& name, int id) {
    return known(id) >= 0 ? FactsById(id) : main_->Find(name);
  };
  // New entries are appended after the walk.
  std::vector<std::pair<const std::string*, const ValueFacts*>> added;
  bool changed = false;
  for (int n = 0; n < graph.node_size(); ++n) {
    const onnx::NodeProto& node = graph.node(n);
    const absl::Span<const int> out_ids = index ? index->NodeOutputIds(n) : absl::Span<const int>();
    for (int k = 0; k < node.output_size(); ++k) {
      const std::string& name = node.output(k);
      const int id = k < static_cast<int>(out_ids.size()) ? out_ids[k] : -1;
      if (name.empty() || is_interface(name, id)) continue;
      const ValueFacts* f = facts_of(name, id);
      if (f == nullptr || (f->elem_type == 0 && !f->has_shape)) continue;
      int entry = -1;
      if (known(id) >= 0) {
        entry = existing_by_id[id];
      } else if (auto it = existing.find(name); it != existing.end()) {
        entry = it->second;
      }
      if (entry < 0) {
        added.emplace_back(&name, f);
        continue;
      }
      onnx::ValueInfoProto* vi = graph.mutable_value_info(entry);
      if (TypeMatches(vi->type(), *f)) continue;
      ToTypeProto(*f, vi->mutable_type());
      changed = true;
    }
  }
  // Exporters also declare graph inputs, outputs and initializers in
  // value_info (torch's dynamo exporter does); such an entry says what the
  // interface says, so after pinning it must not keep the old symbols.
  for (int i = 0; i < static_cast<int>(entry_ids.size()); ++i) {
    onnx::ValueInfoProto& vi = *graph.mutable_value_info(i);
    if (!is_interface(vi.name(), entry_ids[i]) || !vi.type().has_tensor_type()) continue;
    const ValueFacts* f = facts_of(vi.name(), entry_ids[i]);
    if (f == nullptr || (f->elem_type == 0 && !f->has_shape) || TypeMatches(vi.type(), *f))
      continue;
    ToTypeProto(*f, vi.mutable_type());
    changed = true;
  }
  graph.mutable_value_info()->Reserve(graph.value_info_size() + static_cast<int>(added.size()));
  for (const auto& [name, f] : added) {
    onnx::ValueInfoProto* vi = graph.add_value_info();
    vi->set_name(*name);
    ToTypeProto(*f, vi->mutable_type());
    changed = true;
  }
  for (auto& out : *graph.mutable_output()) {
    const ValueFacts* f = main_->Find(out.name());
    if (f == nullptr) continue;
    ValueFacts refined = *f;
    ValueFacts declared = FromTypeProto(out.type(), options_.bindings);
    RefineFacts(refined, declared);
    onnx::TypeProto type;
    ToTypeProto(refined, &type);
    if (!out.type().has_tensor_type() && out.has_type()) continue;  // sequences etc.
    if (out.type().SerializeAsString() != type.SerializeAsString()) {
      *out.mutable_type() = std::move(type);
      changed = true;
    }
  }
  return changed;
}

}  // namespace h8
