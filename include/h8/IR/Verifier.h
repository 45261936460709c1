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

class GraphIndex;

/// The same checks, limited to what GraphRewriter commits changed in a
/// model that passed them before: `index` is an index of the main graph
/// that those commits updated (GraphIndex::TouchedNodes). Checks the touched
/// nodes' definitions and inputs, the graph outputs, the added initializers'
/// names and every initializer's data; falls back to the full check when a
/// touched node has a subgraph. Edits made outside a rewriter are not seen:
/// the pass manager uses it only for passes that committed every edit
/// through the AnalysisManager, and --verify-each=full checks everything.
absl::Status VerifyTouchedStructure(const onnx::ModelProto& model, const GraphIndex& index);

/// VerifyModelStructure(model) read off `index`, an index of the model's
/// main graph as it is (a fresh build): the same verdict and the same
/// message. A graph without subgraphs is checked by value ids (one walk
/// over the index's slot ids; only graph inputs and outputs are looked up
/// by name); a graph with subgraphs, or
/// one the walk finds a problem in, goes to VerifyModelStructure, whose
/// message is the one returned. For the driver, which builds the index
/// the pipeline's first passes use anyway.
absl::Status VerifyModelStructure(const onnx::ModelProto& model, const GraphIndex& index);

}  // namespace h8

#endif  // H8_IR_VERIFIER_H
