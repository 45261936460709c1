//===- CheckHailo8.cpp - IN PROGRESS: placeholder until the pass lands ------------===//
#include "absl/strings/str_cat.h"
#include "h8/Passes/Passes.h"

namespace h8 {
namespace {
class CheckHailo8Placeholder : public Pass {
 public:
  absl::string_view Argument() const override { return "CheckHailo8"; }
  absl::StatusOr<bool> Run(onnx::ModelProto&, PassContext&) override {
    return absl::UnimplementedError("CheckHailo8 is not implemented yet");
  }
};
}  // namespace
std::unique_ptr<Pass> CreateCheckHailo8Pass(const CheckHailo8Options&) {
  return std::make_unique<CheckHailo8Placeholder>();
}
}  // namespace h8
