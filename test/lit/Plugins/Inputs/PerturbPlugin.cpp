//===- PerturbPlugin.cpp - A deliberately wrong pass, for lit tests -------===//
//
// `perturb-weights` adds 0.5 to the first element of the first float
// initializer: a rewrite that silently changes numerics, which
// --verify-each=numerics must pin on this pass by name.
//
//===----------------------------------------------------------------------===//
#include <cstring>

#include "h8/Plugin/PassPlugin.h"

namespace {

struct NoOptions {
  static void Bind(h8::OptionBinder<NoOptions>&) {}
};

class PerturbPass : public h8::Pass {
 public:
  absl::string_view Argument() const override { return "perturb-weights"; }
  absl::StatusOr<bool> Run(onnx::ModelProto& model, h8::PassContext&) override {
    for (auto& t : *model.mutable_graph()->mutable_initializer()) {
      if (t.data_type() != onnx::TensorProto::FLOAT || t.raw_data().size() < 4) continue;
      float v;
      std::memcpy(&v, t.raw_data().data(), 4);
      v += 0.5f;
      std::memcpy(t.mutable_raw_data()->data(), &v, 4);
      return true;
    }
    return false;
  }
};

std::unique_ptr<h8::Pass> Create(const NoOptions&) { return std::make_unique<PerturbPass>(); }

void Register(h8::PassRegistrar& registrar) {
  registrar.Register(
      h8::MakePassInfo<NoOptions>("perturb-weights", "Test only: changes one weight", &Create));
}

}  // namespace

H8_DEFINE_PASS_PLUGIN("perturb", "1", Register)
