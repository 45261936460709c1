//===- ModelIO.h - Reading and writing models -------------------*- C++ -*-===//
//
// Binary `.onnx` and textual `.onnxtext`. Inputs are read with read(),
// never mapped (a file truncated by another process mid-run cannot SIGBUS
// us), at most kMaxInputBytes, from regular files or pipes only: devices,
// directories and sockets are refused, and a FIFO is opened without waiting
// for a writer. A binary model in a regular file is parsed as it is read,
// in blocks, without holding the file's bytes; from a pipe it is read
// whole first.
// Output is atomic: it goes to a temporary file in the destination folder
// (a PendingFile) that is renamed over the destination only after it was
// completely written -- after every other output of the run was, too -- so a
// failure leaves the destination (which may be the input itself) untouched
// and no partial file. Every file error carries the usage-error mark of
// h8/Support/Status.h: the driver exits with 2 for it wherever it surfaces.
// Implemented in lib/Support/ModelIOFiles.cpp (kinds, identities and names
// of files), ModelIORead.cpp (opening, sniffing, parsing) and
// ModelIOWrite.cpp (pending files, atomic output, serialization).
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_MODELIO_H
#define H8_SUPPORT_MODELIO_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onnx/onnx_pb.h"

namespace h8 {

enum class ModelFormat { kAuto, kBinary, kText };

/// Picks the format from a path's extension: `.onnxtext`/`.txt` text,
/// `.onnx`/`.pb` binary, otherwise kAuto.
ModelFormat FormatFromPath(const std::string& path);

/// The most bytes read from one input: protobuf's 2 GiB limit.
inline constexpr size_t kMaxInputBytes = 0x7fffffff;

/// The error for an input over kMaxInputBytes; `what` names it.
absl::Status TooLarge(const std::string& what);

/// Whether `s` is a file problem (missing, unreadable, not a file, too
/// large, unwritable): the driver exits with 2 for these, never 1.
bool IsIoError(const absl::Status& s);

/// Checks, without opening it, that `path` exists and is a regular file (or
/// a pipe/FIFO when `allow_pipe`); the error says "is a <kind>, not <noun>".
absl::Status CheckInputFile(const std::string& path, bool allow_pipe,
                            absl::string_view noun = "a model file");

/// Reads a whole file (or stdin for "-") into `out`, at most kMaxInputBytes.
/// Errors name the path; `noun` names what the file should have been.
absl::Status ReadFileToString(const std::string& path, std::string& out,
                              absl::string_view noun = "a model file");

/// A file's identity (device and inode), to tell whether two paths name one
/// file (links, "./x" and "x").
struct FileId {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool operator==(const FileId& o) const { return dev == o.dev && ino == o.ino; }
  bool operator<(const FileId& o) const { return dev != o.dev ? dev < o.dev : ino < o.ino; }
};
/// The identity of an existing file; nullopt when it does not exist or "-".
std::optional<FileId> GetFileId(const std::string& path);

/// Whether `a` and `b` name one file: by device and inode when they exist,
/// else by folder and name ("-" only equals "-").
bool SameFile(const std::string& a, const std::string& b);

/// Marks a file this run reads (the input model, its external data): no
/// PendingFile may replace it until UnprotectInputs() (the driver's
/// in-place write of the model over its own input).
void ProtectInput(const std::string& path);
void UnprotectInputs();
bool IsProtectedInput(const std::string& path);

/// An output being written: a temporary sibling of the destination that
/// Commit() renames into place; abandoned (removed) when destroyed
/// uncommitted. stdout ("-") and special files (devices, FIFOs) are written
/// directly and have nothing to commit.
class PendingFile {
 public:
  PendingFile() = default;
  PendingFile(PendingFile&& other) noexcept { *this = std::move(other); }
  PendingFile& operator=(PendingFile&& other) noexcept;
  ~PendingFile() { Abandon(); }

