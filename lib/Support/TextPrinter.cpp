//===- TextPrinter.cpp - ONNX textual IR printer --------------------------===//
//
// Prints a ModelProto in the syntax TextParser.cpp reads back (see
// TextIO.h): the header, each graph with its initializers' data, nodes,
// attributes and functions; floats in the shortest spelling that reads back
// to the same value.
//
//===----------------------------------------------------------------------===//
#include "h8/Support/TextIO.h"

#include <cmath>
#include <cstdio>

#include "TextLexer.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "h8/IR/ElementType.h"
#include "h8/IR/TensorData.h"

namespace h8 {
namespace {

using onnx::AttributeProto;
using onnx::TensorProto;
using textio::IsTypeKeyword;

// The spelling of an element type; a type outside the table prints as
// `fallback`.
std::string ElementTypeText(int32_t type, const char* fallback) {
  return IsKnownElementType(type) ? ElementTypeName(type) : fallback;
}

//===----------------------------------------------------------------------===//
// Printer
//===----------------------------------------------------------------------===//

bool IsBareIdentifier(absl::string_view s) {
  if (s.empty() || IsTypeKeyword(s)) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\x%02x", static_cast<unsigned char>(c));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string Id(absl::string_view s) { return IsBareIdentifier(s) ? std::string(s) : Quote(s); }

// `com.microsoft` prints bare; a domain with other characters is quoted as
// one segment (the parser joins segments with '.').
std::string DomainText(absl::string_view domain) {
  for (absl::string_view part : absl::StrSplit(domain, '.'))
    if (!IsBareIdentifier(part)) return Quote(domain);
  return std::string(domain);
}

// Shortest spelling that reads back to the same float; always marked as a
// float (contains '.', 'e', "nan" or "inf").
std::string FloatLiteral(double v, bool single) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::string s;
  for (int precision = single ? 6 : 15; precision <= 17; ++precision) {
    s = absl::StrFormat("%.*g", precision, v);
    double back = 0;
    // %g output of a finite value always parses; a failure keeps looking.
    if (!absl::SimpleAtod(s, &back)) continue;
    if (single ? static_cast<float>(back) == static_cast<float>(v) : back == v) break;
  }
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

std::string TypeText(const onnx::TypeProto& type) {
  if (type.has_tensor_type()) {
    const auto& tt = type.tensor_type();
    std::string out = ElementTypeText(tt.elem_type(), "float");
    if (!tt.has_shape()) return out + "[]";
    if (tt.shape().dim_size() == 0) return out;
    std::vector<std::string> dims;
    for (const auto& d : tt.shape().dim()) {
      if (d.has_dim_value()) dims.push_back(absl::StrCat(d.dim_value()));
      else if (d.has_dim_param()) dims.push_back(Id(d.dim_param()));
      else dims.push_back("?");
    }
    return absl::StrCat(out, "[", absl::StrJoin(dims, ","), "]");
  }
  if (type.has_sequence_type())
    return absl::StrCat("seq(", TypeText(type.sequence_type().elem_type()), ")");
  if (type.has_optional_type())
    return absl::StrCat("optional(", TypeText(type.optional_type().elem_type()), ")");
  if (type.has_map_type()) {
    return absl::StrCat("map(", ElementTypeText(type.map_type().key_type(), "int64"), ", ",
                        TypeText(type.map_type().value_type()), ")");
  }
  return "";
}

std::string ValueInfoText(const onnx::ValueInfoProto& vi) {
  std::string type = TypeText(vi.type());
  return type.empty() ? Id(vi.name()) : absl::StrCat(type, " ", Id(vi.name()));
}

std::string TensorTypeText(const TensorProto& t) {
  std::string out = ElementTypeText(t.data_type(), "float");
  if (t.dims_size() == 0) return out;
  return absl::StrCat(out, "[", absl::StrJoin(t.dims(), ","), "]");
}

// The `{...}` data of a tensor, decoding whichever field holds it.
// float16/bfloat16 print as their 16-bit patterns, as the parser reads them.
std::string TensorDataText(const TensorProto& t, const PrintOptions& options) {
  int64_t n = 1;
  for (int64_t d : t.dims()) n *= d;
  if (t.data_location() == TensorProto::EXTERNAL) {
    std::vector<std::string> kvs;
    for (const auto& kv : t.external_data())
      kvs.push_back(absl::StrCat(Quote(kv.key()), ": ", Quote(kv.value())));
    return absl::StrCat("external {", absl::StrJoin(kvs, ", "), "}");
  }
  if (options.elide_initializers_larger_than >= 0 && n > options.elide_initializers_larger_than)
    return "{...}";
  std::vector<std::string> values;
  const int32_t type = t.data_type();
  if (type == TensorProto::STRING) {
    for (const auto& s : t.string_data()) values.push_back(Quote(s));
    return absl::StrCat("{", absl::StrJoin(values, ", "), "}");
  }
  auto data = TensorData::Decode(t);
  if (!data.ok()) return "{...}";
  values.reserve(static_cast<size_t>(data->size()));
  for (int64_t k = 0; k < data->size(); ++k) {
    switch (type) {
      case TensorProto::FLOAT: values.push_back(FloatLiteral(data->Float(k), true)); break;
      case TensorProto::DOUBLE: values.push_back(FloatLiteral(data->Float(k), false)); break;
      case TensorProto::UINT64:
      case TensorProto::FLOAT16:
      case TensorProto::BFLOAT16: values.push_back(absl::StrCat(data->Bits(k))); break;
      default: values.push_back(absl::StrCat(data->Int(k)));
    }
  }
  return absl::StrCat("{", absl::StrJoin(values, ", "), "}");
}

class Printer {
 public:
  explicit Printer(const PrintOptions& options) : options_(options) {}

  std::string Graph(const onnx::GraphProto& g, int indent) {
    std::string pad(indent, ' ');
    std::string out = Id(g.name()) + " (";
    // Inputs carry only their type; initializers print in the `<>` list.
    std::vector<std::string> parts;
    for (const auto& in : g.input()) parts.push_back(ValueInfoText(in));
    absl::StrAppend(&out, absl::StrJoin(parts, ", "), ") => (");
    parts.clear();
    for (const auto& o : g.output()) parts.push_back(ValueInfoText(o));
    absl::StrAppend(&out, absl::StrJoin(parts, ", "), ")\n");
    if (g.initializer_size() + g.value_info_size() > 0) {
      absl::StrAppend(&out, pad, "  <\n");
      parts.clear();
      for (const auto& t : g.initializer())
        parts.push_back(absl::StrCat(pad, "    ", TensorTypeText(t), " ", Id(t.name()), " = ",
                                     TensorDataText(t, options_)));
      for (const auto& vi : g.value_info())
        parts.push_back(absl::StrCat(pad, "    ", ValueInfoText(vi)));
      absl::StrAppend(&out, absl::StrJoin(parts, ",\n"), "\n", pad, "  >\n");
    }
    absl::StrAppend(&out, pad, "{\n");
    for (const auto& node : g.node()) absl::StrAppend(&out, Node(node, indent + 2), "\n");
    absl::StrAppend(&out, pad, "}");
    return out;
  }

  std::string Node(const onnx::NodeProto& node, int indent) {
    std::string out(indent, ' ');
    if (!node.name().empty()) absl::StrAppend(&out, "[", Id(node.name()), "] ");
    std::vector<std::string> outs;
    for (const auto& o : node.output()) outs.push_back(Id(o));
    absl::StrAppend(&out, absl::StrJoin(outs, ", "), " = ");
    if (!node.domain().empty()) absl::StrAppend(&out, DomainText(node.domain()), ".");
    absl::StrAppend(&out, Id(node.op_type()));
    if (node.attribute_size() > 0) {
      std::vector<std::string> attrs;
      for (const auto& a : node.attribute()) attrs.push_back(Attribute(a, indent));
      absl::StrAppend(&out, " <", absl::StrJoin(attrs, ", "), ">");
    }
    std::vector<std::string> ins;
    for (const auto& i : node.input()) ins.push_back(i.empty() ? "\"\"" : Id(i));
    absl::StrAppend(&out, " (", absl::StrJoin(ins, ", "), ")");
    return out;
  }

  std::string Attribute(const AttributeProto& a, int indent) {
    std::string out = Id(a.name());
    if (!a.ref_attr_name().empty()) {
      return absl::StrCat(out, ": ", AttrTypeName(a.type()), " = @", Id(a.ref_attr_name()));
    }
    switch (a.type()) {
      case AttributeProto::FLOAT: return absl::StrCat(out, " = ", FloatLiteral(a.f(), true));
      case AttributeProto::INT: return absl::StrCat(out, " = ", a.i());
      case AttributeProto::STRING: return absl::StrCat(out, " = ", Quote(a.s()));
      case AttributeProto::TENSOR: return absl::StrCat(out, " = ", Tensor(a.t()));
      case AttributeProto::GRAPH: return absl::StrCat(out, " = ", Graph(a.g(), indent + 2));
      case AttributeProto::FLOATS: {
        if (a.floats_size() == 0) return out + ": floats = []";
        std::vector<std::string> v;
        for (float f : a.floats()) v.push_back(FloatLiteral(f, true));
        return absl::StrCat(out, " = [", absl::StrJoin(v, ", "), "]");
      }
      case AttributeProto::INTS:
        if (a.ints_size() == 0) return out + ": ints = []";
        return absl::StrCat(out, " = [", absl::StrJoin(a.ints(), ", "), "]");
      case AttributeProto::STRINGS: {
        if (a.strings_size() == 0) return out + ": strings = []";
        std::vector<std::string> v;
        for (const auto& s : a.strings()) v.push_back(Quote(s));
        return absl::StrCat(out, " = [", absl::StrJoin(v, ", "), "]");
      }
      case AttributeProto::TENSORS: {
        if (a.tensors_size() == 0) return out + ": tensors = []";
        std::vector<std::string> v;
        for (const auto& t : a.tensors()) v.push_back(Tensor(t));
        return absl::StrCat(out, " = [", absl::StrJoin(v, ", "), "]");
      }
      case AttributeProto::GRAPHS: {
        if (a.graphs_size() == 0) return out + ": graphs = []";
        std::vector<std::string> v;
        for (const auto& g : a.graphs()) v.push_back(Graph(g, indent + 2));
        return absl::StrCat(out, " = [", absl::StrJoin(v, ", "), "]");
      }
      default: return absl::StrCat(out, " = \"<unprintable attribute>\"");
    }
  }

  std::string Tensor(const TensorProto& t) {
    std::string out = TensorTypeText(t);
    if (!t.name().empty()) absl::StrAppend(&out, " ", Id(t.name()));
    absl::StrAppend(&out, " ", TensorDataText(t, options_));
    return out;
  }

  static const char* AttrTypeName(AttributeProto::AttributeType type) {
    switch (type) {
      case AttributeProto::FLOAT: return "float";
      case AttributeProto::INT: return "int";
      case AttributeProto::STRING: return "string";
      case AttributeProto::TENSOR: return "tensor";
      case AttributeProto::GRAPH: return "graph";
      case AttributeProto::FLOATS: return "floats";
      case AttributeProto::INTS: return "ints";
      case AttributeProto::STRINGS: return "strings";
      case AttributeProto::TENSORS: return "tensors";
      case AttributeProto::GRAPHS: return "graphs";
      default: return "int";
    }
  }

 private:
  const PrintOptions& options_;
};

std::string OpsetsText(const google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>& opsets) {
  std::vector<std::string> parts;
  for (const auto& o : opsets) parts.push_back(absl::StrCat(Quote(o.domain()), " : ", o.version()));
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}

}  // namespace

std::string PrintModelText(const onnx::ModelProto& model, const PrintOptions& options) {
  std::vector<std::string> header;
  if (model.has_ir_version()) header.push_back(absl::StrCat("  ir_version: ", model.ir_version()));
  if (model.opset_import_size() > 0)
    header.push_back(absl::StrCat("  opset_import: ", OpsetsText(model.opset_import())));
  if (model.has_producer_name())
    header.push_back(absl::StrCat("  producer_name: ", Quote(model.producer_name())));
  if (model.has_producer_version())
    header.push_back(absl::StrCat("  producer_version: ", Quote(model.producer_version())));
  if (model.has_domain()) header.push_back(absl::StrCat("  domain: ", Quote(model.domain())));
  if (model.has_model_version())
    header.push_back(absl::StrCat("  model_version: ", model.model_version()));
  if (model.has_doc_string())
    header.push_back(absl::StrCat("  doc_string: ", Quote(model.doc_string())));
  if (model.metadata_props_size() > 0) {
    std::vector<std::string> props;
    for (const auto& p : model.metadata_props())
      props.push_back(absl::StrCat(Quote(p.key()), ": ", Quote(p.value())));
    header.push_back(absl::StrCat("  metadata_props: [", absl::StrJoin(props, ", "), "]"));
  }
  std::string out;
  if (!header.empty()) out = absl::StrCat("<\n", absl::StrJoin(header, ",\n"), "\n>\n");
  Printer printer(options);
  absl::StrAppend(&out, printer.Graph(model.graph(), 0), "\n");
  for (const auto& fn : model.functions()) {
    std::vector<std::string> fh;
    if (fn.has_domain()) fh.push_back(absl::StrCat("  domain: ", Quote(fn.domain())));
    if (fn.opset_import_size() > 0)
      fh.push_back(absl::StrCat("  opset_import: ", OpsetsText(fn.opset_import())));
    if (fn.has_doc_string()) fh.push_back(absl::StrCat("  doc_string: ", Quote(fn.doc_string())));
    if (!fh.empty()) absl::StrAppend(&out, "<\n", absl::StrJoin(fh, ",\n"), "\n>\n");
    absl::StrAppend(&out, Id(fn.name()));
    std::vector<std::string> ids;
    if (fn.attribute_size() > 0) {
      for (const auto& a : fn.attribute()) ids.push_back(Id(a));
      absl::StrAppend(&out, " <", absl::StrJoin(ids, ", "), ">");
      ids.clear();
    }
    for (const auto& i : fn.input()) ids.push_back(Id(i));
    absl::StrAppend(&out, " (", absl::StrJoin(ids, ", "), ") => (");
    ids.clear();
    for (const auto& o : fn.output()) ids.push_back(Id(o));
    absl::StrAppend(&out, absl::StrJoin(ids, ", "), ")\n{\n");
    for (const auto& node : fn.node()) absl::StrAppend(&out, printer.Node(node, 2), "\n");
    absl::StrAppend(&out, "}\n");
  }
  return out;
}

}  // namespace h8
