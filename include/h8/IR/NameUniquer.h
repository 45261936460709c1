//===- NameUniquer.h - Deterministic fresh value names ----------*- C++ -*-===//
#ifndef H8_IR_NAMEUNIQUER_H
#define H8_IR_NAMEUNIQUER_H

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "onnx/onnx_pb.h"

namespace h8 {

/// Hands out names unused anywhere in a model: `base`, then `base_1`,
/// `base_2`, ... The sequence depends only on the model and the calls, so
/// output is byte-identical across runs.
class NameUniquer {
 public:
  /// Reserves every value, node and initializer name in `model`, subgraphs
  /// included. The names are collected on first use, not here: a uniquer a
  /// pass never asks costs nothing (most runs of most passes create no
  /// name). The model must outlive that first use, and what is reserved is
  /// the model as it is then.
  explicit NameUniquer(const onnx::ModelProto& model) : pending_(&model.graph()) {}
  /// Reserves every name in `graph` and its subgraphs, including values it
  /// reads from enclosing graphs (for passes that see one graph); collected
  /// on first use as above.
  explicit NameUniquer(const onnx::GraphProto& graph) : pending_(&graph) {}
  NameUniquer() = default;

  void Reserve(absl::string_view name) { used_.insert(std::string(name)); }
  bool IsUsed(absl::string_view name) const {
    Load();
    return used_.contains(name);
  }
  /// Returns a fresh name derived from `base` and reserves it.
  std::string Unique(absl::string_view base);

 private:
  void Load() const;
  void ReserveGraph(const onnx::GraphProto& graph) const;
  mutable const onnx::GraphProto* pending_ = nullptr;
  mutable absl::flat_hash_set<std::string> used_;
};

}  // namespace h8

#endif  // H8_IR_NAMEUNIQUER_H
