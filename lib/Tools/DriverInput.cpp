//===- DriverInput.cpp - Reading the input into models --------------------===//
//
// The input is a binary model, or text holding one model or (with
// --split-input-file) several separated by `# -----` lines. Each model is
// verified and run through the pipeline as soon as it is parsed; a text
// chunk that does not parse is reported and the others still run.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <memory>

#include "Driver.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "h8/Support/ArenaOptions.h"
#include "h8/Support/TextIO.h"

namespace h8 {
namespace {

// One '# -----' separated piece of the input.
struct Chunk {
  std::string text;
  int first_line = 1;
};

std::vector<Chunk> SplitInput(const std::string& text, bool split) {
  if (!split) return {Chunk{text, 1}};
  std::vector<Chunk> chunks;
  Chunk current;
  int line = 1;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    absl::string_view l =
        absl::StripAsciiWhitespace(absl::string_view(text).substr(pos, end - pos));
    if (l == kSplitMarker) {
      chunks.push_back(std::move(current));
      current = Chunk();
      current.first_line = line + 1;
    } else {
      current.text.append(text, pos, end - pos);
      current.text.push_back('\n');
    }
    ++line;
    pos = end + 1;
  }
  chunks.push_back(std::move(current));
  return chunks;
}

// Whether `text` has only whitespace and '#' comments.
bool IsBlank(absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty() && line[0] != '#') return false;
  }
  return true;
}

}  // namespace

int Driver::ReadAndRun(PassManager& pm, ModelFormat out_format,
                       std::vector<onnx::ModelProto*>& results) {
  int exit_code = kExitOk;
  ModelFormat in_format = config_.input_format;
  if (in_format == ModelFormat::kAuto && config_.input != "-")
    in_format = FormatFromPath(config_.input);

  // A file is opened and sniffed, then a binary model is parsed from it
  // as it is read; text (and bytes given in memory) is held whole.
  std::string bytes;
  std::unique_ptr<InputFile> file;
  if (request_.input_bytes) {
    bytes = std::move(*request_.input_bytes);
    request_.input_bytes.emplace();  // still "from memory"
    if (in_format == ModelFormat::kAuto) in_format = SniffFormat(bytes);
  } else {
    auto opened = InputFile::Open(config_.input);
    if (!opened.ok()) return Fail("", opened.status(), kExitUsageError);
    file = std::move(*opened);
    if (in_format == ModelFormat::kAuto) {
      auto sniffed = file->Sniff();
      if (!sniffed.ok()) return Fail("", sniffed.status(), kExitUsageError);
      in_format = *sniffed;
    }
  }
  ProtectInput(config_.input);
  if (in_format == ModelFormat::kBinary) {
    if (config_.split_input_file)
      return Fail("", UsageError("--split-input-file needs textual input"), kExitUsageError);
    arena_ = std::make_unique<google::protobuf::Arena>(ModelArenaOptions());
    onnx::ModelProto* model =
        google::protobuf::Arena::CreateMessage<onnx::ModelProto>(arena_.get());
    absl::Status parsed = file ? file->ParseBinaryInto(label_, *model)
                               : ParseBinaryModelInto(bytes.data(), bytes.size(), label_, *model);
    file.reset();
    bytes.clear();
    bytes.shrink_to_fit();
    if (!parsed.ok()) return Fail("", StripLabel(parsed), kExitUsageError);
    if (absl::Status s = GuardOutputs(*model, out_format); !s.ok())
      return Fail("", s, kExitUsageError);
    exit_code = ProcessModel(*model, label_, pm);
    if (exit_code == kExitOk) results.push_back(model);
  } else {
    if (file) {
      absl::Status s = file->ReadAll(bytes);
      file.reset();
      if (!s.ok()) return Fail("", s, kExitUsageError);
    }
    if (absl::StripAsciiWhitespace(bytes).empty())
      return Fail("", UsageError("empty file"), kExitUsageError);
    std::vector<Chunk> chunks = SplitInput(bytes, config_.split_input_file);
    for (const Chunk& chunk : chunks) {
      // A chunk of only blanks and comments (e.g. after a trailing
      // separator) holds no model.
      if (config_.split_input_file && chunks.size() > 1 && IsBlank(chunk.text)) continue;
      std::string where = chunks.size() > 1 ? absl::StrCat(label_, ":", chunk.first_line) : label_;
      auto parsed = ParseModelText(chunk.text, chunk.first_line);
      if (!parsed.ok()) {
        Emit(label_, absl::StrCat("parse error: ", parsed.status().message()));
        exit_code = std::max(exit_code, static_cast<int>(kExitUsageError));
        continue;
      }
      onnx::ModelProto* model = &text_models_.emplace_back(std::move(*parsed));
      if (absl::Status s = GuardOutputs(*model, out_format); !s.ok())
        return Fail("", s, kExitUsageError);
      int code = ProcessModel(*model, where, pm);
      exit_code = std::max(exit_code, code);
      if (code == kExitOk) results.push_back(model);
    }
  }
  return exit_code;
}

}  // namespace h8
