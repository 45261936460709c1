//===- FuzzTextParser.cpp - libFuzzer target: textual IR round trip -------===//
//
// Any text: ParseModelText fails with "line L, column C: ..." or yields a
// model m. For every m: t1 = Print(m) must parse to m2 and Print(m2) == t1
// (the round trip documented in include/h8/Support/TextIO.h). The verifier
// runs on m too (it must not crash on anything the parser accepts).
//
//===----------------------------------------------------------------------===//
#include <cstddef>
#include <cstdint>
#include <string>

#include "FuzzCommon.h"
#include "absl/strings/match.h"
#include "h8/IR/Verifier.h"
#include "h8/Support/TextIO.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > h8fuzz::kMaxInputBytes) return -1;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto model = h8::ParseModelText(text);
  if (!model.ok()) {
    if (!absl::StartsWith(model.status().message(), "line "))
      h8fuzz::Fail("parse error without a line number", std::string(model.status().message()));
    return 0;
  }
  (void)h8::VerifyModelStructure(*model);
  std::string t1 = h8::PrintModelText(*model);
  auto m2 = h8::ParseModelText(t1);
  if (!m2.ok())
    h8fuzz::Fail(
        "printed text does not re-parse",
        std::string(m2.status().message()) + "\n--- input:\n" + text + "\n--- printed:\n" + t1);
  std::string t2 = h8::PrintModelText(*m2);
  if (t1 != t2)
    h8fuzz::Fail(
        "print(parse(print(m))) != print(m)",
        "--- input:\n" + text + "\n--- first print:\n" + t1 + "\n--- second print:\n" + t2);
  return 0;
}
