//===- ModelIO.cpp - Reading and writing models ---------------------------===//
#include "h8/Support/ModelIO.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"

namespace h8 {
namespace {

std::string ErrnoText() { return std::strerror(errno); }

// Closes a file descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

absl::Status CheckRegularFile(const std::string& path, struct stat& st) {
  if (::stat(path.c_str(), &st) != 0)
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", ErrnoText()));
  if (S_ISDIR(st.st_mode))
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, not a model file"));
  return absl::OkStatus();
}

// Writes all of `data` to `fd`, retrying short writes.
absl::Status WriteAll(int fd, const char* data, size_t size, const std::string& what) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat(what, ": write failed: ", ErrnoText()));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Whether `path` exists and is not a regular file (a device such as
// /dev/null, a FIFO): those are written in place, never replaced by a rename.
bool IsSpecialFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

// Opens a special file for writing.
absl::StatusOr<int> OpenSpecial(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC);
  if (fd < 0)
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write: ", ErrnoText()));
  return fd;
}

// Creates the temporary sibling of `path`; returns its fd and name.
absl::StatusOr<int> CreateTemp(const std::string& path, std::string& temp_name) {
  std::string dir = DirName(path);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot write: folder '", dir, "' does not exist"));
  struct stat dst;
  if (::stat(path.c_str(), &dst) == 0 && S_ISDIR(dst.st_mode))
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot write: is a directory"));
  temp_name = absl::StrCat(path, ".h8tmp.XXXXXX");
  int fd = ::mkstemp(temp_name.data());
  if (fd < 0)
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot write: ", ErrnoText()));
  return fd;
}

absl::Status FinishTemp(int fd, const std::string& temp_name, const std::string& path,
                        absl::Status written) {
  if (written.ok() && ::fsync(fd) != 0 && errno != EINVAL)
    written = absl::InternalError(absl::StrCat(path, ": cannot write: ", ErrnoText()));
  // Keep the destination's permissions when replacing an existing file.
  struct stat dst;
  if (written.ok() && ::stat(path.c_str(), &dst) == 0) ::fchmod(fd, dst.st_mode & 07777);
  else if (written.ok()) ::fchmod(fd, 0644);
  if (::close(fd) != 0 && written.ok())
    written = absl::InternalError(absl::StrCat(path, ": cannot write: ", ErrnoText()));
  if (written.ok() && ::rename(temp_name.c_str(), path.c_str()) != 0)
    written = absl::InternalError(absl::StrCat(path, ": cannot write: ", ErrnoText()));
  if (!written.ok()) ::unlink(temp_name.c_str());
  return written;
}

}  // namespace

ModelFormat FormatFromPath(const std::string& path) {
  if (absl::EndsWith(path, ".onnxtext") || absl::EndsWith(path, ".txt"))
    return ModelFormat::kText;
  if (absl::EndsWith(path, ".onnx") || absl::EndsWith(path, ".pb"))
    return ModelFormat::kBinary;
  return ModelFormat::kAuto;
}

std::string DirName(const std::string& path) {
  if (path == "-") return ".";
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status ReadFileToString(const std::string& path, std::string& out) {
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return absl::OkStatus();
  }
  struct stat st;
  if (absl::Status s = CheckRegularFile(path, st); !s.ok()) return s;
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", ErrnoText()));
  FdCloser closer(fd);
  out.clear();
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat(path, ": read failed: ", ErrnoText()));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

ModelFormat SniffFormat(const std::string& bytes) {
  for (char c : bytes) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '<' || c == '#' || c == '_' || c == '"' ||
        std::isalpha(static_cast<unsigned char>(c)))
      return ModelFormat::kText;
    return ModelFormat::kBinary;
  }
  return ModelFormat::kBinary;
}

absl::StatusOr<onnx::ModelProto> ParseBinaryModel(const char* data, size_t size,
                                                  const std::string& what) {
  if (size == 0) return absl::InvalidArgumentError(absl::StrCat(what, ": empty file"));
  if (size > static_cast<size_t>(INT32_MAX))
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": ", size, " bytes is over protobuf's 2 GiB limit; store the "
        "weights as external data"));
  onnx::ModelProto model;
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t*>(data), static_cast<int>(size));
  stream.SetRecursionLimit(1024);
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": not a valid ONNX model (protobuf parse failed: truncated or "
        "not an ONNX file)"));
  if (!model.has_graph())
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": not a valid ONNX model (no graph)"));
  return model;
}

absl::StatusOr<onnx::ModelProto> ReadBinaryModelFile(const std::string& path) {
  struct stat st;
  if (absl::Status s = CheckRegularFile(path, st); !s.ok()) return s;
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", ErrnoText()));
  FdCloser closer(fd);
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED)
    return absl::InternalError(absl::StrCat(path, ": cannot map: ", ErrnoText()));
  ::madvise(map, size, MADV_SEQUENTIAL);
  auto model = ParseBinaryModel(static_cast<const char*>(map), size, path);
  ::munmap(map, size);
  return model;
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  if (path == "-") {
    std::cout.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    std::cout.flush();
    if (!std::cout) return absl::InternalError("<stdout>: write failed");
    return absl::OkStatus();
  }
  if (IsSpecialFile(path)) {
    auto fd = OpenSpecial(path);
    if (!fd.ok()) return fd.status();
    absl::Status written = WriteAll(*fd, contents.data(), contents.size(), path);
    ::close(*fd);
    return written;
  }
  std::string temp;
  auto fd = CreateTemp(path, temp);
  if (!fd.ok()) return fd.status();
  absl::Status written = WriteAll(*fd, contents.data(), contents.size(), path);
  return FinishTemp(*fd, temp, path, written);
}

absl::Status WriteBinaryModel(const onnx::ModelProto& model, const std::string& path) {
  size_t size = model.ByteSizeLong();
  if (size > static_cast<size_t>(INT32_MAX))
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": the model serializes to ", size, " bytes, over protobuf's "
        "2 GiB limit"));
  if (path == "-") {
    std::string bytes;
    model.SerializeToString(&bytes);
    return WriteFileAtomically(path, bytes);
  }
  std::string temp;
  const bool special = IsSpecialFile(path);
  auto fd = special ? OpenSpecial(path) : CreateTemp(path, temp);
  if (!fd.ok()) return fd.status();
  absl::Status written;
  {
    // Streams straight to the file: no whole-model byte buffer.
    google::protobuf::io::FileOutputStream out(*fd, 1 << 20);
    if (!model.SerializeToZeroCopyStream(&out) || !out.Flush()) {
      written = absl::InternalError(absl::StrCat(
          path, ": write failed: ", std::strerror(out.GetErrno())));
    }
  }
  if (special) {
    ::close(*fd);
    return written;
  }
  return FinishTemp(*fd, temp, path, written);
}

}  // namespace h8
