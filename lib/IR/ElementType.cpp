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
};

using onnx::TensorProto;

// onnx 1.12's enum stops at BFLOAT16 (16); the float8 types (17-20) of
// IR 9 are listed by number.
constexpr ElementInfo kTypes[] = {
    {TensorProto::FLOAT, "float", 4, true},     {TensorProto::UINT8, "uint8", 1, false},
    {TensorProto::INT8, "int8", 1, false},      {TensorProto::UINT16, "uint16", 2, false},
    {TensorProto::INT16, "int16", 2, false},    {TensorProto::INT32, "int32", 4, false},
    {TensorProto::INT64, "int64", 8, false},    {TensorProto::STRING, "string", 0, false},
    {TensorProto::BOOL, "bool", 1, false},      {TensorProto::FLOAT16, "float16", 2, true},
    {TensorProto::DOUBLE, "double", 8, true},   {TensorProto::UINT32, "uint32", 4, false},
    {TensorProto::UINT64, "uint64", 8, false},  {TensorProto::COMPLEX64, "complex64", 8, false},
    {TensorProto::COMPLEX128, "complex128", 16, false},
    {TensorProto::BFLOAT16, "bfloat16", 2, true},
    {17, "float8e4m3fn", 1, true},              {18, "float8e4m3fnuz", 1, true},
    {19, "float8e5m2", 1, true},                {20, "float8e5m2fnuz", 1, true},
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

bool IsKnownElementType(int32_t type) { return Find(type) != nullptr; }

int32_t ElementTypeFromName(absl::string_view name) {
  for (const ElementInfo& e : kTypes)
    if (name == e.name) return e.type;
  return 0;
}

}  // namespace h8