  /// Opens the temporary file for `path` (refusing a missing folder, a
  /// destination that is a directory or a protected input).
  static absl::StatusOr<PendingFile> Create(const std::string& path);
  int fd() const { return fd_; }
  const std::string& path() const { return final_; }
  /// Writes all of `data`.
  absl::Status Write(const char* data, size_t size);
  /// Ends writing (permissions; no fsync, see Close in ModelIOWrite.cpp);
  /// `written` is the writing's outcome:
  /// when not OK, the temporary file is removed. Returns the outcome.
  absl::Status Close(absl::Status written);
  /// Closes if needed and renames the temporary file over the destination.
  absl::Status Commit();
  void Abandon();

 private:
  int fd_ = -1;
  std::string temp_;
  std::string final_;
};

/// Closes all, then commits all: nothing is renamed into place unless every
/// file was completely written.
absl::Status CommitAll(std::vector<PendingFile*> files);

/// Writes `contents` to a pending file for `path`.
absl::StatusOr<PendingFile> PrepareFile(const std::string& path, const std::string& contents);

/// Serializes `model` to a pending file for `path`. `byte_size` is
/// model.ByteSizeLong() when that was called after the model's last change
/// (the sizes it caches in every message are then current and used as
/// they are); without it the sizes are computed here.
absl::StatusOr<PendingFile> PrepareBinaryModel(const onnx::ModelProto& model,
                                               const std::string& path,
                                               std::optional<size_t> byte_size = std::nullopt);

/// Parses binary model bytes. `what` names the source in errors.
absl::StatusOr<onnx::ModelProto> ParseBinaryModel(const char* data, size_t size,
                                                  const std::string& what);
/// Parses binary model bytes into `model`, which may live on an arena.
absl::Status ParseBinaryModelInto(const char* data, size_t size, const std::string& what,
                                  onnx::ModelProto& model);

/// Guesses the format of model bytes: text when the first significant
/// character is '<', '#' or an identifier character.
ModelFormat SniffFormat(const std::string& bytes);

/// Reads a binary model from a file (or a pipe).
absl::StatusOr<onnx::ModelProto> ReadBinaryModelFile(const std::string& path);

/// An input opened for reading with the checks of ReadFileToString ("-" is
/// stdin): the format is sniffed from the first block, then the contents
/// are either read whole (text) or, from a regular file, parsed as a binary
/// model block by block. A file that shrinks while it is read ends in a
/// parse error, one that grows past kMaxInputBytes in TooLarge.
class InputFile {
 public:
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  /// Opens `path`; errors name it and say it is not `noun`.
  static absl::StatusOr<std::unique_ptr<InputFile>> Open(const std::string& path,
                                                         absl::string_view noun = "a model file");
  /// The format of the contents (SniffFormat on the first significant
  /// bytes); consumes nothing.
  absl::StatusOr<ModelFormat> Sniff();
  /// Reads the rest of the file into `out`.
  absl::Status ReadAll(std::string& out);
  /// Parses the rest of the file as a binary model (the checks and
  /// messages of ParseBinaryModel); `what` names the source in errors.
  absl::StatusOr<onnx::ModelProto> ParseBinary(const std::string& what);
  /// The same into `model`, which may live on an arena.
  absl::Status ParseBinaryInto(const std::string& what, onnx::ModelProto& model);

 private:
  class Source;
  InputFile() = default;
  absl::Status Buffer();

  std::string path_;  // as errors name it ("<stdin>" for "-")
  int fd_ = -1;
  bool owns_fd_ = false;
  bool regular_ = false;
  uint64_t size_ = 0;  // of a regular file, when opened
  std::unique_ptr<Source> source_;
  /// The whole contents when read into memory (a pipe, or a first block
  /// too blank to sniff).
  std::optional<std::string> buffered_;
};

/// Writes `contents` atomically to `path` ("-" is stdout).
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents);

/// Serializes `model` atomically to `path` in binary form.
absl::Status WriteBinaryModel(const onnx::ModelProto& model, const std::string& path);

/// Folder of `path` ("." for a bare file name or stdin), for external data.
std::string DirName(const std::string& path);
/// `path` without its folder.
std::string BaseName(const std::string& path);

}  // namespace h8

#endif  // H8_SUPPORT_MODELIO_H
