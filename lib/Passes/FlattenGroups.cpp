//===- FlattenGroups.cpp - IN PROGRESS: placeholder until the pass lands ------------===//
#include "absl/strings/str_cat.h"
#include "h8/Passes/Passes.h"

namespace h8 {
namespace {
class FlattenGroupsPlaceholder : public Pass {
 public:
  absl::string_view Argument() const override { return "FlattenGroups"; }
  absl::StatusOr<bool> Run(onnx::ModelProto&, PassContext&) override {
    return absl::UnimplementedError("FlattenGroups is not implemented yet");
  }
};
}  // namespace
std::unique_ptr<Pass> CreateFlattenGroupsPass(const FlattenGroupsOptions&) {
  return std::make_unique<FlattenGroupsPlaceholder>();
}
}  // namespace h8
