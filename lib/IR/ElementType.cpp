//===- ElementType.cpp - The element-type table ---------------------------===//
#include "h8/IR/ElementType.h"

#include "absl/strings/str_cat.h"
#include "onnx/onnx_pb.h"

namespace h8 {
namespace {

struct ElementInfo {
  int32_t type;
  const char* name;
  int size;
  bool is_float;
  bool is_int;  // the signed and unsigned integers and bool
};

using onnx::TensorProto;

// onnx 1.12's enum stops at BFLOAT16 (16); the float8 types (17-20) of
// IR 9 are listed by number.
constexpr ElementInfo kTypes[] = {
    // type, name, bytes, floating, integer or bool
    {TensorProto::FLOAT, "float", 4, true, false},
    {TensorProto::UINT8, "uint8", 1, false, true},
    {TensorProto::INT8, "int8", 1, false, true},
    {TensorProto::UINT16, "uint16", 2, false, true},
    {TensorProto::INT16, "int16", 2, false, true},
    {TensorProto::INT32, "int32", 4, false, true},
    {TensorProto::INT64, "int64", 8, false, true},
    {TensorProto::STRING, "string", 0, false, false},
    {TensorProto::BOOL, "bool", 1, false, true},
    {TensorProto::FLOAT16, "float16", 2, true, false},
    {TensorProto::DOUBLE, "double", 8, true, false},
    {TensorProto::UINT32, "uint32", 4, false, true},
    {TensorProto::UINT64, "uint64", 8, false, true},
    {TensorProto::COMPLEX64, "complex64", 8, false, false},
    {TensorProto::COMPLEX128, "complex128", 16, false, false},
    {TensorProto::BFLOAT16, "bfloat16", 2, true, false},
    {17, "float8e4m3fn", 1, true, false},
    {18, "float8e4m3fnuz", 1, true, false},
    {19, "float8e5m2", 1, true, false},
    {20, "float8e5m2fnuz", 1, true, false},
};

const ElementInfo* Find(int32_t type) {
  for (const ElementInfo& e : kTypes)
    if (e.type == type) return &e;
  return nullptr;
}

}  // namespace

int ElementSize(int32_t type) {
  const ElementInfo* e = Find(type);
  return e == nullptr ? 0 : e->size;
}

bool IsFloatElementType(int32_t type) {
  const ElementInfo* e = Find(type);
  return e != nullptr && e->is_float;
}

std::string ElementTypeName(int32_t type) {
  const ElementInfo* e = Find(type);
  return e == nullptr ? absl::StrCat("dtype#", type) : e->name;
}

bool IsIntegerElementType(int32_t type) {
  const ElementInfo* e = Find(type);
  return e != nullptr && e->is_int;
}

bool IsKnownElementType(int32_t type) { return Find(type) != nullptr; }

int32_t ElementTypeFromName(absl::string_view name) {
  for (const ElementInfo& e : kTypes)
    if (name == e.name) return e.type;
  return 0;
}

}  // namespace h8
