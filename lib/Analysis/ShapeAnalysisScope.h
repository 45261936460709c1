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

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "h8/Analysis/ShapeAnalysis.h"
#include "h8/Support/StringArena.h"

namespace h8 {

struct ShapeAnalysis::Scope {
  const Scope* parent = nullptr;
  // Keys view copies in `names`.
  absl::flat_hash_map<absl::string_view, ValueFacts> facts;
  StringArena names;

  /// The facts of `name` in this scope, created empty when new.
  ValueFacts& Slot(absl::string_view name) {
    // One hash: the key is copied into the arena only when it is new.
    return facts
        .lazy_emplace(name, [&](const auto& ctor) { ctor(names.Save(name), ValueFacts()); })
        ->second;
  }

  const ValueFacts* Find(absl::string_view name) const {
    for (const Scope* s = this; s != nullptr; s = s->parent) {
      auto it = s->facts.find(name);
      if (it != s->facts.end()) return &it->second;
    }
    return nullptr;
  }
};

// Declared facts refine computed ones: per dim, a static dim wins, then a
// symbolic one; a declaration of another rank is stale and ignored.
void RefineFacts(ValueFacts& computed, const ValueFacts& declared);

}  // namespace h8

#endif  // H8_LIB_ANALYSIS_SHAPEANALYSISSCOPE_H
