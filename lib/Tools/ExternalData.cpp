//===- ExternalData.cpp - Writing tensors as ONNX external data -----------===//
#include "h8/Tools/ExternalData.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "h8/Eval/Tensor.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/Status.h"

namespace h8 {
namespace {

// protobuf refuses to parse messages of 2 GiB or more; stay clear of it.
constexpr int64_t kProtobufLimit = (int64_t{1} << 31) - (int64_t{64} << 20);
constexpr int64_t kAlignment = 4096;

bool IsExternal(const onnx::TensorProto& t) {
  return t.data_location() == onnx::TensorProto::EXTERNAL;
}

void CollectTensors(onnx::GraphProto& graph, std::vector<onnx::TensorProto*>& out) {
  for (auto& t : *graph.mutable_initializer()) out.push_back(&t);
  for (auto& node : *graph.mutable_node())
    for (auto& attr : *node.mutable_attribute()) {
      if (attr.has_g()) CollectTensors(*attr.mutable_g(), out);
      for (auto& g : *attr.mutable_graphs()) CollectTensors(g, out);
    }
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

PendingDataFile& PendingDataFile::operator=(PendingDataFile&& other) noexcept {
  if (this != &other) {
    Abandon();
    temp_ = std::move(other.temp_);
    final_ = std::move(other.final_);
    other.temp_.clear();
  }
  return *this;
}

absl::Status PendingDataFile::Commit() {
  if (temp_.empty()) return absl::OkStatus();
  if (::rename(temp_.c_str(), final_.c_str()) != 0) {
    std::string why = std::strerror(errno);
    Abandon();
    return absl::InternalError(absl::StrCat(final_, ": cannot write: ", why));
  }
  temp_.clear();
  return absl::OkStatus();
}

void PendingDataFile::Abandon() {
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
}

absl::StatusOr<PendingDataFile> PrepareExternalData(onnx::ModelProto& model,
                                                    const std::string& input_dir,
                                                    const std::string& output_path,
                                                    const ExternalDataOptions& options,
                                                    std::string* note) {
  std::vector<onnx::TensorProto*> tensors;
  CollectTensors(*model.mutable_graph(), tensors);
  bool any_external = false;
  for (const auto* t : tensors) any_external |= IsExternal(*t);
  std::string file = options.file;
  int64_t threshold = options.threshold;
  if (file.empty() && static_cast<int64_t>(model.ByteSizeLong()) > kProtobufLimit) {
    file = BaseName(output_path) + ".data";
    threshold = 1024;
    if (note != nullptr)
      *note = absl::StrCat("the model is over protobuf's 2 GiB limit; tensors of ", threshold,
                           " bytes or more were written to external data file '", file, "'");
  }
  if (file.empty() && !any_external) return PendingDataFile();
  if (file.empty()) file = BaseName(output_path) + ".data";
  if (file.find('/') != std::string::npos || file == "." || file == "..")
    return UsageStatus(absl::StrCat("external data file '", file,
                                    "' must be a plain file name (it lives next to the model)"));
  if (output_path == "-")
    return UsageStatus("external data needs an output file (-o), not stdout");

  const std::string dir = DirName(output_path);
  const std::string final_path = absl::StrCat(dir, "/", file);
  std::string temp = absl::StrCat(final_path, ".h8tmp.XXXXXX");
  int fd = ::mkstemp(temp.data());
  if (fd < 0)
    return absl::PermissionDeniedError(
        absl::StrCat(final_path, ": cannot write: ", std::strerror(errno)));
  PendingDataFile pending(temp, final_path);
  int64_t offset = 0;
  auto write_all = [&](const std::string& bytes) -> absl::Status {
    const char* p = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return absl::InternalError(
            absl::StrCat(final_path, ": write failed: ", std::strerror(errno)));
      p += n;
      left -= static_cast<size_t>(n);
    }
    return absl::OkStatus();
  };
  absl::Status status;
  for (onnx::TensorProto* t : tensors) {
    std::string bytes;
    if (IsExternal(*t)) {
      auto read = ReadExternalData(*t, input_dir, absl::StrCat("initializer '", t->name(), "'"));
      if (!read.ok()) {
        status = read.status();
        break;
      }
      bytes = std::move(*read);
    } else if (t->has_raw_data() && static_cast<int64_t>(t->raw_data().size()) >= threshold) {
      bytes = std::move(*t->mutable_raw_data());
    } else {
      continue;
    }
    // Aligned offsets let runtimes mmap each tensor.
    int64_t aligned = (offset + kAlignment - 1) / kAlignment * kAlignment;
    if (aligned > offset) {
      status = write_all(std::string(aligned - offset, '\0'));
      if (!status.ok()) break;
      offset = aligned;
    }
    status = write_all(bytes);
    if (!status.ok()) break;
    t->clear_raw_data();
    t->clear_external_data();
    t->set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](const char* key, const std::string& value) {
      auto* kv = t->add_external_data();
      kv->set_key(key);
      kv->set_value(value);
    };
    add("location", file);
    add("offset", absl::StrCat(offset));
    add("length", absl::StrCat(bytes.size()));
    offset += static_cast<int64_t>(bytes.size());
  }
  if (status.ok() && ::fsync(fd) != 0 && errno != EINVAL)
    status = absl::InternalError(absl::StrCat(final_path, ": cannot write: ", std::strerror(errno)));
  ::fchmod(fd, 0644);
  if (::close(fd) != 0 && status.ok())
    status = absl::InternalError(absl::StrCat(final_path, ": cannot write: ", std::strerror(errno)));
  if (!status.ok()) return status;
  return pending;
}

}  // namespace h8
