//===- LiftConv1d.h - What lift-conv1d leaves for later passes --*- C++ -*-===//
#ifndef H8_PASSES_LIFTCONV1D_H
#define H8_PASSES_LIFTCONV1D_H

#include <map>
#include <string>

#include "absl/strings/string_view.h"

namespace h8 {

/// The artifact lift-conv1d leaves in the run's ArtifactStore: how the
/// model's interface changed, so pin-shape can pin the inserted axis and
/// numeric verification can feed the original and the rewritten model
/// corresponding inputs and compare corresponding outputs.
struct LiftedInterface {
  static constexpr absl::string_view kArtifactKey = "lift-conv1d.interface";
  /// Graph input/output name -> axis at which the rewritten model's tensor
  /// has an extra unit axis (the H axis).
  std::map<std::string, int> inserted_axis;
  /// Node (or graph output) that forces the inserted axis to 1, so pin-shape
  /// can name it when a pin asks for H > 1; empty when none does.
  std::string row_axis_blocker;
};

}  // namespace h8

#endif  // H8_PASSES_LIFTCONV1D_H
