//===- ModelIOWrite.cpp - Writing outputs atomically ----------------------===//
//
// Every output goes to a temporary sibling of its destination (a
// PendingFile) that is renamed into place only after it was completely
// written, and after every other output of the run was too (CommitAll).
// stdout and special files (devices, FIFOs) are written in place. Binary
// models are serialized straight into the file, tensor bytes without a
// copy.
//
//===----------------------------------------------------------------------===//
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "ModelIOInternal.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream.h"
#include "h8/Support/ModelIO.h"

namespace h8 {
namespace {

using modelio::ErrnoText;
using modelio::Io;

// Blocks in which outputs are written: large enough that syscalls cost
// nothing, small enough to stay in the cache.
constexpr int kOutputBlock = 1 << 20;

// Writes all of `data` to `fd`, retrying short writes.
absl::Status WriteAll(int fd, const char* data, size_t size, const std::string& what) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Io(absl::InternalError(absl::StrCat(what, ": write failed: ", ErrnoText())));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Writes protobuf's output to a pending file. Small fields are gathered in
// one block; large byte strings (tensor data) are written with aliasing,
// straight from the model, without being copied into the block first.
class FileSink : public google::protobuf::io::ZeroCopyOutputStream {
 public:
  explicit FileSink(PendingFile& file) : file_(file), block_(new char[kOutputBlock]) {}

  bool Next(void** data, int* size) override {
    if (used_ == kOutputBlock && !Flush()) return false;
    *data = block_.get() + used_;
    *size = kOutputBlock - used_;
    count_ += kOutputBlock - used_;
    used_ = kOutputBlock;
    return true;
  }
  void BackUp(int count) override {
    used_ -= count;
    count_ -= count;
  }
  int64_t ByteCount() const override { return count_; }
  bool AllowsAliasing() const override { return true; }
  bool WriteAliasedRaw(const void* data, int size) override {
    if (!Flush()) return false;
    count_ += size;
    return Put(static_cast<const char*>(data), static_cast<size_t>(size));
  }

  /// Writes what the block holds.
  bool Flush() {
    const int used = used_;
    used_ = 0;
    return Put(block_.get(), static_cast<size_t>(used));
  }
  /// The first write error, if any.
  const absl::Status& status() const { return status_; }

 private:
  bool Put(const char* data, size_t size) {
    if (status_.ok()) status_ = file_.Write(data, size);
    return status_.ok();
  }

