//===- DimsText.cpp - `name=value` dim lists ------------------------------===//
#include "h8/Support/DimsText.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace h8 {

std::optional<std::map<std::string, int64_t>> ParseNamedDims(absl::string_view text,
                                                             std::string* bad) {
  std::map<std::string, int64_t> dims;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    std::vector<absl::string_view> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    int64_t v = 0;
    absl::string_view name = kv.empty() ? "" : absl::StripAsciiWhitespace(kv[0]);
    if (kv.size() != 2 || name.empty() ||
        !absl::SimpleAtoi(absl::StripAsciiWhitespace(kv[1]), &v) || v <= 0) {
      *bad = std::string(item);
      return std::nullopt;
    }
    dims[std::string(name)] = v;
  }
  return dims;
}

}  // namespace h8
