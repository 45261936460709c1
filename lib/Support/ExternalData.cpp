//===- ExternalData.cpp - Reading and writing ONNX external data ----------===//
#include "h8/Support/ExternalData.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "h8/IR/ElementType.h"
#include "h8/IR/TensorData.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/Status.h"

namespace h8 {

using onnx::TensorProto;

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

namespace {

/// Where an external tensor's bytes are: a regular file inside the model
/// folder, and the byte range of the tensor in it.
struct ExternalExtent {
  std::filesystem::path file;
  int64_t offset = 0;
  int64_t length = 0;
};

/// What kind of non-regular file `p` is, for messages.
std::string DescribeNonRegular(const std::filesystem::path& p) {
  std::error_code ec;
  auto st = std::filesystem::status(p, ec);
  if (ec && ec.value() == ELOOP) return "is a symbolic link loop";
  if (ec || st.type() == std::filesystem::file_type::not_found) return "not found";
  switch (st.type()) {
    case std::filesystem::file_type::directory: return "is a directory, not a file";
    case std::filesystem::file_type::fifo: return "is a FIFO, not a regular file";
    case std::filesystem::file_type::socket: return "is a socket, not a regular file";
    case std::filesystem::file_type::character:
    case std::filesystem::file_type::block: return "is a device, not a regular file";
    default: return "is not a regular file";
  }
}

absl::StatusOr<ExternalExtent> ResolveExternalData(const TensorProto& proto,
                                                   const std::string& base_dir,
                                                   const std::string& label) {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset" || kv.key() == "length") {
      int64_t v = 0;
      const std::string& s = kv.value();
      if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(label, ": external data ", kv.key(), " '", s,
                                                       "' is not a non-negative integer"));
      }
      v = std::stoll(s);
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  if (location.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(label, ": external data has no 'location'"));
  }
  if (base_dir.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": external data '", location, "' cannot be resolved without a model directory"));
  }
  std::filesystem::path rel(location);
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory()) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": external data location '", location,
                     "' is absolute; it must be relative to the model directory"));
  }
  for (const auto& part : rel) {
    if (part == "..") {
      return absl::InvalidArgumentError(absl::StrCat(label, ": external data location '", location,
                                                     "' escapes the model directory"));
    }
  }
  std::filesystem::path full = std::filesystem::path(base_dir) / rel;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(full, ec)) {
    return absl::NotFoundError(absl::StrCat(label, ": external data file '", full.string(), "' ",
                                            DescribeNonRegular(full)));
  }
  // Symbolic links are resolved before the containment check: a link inside
  // the model folder must not lead outside it.
  std::filesystem::path real_dir = std::filesystem::canonical(base_dir, ec);
  std::filesystem::path real_file = std::filesystem::canonical(full, ec);
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat(label, ": cannot resolve external data file '", full.string(), "'"));
  }
  auto rel_real = real_file.lexically_relative(real_dir);
  if (rel_real.empty() || *rel_real.begin() == "..") {
    return absl::InvalidArgumentError(absl::StrCat(label, ": external data location '", location,
                                                   "' resolves outside the model directory (",
                                                   real_file.string(), ")"));
  }
  uint64_t file_size = std::filesystem::file_size(full, ec);
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat(label, ": cannot stat external data file '", full.string(), "'"));
  }
  if (static_cast<uint64_t>(offset) > file_size) {
    return absl::InvalidArgumentError(absl::StrCat(label, ": external data offset ", offset,
                                                   " is past the end of '", full.string(), "' (",
                                                   file_size, " bytes)"));
  }
  // The dims say how many bytes the tensor has; an explicit length must
  // agree, and without one exactly that many are read (never "the rest of
  // the file", which may be any size).
  const int width = ElementSize(proto.data_type());
  int64_t needed = -1;
  if (width > 0) {
    std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
    auto count = CheckedNumElements(dims);
    if (!count.ok() || *count > std::numeric_limits<int64_t>::max() / width)
      return absl::InvalidArgumentError(
          absl::StrCat(label, ": dims ", DimsString(dims), " overflow"));
    needed = *count * width;
  }
  if (length >= 0 && needed >= 0 && length != needed) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": external data length ", length, " does not match its dims ", "(",
                     needed, " bytes of ", ElementTypeName(proto.data_type()), ")"));
  }
  if (length < 0) length = needed >= 0 ? needed : static_cast<int64_t>(file_size) - offset;
  if (static_cast<uint64_t>(length) > file_size - offset) {
    return absl::InvalidArgumentError(absl::StrCat(label, ": external data range [", offset, ", ",
                                                   offset + length, ") is past the end of '",
                                                   full.string(), "' (", file_size, " bytes)"));
  }
  return ExternalExtent{full, offset, length};
}

}  // namespace

absl::Status CheckExternalData(const TensorProto& proto, const std::string& base_dir,
                               const std::string& label) {
  return ResolveExternalData(proto, base_dir, label).status();
}

