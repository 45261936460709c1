//===- ElementType.h - One table of ONNX element types ----------*- C++ -*-===//
//
// Name, byte size and kind of every ONNX element type, in one table that
// the verifier, the text format, the passes and the evaluator read.
//
//===----------------------------------------------------------------------===//
#ifndef H8_IR_ELEMENTTYPE_H
#define H8_IR_ELEMENTTYPE_H

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace h8 {

/// Bytes of one element as stored in raw_data (and in memory); 0 for
/// strings and unknown types.
int ElementSize(int32_t type);
/// Whether the type is a floating-point type (float, double, float16,
/// bfloat16, the float8 types).
bool IsFloatElementType(int32_t type);
/// Whether the type is an integer type (int8 to int64, uint8 to uint64) or
/// bool.
bool IsIntegerElementType(int32_t type);
/// The ONNX spelling ("float", "int64", ...), or "dtype#N".
std::string ElementTypeName(int32_t type);
/// Whether `type` is one of the table's element types.
bool IsKnownElementType(int32_t type);
/// The element type spelled `name` (ElementTypeName's spelling), or 0
/// (UNDEFINED) for any other name.
int32_t ElementTypeFromName(absl::string_view name);

}  // namespace h8

#endif  // H8_IR_ELEMENTTYPE_H
