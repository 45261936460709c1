//===- ShapeAnalysisScope.h - ShapeAnalysis internals ----------*- C++ -*-===//
//
// The fact tables of one graph scope and the refinement of computed facts
// by declared ones, shared by the walk (ShapeAnalysis.cpp) and the reading
// and writing of declarations (ShapeAnalysisFacts.cpp). Internal to
// lib/Analysis.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_ANALYSIS_SHAPEANALYSISSCOPE_H
#define H8_LIB_ANALYSIS_SHAPEANALYSISSCOPE_H

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/IR/GraphIndex.h"
#include "h8/Support/StringArena.h"

namespace h8 {

// Facts by value name. The hash set holds 4-byte ids into dense arrays of
// names and facts: a flat map holding the 56-byte facts inline in its
// slots cost 72 bytes per slot, and slots run up to twice the values (37.7
// MB on a 100k-node graph, 20.6 MB this way). Ids are never reused: an
// erased name keeps its id and comes back empty.
class FactTable {
 public:
  FactTable() : ids_(0, Hash{this}, Eq{this}) {}
  FactTable(const FactTable&) = delete;
  FactTable& operator=(const FactTable&) = delete;

  void reserve(size_t n) {
    ids_.reserve(n);
    keys_.reserve(n);
    facts_.reserve(n);
    present_.reserve(n);
  }
  /// The facts of `name`, nullptr when absent.
  ValueFacts* find(absl::string_view name) {
    auto it = ids_.find(name);
    return it == ids_.end() || !present_[*it] ? nullptr : &facts_[*it];
  }
  const ValueFacts* find(absl::string_view name) const {
    return const_cast<FactTable*>(this)->find(name);
  }
  /// The facts of `name`, created empty when absent; `save` copies a new
  /// name into storage that outlives the table's use of it.
  template <typename Save>
  ValueFacts& Slot(absl::string_view name, Save save) {
    // One hash: the id is made only when the name is new.
    auto it = ids_.lazy_emplace(name, [&](const auto& ctor) {
      const uint32_t id = static_cast<uint32_t>(keys_.size());
      keys_.push_back(save(name));
      facts_.emplace_back();
      present_.push_back(1);
      ctor(id);
    });
    if (!present_[*it]) {
      facts_[*it] = ValueFacts();
      present_[*it] = 1;
    }
    return facts_[*it];
  }
  void erase(absl::string_view name) {
    auto it = ids_.find(name);
    if (it == ids_.end()) return;
    present_[*it] = 0;
    facts_[*it] = ValueFacts();
  }

 private:
  struct Hash {
    using is_transparent = void;
    const FactTable* table;
    size_t operator()(absl::string_view name) const {
      return absl::Hash<absl::string_view>{}(name);
    }
    size_t operator()(uint32_t id) const { return (*this)(table->keys_[id]); }
  };
  struct Eq {
    using is_transparent = void;
    const FactTable* table;
    absl::string_view Key(absl::string_view name) const { return name; }
    absl::string_view Key(uint32_t id) const { return table->keys_[id]; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Key(a) == Key(b);
    }
  };

  absl::flat_hash_set<uint32_t, Hash, Eq> ids_;
  std::vector<absl::string_view> keys_;
  std::vector<ValueFacts> facts_;
  std::vector<uint8_t> present_;
};

struct ShapeAnalysis::Scope {
  const Scope* parent = nullptr;
  // The main graph analysed with its use-def index: facts by the index's
  // value ids (`by_id`, `present`), so the walk hashes no name (the ids
  // of a node's slots come from the index). Names the index does not know,
  // and every body's values, go to `facts`. A name's id never changes
  // (GraphIndex::Id), so it always finds the same entry.
  std::shared_ptr<const GraphIndex> index;
  std::vector<ValueFacts> by_id;
  std::vector<uint8_t> present;
  // Keys view copies in `names`.
  FactTable facts;
  StringArena names;

  /// The id-keyed entry of `name`, or -1 when it has none.
  int IdOf(absl::string_view name) const {
    if (index == nullptr) return -1;
    const int id = index->Id(name);
    return id >= 0 && static_cast<size_t>(id) < by_id.size() ? id : -1;
  }
  ValueFacts& SlotId(int id) {
    if (!present[id]) {
      by_id[id] = ValueFacts();
      present[id] = 1;
    }
    return by_id[id];
  }
  const ValueFacts* FindId(int id) const { return present[id] ? &by_id[id] : nullptr; }

  /// The facts of `name` in this scope, created empty when new.
  ValueFacts& Slot(absl::string_view name) {
    if (const int id = IdOf(name); id >= 0) return SlotId(id);
    // One hash: the key is copied into the arena only when it is new.
    return facts.Slot(name, [&](absl::string_view n) { return names.Save(n); });
  }
  /// The facts of `name` in this scope alone.
  const ValueFacts* FindHere(absl::string_view name) const {
    if (const int id = IdOf(name); id >= 0) return FindId(id);
    return facts.find(name);
  }
  ValueFacts* FindHere(absl::string_view name) {
    return const_cast<ValueFacts*>(static_cast<const Scope*>(this)->FindHere(name));
  }
  void Erase(absl::string_view name) {
    if (const int id = IdOf(name); id >= 0) {
      present[id] = 0;
      by_id[id] = ValueFacts();
      return;
    }
    facts.erase(name);
  }

  /// The facts of `name` here or in an enclosing scope.
  const ValueFacts* Find(absl::string_view name) const {
    for (const Scope* s = this; s != nullptr; s = s->parent)
      if (const ValueFacts* f = s->FindHere(name)) return f;
    return nullptr;
  }
};

// Declared facts refine computed ones: per dim, a static dim wins, then a
// symbolic one; a declaration of another rank is stale and ignored.
void RefineFacts(ValueFacts& computed, const ValueFacts& declared);

}  // namespace h8

#endif  // H8_LIB_ANALYSIS_SHAPEANALYSISSCOPE_H
