//===- DimsText.h - The one parser of `name=value` dim lists ----*- C++ -*-===//
//
// `batch=1,time=100` names symbolic dims and their values: --pin-dim,
// pin-shape{dims=...} and --verify-dims all read it through this parser.
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_DIMSTEXT_H
#define H8_SUPPORT_DIMSTEXT_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace h8 {

/// Parses comma-separated `name=value` items (value a positive integer;
/// spaces around items and names ignored; empty items skipped). On error
/// returns nullopt and sets `*bad` to the offending item.
std::optional<std::map<std::string, int64_t>> ParseNamedDims(absl::string_view text,
                                                             std::string* bad);

}  // namespace h8

#endif  // H8_SUPPORT_DIMSTEXT_H
