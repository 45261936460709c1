//===- ModelIO.h - Reading and writing models -------------------*- C++ -*-===//
//
// Binary `.onnx` (read through one mmap and ParseFromArray, no extra copy of
// the file) and textual `.onnxtext`. Output is atomic: it goes to a
// temporary file in the destination folder that is renamed over the
// destination only after it was completely written, so a failure leaves the
// destination (which may be the input itself) untouched and no partial file.
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_MODELIO_H
#define H8_SUPPORT_MODELIO_H

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "onnx/onnx_pb.h"

namespace h8 {

enum class ModelFormat { kAuto, kBinary, kText };

/// Picks the format from a path's extension: `.onnxtext`/`.txt` text,
/// `.onnx`/`.pb` binary, otherwise kAuto.
ModelFormat FormatFromPath(const std::string& path);

/// Reads a whole file (or stdin for "-") into `out`. Errors name the path.
absl::Status ReadFileToString(const std::string& path, std::string& out);

/// Parses binary model bytes. `what` names the source in errors.
absl::StatusOr<onnx::ModelProto> ParseBinaryModel(const char* data, size_t size,
                                                  const std::string& what);

/// Guesses the format of model bytes: text when the first significant
/// character is '<', '#' or an identifier character.
ModelFormat SniffFormat(const std::string& bytes);

/// Reads a binary model from a file through mmap.
absl::StatusOr<onnx::ModelProto> ReadBinaryModelFile(const std::string& path);

/// Writes `contents` atomically to `path` ("-" is stdout).
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents);

/// Serializes `model` atomically to `path` in binary form.
absl::Status WriteBinaryModel(const onnx::ModelProto& model,
                              const std::string& path);

/// Folder of `path` ("." for a bare file name or stdin), for external data.
std::string DirName(const std::string& path);

}  // namespace h8

#endif  // H8_SUPPORT_MODELIO_H
