//===- onnx-h8-opt.cpp - ONNX -> ONNX compiler driver for Hailo-8 ---------===//
//
// Registers the built-in passes and hands over to h8::OptMain().
//
//===----------------------------------------------------------------------===//
#include <iostream>

#include "h8/Passes/Passes.h"
#include "h8/Tools/OptMain.h"

int main(int argc, char** argv) {
  h8::PassRegistry registry;
  if (absl::Status s = h8::RegisterAllPasses(registry); !s.ok()) {
    std::cerr << "onnx-h8-opt: error: " << s.message() << "\n";
    return h8::kExitUsageError;
  }
  return h8::OptMain(argc, argv, registry);
}
