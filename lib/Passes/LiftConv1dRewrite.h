//===- LiftConv1dRewrite.h - lift-conv1d's rewriting of regions -*- C++ -*-===//
//
// The part of lift-conv1d that changes the graph: RegionRewriter turns the
// regions MatchRegions found (LiftConv1dMatch.h) into their rank-4 form,
// queueing every structural edit in a GraphRewriter. LiftConv1d.cpp runs
// it. Internal to lib/Passes.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_PASSES_LIFTCONV1DREWRITE_H
#define H8_LIB_PASSES_LIFTCONV1DREWRITE_H

#include <cstdint>
#include <string>
#include <vector>

#include "LiftConv1dMatch.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/GraphRewriter.h"
#include "h8/IR/NameUniquer.h"
#include "h8/Passes/LiftConv1d.h"
#include "onnx/onnx_pb.h"

namespace h8 {
namespace lift_conv1d {

/// Rewrites the regions of one graph as a LiftPlan describes them. Nothing
/// is mutated before the plan is complete, and the steps run in a fixed
/// order (values in plan order, then nodes in graph order), so generated
/// names are deterministic.
class RegionRewriter {
 public:
  RegionRewriter(onnx::GraphProto& graph, int64_t opset, const GraphIndex& index, ValueRanks& ranks,
                 const LiftPlan& plan)
      : graph_(graph),
        opset_(opset),
        index_(index),
        ranks_(ranks),
        plan_(plan),
        names_(graph),
        rewriter_(graph),
        keeps_name_(index.num_values()) {}

  /// Gives every lifted value its rank-4 form: under its own name, or under
  /// a new one with a Squeeze (region value read outside) or an Unsqueeze
  /// (value entering the region) at the boundary; then region nodes read
  /// and write the new names.
  void LiftValues(bool lift_interface);
  /// Lifts the attributes and constant operands of region node `i`.
  void LiftNode(int i);
  /// Inserts the H dim into the declared types of values that kept their
  /// name; records the interface change of the main graph in `lifted`.
  void LiftDeclaredTypes(const std::string& h_param, LiftedInterface* lifted);
  /// The queued edits (every change of node inputs and outputs, the node
  /// list and the initializer list; types and dims are edited in place).
  GraphRewriter& rewriter() { return rewriter_; }
  int boundaries() const { return boundaries_; }

 private:
  // A lifted value that gets a new name.
  struct Rename {
    int id;
    std::string lifted;
  };

  std::string AxesInput(int64_t axis);
  /// Inserts `Unsqueeze(value, [axis])` where `value` is defined; returns
  /// its output.
  std::string Unsqueeze(const std::string& value, int64_t axis);
  /// Inserts `Squeeze(from, [2])` writing `to` before node `anchor`.
  void Squeeze(int anchor, const std::string& from, const std::string& to);
  /// Gives initializer `init` a unit dim at `axis` (its bytes stay).
  void ReshapeInPlace(int init, int axis);
  bool OnlyRegionReaders(int id, const std::string& value) const;
  /// Readers outside the region of lifted graph input `v` read a rank-3
  /// view under a new name.
  void GiveOutsideReadersRank3View(const LiftedValue& v);
  void ApplyRenames();
  /// The name `value` has once the queued renames are applied.
  const std::string& PendingName(const std::string& value) const;
  /// Input `slot` of node `i` gets a unit dim at `axis`: a constant nobody
  /// else reads changes dims in place, anything else gets an Unsqueeze.
  void LiftOperand(int i, int slot, int axis);
  /// Input `slot` of node `i` becomes a new int64 initializer holding
  /// `values`, named after the node's output with `suffix`.
  void SetConstantInput(int i, int slot, absl::string_view suffix,
                        const std::vector<int64_t>& values);
  void LiftConv(int i, onnx::NodeProto& node);
  void LiftBinaryOperands(int i, const onnx::NodeProto& node);
  void LiftSlice(int i, onnx::NodeProto& node);
  void LiftPad(int i, onnx::NodeProto& node);
  void LiftReduce(int i, onnx::NodeProto& node);

  onnx::GraphProto& graph_;
  const int64_t opset_;
  const GraphIndex& index_;
  ValueRanks& ranks_;
  const LiftPlan& plan_;
  NameUniquer names_;
  GraphRewriter rewriter_;
  absl::flat_hash_map<int64_t, std::string> axes_inits_;
  // Per value id: lifted under its own name.
  std::vector<char> keeps_name_;
  // The lifted values that get a new name, and per value id the queued new
  // name (nullptr when none): later steps name things after a node's
  // output as it will be, which the node does not show until the commit.
  std::vector<Rename> renames_;
  std::vector<const std::string*> pending_name_;
  int boundaries_ = 0;
};

}  // namespace lift_conv1d
}  // namespace h8

#endif  // H8_LIB_PASSES_LIFTCONV1DREWRITE_H
