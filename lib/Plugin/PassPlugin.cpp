//===- PassPlugin.cpp - Loading pass plugins ------------------------------===//
#include "h8/Plugin/PassPlugin.h"

#include <dlfcn.h>

#include "absl/strings/str_cat.h"

namespace h8 {
namespace {

std::string ProtobufVersionText(int32_t v) {
  return absl::StrCat(v / 1000000, ".", v / 1000 % 1000, ".", v % 1000);
}

class HostRegistrar : public PassRegistrar {
 public:
  HostRegistrar(PassRegistry& registry, std::string plugin)
      : registry_(registry), plugin_(std::move(plugin)) {}
  void Register(PassInfo info) override {
    if (!status_.ok()) return;
    info.plugin = plugin_;
    status_ = registry_.Register(std::move(info));
  }
  const absl::Status& status() const { return status_; }

 private:
  PassRegistry& registry_;
  std::string plugin_;
  absl::Status status_;
};

}  // namespace

absl::Status LoadPassPlugin(const std::string& path, PassRegistry& registry) {
  // RTLD_NOW: an unresolved symbol is a load error now, not a crash later.
  // The handle is never closed: registered factories point into the plugin.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot load pass plugin: ", why != nullptr ? why : "unknown error"));
  }
  using GetInfo = H8PassPluginInfo (*)();
  auto get_info = reinterpret_cast<GetInfo>(::dlsym(handle, "h8GetPassPluginInfo"));
  if (get_info == nullptr)
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not an onnx-h8-opt pass plugin: it does not export h8GetPassPluginInfo"));
  H8PassPluginInfo info = get_info();
  const std::string name = info.plugin_name != nullptr ? info.plugin_name : "";
  if (info.api_version != H8_PLUGIN_API_VERSION)
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": pass plugin '", name, "' uses plugin API version ", info.api_version,
        ", this onnx-h8-opt supports version ", H8_PLUGIN_API_VERSION, "; rebuild the plugin"));
  if (info.protobuf_version != GOOGLE_PROTOBUF_VERSION)
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": pass plugin '", name, "' was built with protobuf ",
                     ProtobufVersionText(info.protobuf_version), ", this onnx-h8-opt with ",
                     ProtobufVersionText(GOOGLE_PROTOBUF_VERSION),
                     "; mixing them would corrupt memory, rebuild the plugin"));
  if (info.onnx_version == nullptr || std::string(info.onnx_version) != H8_ONNX_VERSION)
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": pass plugin '", name, "' was built with ONNX ",
                     info.onnx_version != nullptr ? info.onnx_version : "(unknown)",
                     ", this onnx-h8-opt with ", H8_ONNX_VERSION, "; rebuild the plugin"));
  if (name.empty() || info.register_passes == nullptr)
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": pass plugin has no name or no registration callback"));
  HostRegistrar registrar(registry, name);
  info.register_passes(registrar);
  if (!registrar.status().ok())
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": pass plugin '", name, "': ", registrar.status().message()));
  return absl::OkStatus();
}

}  // namespace h8
