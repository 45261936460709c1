//===- BoolText.h - The one parser of boolean option values -----*- C++ -*-===//
//
// `true`/`false` and `1`/`0`, in any letter case: pass options
// (`cleanup{forward-identity=false}`) and command-line flags
// (`--werror=false`) both read them through ParseBool.
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_BOOLTEXT_H
#define H8_SUPPORT_BOOLTEXT_H

#include <optional>

#include "absl/strings/string_view.h"

namespace h8 {

/// "true"/"1" -> true, "false"/"0" -> false (any letter case), anything
/// else (the empty string included) -> nullopt. A bare flag with no value
/// is the caller's grammar, not a spelling of true.
std::optional<bool> ParseBool(absl::string_view text);

}  // namespace h8

#endif  // H8_SUPPORT_BOOLTEXT_H