  PendingFile& file_;
  std::unique_ptr<char[]> block_;
  int used_ = 0;
  int64_t count_ = 0;
  absl::Status status_;
};

// Whether `path` exists and is not a regular file (a device such as
// /dev/null, a FIFO): those are written in place, never replaced by a rename.
bool IsSpecialFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

}  // namespace

PendingFile& PendingFile::operator=(PendingFile&& other) noexcept {
  if (this != &other) {
    Abandon();
    fd_ = other.fd_;
    temp_ = std::move(other.temp_);
    final_ = std::move(other.final_);
    other.fd_ = -1;
    other.temp_.clear();
  }
  return *this;
}

absl::StatusOr<PendingFile> PendingFile::Create(const std::string& path) {
  PendingFile f;
  f.final_ = path;
  if (path == "-") {
    std::cout.flush();  // what was printed before comes first
    f.fd_ = STDOUT_FILENO;
    return f;
  }
  if (IsProtectedInput(path))
    return Io(absl::InvalidArgumentError(absl::StrCat(
        path, ": cannot write: it is an input of this run (the model or its external data)")));
  if (IsSpecialFile(path)) {
    // Devices and FIFOs are written in place; O_NONBLOCK: a FIFO nobody
    // reads is refused (ENXIO), never waited for.
    int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
      return Io(absl::PermissionDeniedError(absl::StrCat(path, ": cannot write: ", ErrnoText())));
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    f.fd_ = fd;
    return f;
  }
  std::string dir = DirName(path);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Io(absl::NotFoundError(
        absl::StrCat(path, ": cannot write: folder '", dir, "' does not exist")));
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return Io(absl::InvalidArgumentError(absl::StrCat(path, ": cannot write: is a directory")));
  std::string temp = absl::StrCat(path, ".h8tmp.XXXXXX");
  int fd = ::mkstemp(temp.data());
  if (fd < 0)
    return Io(absl::PermissionDeniedError(absl::StrCat(path, ": cannot write: ", ErrnoText())));
  f.fd_ = fd;
  f.temp_ = std::move(temp);
  return f;
}

absl::Status PendingFile::Write(const char* data, size_t size) {
  return WriteAll(fd_, data, size, final_);
}

absl::Status PendingFile::Close(absl::Status written) {
  if (fd_ < 0) return written;
  const int fd = fd_;
  fd_ = -1;
  if (temp_.empty()) {
    // stdout or a device: nothing to rename.
    if (fd == STDOUT_FILENO) return written;
    if (::close(fd) != 0 && written.ok())
      written = Io(absl::InternalError(absl::StrCat(final_, ": cannot write: ", ErrnoText())));
    return written;
  }
  // No fsync: the rename in Commit makes the output appear whole or not at
  // all to every reader, which is what a build needs; durability across a
  // power loss is the file system's business, as for a compiler's object
  // files (LLVM's and GCC's outputs are not fsynced either). The fsync cost
  // 41 ms on the 20k-node benchmark TCN, half the floor's whole run.
  // Keep the destination's permissions when replacing an existing file.
  struct stat dst;
  if (written.ok() && ::stat(final_.c_str(), &dst) == 0) ::fchmod(fd, dst.st_mode & 07777);
  else if (written.ok()) ::fchmod(fd, 0644);
  if (::close(fd) != 0 && written.ok())
    written = Io(absl::InternalError(absl::StrCat(final_, ": cannot write: ", ErrnoText())));
  if (!written.ok()) Abandon();
  return written;
}

absl::Status PendingFile::Commit() {
  if (absl::Status s = Close(absl::OkStatus()); !s.ok()) return s;
  if (temp_.empty()) return absl::OkStatus();
  if (::rename(temp_.c_str(), final_.c_str()) != 0) {
    std::string why = ErrnoText();
    Abandon();
    return Io(absl::InternalError(absl::StrCat(final_, ": cannot write: ", why)));
  }
  temp_.clear();
  return absl::OkStatus();
}

void PendingFile::Abandon() {
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
}

absl::Status CommitAll(std::vector<PendingFile*> files) {
  for (PendingFile* f : files)
    if (absl::Status s = f->Close(absl::OkStatus()); !s.ok()) return s;
  for (PendingFile* f : files)
    if (absl::Status s = f->Commit(); !s.ok()) return s;
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  auto file = PrepareFile(path, contents);
  if (!file.ok()) return file.status();
  return file->Commit();
}

absl::StatusOr<PendingFile> PrepareFile(const std::string& path, const std::string& contents) {
  auto file = PendingFile::Create(path);
  if (!file.ok()) return file.status();
  if (absl::Status s = file->Close(file->Write(contents.data(), contents.size())); !s.ok())
    return s;
  return file;
}

absl::StatusOr<PendingFile> PrepareBinaryModel(const onnx::ModelProto& model,
                                               const std::string& path,
                                               std::optional<size_t> byte_size) {
  const size_t size = byte_size ? *byte_size : model.ByteSizeLong();
  if (size > kMaxInputBytes)
    return Io(absl::FailedPreconditionError(absl::StrCat(path, ": the model serializes to ", size,
                                                         " bytes, over protobuf's "
                                                         "2 GiB limit")));
  auto file = PendingFile::Create(path);
  if (!file.ok()) return file.status();
  // Straight to the file: no whole-model byte buffer, and tensor bytes
  // are not copied on the way (aliasing). The sizes ByteSizeLong cached
  // are used, not computed again.
  FileSink sink(*file);
  bool serialized;
  {
    google::protobuf::io::CodedOutputStream out(&sink);
    out.EnableAliasing(true);
    model.SerializeWithCachedSizes(&out);
    out.Trim();
    serialized = !out.HadError();
  }
  serialized = sink.Flush() && serialized;
  absl::Status written = sink.status();
  if (written.ok() && (!serialized || static_cast<size_t>(sink.ByteCount()) != size))
    written = Io(absl::InternalError(absl::StrCat(path, ": write failed: serialization error")));
  if (absl::Status s = file->Close(written); !s.ok()) return s;
  return file;
}

absl::Status WriteBinaryModel(const onnx::ModelProto& model, const std::string& path) {
  auto file = PrepareBinaryModel(model, path);
  if (!file.ok()) return file.status();
  return file->Commit();
}

}  // namespace h8
