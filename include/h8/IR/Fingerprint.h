//===- Fingerprint.h - Cheap structural fingerprints ------------*- C++ -*-===//
//
// A 64-bit hash of everything in a graph that passes and analyses look at:
// every node (name, op, domain, inputs, outputs, attributes, subgraphs
// recursively), the graph's inputs, outputs and value_info (names and
// types), and the initializers' names, types, dims, storage and byte size.
// Tensor contents are hashed whole up to kFingerprintContentBytes and by
// their first and last kFingerprintContentBytes / 2 bytes beyond that, so a
// fingerprint costs a walk over names, not over weights (a 317 MB model is
// fingerprinted in microseconds per tensor).
//
// Uses: under --verify-each=full the pass manager compares fingerprints
// before and after each pass (a pass that reports no change but changed the
// graph is an error), and the AnalysisManager keeps an analysis for as long
// as its graph's fingerprint is unchanged (between passes, while claims are
// trusted, the pass manager's stamps stand in for the main graph's).
// A rewrite that only changes bytes in the middle of a large tensor keeps
// the fingerprint; only the pass's own "changed" claim reveals it, and
// consumers treat such a claim with an equal fingerprint accordingly.
//
//===----------------------------------------------------------------------===//
#ifndef H8_IR_FINGERPRINT_H
#define H8_IR_FINGERPRINT_H

#include <cstddef>
#include <cstdint>

#include "onnx/onnx_pb.h"

namespace h8 {

constexpr size_t kFingerprintContentBytes = 256;

uint64_t GraphFingerprint(const onnx::GraphProto& graph);
/// The main graph plus the model's IR version, opset imports, functions and
/// metadata. Computed on the way: `main_graph` receives
/// GraphFingerprint(model.graph()), `topology` the main graph's fingerprint
/// without the types of its values (graph inputs' and outputs') and
/// without value_info (subgraphs included): everything the structural
/// verifier reads, so a change that leaves it equal (pinning dims, writing
/// value_info) needs no structural re-verification.
uint64_t ModelFingerprint(const onnx::ModelProto& model, uint64_t* main_graph = nullptr,
                          uint64_t* topology = nullptr);

}  // namespace h8

#endif  // H8_IR_FINGERPRINT_H
