//===- ExternalData.h - Reading and writing ONNX external data --*- C++ -*-===//
//
// ONNX models over 2 GiB cannot be one protobuf: their tensors live in a
// side file (TensorProto.data_location = EXTERNAL, with location/offset/
// length). On output, tensors that were external in the input stay external
// (their bytes are copied one tensor at a time, never the whole file), tensors
// at or above a size threshold move out when asked (--external-data), and
// everything moves out automatically when the model would not fit in 2 GiB.
// On input, a tensor's bytes are read only from a regular file inside the
// model's folder, in the range its dims call for.
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_EXTERNALDATA_H
#define H8_SUPPORT_EXTERNALDATA_H

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "h8/Support/ModelIO.h"
#include "onnx/onnx_pb.h"

namespace h8 {

/// Reads the bytes of an external-data tensor. The location must be a
/// relative path inside `base_dir` (no absolute paths, no escaping with
/// ".."), offset/length must lie within the file, and the length must match
/// the tensor's dims (without a length, exactly the bytes the dims need are
/// read); otherwise an error naming `label` is returned and nothing is read.
absl::StatusOr<std::string> ReadExternalData(const onnx::TensorProto& proto,
                                             const std::string& base_dir, const std::string& label);

/// Checks an external-data tensor without reading it: the same location,
/// containment and range checks as ReadExternalData, and a length that
/// matches the tensor's dims.
absl::Status CheckExternalData(const onnx::TensorProto& proto, const std::string& base_dir,
                               const std::string& label);

struct ExternalDataOptions {
  /// Data file name, relative to the output's folder; empty: only what must
  /// be external is written out, to "<output file name>.data".
  std::string file;
  /// Tensors with at least this many bytes move out when `file` is given.
  int64_t threshold = 1024;
  /// --external-data=none: every tensor is written inside the model (one
  /// self-contained file); refused past protobuf's 2 GiB limit.
  bool none = false;
};

/// The external data files `model` reads, resolved against `dir` (the
/// input's folder).
std::vector<std::string> ExternalDataFiles(onnx::ModelProto& model, const std::string& dir);

/// Checks every external tensor of `model` (in any graph) against its file
/// in `dir` without reading it (see CheckExternalData): a missing, short,
/// oversized or escaping reference is an error naming the tensor.
absl::Status VerifyExternalData(onnx::ModelProto& model, const std::string& dir);

/// Where PrepareExternalData puts the data file for `output_path`.
std::string ExternalDataPath(const std::string& output_path, const ExternalDataOptions& options);

/// Rewrites `model`'s initializers for writing to `output_path`, putting the
/// external bytes into a pending data file (empty when none is needed),
/// committed with the model (CommitAll). `input_dir` resolves tensors
/// that were external in the input. `note` receives a sentence for the
/// user when the 2 GiB limit forced external data; `model_size`, when
/// given, the model's serialized size from a ByteSizeLong after its last
/// change, for PrepareBinaryModel not to compute it again.
absl::StatusOr<PendingFile> PrepareExternalData(onnx::ModelProto& model,
                                                const std::string& input_dir,
                                                const std::string& output_path,
                                                const ExternalDataOptions& options,
                                                std::string* note, size_t* model_size = nullptr);

}  // namespace h8

#endif  // H8_SUPPORT_EXTERNALDATA_H
