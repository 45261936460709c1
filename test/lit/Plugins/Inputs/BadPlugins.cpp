//===- BadPlugins.cpp - Deliberately broken pass plugins for lit tests ----===//
//
// Compiled several times with one H8_BAD_* macro defined each, giving a
// plugin the host must refuse: a wrong API version, protobuf version or ONNX
// version, a pass name that is already registered, or no entry point.
// H8_BAD_ONNX_HEADERS is an ordinary plugin compiled with an include folder
// whose onnx/common/version.h names another ONNX release: the version a
// plugin reports comes from the ONNX headers it was compiled with.
//
//===----------------------------------------------------------------------===//
#include "h8/Plugin/PassPlugin.h"

#include <string_view>

namespace {

struct NoOptions {
  static void Bind(h8::OptionBinder<NoOptions>&) {}
};

class NopPass : public h8::Pass {
 public:
  absl::string_view Argument() const override { return "cleanup"; }
  absl::StatusOr<bool> Run(onnx::ModelProto&, h8::PassContext&) override { return false; }
};

[[maybe_unused]] std::unique_ptr<h8::Pass> CreateNop(const NoOptions&) {
  return std::make_unique<NopPass>();
}

// Registers a pass named like a built-in one.
[[maybe_unused]] void RegisterDuplicate(h8::PassRegistrar& registrar) {
  registrar.Register(h8::MakePassInfo<NoOptions>("cleanup", "clashes with a built-in", &CreateNop));
}

}  // namespace

#if defined(H8_BAD_API)
extern "C" __attribute__((visibility("default"))) H8PassPluginInfo h8GetPassPluginInfo(void) {
  return {H8_PLUGIN_API_VERSION + 1, "bad-api",       "1",
          GOOGLE_PROTOBUF_VERSION,   H8_ONNX_VERSION, RegisterDuplicate};
}
#elif defined(H8_BAD_PROTOBUF)
extern "C" __attribute__((visibility("default"))) H8PassPluginInfo h8GetPassPluginInfo(void) {
  return {H8_PLUGIN_API_VERSION, "bad-protobuf", "1", 3020003, H8_ONNX_VERSION, RegisterDuplicate};
}
#elif defined(H8_BAD_ONNX)
extern "C" __attribute__((visibility("default"))) H8PassPluginInfo h8GetPassPluginInfo(void) {
  return {H8_PLUGIN_API_VERSION,   "bad-onnx", "1",
          GOOGLE_PROTOBUF_VERSION, "1.11.0",   RegisterDuplicate};
}
#elif defined(H8_BAD_ONNX_HEADERS)
static_assert(std::string_view(H8_ONNX_VERSION) == "1.99.0",
              "the shadowing onnx/common/version.h was not picked up");
H8_DEFINE_PASS_PLUGIN("other-onnx", "1", RegisterDuplicate)
#elif defined(H8_BAD_DUPLICATE)
H8_DEFINE_PASS_PLUGIN("duplicate", "1", RegisterDuplicate)
#elif defined(H8_BAD_NO_SYMBOL)
extern "C" __attribute__((visibility("default"))) int h8SomethingElse(void) { return 0; }
#endif
