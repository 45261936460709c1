// Stands in for onnx/common/version.h of another ONNX release, so that
// BadPlugins.cpp (H8_BAD_ONNX_HEADERS) is compiled as if against that
// release's headers.
#pragma once

namespace ONNX_NAMESPACE {

constexpr const char* LAST_RELEASE_VERSION = "1.99.0";

}  // namespace ONNX_NAMESPACE
