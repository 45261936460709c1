//===- FuzzBinaryReader.cpp - libFuzzer target: binary model reader -------===//
//
// Any byte string: ParseBinaryModel either fails with a status or yields a
// model; VerifyModelStructure then either accepts it or fails with a status.
// Neither may crash, leak, hang or trip a sanitizer. A model the verifier
// accepts is also printed as text (the printer must not crash either).
//
// With H8_FUZZ_BINARY_ROUNDTRIP=1 the printed text must also re-parse. That
// check is off by default because of two known, unfixed bugs that every run
// would rediscover within seconds (test/fuzz/regressions/README.md):
// op_types that are not identifiers are printed unquoted, and initializers
// whose data does not match their dims print as text the parser rejects.
//
//===----------------------------------------------------------------------===//
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "FuzzCommon.h"
#include "h8/IR/Verifier.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/TextIO.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > h8fuzz::kMaxInputBytes) return -1;
  auto model = h8::ParseBinaryModel(reinterpret_cast<const char*>(data), size, "fuzz");
  if (!model.ok()) {
    if (model.status().message().empty()) h8fuzz::Fail("empty error message", "");
    return 0;
  }
  if (!h8::VerifyModelStructure(*model).ok()) return 0;
  if (h8fuzz::CountNodes(model->graph()) > h8fuzz::kMaxNodes) return 0;
  std::string text = h8::PrintModelText(*model);
  static const bool roundtrip = [] {
    const char* v = std::getenv("H8_FUZZ_BINARY_ROUNDTRIP");
    return v != nullptr && std::string(v) == "1";
  }();
  if (!roundtrip) return 0;
  auto reparsed = h8::ParseModelText(text);
  if (!reparsed.ok())
    h8fuzz::Fail("printed text of a verified binary model does not re-parse",
                 std::string(reparsed.status().message()) + "\n--- text:\n" + text);
  return 0;
}
