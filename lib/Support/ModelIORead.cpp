//===- ModelIORead.cpp - Reading models: opening, sniffing, parsing -------===//
//
// Inputs are read with read() in blocks, never mapped, at most
// kMaxInputBytes; a binary model in a regular file is parsed as it is
// read, text (and anything from a pipe) is held whole. The format is
// sniffed from the first significant byte.
//
//===----------------------------------------------------------------------===//
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <memory>

#include "ModelIOInternal.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "h8/Support/ModelIO.h"

namespace h8 {
namespace {

using modelio::CheckInputMode;
using modelio::ErrnoText;
using modelio::Io;

// Blocks in which inputs are read: large enough that syscalls cost
// nothing, small enough to stay in the cache.
constexpr int kInputBlock = 64 << 10;

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

}  // namespace

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
  onnx::ModelProto model;
  H8_RETURN_IF_ERROR(ParseBinaryInto(what, model));
  return model;
}

absl::Status InputFile::ParseBinaryInto(const std::string& what, onnx::ModelProto& model) {
  if (!regular_ || buffered_) {
    H8_RETURN_IF_ERROR(Buffer());
    absl::Status s = ParseBinaryModelInto(buffered_->data(), buffered_->size(), what, model);
    buffered_.emplace();
    return s;
  }
  // Parsed as it is read: the file's bytes are never held whole, and a
  // file that shrinks meanwhile reads short and fails to parse.
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
  return absl::OkStatus();
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
  onnx::ModelProto model;
  H8_RETURN_IF_ERROR(ParseBinaryModelInto(data, size, what, model));
  return model;
}

absl::Status ParseBinaryModelInto(const char* data, size_t size, const std::string& what,
                                  onnx::ModelProto& model) {
  if (size == 0) return EmptyFile(what);
  if (size > kMaxInputBytes) return TooLarge(what);
  google::protobuf::io::CodedInputStream stream(reinterpret_cast<const uint8_t*>(data),
                                                static_cast<int>(size));
  stream.SetRecursionLimit(kRecursionLimit);
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
    return NotAModel(what);
  if (!model.has_graph()) return NoGraph(what);
  return absl::OkStatus();
}

absl::StatusOr<onnx::ModelProto> ReadBinaryModelFile(const std::string& path) {
  H8_ASSIGN_OR_RETURN(std::unique_ptr<InputFile> file, InputFile::Open(path));
  return file->ParseBinary(path);
}

}  // namespace h8
