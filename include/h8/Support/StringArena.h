//===- StringArena.h - Copies of strings that stay put ----------*- C++ -*-===//
//
// Stores copies of strings in fixed-size blocks, so views of them stay
// valid for the arena's lifetime: hash maps keyed by such views cost one
// memcpy per key instead of one std::string (and, for names longer than the
// small-string buffer, one allocation) per key. Used for the value names
// GraphIndex and ShapeAnalysis key their tables by.
//
//===----------------------------------------------------------------------===//
#ifndef H8_SUPPORT_STRINGARENA_H
#define H8_SUPPORT_STRINGARENA_H

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"

namespace h8 {

class StringArena {
 public:
  /// A copy of `s` that lives as long as the arena.
  absl::string_view Save(absl::string_view s) {
    if (s.empty()) return absl::string_view();
    if (s.size() > left_) {
      const size_t block = std::max(kBlock, s.size());
      blocks_.push_back(std::make_unique<char[]>(block));
      next_ = blocks_.back().get();
      left_ = block;
    }
    char* at = next_;
    std::memcpy(at, s.data(), s.size());
    next_ += s.size();
    left_ -= s.size();
    return absl::string_view(at, s.size());
  }

 private:
  static constexpr size_t kBlock = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  size_t left_ = 0;
};

}  // namespace h8

#endif  // H8_SUPPORT_STRINGARENA_H
