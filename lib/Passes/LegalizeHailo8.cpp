//===- LegalizeHailo8.cpp - IN PROGRESS: placeholder until the pass lands ------------===//
#include "absl/strings/str_cat.h"
#include "h8/Passes/Passes.h"

namespace h8 {
namespace {
class LegalizeHailo8Placeholder : public Pass {
 public:
  absl::string_view Argument() const override { return "LegalizeHailo8"; }
  absl::StatusOr<bool> Run(onnx::ModelProto&, PassContext&) override {
    return absl::UnimplementedError("LegalizeHailo8 is not implemented yet");
  }
};
}  // namespace
std::unique_ptr<Pass> CreateLegalizeHailo8Pass(const LegalizeHailo8Options&) {
  return std::make_unique<LegalizeHailo8Placeholder>();
}
}  // namespace h8
