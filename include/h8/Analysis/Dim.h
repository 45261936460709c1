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
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace h8 {

class Dim {
 public:
  /// An unknown dim.
  Dim() = default;
  Dim(const Dim& other) : kind_(other.kind_), value_(other.value_) {
    if (kind_ == kSymbolic) Retain(node());
  }
  /// Leaves `other` unknown.
  Dim(Dim&& other) noexcept : kind_(other.kind_), value_(other.value_) {
    other.kind_ = kUnknown;
    other.value_ = 0;
  }
  Dim& operator=(const Dim& other) {
    Dim copy(other);
    Swap(copy);
    return *this;
  }
  Dim& operator=(Dim&& other) noexcept {
    Dim taken(std::move(other));
    Swap(taken);
    return *this;
  }
  ~Dim() {
    if (kind_ == kSymbolic) Release(node());
  }
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
  /// The static value (only when is_static(); 0 otherwise).
  int64_t value() const { return kind_ == kStatic ? value_ : 0; }

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
  // Takes over a reference to `node` (see DimBuilder::FromNode).
  explicit Dim(const Node* node) : kind_(kSymbolic), value_(reinterpret_cast<intptr_t>(node)) {}
  friend struct DimBuilder;
  // Expression nodes are shared between dims and counted intrusively (not
  // atomically: the analysis runs on one thread), so a Dim is 16 bytes, not
  // the 32 a kind, a value and a shared_ptr take. Shape facts hold one Dim
  // per dim of every value: on a 20k-node graph that is megabytes.
  static void Retain(const Node* node);
  static void Release(const Node* node);
  void Swap(Dim& other) noexcept {
    std::swap(kind_, other.kind_);
    std::swap(value_, other.value_);
  }

  const Node* node() const { return reinterpret_cast<const Node*>(static_cast<intptr_t>(value_)); }

  Kind kind_ = kUnknown;
  // The value when kStatic, the node's address when kSymbolic, 0 when
  // kUnknown.
  int64_t value_ = 0;
};

/// The product of `dims`, or unknown when any is unknown.
Dim Product(const std::vector<Dim>& dims, size_t begin = 0, size_t end = SIZE_MAX);

}  // namespace h8

#endif  // H8_ANALYSIS_DIM_H
