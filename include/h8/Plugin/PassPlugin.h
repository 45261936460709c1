//===- PassPlugin.h - The pass-plugin ABI -----------------------*- C++ -*-===//
//
// onnx-h8-opt hosts pass plugins the way `opt -load-pass-plugin` does. A
// plugin is a shared library exporting one C function,
//
//   extern "C" H8PassPluginInfo h8GetPassPluginInfo(void);
//
// returning a plain struct: the plugin API version, the plugin's name and
// version, the protobuf and ONNX versions it was compiled against, and a
// registration callback. The host refuses (exit 2) any mismatch, because
// plugin and host share protobuf messages: different versions would corrupt
// memory silently. Nothing registers itself from a static constructor.
//
// Write a plugin with H8_DEFINE_PASS_PLUGIN, which fills in the versions:
//
//   static void RegisterMyPasses(h8::PassRegistrar& registrar) {
//     registrar.Register(h8::MakePassInfo<MyOptions>("my-pass", "...", &CreateMyPass));
//   }
//   H8_DEFINE_PASS_PLUGIN("my-plugin", "1.0", RegisterMyPasses)
//
// Plugins link against the installed OnnxH8::plugin target; the host
// executable exports the onnx-h8-opt libraries to them.
//
//===----------------------------------------------------------------------===//
#ifndef H8_PLUGIN_PASSPLUGIN_H
#define H8_PLUGIN_PASSPLUGIN_H

#include <cstdint>
#include <string>

#include "google/protobuf/stubs/common.h"
#include "h8/Pass/PassRegistry.h"
#include "onnx/common/version.h"

/// Bumped whenever Pass, PassContext, PassInfo, PassRegistry or this struct
/// change layout (3: Pass::ConsumesLintFindings, PassRegistry's pipelines,
/// PassContext's AnalysisManager, GraphPass's per-model hooks; 4:
/// PassContext's ArtifactStore instead of the interface record; 5: Pass's
/// reads-only flag and LintPass, PassContext's nested-pass runner and
/// pass-start fingerprint; 6: PassContext's types-only change
/// declaration; 7: GraphIndex's slot ids, ShapeAnalysis over an index).
#define H8_PLUGIN_API_VERSION 7
/// The ONNX release whose headers the including code is compiled against
/// (the host's and each plugin's own, compared when a plugin loads).
#define H8_ONNX_VERSION ::onnx::LAST_RELEASE_VERSION

namespace h8 {

/// What a plugin's registration callback sees: registers passes into the
/// host's registry under the plugin's name. The first failure (a name that
/// is already taken) is kept and reported by the host.
class PassRegistrar {
 public:
  virtual ~PassRegistrar() = default;
  virtual void Register(PassInfo info) = 0;
};

}  // namespace h8

extern "C" {

struct H8PassPluginInfo {
  uint32_t api_version;
  const char* plugin_name;
  const char* plugin_version;
  /// GOOGLE_PROTOBUF_VERSION the plugin was compiled with.
  int32_t protobuf_version;
  /// H8_ONNX_VERSION the plugin was compiled with.
  const char* onnx_version;
  void (*register_passes)(h8::PassRegistrar& registrar);
};

}  // extern "C"

/// Defines the plugin's entry point with the versions it is compiled with.
#define H8_DEFINE_PASS_PLUGIN(NAME, VERSION, REGISTER)                                           \
  extern "C" __attribute__((visibility("default"))) H8PassPluginInfo h8GetPassPluginInfo(void) { \
    return H8PassPluginInfo{H8_PLUGIN_API_VERSION, NAME,    VERSION, GOOGLE_PROTOBUF_VERSION,    \
                            H8_ONNX_VERSION,       REGISTER};                                    \
  }

namespace h8 {

/// Loads the plugin at `path` and registers its passes into `registry`.
/// Errors (exit 2 in the driver) name the file: cannot be opened (dlerror
/// text), no h8GetPassPluginInfo, API/protobuf/ONNX version mismatch, a pass
/// name already registered.
absl::Status LoadPassPlugin(const std::string& path, PassRegistry& registry);

}  // namespace h8

#endif  // H8_PLUGIN_PASSPLUGIN_H
