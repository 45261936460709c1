//===- ModelIOTest.cpp - Reading and writing models -----------------------===//
#include "h8/Support/ModelIO.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "TestUtil.h"
#include "gtest/gtest.h"
#include "h8/Support/ExternalData.h"

namespace h8 {
namespace {

constexpr char kModel[] = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y)
  <float[2] w = {1, 2}>
{
  t = Add (x, w)
  y = Relu (t)
}
)";

// A fresh empty folder, removed (with its files) at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = testing::TempDir() + "h8-modelio-XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    for (const auto& e : Entries()) ::unlink((path_ + "/" + e).c_str());
    ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  std::vector<std::string> Entries() const {
    std::vector<std::string> out;
    DIR* dir = ::opendir(path_.c_str());
    if (dir == nullptr) return out;
    while (dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") out.push_back(name);
    }
    ::closedir(dir);
    return out;
  }

 private:
  std::string path_;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Contains(absl::string_view haystack, absl::string_view needle) {
  return haystack.find(needle) != absl::string_view::npos;
}

TEST(ModelIOTest, WriteFileAtomicallyReplacesContentAndLeavesNoTemp) {
  TempDir dir;
  std::string out = dir.File("out.onnxtext");
  ASSERT_TRUE(WriteFileAtomically(out, "first version, longer\n").ok());
  EXPECT_EQ(Slurp(out), "first version, longer\n");
  ASSERT_TRUE(WriteFileAtomically(out, "second\n").ok());
  EXPECT_EQ(Slurp(out), "second\n");
  EXPECT_EQ(dir.Entries(), (std::vector<std::string>{"out.onnxtext"}));
}

TEST(ModelIOTest, WriteFileAtomicallyKeepsPermissionsOfReplacedFile) {
  TempDir dir;
  std::string out = dir.File("keep.txt");
  ASSERT_TRUE(WriteFileAtomically(out, "a").ok());
  struct stat st;
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  ASSERT_EQ(::chmod(out.c_str(), 0600), 0);
  ASSERT_TRUE(WriteFileAtomically(out, "b").ok());
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(ModelIOTest, WriteIntoMissingFolderFailsAndCreatesNothing) {
  TempDir dir;
  std::string out = dir.File("missing/out.onnx");
  absl::Status s = WriteFileAtomically(out, "data");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Contains(s.message(), out)) << s;
  EXPECT_TRUE(dir.Entries().empty());

  absl::Status binary = WriteBinaryModel(ParseModelOrDie(kModel), out);
  EXPECT_EQ(binary.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Contains(binary.message(), out)) << binary;
  EXPECT_TRUE(dir.Entries().empty());
}

TEST(ModelIOTest, WriteOverAFolderFails) {
  TempDir dir;
  ASSERT_EQ(::mkdir(dir.File("sub").c_str(), 0755), 0);
  absl::Status s = WriteFileAtomically(dir.File("sub"), "data");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dir.Entries(), (std::vector<std::string>{"sub"}));
  ::rmdir(dir.File("sub").c_str());
}

TEST(ModelIOTest, ParseBinaryModelRejectsEmptyBytes) {
  auto m = ParseBinaryModel("", 0, "in.onnx");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(m.status().message()), "in.onnx: empty file");
}

TEST(ModelIOTest, ParseBinaryModelRejectsGarbage) {
  const char bytes[] = "\xff\xff\xff";
  auto m = ParseBinaryModel(bytes, 3, "garbage.onnx");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.status().message().rfind("garbage.onnx: ", 0), 0u) << m.status();
  EXPECT_TRUE(Contains(m.status().message(), "not a valid ONNX model")) << m.status();
}

TEST(ModelIOTest, ParseBinaryModelRejectsTruncatedModel) {
  std::string bytes = ParseModelOrDie(kModel).SerializeAsString();
  ASSERT_GT(bytes.size(), 10u);
  for (size_t size : {bytes.size() - 1, bytes.size() / 2}) {
    auto m = ParseBinaryModel(bytes.data(), size, "cut.onnx");
    ASSERT_FALSE(m.ok()) << size;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(m.status().message().rfind("cut.onnx: ", 0), 0u) << m.status();
  }
  auto whole = ParseBinaryModel(bytes.data(), bytes.size(), "whole.onnx");
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->SerializeAsString(), bytes);
}

