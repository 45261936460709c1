//===- onnx-h8-opt.cpp - ONNX -> ONNX compiler driver for Hailo-8 ---------===//
//
// Registers the built-in passes and hands over to h8::OptMain().
//
//===----------------------------------------------------------------------===//
#include <malloc.h>

#include <iostream>

#include "h8/Passes/Passes.h"
#include "h8/Tools/OptMain.h"

int main(int argc, char** argv) {
  // The process lives for one run: memory it frees is kept for what it
  // allocates next instead of going back to the kernel (glibc returns the
  // heap's top beyond 128 KiB and maps large blocks on their own, and every
  // page given back is faulted in again by the next pass's tables). On
  // the 100k-node benchmark TCN this removes 9k of 99k page faults. Set
  // here, not in the library: an embedder's process is not ours to tune.
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  h8::PassRegistry registry;
  if (absl::Status s = h8::RegisterAllPasses(registry); !s.ok()) {
    std::cerr << "onnx-h8-opt: error: " << s.message() << "\n";
    return h8::kExitUsageError;
  }
  return h8::OptMain(argc, argv, registry);
}
