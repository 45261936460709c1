// A small out-of-tree plugin pass: counts nodes per op type as statistics
// and remarks on each Relu; it does not change the model.
#include "h8/Plugin/PassPlugin.h"

namespace {

struct CountNodesOptions {
  std::string op = "Relu";
  static void Bind(h8::OptionBinder<CountNodesOptions>& b) {
    b.Add("op", &CountNodesOptions::op, "Op type to remark on").Primary();
  }
};

class CountNodesPass : public h8::Pass {
 public:
  explicit CountNodesPass(const CountNodesOptions& o) : options_(o) {}
  absl::string_view Argument() const override { return "count-nodes"; }
  absl::StatusOr<bool> Run(onnx::ModelProto& model, h8::PassContext& ctx) override {
    for (int i = 0; i < model.graph().node_size(); ++i) {
      const auto& node = model.graph().node(i);
      ctx.Stat(node.op_type());
      if (node.op_type() == options_.op) ctx.Remark(&node, i) << "counted";
    }
    return false;
  }

 private:
  CountNodesOptions options_;
};

std::unique_ptr<h8::Pass> Create(const CountNodesOptions& o) {
  return std::make_unique<CountNodesPass>(o);
}

void Register(h8::PassRegistrar& registrar) {
  registrar.Register(
      h8::MakePassInfo<CountNodesOptions>("count-nodes", "Count nodes by op type", &Create));
}

}  // namespace

H8_DEFINE_PASS_PLUGIN("count-nodes", "0.1", Register)
