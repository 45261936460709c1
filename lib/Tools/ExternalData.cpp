//===- ExternalData.cpp - Writing tensors as ONNX external data -----------===//
#include "h8/Tools/ExternalData.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
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
    H8_RETURN_IF_ERROR(
        CheckExternalData(*t, dir, absl::StrCat("initializer '", t->name(), "'")));
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
                                                    std::string* note) {
  std::vector<onnx::TensorProto*> tensors;
  CollectTensors(*model.mutable_graph(), tensors);
  bool any_external = false;
  for (const auto* t : tensors) any_external |= IsExternal(*t);
  if (options.none) {
    // Checked against the limit from the declared lengths before any
    // tensor is read in, and again after (a length may be left out).
    auto too_big = [](int64_t size) {
      return UsageStatus(absl::StrCat(
          "--external-data=none: the model with its tensors inline would be ", size,
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
    return PendingFile();
  }
  std::string file = options.file;
  int64_t threshold = options.threshold;
  if (file.empty() && static_cast<int64_t>(model.ByteSizeLong()) > kProtobufLimit) {
    file = BaseName(output_path) + ".data";
    threshold = 1024;
    if (note != nullptr)
      *note = absl::StrCat("the model is over protobuf's 2 GiB limit; tensors of ", threshold,
                           " bytes or more were written to external data file '", file, "'");
  }
  if (file.empty() && !any_external) return PendingFile();
  if (file.empty()) file = BaseName(output_path) + ".data";
  if (file.find('/') != std::string::npos || file == "." || file == "..")
    return UsageStatus(absl::StrCat("external data file '", file,
                                    "' must be a plain file name (it lives next to the model)"));
  if (output_path == "-")
    return UsageStatus("external data needs an output file (-o), not stdout");

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
  return pending;
}

}  // namespace h8
