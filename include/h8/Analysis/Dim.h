//===- Dim.h - Static, symbolic and unknown tensor dims ---------*- C++ -*-===//
//
// One dim of a tensor shape, or one element of a small integer tensor
// (shape plumbing), as the shape analysis sees it: a static integer (may be
// negative as an element: Reshape's -1, Slice's -1), a symbolic expression over named dims, or
// unknown. Symbolic expressions are what torch.export writes into dim_params (`s77`,
// `(((s53 - 1)//8)) + 1`, `2*s0`, `Max(1, s0)`) and what the analysis
// derives itself (a stride-2 Conv over `time` gives `(time - 1)//2 + 1`).
//
// Expressions are kept in a canonical form (constants folded, commutative
// operands ordered, nested sums of constants combined), so equal
// expressions print equally and compare equal: two values whose dims print
// `(s53 - 1)//2 + 1` are the same dim. Unknown dims are never equal to
// anything, not even themselves: nothing may be concluded from them.
//
// Floor division follows Python's `//` (torch.export's semantics); dims are
// non-negative in every well-formed model, where it equals C++ division.
//
//===----------------------------------------------------------------------===//
#ifndef H8_ANALYSIS_DIM_H
#define H8_ANALYSIS_DIM_H

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace h8 {

class Dim {
 public:
  /// An unknown dim.
  Dim() = default;
  static Dim Static(int64_t value);
  static Dim Symbol(absl::string_view name);
  static Dim Unknown() { return Dim(); }
  /// Parses a dim_param: a torch.export expression (integers, names, `+ - *
  /// //`, `max`/`min`/`Max`/`Min`, parentheses) or, when it is not one, an
  /// opaque name ("batch size" stays the symbol `batch size`).
  static Dim FromParam(absl::string_view text);

  bool is_static() const { return kind_ == kStatic; }
  bool is_unknown() const { return kind_ == kUnknown; }
  bool is_symbolic() const { return kind_ == kSymbolic; }
  /// The static value (only when is_static()).
  int64_t value() const { return value_; }

  /// "3", "time", "(time - 1)//2 + 1", "?" for unknown.
  std::string ToString() const;
  /// Names of the symbols the dim depends on, sorted.
  std::vector<std::string> Symbols() const;

  /// Replaces symbols by values and simplifies; symbols not in `values`
  /// stay.
  Dim Substitute(const std::map<std::string, int64_t>& values) const;

  /// Static equal, or the same canonical expression. Unknown != anything.
  bool operator==(const Dim& other) const;
  bool operator!=(const Dim& other) const { return !(*this == other); }

  friend Dim operator+(const Dim& a, const Dim& b);
  friend Dim operator-(const Dim& a, const Dim& b);
  friend Dim operator*(const Dim& a, const Dim& b);
  /// Python's `//`; unknown when b is static 0.
  friend Dim FloorDiv(const Dim& a, const Dim& b);
  /// Ceil division, written `(a + b - 1)//b`.
  friend Dim CeilDiv(const Dim& a, const Dim& b);
  friend Dim Max(const Dim& a, const Dim& b);
  friend Dim Min(const Dim& a, const Dim& b);

  struct Node;

 private:
  enum Kind : uint8_t { kUnknown, kStatic, kSymbolic };
  explicit Dim(std::shared_ptr<const Node> node) : kind_(kSymbolic), node_(std::move(node)) {}
  friend struct DimBuilder;

  Kind kind_ = kUnknown;
  int64_t value_ = 0;
  std::shared_ptr<const Node> node_;
};

/// The product of `dims`, or unknown when any is unknown.
Dim Product(const std::vector<Dim>& dims, size_t begin = 0, size_t end = SIZE_MAX);

}  // namespace h8

#endif  // H8_ANALYSIS_DIM_H
