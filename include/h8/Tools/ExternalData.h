//===- ExternalData.h - Writing tensors as ONNX external data ---*- C++ -*-===//
//
// ONNX models over 2 GiB cannot be one protobuf: their tensors live in a
// side file (TensorProto.data_location = EXTERNAL, with location/offset/
// length). On output, tensors that were external in the input stay external
// (their bytes are copied one tensor at a time, never the whole file), tensors
// at or above a size threshold move out when asked (--external-data), and
// everything moves out automatically when the model would not fit in 2 GiB.
//
//===----------------------------------------------------------------------===//
#ifndef H8_TOOLS_EXTERNALDATA_H
#define H8_TOOLS_EXTERNALDATA_H

#include <string>

#include "absl/status/statusor.h"
#include "onnx/onnx_pb.h"

namespace h8 {

struct ExternalDataOptions {
  /// Data file name, relative to the output's folder; empty: only what must
  /// be external is written out, to "<output file name>.data".
  std::string file;
  /// Tensors with at least this many bytes move out when `file` is given.
  int64_t threshold = 1024;
};

/// A data file written to a temporary name; Commit() renames it into place
/// (after the model itself was written), Abandon() removes it.
class PendingDataFile {
 public:
  PendingDataFile() = default;
  PendingDataFile(std::string temp, std::string final_path)
      : temp_(std::move(temp)), final_(std::move(final_path)) {}
  PendingDataFile(PendingDataFile&& other) noexcept { *this = std::move(other); }
  PendingDataFile& operator=(PendingDataFile&& other) noexcept;
  ~PendingDataFile() { Abandon(); }

  bool empty() const { return temp_.empty(); }
  const std::string& path() const { return final_; }
  absl::Status Commit();
  void Abandon();

 private:
  std::string temp_;
  std::string final_;
};

/// Rewrites `model`'s initializers for writing to `output_path`, putting the
/// external bytes into a pending data file. `input_dir` resolves tensors
/// that were external in the input. `note` receives a sentence for the
/// user when the 2 GiB limit forced external data.
absl::StatusOr<PendingDataFile> PrepareExternalData(onnx::ModelProto& model,
                                                    const std::string& input_dir,
                                                    const std::string& output_path,
                                                    const ExternalDataOptions& options,
                                                    std::string* note);

}  // namespace h8

#endif  // H8_TOOLS_EXTERNALDATA_H
