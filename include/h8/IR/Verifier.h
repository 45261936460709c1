//===- Verifier.h - Fast structural verifier --------------------*- C++ -*-===//
//
// Linear-time structural checks run after every pass (--verify-each) and on
// every input model: each value has one definition; every node input is
// defined before it is used (so the node list is topologically sorted and
// acyclic); every graph output is produced; subgraphs may read values of
// enclosing graphs defined before their node.
//
//===----------------------------------------------------------------------===//
#ifndef H8_IR_VERIFIER_H
#define H8_IR_VERIFIER_H

#include "absl/status/status.h"
#include "onnx/onnx_pb.h"

namespace h8 {

/// Returns InvalidArgument naming the first violation found, e.g.
/// "node 'y' (Relu): input 'x' is not defined".
absl::Status VerifyModelStructure(const onnx::ModelProto& model);

}  // namespace h8

#endif  // H8_IR_VERIFIER_H
