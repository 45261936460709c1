//===- Checked.h - Overflow-checked int64 arithmetic ------------*- C++ -*-===//
//
// Sizes, dims and pads come from untrusted models: every sum or product of
// them goes through these (signed overflow is undefined behaviour).
//
//===----------------------------------------------------------------------===//
#ifndef H8_IR_CHECKED_H
#define H8_IR_CHECKED_H

#include <cstdint>

namespace h8 {

/// *out = a + b; true when that overflows int64 (then *out is unspecified).
inline bool AddOverflows(int64_t a, int64_t b, int64_t* out) {
  return __builtin_add_overflow(a, b, out);
}
/// *out = a * b; true when that overflows int64.
inline bool MulOverflows(int64_t a, int64_t b, int64_t* out) {
  return __builtin_mul_overflow(a, b, out);
}

}  // namespace h8

#endif  // H8_IR_CHECKED_H
