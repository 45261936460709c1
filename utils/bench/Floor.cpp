//===- Floor.cpp - The minimum cost of any read-rewrite-write tool --------===//
//
// Usage: h8-floor IN.onnx OUT.onnx [--fsync] [--arena]
// mmaps IN, parses it into one onnx::ModelProto (ParseFromArray) and
// serializes it to OUT through a FileOutputStream: the time and peak RSS
// any tool pays that reads a model into protobuf and writes it back.
// --fsync also fsyncs OUT before closing it. --arena parses into a
// protobuf arena with onnx-h8-opt's block sizes, as onnx-h8-opt does: the
// floor of a tool that does so (run.sh reports both; the targets are
// about the plain floor). run.sh divides by these figures.
//
//===----------------------------------------------------------------------===//
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>

#include "google/protobuf/arena.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "h8/Support/ArenaOptions.h"
#include "onnx/onnx_pb.h"

int main(int argc, char** argv) {
  bool sync = false, use_arena = false, bad = argc < 3;
  for (int i = 3; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--fsync") sync = true;
    else if (flag == "--arena") use_arena = true;
    else bad = true;
  }
  if (bad) {
    std::fprintf(stderr, "usage: %s IN.onnx OUT.onnx [--fsync] [--arena]\n", argv[0]);
    return 2;
  }
  int in = ::open(argv[1], O_RDONLY);
  struct stat st;
  if (in < 0 || ::fstat(in, &st) != 0 || st.st_size == 0 || st.st_size > INT_MAX) {
    std::fprintf(stderr, "%s: cannot open or bad size\n", argv[1]);
    return 2;
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, in, 0);
  if (map == MAP_FAILED) {
    std::fprintf(stderr, "%s: cannot map: %s\n", argv[1], std::strerror(errno));
    return 2;
  }
  ::madvise(map, size, MADV_SEQUENTIAL);
  google::protobuf::Arena arena(h8::ModelArenaOptions());
  onnx::ModelProto heap_model;
  onnx::ModelProto& model =
      use_arena ? *google::protobuf::Arena::CreateMessage<onnx::ModelProto>(&arena) : heap_model;
  if (!model.ParseFromArray(map, static_cast<int>(size))) {
    std::fprintf(stderr, "%s: protobuf parse failed\n", argv[1]);
    return 2;
  }
  ::munmap(map, size);
  ::close(in);
  int out = ::open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) {
    std::fprintf(stderr, "%s: cannot write: %s\n", argv[2], std::strerror(errno));
    return 2;
  }
  bool ok;
  {
    google::protobuf::io::FileOutputStream os(out, 1 << 20);
    ok = model.SerializeToZeroCopyStream(&os) && os.Flush();
  }
  if (ok && sync && ::fsync(out) != 0 && errno != EINVAL) ok = false;
  if (::close(out) != 0 || !ok) {
    std::fprintf(stderr, "%s: write failed\n", argv[2]);
    return 2;
  }
  return 0;
}