TEST(ModelIOTest, ParseBinaryModelRequiresAGraph) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  std::string bytes = model.SerializeAsString();
  auto m = ParseBinaryModel(bytes.data(), bytes.size(), "nograph.onnx");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(std::string(m.status().message()), "nograph.onnx: not a valid ONNX model (no graph)");
}

TEST(ModelIOTest, SniffFormat) {
  EXPECT_EQ(SniffFormat("<ir_version: 8>\ng () => () {}"), ModelFormat::kText);
  EXPECT_EQ(SniffFormat("  \n\t# comment\n"), ModelFormat::kText);
  EXPECT_EQ(SniffFormat("graph (float x) => (float y) {}"), ModelFormat::kText);
  EXPECT_EQ(SniffFormat("_g () => () {}"), ModelFormat::kText);
  EXPECT_EQ(SniffFormat("\"g\" () => () {}"), ModelFormat::kText);
  EXPECT_EQ(SniffFormat(ParseModelOrDie(kModel).SerializeAsString()), ModelFormat::kBinary);
  EXPECT_EQ(SniffFormat(std::string("\x08\x07", 2)), ModelFormat::kBinary);
  EXPECT_EQ(SniffFormat(""), ModelFormat::kBinary);
}

TEST(ModelIOTest, FormatFromPath) {
  EXPECT_EQ(FormatFromPath("m.onnxtext"), ModelFormat::kText);
  EXPECT_EQ(FormatFromPath("dir/m.txt"), ModelFormat::kText);
  EXPECT_EQ(FormatFromPath("m.onnx"), ModelFormat::kBinary);
  EXPECT_EQ(FormatFromPath("/a/b/m.pb"), ModelFormat::kBinary);
  EXPECT_EQ(FormatFromPath("m.onnx.txt"), ModelFormat::kText);
  EXPECT_EQ(FormatFromPath("m.model"), ModelFormat::kAuto);
  EXPECT_EQ(FormatFromPath("-"), ModelFormat::kAuto);
  EXPECT_EQ(FormatFromPath("onnx"), ModelFormat::kAuto);
}

TEST(ModelIOTest, DirName) {
  EXPECT_EQ(DirName("a/b/c.onnx"), "a/b");
  EXPECT_EQ(DirName("c.onnx"), ".");
  EXPECT_EQ(DirName("/c.onnx"), "/");
  EXPECT_EQ(DirName("-"), ".");
}

TEST(ModelIOTest, BinaryWriteReadRoundTrip) {
  TempDir dir;
  onnx::ModelProto model = ParseModelOrDie(kModel);
  std::string path = dir.File("m.onnx");
  ASSERT_TRUE(WriteBinaryModel(model, path).ok());
  EXPECT_EQ(dir.Entries(), (std::vector<std::string>{"m.onnx"}));
  auto read = ReadBinaryModelFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->SerializeAsString(), model.SerializeAsString());
  EXPECT_EQ(PrintModelText(*read), PrintModelText(model));

  std::string text;
  ASSERT_TRUE(ReadFileToString(path, text).ok());
  EXPECT_EQ(text, model.SerializeAsString());
}

TEST(ModelIOTest, ReadBinaryModelFileErrorsNameThePath) {
  TempDir dir;
  std::string missing = dir.File("nope.onnx");
  auto m = ReadBinaryModelFile(missing);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.status().message().rfind(missing + ": ", 0), 0u) << m.status();

  auto folder = ReadBinaryModelFile(dir.path());
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(folder.status().code(), absl::StatusCode::kInvalidArgument);

  std::string empty = dir.File("empty.onnx");
  ASSERT_TRUE(WriteFileAtomically(empty, "").ok());
  auto e = ReadBinaryModelFile(empty);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(std::string(e.status().message()), empty + ": empty file");

  std::string junk = dir.File("junk.onnx");
  ASSERT_TRUE(WriteFileAtomically(junk, "\xff\xff\xff").ok());
  auto j = ReadBinaryModelFile(junk);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(j.status().message().rfind(junk + ": ", 0), 0u) << j.status();
}

