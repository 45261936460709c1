//===- ModelIO.cpp - Reading and writing models ---------------------------===//
#include "h8/Support/ModelIO.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <set>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "h8/Support/Status.h"

namespace h8 {
namespace {

std::string ErrnoText() { return std::strerror(errno); }

// Marks a file problem so that the driver exits with 2 for it wherever it
// surfaces (a pass reading calibration data, the verifier reading a host
// model), keeping its status code.
absl::Status Io(absl::Status s) {
  s.SetPayload(kUsageErrorPayload, absl::Cord("1"));
  return s;
}

// Closes a file descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_;
};

// What a file that is not a regular file is, for messages.
const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Whether `mode` is acceptable for an input: a regular file, or a pipe when
// `allow_pipe` (process substitution, `cat m | ...`).
absl::Status CheckInputMode(const std::string& path, mode_t mode, bool allow_pipe,
                            absl::string_view noun) {
  if (S_ISREG(mode) || (allow_pipe && S_ISFIFO(mode))) return absl::OkStatus();
  return Io(absl::InvalidArgumentError(absl::StrCat(path, ": is ", KindOf(mode), ", not ", noun)));
}

// Blocks in which inputs are read and outputs written: large enough that
// syscalls cost nothing, small enough to stay in the cache.
constexpr int kInputBlock = 64 << 10;
constexpr int kOutputBlock = 1 << 20;
// How much of a temporary file is written before its writeback is started.
constexpr int64_t kWritebackChunk = 32 << 20;

// Nesting allowed in a binary model (subgraphs, types).
constexpr int kRecursionLimit = 1024;

absl::Status NotAModel(const std::string& what) {
  return Io(absl::InvalidArgumentError(absl::StrCat(
      what, ": not a valid ONNX model (protobuf parse failed: truncated or not an ONNX file)")));
}

absl::Status NoGraph(const std::string& what) {
  return Io(absl::InvalidArgumentError(absl::StrCat(what, ": not a valid ONNX model (no graph)")));
}

absl::Status EmptyFile(const std::string& what) {
  return Io(absl::InvalidArgumentError(absl::StrCat(what, ": empty file")));
}

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

absl::Status TooLarge(const std::string& what) {
  return Io(absl::InvalidArgumentError(
      absl::StrCat(what, ": larger than protobuf's 2 GiB limit (", kMaxInputBytes,
                   " bytes); store the weights as external data")));
}

bool IsIoError(const absl::Status& s) {
  return IsUsageError(s) || s.code() == absl::StatusCode::kNotFound ||
         s.code() == absl::StatusCode::kPermissionDenied || s.code() == absl::StatusCode::kDataLoss;
}

absl::Status CheckInputFile(const std::string& path, bool allow_pipe, absl::string_view noun) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return Io(absl::NotFoundError(absl::StrCat(path, ": cannot open: ", ErrnoText())));
  return CheckInputMode(path, st.st_mode, allow_pipe, noun);
}

