//===- SplitHailo8.h - The host part split-hailo8 leaves --------*- C++ -*-===//
#ifndef H8_PASSES_SPLITHAILO8_H
#define H8_PASSES_SPLITHAILO8_H

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "onnx/onnx_pb.h"

namespace h8 {

/// The artifact split-hailo8 leaves in the run's ArtifactStore: the host
/// model and the file it goes to. The rewritten model is then the device
/// part, and host(device(x)) computes the original outputs. Passes do no
/// I/O: the driver writes the host file together with -o, only when the
/// whole run succeeds.
struct SplitHostModel {
  static constexpr absl::string_view kArtifactKey = "split-hailo8.host-model";
  std::shared_ptr<onnx::ModelProto> model;
  std::string path;
};

}  // namespace h8

#endif  // H8_PASSES_SPLITHAILO8_H