// A model whose tensor bytes span several read and write blocks (1 MiB),
// with small fields before and after them.
onnx::ModelProto ModelWithLargeTensors() {
  onnx::ModelProto model = ParseModelOrDie(kModel);
  for (int i = 0; i < 3; ++i) {
    onnx::TensorProto t = MakeTensorProto(onnx::TensorProto::FLOAT, {(3 << 18) + i});
    t.set_name("big" + std::to_string(i));
    std::string bytes(static_cast<size_t>(t.dims(0)) * 4, '\0');
    for (size_t j = 0; j < bytes.size(); ++j) bytes[j] = static_cast<char>(j * 7 + i);
    t.set_raw_data(bytes);
    *model.mutable_graph()->add_initializer() = t;
  }
  model.set_doc_string("after the tensors");
  return model;
}

TEST(ModelIOTest, BinaryWriteOfLargeTensorsIsTheSerializedBytes) {
  TempDir dir;
  onnx::ModelProto model = ModelWithLargeTensors();
  ASSERT_TRUE(WriteBinaryModel(model, dir.File("m.onnx")).ok());
  std::string written;
  ASSERT_TRUE(ReadFileToString(dir.File("m.onnx"), written).ok());
  EXPECT_EQ(written.size(), model.ByteSizeLong());
  EXPECT_TRUE(written == model.SerializeAsString());
  auto read = ReadBinaryModelFile(dir.File("m.onnx"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->SerializeAsString() == written);
}

TEST(ModelIOTest, PendingFileSurvivesAMoveWhileWriting) {
  // 40 MiB, written half before and half after the PendingFile moved: the
  // file is complete when renamed, and only it is left in the folder.
  TempDir dir;
  auto created = PendingFile::Create(dir.File("big"));
  ASSERT_TRUE(created.ok());
  PendingFile file = std::move(*created);
  std::string piece(1 << 20, '\0');
  for (int i = 0; i < 40; ++i) {
    std::fill(piece.begin(), piece.end(), static_cast<char>('a' + i % 26));
    ASSERT_TRUE(file.Write(piece.data(), piece.size()).ok());
    if (i == 20) {
      PendingFile moved = std::move(file);
      file = std::move(moved);
    }
  }
  ASSERT_TRUE(file.Commit().ok());
  std::string read;
  ASSERT_TRUE(ReadFileToString(dir.File("big"), read, "a file").ok());
  ASSERT_EQ(read.size(), 40u << 20);
  for (int i = 0; i < 40; ++i)
    ASSERT_EQ(read[static_cast<size_t>(i) << 20], static_cast<char>('a' + i % 26)) << i;
  EXPECT_EQ(dir.Entries(), (std::vector<std::string>{"big"}));
}

TEST(ModelIOTest, ExternalDataReportsTheSizeTheModelIsWrittenWith) {
  // The size PrepareExternalData reports is the model's after its changes
  // (tensors moved out or not): written with it, the file holds exactly
  // the model's serialization.
  TempDir dir;
  for (const char* data_file : {"", "m.onnx.data"}) {
    for (bool none : {false, true}) {
      if (none && *data_file != '\0') continue;
      onnx::ModelProto model = ModelWithLargeTensors();
      ExternalDataOptions options;
      options.file = data_file;
      options.none = none;
      size_t size = 0;
      std::string note;
      auto data = PrepareExternalData(model, dir.path(), dir.File("m.onnx"), options, &note, &size);
      ASSERT_TRUE(data.ok()) << data.status();
      EXPECT_EQ(size, model.ByteSizeLong());
      EXPECT_EQ(model.graph().initializer(1).data_location() == onnx::TensorProto::EXTERNAL,
                *data_file != '\0');
      auto written = PrepareBinaryModel(model, dir.File("m.onnx"), size);
      ASSERT_TRUE(written.ok()) << written.status();
      ASSERT_TRUE(CommitAll({&*written, &*data}).ok());
      std::string bytes;
      ASSERT_TRUE(ReadFileToString(dir.File("m.onnx"), bytes).ok());
      EXPECT_TRUE(bytes == model.SerializeAsString()) << data_file;
    }
  }
}

TEST(ModelIOTest, InputFileSniffsThenParsesOrReadsWithoutLosingBytes) {
  TempDir dir;
  onnx::ModelProto model = ModelWithLargeTensors();
  const std::string bytes = model.SerializeAsString();
  ASSERT_TRUE(WriteFileAtomically(dir.File("m.bin"), bytes).ok());
  {
    auto file = InputFile::Open(dir.File("m.bin"));
    ASSERT_TRUE(file.ok()) << file.status();
    auto format = (*file)->Sniff();
    ASSERT_TRUE(format.ok());
    EXPECT_EQ(*format, ModelFormat::kBinary);
    auto parsed = (*file)->ParseBinary("m.bin");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(parsed->SerializeAsString() == bytes);
  }
  {
    // Read as bytes after sniffing: the sniffed block is not consumed.
    auto file = InputFile::Open(dir.File("m.bin"));
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Sniff().ok());
    std::string read;
    ASSERT_TRUE((*file)->ReadAll(read).ok());
    EXPECT_TRUE(read == bytes);
  }
  // Text behind more blanks than one read block: sniffed on the whole.
  const std::string text = std::string(600 << 10, ' ') + "\n" + kModel;
  ASSERT_TRUE(WriteFileAtomically(dir.File("m.txt"), text).ok());
  auto file = InputFile::Open(dir.File("m.txt"));
  ASSERT_TRUE(file.ok());
  auto format = (*file)->Sniff();
  ASSERT_TRUE(format.ok());
  EXPECT_EQ(*format, ModelFormat::kText);
  std::string read;
  ASSERT_TRUE((*file)->ReadAll(read).ok());
  EXPECT_TRUE(read == text);
}