std::optional<FileId> GetFileId(const std::string& path) {
  struct stat st;
  if (path == "-" || ::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

namespace {
// The files this run reads; see ProtectInput.
std::set<FileId>& ProtectedInputs() {
  static std::set<FileId> files;
  return files;
}
}  // namespace

void ProtectInput(const std::string& path) {
  if (auto id = GetFileId(path)) ProtectedInputs().insert(*id);
}

void UnprotectInputs() { ProtectedInputs().clear(); }

bool IsProtectedInput(const std::string& path) {
  auto id = GetFileId(path);
  return id && ProtectedInputs().count(*id) > 0;
}

bool SameFile(const std::string& a, const std::string& b) {
  if (a == "-" || b == "-") return a == b;
  auto ia = GetFileId(a), ib = GetFileId(b);
  if (ia || ib) return ia && ib && *ia == *ib;
  // Neither exists yet: the same name in the same folder.
  auto da = GetFileId(DirName(a)), db = GetFileId(DirName(b));
  return da && db && *da == *db && BaseName(a) == BaseName(b);
}

PendingFile& PendingFile::operator=(PendingFile&& other) noexcept {
  if (this != &other) {
    Abandon();
    fd_ = other.fd_;
    written_ = other.written_;
    writeback_ = other.writeback_;
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
  H8_RETURN_IF_ERROR(WriteAll(fd_, data, size, final_));
  written_ += static_cast<int64_t>(size);
  // Starts the disk writes of what was written while the rest is still
  // being produced, so that the fsync in Close waits only for the tail.
  if (!temp_.empty() && written_ - writeback_ >= kWritebackChunk) {
    ::sync_file_range(fd_, writeback_, written_ - writeback_, SYNC_FILE_RANGE_WRITE);
    writeback_ = written_;
  }
  return absl::OkStatus();
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
  if (written.ok() && ::fsync(fd) != 0 && errno != EINVAL)
    written = Io(absl::InternalError(absl::StrCat(final_, ": cannot write: ", ErrnoText())));
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

ModelFormat FormatFromPath(const std::string& path) {
  if (absl::EndsWith(path, ".onnxtext") || absl::EndsWith(path, ".txt")) return ModelFormat::kText;
  if (absl::EndsWith(path, ".onnx") || absl::EndsWith(path, ".pb")) return ModelFormat::kBinary;
  return ModelFormat::kAuto;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string DirName(const std::string& path) {
  if (path == "-") return ".";
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Reads an open file for protobuf's parser and for text: read() in blocks,
// retrying interrupted calls, remembering the first error and refusing more
// than kMaxInputBytes.
class InputFile::Source : public google::protobuf::io::CopyingInputStream {
 public:
  explicit Source(int fd) : fd_(fd), stream_(this, kInputBlock) {}

  int Read(void* buffer, int size) override {
    while (true) {
      ssize_t n = ::read(fd_, buffer, static_cast<size_t>(size));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error_ = errno;
        return -1;
      }
      total_ += static_cast<uint64_t>(n);
      if (total_ > kMaxInputBytes) {
        too_large_ = true;
        return -1;
      }
      return static_cast<int>(n);
    }
  }

  google::protobuf::io::ZeroCopyInputStream& stream() { return stream_; }
  /// Bytes read from the file so far.
  uint64_t total() const { return total_; }
  /// A read error or an input over kMaxInputBytes, naming `what`.
  absl::Status status(const std::string& what) const {
    if (error_ != 0)
      return Io(absl::DataLossError(absl::StrCat(what, ": read failed: ", std::strerror(error_))));
    if (too_large_) return TooLarge(what);
    return absl::OkStatus();
  }

 private:
  int fd_;
  google::protobuf::io::CopyingInputStreamAdaptor stream_;
  uint64_t total_ = 0;
  int error_ = 0;
  bool too_large_ = false;
};

InputFile::~InputFile() {
  source_.reset();
  if (owns_fd_) ::close(fd_);
}

absl::StatusOr<std::unique_ptr<InputFile>> InputFile::Open(const std::string& path,
                                                           absl::string_view noun) {
  std::unique_ptr<InputFile> f(new InputFile());
  if (path == "-") {
    f->path_ = "<stdin>";
    f->fd_ = STDIN_FILENO;
    f->source_ = std::make_unique<Source>(f->fd_);
    return f;
  }
  f->path_ = path;
  if (absl::Status s = CheckInputFile(path, /*allow_pipe=*/true, noun); !s.ok()) return s;
  // O_NONBLOCK: opening a FIFO that has no writer must not wait for one
  // (it then reads as empty).
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Io(absl::NotFoundError(absl::StrCat(path, ": cannot open: ", ErrnoText())));
  f->fd_ = fd;
  f->owns_fd_ = true;
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return Io(absl::NotFoundError(absl::StrCat(path, ": cannot open: ", ErrnoText())));
  // Replaced between stat and open.
  if (absl::Status s = CheckInputMode(path, st.st_mode, /*allow_pipe=*/true, noun); !s.ok())
    return s;
  f->regular_ = S_ISREG(st.st_mode);
  if (f->regular_) {
    f->size_ = static_cast<uint64_t>(st.st_size);
    if (f->size_ > kMaxInputBytes) return TooLarge(path);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  f->source_ = std::make_unique<Source>(fd);
  return f;
}

// Reads the rest of the input into buffered_.
absl::Status InputFile::Buffer() {
  if (buffered_) return absl::OkStatus();
  std::string out;
  if (regular_) out.reserve(static_cast<size_t>(size_));
  const void* data;
  int size;
  while (source_->stream().Next(&data, &size)) out.append(static_cast<const char*>(data), size);
  H8_RETURN_IF_ERROR(source_->status(path_));
  buffered_ = std::move(out);
  return absl::OkStatus();
}

absl::StatusOr<ModelFormat> InputFile::Sniff() {
  // A pipe cannot be rewound: it is read whole first.
  if (!regular_ || buffered_) {
    H8_RETURN_IF_ERROR(Buffer());
    return SniffFormat(*buffered_);
  }
  const void* data;
  int size;
  while (source_->stream().Next(&data, &size)) {
    if (size == 0) continue;
    absl::string_view block(static_cast<const char*>(data), static_cast<size_t>(size));
    source_->stream().BackUp(size);
    size_t first = block.find_first_not_of(" \t\n\r");
    if (first != absl::string_view::npos) return SniffFormat(std::string(block.substr(first, 1)));
    // Only blanks so far: decide on the whole contents.
    H8_RETURN_IF_ERROR(Buffer());
    return SniffFormat(*buffered_);
  }
  H8_RETURN_IF_ERROR(source_->status(path_));
  return SniffFormat("");
}

absl::Status InputFile::ReadAll(std::string& out) {
  H8_RETURN_IF_ERROR(Buffer());
  out = std::move(*buffered_);
  buffered_.emplace();
  return absl::OkStatus();
}

absl::StatusOr<onnx::ModelProto> InputFile::ParseBinary(const std::string& what) {
  if (!regular_ || buffered_) {
    H8_RETURN_IF_ERROR(Buffer());
    auto model = ParseBinaryModel(buffered_->data(), buffered_->size(), what);
    buffered_.emplace();
    return model;
  }
  // Parsed as it is read: the file's bytes are never held whole, and a
  // file that shrinks meanwhile reads short and fails to parse.
  onnx::ModelProto model;
  bool parsed;
  {
    google::protobuf::io::CodedInputStream stream(&source_->stream());
    stream.SetRecursionLimit(kRecursionLimit);
    parsed = model.ParseFromCodedStream(&stream) && stream.ConsumedEntireMessage();
  }
  H8_RETURN_IF_ERROR(source_->status(what));
  if (source_->total() == 0) return EmptyFile(what);
  if (!parsed) return NotAModel(what);
  if (!model.has_graph()) return NoGraph(what);
  return model;
}

absl::Status ReadFileToString(const std::string& path, std::string& out, absl::string_view noun) {
  H8_ASSIGN_OR_RETURN(std::unique_ptr<InputFile> file, InputFile::Open(path, noun));
  return file->ReadAll(out);
}

ModelFormat SniffFormat(const std::string& bytes) {
  for (char c : bytes) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '<' || c == '#' || c == '_' || c == '"' || std::isalpha(static_cast<unsigned char>(c)))
      return ModelFormat::kText;
    return ModelFormat::kBinary;
  }
  return ModelFormat::kBinary;
}

absl::StatusOr<onnx::ModelProto> ParseBinaryModel(const char* data, size_t size,
                                                  const std::string& what) {
  if (size == 0) return EmptyFile(what);
  if (size > kMaxInputBytes) return TooLarge(what);
  onnx::ModelProto model;
  google::protobuf::io::CodedInputStream stream(reinterpret_cast<const uint8_t*>(data),
                                                static_cast<int>(size));
  stream.SetRecursionLimit(kRecursionLimit);
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
    return NotAModel(what);
  if (!model.has_graph()) return NoGraph(what);
  return model;
}

absl::StatusOr<onnx::ModelProto> ReadBinaryModelFile(const std::string& path) {
  H8_ASSIGN_OR_RETURN(std::unique_ptr<InputFile> file, InputFile::Open(path));
  return file->ParseBinary(path);
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
