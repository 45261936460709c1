//===- ModelIOFiles.cpp - Files: kinds, identities, names -----------------===//
//
// What a path is before it is read or written: its kind (regular file,
// pipe, device, ...), its identity (device and inode, to tell two names of
// one file apart and to protect this run's inputs), its folder and name,
// and the format its extension names.
//
//===----------------------------------------------------------------------===//
#include <sys/stat.h>

#include <set>

#include "ModelIOInternal.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "h8/Support/ModelIO.h"

namespace h8 {
namespace modelio {
namespace {

// What a file that is not a regular file is, for messages.
const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

absl::Status CheckInputMode(const std::string& path, mode_t mode, bool allow_pipe,
                            absl::string_view noun) {
  if (S_ISREG(mode) || (allow_pipe && S_ISFIFO(mode))) return absl::OkStatus();
  return Io(absl::InvalidArgumentError(absl::StrCat(path, ": is ", KindOf(mode), ", not ", noun)));
}

}  // namespace modelio

using modelio::CheckInputMode;
using modelio::ErrnoText;
using modelio::Io;

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

}  // namespace h8
