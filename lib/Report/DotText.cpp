//===- DotText.cpp - Label text of the Graphviz drawings ------------------===//
//
// DOT strings are double-quoted: model names (arbitrary bytes) are escaped
// and invalid UTF-8 replaced, long names shortened in labels, and tensor
// types written "[1,9,1,100]" (float) or "int64[2]".
//
//===----------------------------------------------------------------------===//
#include <algorithm>

#include "DotInternal.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace h8 {
namespace {

constexpr size_t kMaxLabelName = 64;

// Length of the valid UTF-8 sequence starting at s[i], or 0.
size_t Utf8Length(const std::string& s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = 0;
  uint32_t min = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    min = 0x80;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    min = 0x800;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    min = 0x10000;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

std::string DimsText(const google::protobuf::RepeatedField<int64_t>& dims) {
  return absl::StrJoin(dims, "x");
}

std::string ElemPrefix(int32_t elem) {
  if (elem == onnx::TensorProto::FLOAT || elem == onnx::TensorProto::UNDEFINED) return "";
  if (!onnx::TensorProto::DataType_IsValid(elem)) return absl::StrCat("type", elem);
  std::string name =
      onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(elem));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

}  // namespace

std::string EscapeDotString(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 8);
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    size_t len = Utf8Length(text, i);
    if (len == 0) {
      out += '?';
      ++i;
      continue;
    }
    if (len > 1) {
      out.append(text, i, len);
      i += len;
      continue;
    }
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) out += '?';
    else out += c;
    ++i;
  }
  return out;
}

namespace dot {

std::string Shorten(const std::string& name) {
  if (name.size() <= kMaxLabelName) return name;
  return absl::StrCat(name.substr(0, kMaxLabelName / 2 - 2), "...",
                      name.substr(name.size() - (kMaxLabelName / 2 - 2)));
}

std::string Quote(const std::string& text) {
  return absl::StrCat("\"", EscapeDotString(text), "\"");
}

Shapes::Shapes(const onnx::GraphProto& g) {
  for (const auto& v : g.input()) Add(v);
  for (const auto& v : g.value_info()) Add(v);
  for (const auto& v : g.output()) Add(v);
  for (const auto& t : g.initializer()) {
    ShapeText s;
    s.text = absl::StrCat(ElemPrefix(t.data_type()), "[", absl::StrJoin(t.dims(), ","), "]");
    s.is_static = true;
    shapes_.emplace(t.name(), s);
    weights_.emplace(t.name(), DimsText(t.dims()));
  }
}

const ShapeText* Shapes::Find(const std::string& name) const {
  auto it = shapes_.find(name);
  return it == shapes_.end() ? nullptr : &it->second;
}

const std::string* Shapes::Weight(const std::string& name) const {
  auto it = weights_.find(name);
  return it == weights_.end() ? nullptr : &it->second;
}

void Shapes::Add(const onnx::ValueInfoProto& v) {
  if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return;
  const auto& tt = v.type().tensor_type();
  std::vector<std::string> dims;
  bool is_static = true;
  for (const auto& d : tt.shape().dim()) {
    if (d.has_dim_value()) {
      dims.push_back(absl::StrCat(d.dim_value()));
    } else {
      is_static = false;
      dims.push_back(d.has_dim_param() && !d.dim_param().empty() ? d.dim_param() : "?");
    }
  }
  ShapeText s;
  s.text = absl::StrCat(ElemPrefix(tt.elem_type()), "[", absl::StrJoin(dims, ","), "]");
  s.is_static = is_static;
  shapes_[v.name()] = s;  // later sources (outputs) win
}

}  // namespace dot
}  // namespace h8
