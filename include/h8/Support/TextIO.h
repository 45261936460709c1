//===- TextIO.h - ONNX textual IR: parser and printer -----------*- C++ -*-===//
//
// The textual form of a model is the ONNX text syntax (onnx/defs/parser.h)
// extended where ONNX 1.12's parser falls short for real exports:
//   - identifiers that are not [A-Za-z_][A-Za-z0-9_]* are written quoted,
//     "onnx::Conv_12" or "/conv1/Conv_output_0" (as newer ONNX does);
//   - string literals take \" and \\ escapes;
//   - tensor-valued attributes: `value = float[2] {1, 2}`;
//   - node names: `[name] y = Relu (x)`;
//   - graph-valued attributes: `then_branch = g (...) => (...) {...}`.
// `#` starts a comment to the end of the line. ONNX 1.12's own parser cannot
// print models, drops initializers and rejects its printer's tensors, so the
// project owns both directions. Printing is deterministic and
// PrintModelText(ParseModelText(PrintModelText(m))) == PrintModelText(m).
// The text carries graph structure, attributes, initializers, value_info,
// opset imports, model header fields and metadata_props, and model-local
// functions; node and value doc strings live in the binary form only.
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_TEXTIO_H
#define H8_SUPPORT_TEXTIO_H

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onnx/onnx_pb.h"

namespace h8 {

/// Parses a model in textual form. On failure the status message is
/// "line L, column C: <what>" followed by " (near '<context>')", with L
/// counted from `first_line` (the chunk's first line in its file).
absl::StatusOr<onnx::ModelProto> ParseModelText(absl::string_view text, int first_line = 1);

struct PrintOptions {
  /// Initializers with more elements than this print as `{...}` (not
  /// re-parseable). Negative: print everything.
  int64_t elide_initializers_larger_than = -1;
};

/// Prints `model` in textual form, ending with a newline.
std::string PrintModelText(const onnx::ModelProto& model, const PrintOptions& options = {});

}  // namespace h8

#endif  // H8_SUPPORT_TEXTIO_H
