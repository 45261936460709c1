//===- BoolText.cpp - The one parser of boolean option values -------------===//
#include "h8/Support/BoolText.h"

#include "absl/strings/match.h"

namespace h8 {

std::optional<bool> ParseBool(absl::string_view text) {
  if (absl::EqualsIgnoreCase(text, "true") || text == "1") return true;
  if (absl::EqualsIgnoreCase(text, "false") || text == "0") return false;
  return std::nullopt;
}

}  // namespace h8