TEST(ModelIOTest, InputFileRefusesTruncatedAndEmptyBinaryFiles) {
  TempDir dir;
  const std::string bytes = ModelWithLargeTensors().SerializeAsString();
  for (size_t size : {bytes.size() - 1, bytes.size() / 2, size_t{5}}) {
    ASSERT_TRUE(WriteFileAtomically(dir.File("cut.onnx"), bytes.substr(0, size)).ok());
    auto m = ReadBinaryModelFile(dir.File("cut.onnx"));
    ASSERT_FALSE(m.ok()) << size;
    EXPECT_EQ(
        std::string(m.status().message()),
        dir.File("cut.onnx") +
            ": not a valid ONNX model (protobuf parse failed: truncated or not an ONNX file)");
    EXPECT_TRUE(IsIoError(m.status()));
  }
  ASSERT_TRUE(WriteFileAtomically(dir.File("empty.onnx"), "").ok());
  auto file = InputFile::Open(dir.File("empty.onnx"));
  ASSERT_TRUE(file.ok());
  auto format = (*file)->Sniff();
  ASSERT_TRUE(format.ok());
  EXPECT_EQ(*format, ModelFormat::kBinary);
  auto m = (*file)->ParseBinary("empty.onnx");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(std::string(m.status().message()), "empty.onnx: empty file");
}

TEST(ModelIOTest, ReadRefusesDevicesWithoutReading) {
  std::string out;
  absl::Status s = ReadFileToString("/dev/zero", out);
  EXPECT_EQ(std::string(s.message()), "/dev/zero: is a character device, not a model file");
  EXPECT_TRUE(IsIoError(s));
  EXPECT_TRUE(out.empty());
}

TEST(ModelIOTest, SameFileComparesIdentityNotNames) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(dir.File("a"), "x").ok());
  ASSERT_EQ(::link(dir.File("a").c_str(), dir.File("b").c_str()), 0);
  EXPECT_TRUE(SameFile(dir.File("a"), dir.File("b")));
  EXPECT_TRUE(SameFile(dir.File("new"), dir.path() + "/./new"));
  EXPECT_FALSE(SameFile(dir.File("a"), dir.File("new")));
  EXPECT_TRUE(SameFile("-", "-"));
  EXPECT_FALSE(SameFile("-", dir.File("a")));
}

TEST(ModelIOTest, ProtectedInputIsNeverReplaced) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(dir.File("in"), "model").ok());
  ProtectInput(dir.File("in"));
  absl::Status s = WriteFileAtomically(dir.File("in"), "other");
  UnprotectInputs();
  EXPECT_FALSE(s.ok());
  std::string text;
  ASSERT_TRUE(ReadFileToString(dir.File("in"), text).ok());
  EXPECT_EQ(text, "model");
  EXPECT_TRUE(WriteFileAtomically(dir.File("in"), "other").ok());
}

TEST(ModelIOTest, CommitAllRenamesNothingUntilEveryFileIsComplete) {
  TempDir dir;
  auto a = PrepareFile(dir.File("a"), "A");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(dir.Entries().size(), 1u);  // only the temporary file
  auto b = PrepareFile(dir.File("b"), "B");
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE(CommitAll({&*a, &*b}).ok());
  std::vector<std::string> entries = dir.Entries();
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace h8
