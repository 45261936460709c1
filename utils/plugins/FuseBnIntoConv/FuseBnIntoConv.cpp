//===- FuseBnIntoConv.cpp - Example pass plugin: fold BN into Conv --------===//
//
// An out-of-tree pass built as a plugin (load with
// --load-pass-plugin=libh8-fuse-bn-into-conv.so). It folds an inference
// BatchNormalization into the Conv that feeds it:
//
// Before:
//   c = Conv (x, w, b)
//   y = BatchNormalization <epsilon = 1e-05> (c, scale, bias, mean, var)
// After:
//   y = Conv (x, w', b')
// with, per output channel o and s = scale[o] / sqrt(var[o] + epsilon):
//   w'[o, ...] = w[o, ...] * s        b'[o] = (b[o] - mean[o]) * s + bias[o]
//
// Conditions: the Conv's output is read only by the BatchNormalization;
// w, b (when present) and the four BN parameters are float initializers;
// the BN has one output (inference). The BN's output name is kept. A weight
// or bias shared with another reader is copied, never changed in place.
//
//===----------------------------------------------------------------------===//
#include <cmath>

#include "absl/strings/str_cat.h"
#include "h8/Eval/Tensor.h"
#include "h8/IR/GraphIndex.h"
#include "h8/IR/GraphRewriter.h"
#include "h8/IR/Match.h"
#include "h8/IR/NameUniquer.h"
#include "h8/Plugin/PassPlugin.h"

namespace {

struct FuseBnIntoConvOptions {
  static void Bind(h8::OptionBinder<FuseBnIntoConvOptions>&) {}
};

class FuseBnIntoConvPass : public h8::GraphPass {
 public:
  absl::string_view Argument() const override { return "fuse-bn-into-conv"; }

 protected:
  absl::StatusOr<bool> RunOnGraph(h8::GraphRef ref, h8::PassContext& ctx) override {
    onnx::GraphProto& graph = *ref.graph;
    h8::GraphIndex index(graph);
    h8::NameUniquer names(graph);
    h8::GraphRewriter rewriter(graph);
    bool changed = false;
    for (int i = 0; i < graph.node_size(); ++i) {
      const onnx::NodeProto& bn = graph.node(i);
      if (bn.op_type() != "BatchNormalization" || !h8::IsOnnxDomain(bn) || bn.input_size() != 5 ||
          bn.output_size() != 1)
        continue;
      int c = index.ProducerIndex(bn.input(0));
      if (c < 0 || graph.node(c).op_type() != "Conv" || index.NumUses(bn.input(0)) != 1) {
        ctx.Remark(&bn, i, ref.path) << "not fused: the input is not a Conv read only here";
        continue;
      }
      const onnx::NodeProto& conv = graph.node(c);
      std::vector<h8::Tensor> params;
      bool constant = true;
      for (int k = 1; k < 5 && constant; ++k) {
        const onnx::TensorProto* t = index.Initializer(bn.input(k));
        auto value = t != nullptr ? h8::TensorFromProto(*t, ctx.base_dir())
                                  : absl::StatusOr<h8::Tensor>(absl::NotFoundError(""));
        constant = value.ok() && value->IsFloat();
        if (constant) params.push_back(std::move(*value));
      }
      const onnx::TensorProto* w = index.Initializer(conv.input(1));
      const onnx::TensorProto* b = conv.input_size() > 2 && !conv.input(2).empty()
                                       ? index.Initializer(conv.input(2))
                                       : nullptr;
      if (!constant || w == nullptr ||
          (conv.input_size() > 2 && !conv.input(2).empty() && b == nullptr)) {
        ctx.Remark(&bn, i, ref.path) << "not fused: weights or BN parameters are not constant";
        continue;
      }
      auto weight = h8::TensorFromProto(*w, ctx.base_dir());
      if (!weight.ok() || !weight->IsFloat() || weight->dims.empty()) continue;
      const int64_t out_channels = weight->dims[0];
      bool shapes_ok = true;
      for (const auto& p : params) shapes_ok &= p.NumElements() == out_channels;
      h8::Tensor bias;
      if (b != nullptr) {
        auto decoded = h8::TensorFromProto(*b, ctx.base_dir());
        if (!decoded.ok() || decoded->NumElements() != out_channels) shapes_ok = false;
        else bias = std::move(*decoded);
      } else {
        bias.dtype = onnx::TensorProto::FLOAT;
        bias.dims = {out_channels};
        bias.f.assign(out_channels, 0.0f);
      }
      if (!shapes_ok) {
        ctx.Remark(&bn, i, ref.path) << "not fused: parameter sizes do not match the channels";
        continue;
      }
      // Match complete; rewrite.
      const float epsilon = [&] {
        const auto* a = h8::FindAttr(bn, "epsilon");
        return a != nullptr ? a->f() : 1e-5f;
      }();
      const int64_t per_channel = weight->NumElements() / out_channels;
      for (int64_t o = 0; o < out_channels; ++o) {
        const double s = params[0].f[o] / std::sqrt(static_cast<double>(params[3].f[o]) + epsilon);
        for (int64_t k = 0; k < per_channel; ++k)
          weight->f[o * per_channel + k] = static_cast<float>(weight->f[o * per_channel + k] * s);
        bias.f[o] = static_cast<float>((bias.f[o] - params[2].f[o]) * s + params[1].f[o]);
      }
      onnx::NodeProto* fused = graph.mutable_node(c);
      auto store = [&](const h8::Tensor& value, const std::string& old_name, int slot) {
        int init = index.InitializerIndex(old_name);
        if (init >= 0 && index.NumUses(old_name) == 1 && !index.IsGraphInput(old_name)) {
          *graph.mutable_initializer(init) = h8::TensorToProto(value, old_name);
        } else {
          std::string name =
              names.Unique(absl::StrCat(old_name.empty() ? "bias" : old_name, "_bn"));
          rewriter.AddInitializer(h8::TensorToProto(value, name));
          while (fused->input_size() <= slot) fused->add_input("");
          fused->set_input(slot, name);
        }
      };
      store(*weight, conv.input(1), 1);
      store(bias, b != nullptr ? conv.input(2) : std::string(), 2);
      fused->set_output(0, bn.output(0));
      rewriter.Erase(i);
      batchnorms_fused_.Add(ctx);
      changed = true;
    }
    rewriter.Commit();
    return changed;
  }

 private:
  h8::Statistic batchnorms_fused_{this, "batchnorms-fused",
                                  "BatchNormalization nodes folded into the Conv before them"};
};

std::unique_ptr<h8::Pass> CreateFuseBnIntoConvPass(const FuseBnIntoConvOptions&) {
  return std::make_unique<FuseBnIntoConvPass>();
}

void RegisterPasses(h8::PassRegistrar& registrar) {
  registrar.Register(h8::MakePassInfo<FuseBnIntoConvOptions>(
      "fuse-bn-into-conv", "Fold an inference BatchNormalization into the preceding Conv",
      &CreateFuseBnIntoConvPass));
}

}  // namespace

H8_DEFINE_PASS_PLUGIN("fuse-bn-into-conv", "1.0", RegisterPasses)