absl::StatusOr<std::string> ReadExternalData(const TensorProto& proto, const std::string& base_dir,
                                             const std::string& label) {
  H8_ASSIGN_OR_RETURN(ExternalExtent extent, ResolveExternalData(proto, base_dir, label));
  const std::filesystem::path& full = extent.file;
  const int64_t offset = extent.offset, length = extent.length;
  std::ifstream in(full, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(label, ": cannot open external data file '", full.string(), "'"));
  }
  std::string bytes(static_cast<size_t>(length), '\0');
  in.seekg(offset);
  in.read(bytes.data(), length);
  if (in.gcount() != length) {
    return absl::DataLossError(
        absl::StrCat(label, ": short read from external data file '", full.string(), "'"));
  }
  return bytes;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

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

}  // namespace

std::vector<std::string> ExternalDataFiles(onnx::ModelProto& model, const std::string& dir) {
  std::vector<onnx::TensorProto*> tensors;
  CollectTensors(*model.mutable_graph(), tensors);
  std::vector<std::string> files;
  for (const auto* t : tensors) {
    if (!IsExternal(*t)) continue;
    for (const auto& kv : t->external_data())
      if (kv.key() == "location") files.push_back(absl::StrCat(dir, "/", kv.value()));
  }
  return files;
}

absl::Status VerifyExternalData(onnx::ModelProto& model, const std::string& dir) {
  std::vector<onnx::TensorProto*> tensors;
  CollectTensors(*model.mutable_graph(), tensors);
  for (const auto* t : tensors) {
    if (!IsExternal(*t)) continue;
    H8_RETURN_IF_ERROR(CheckExternalData(*t, dir, absl::StrCat("initializer '", t->name(), "'")));
  }
  return absl::OkStatus();
}

std::string ExternalDataPath(const std::string& output_path, const ExternalDataOptions& options) {
  return absl::StrCat(DirName(output_path), "/",
                      options.file.empty() ? BaseName(output_path) + ".data" : options.file);
}

absl::StatusOr<PendingFile> PrepareExternalData(onnx::ModelProto& model,
                                                const std::string& input_dir,
                                                const std::string& output_path,
                                                const ExternalDataOptions& options,
                                                std::string* note, size_t* model_size) {
  std::vector<onnx::TensorProto*> tensors;
  CollectTensors(*model.mutable_graph(), tensors);
  bool any_external = false;
  for (const auto* t : tensors) any_external |= IsExternal(*t);
  if (options.none) {
    // Checked against the limit from the declared lengths before any
    // tensor is read in, and again after (a length may be left out).
    auto too_big = [](int64_t size) {
      return UsageStatus(
          absl::StrCat("--external-data=none: the model with its tensors inline would be ", size,
                       " bytes, over protobuf's 2 GiB limit for one file"));
    };
    int64_t size = static_cast<int64_t>(model.ByteSizeLong());
    for (const auto* t : tensors) {
      if (!IsExternal(*t)) continue;
      for (const auto& kv : t->external_data()) {
        int64_t length = 0;
        if (kv.key() == "length" && absl::SimpleAtoi(kv.value(), &length) && length > 0)
          size += length;
      }
    }
    if (size > kProtobufLimit) return too_big(size);
    for (onnx::TensorProto* t : tensors) {
      if (!IsExternal(*t)) continue;
      auto read = ReadExternalData(*t, input_dir, absl::StrCat("initializer '", t->name(), "'"));
      if (!read.ok()) return read.status();
      t->set_raw_data(std::move(*read));
      t->clear_external_data();
      t->clear_data_location();
    }
    size = static_cast<int64_t>(model.ByteSizeLong());
    if (size > kProtobufLimit) return too_big(size);
    if (model_size != nullptr) *model_size = static_cast<size_t>(size);
    return PendingFile();
  }
  std::string file = options.file;
  int64_t threshold = options.threshold;
  const size_t size = file.empty() ? model.ByteSizeLong() : 0;
  if (file.empty() && static_cast<int64_t>(size) > kProtobufLimit) {
    file = BaseName(output_path) + ".data";
    threshold = 1024;
    if (note != nullptr)
      *note = absl::StrCat("the model is over protobuf's 2 GiB limit; tensors of ", threshold,
                           " bytes or more were written to external data file '", file, "'");
  }
  if (file.empty() && !any_external) {
    if (model_size != nullptr) *model_size = size;
    return PendingFile();
  }
  if (file.empty()) file = BaseName(output_path) + ".data";
  if (file.find('/') != std::string::npos || file == "." || file == "..")
    return UsageStatus(absl::StrCat("external data file '", file,
                                    "' must be a plain file name (it lives next to the model)"));
  if (output_path == "-") return UsageStatus("external data needs an output file (-o), not stdout");

  const std::string final_path = absl::StrCat(DirName(output_path), "/", file);
  auto pending = PendingFile::Create(final_path);
  if (!pending.ok()) return pending.status();
  int64_t offset = 0;
  auto write_all = [&](const std::string& bytes) {
    return pending->Write(bytes.data(), bytes.size());
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
  if (absl::Status s = pending->Close(status); !s.ok()) return s;
  if (model_size != nullptr) *model_size = model.ByteSizeLong();
  return pending;
}

}  // namespace h8
