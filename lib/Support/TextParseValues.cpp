//===- TextParseValues.cpp - Parsing types, tensors and attributes --------===//
//
// Element and container types, value infos, tensor literals (raw
// little-endian data, or external-data references) and attribute values.
//
//===----------------------------------------------------------------------===//
#include "TextParser.h"

#include <cstring>
#include <limits>

namespace h8 {
namespace textio {

absl::Status Parser::ParseType(onnx::TypeProto& type) {
  if (type_depth_ >= kMaxTypeDepth)
    return Error(absl::StrCat("types nested too deeply (more than ", kMaxTypeDepth, " levels)"));
  ++type_depth_;
  absl::Status s = ParseTypeBody(type);
  --type_depth_;
  return s;
}

absl::Status Parser::ParseTypeBody(onnx::TypeProto& type) {
  std::string id = cur_.text;
  H8_PARSER_TRY(Advance());
  if (int32_t elem = ElementTypeFromName(id); elem != 0) {
    auto* tt = type.mutable_tensor_type();
    tt->set_elem_type(elem);
    if (Accept("[")) {
      if (Accept("]")) return absl::OkStatus();  // unknown rank
      auto* shape = tt->mutable_shape();
      do {
        auto* dim = shape->add_dim();
        if (Accept("?")) continue;
        if (AtId()) {
          dim->set_dim_param(cur_.text);
          H8_PARSER_TRY(Advance());
        } else {
          int64_t v = 0;
          H8_PARSER_TRY(ParseInt(v));
          dim->set_dim_value(v);
        }
      } while (Accept(","));
      return Expect("]");
    }
    tt->mutable_shape();  // scalar
    return absl::OkStatus();
  }
  H8_PARSER_TRY(Expect("("));
  if (id == "seq") {
    if (!AtType()) return Error("expected a type");
    H8_PARSER_TRY(ParseType(*type.mutable_sequence_type()->mutable_elem_type()));
  } else if (id == "optional") {
    if (!AtType()) return Error("expected a type");
    H8_PARSER_TRY(ParseType(*type.mutable_optional_type()->mutable_elem_type()));
  } else if (id == "map") {
    int32_t key = cur_.kind == Tok::kId ? ElementTypeFromName(cur_.text) : 0;
    if (key == 0) return Error("expected a map key type");
    H8_PARSER_TRY(Advance());
    type.mutable_map_type()->set_key_type(key);
    H8_PARSER_TRY(Expect(","));
    if (!AtType()) return Error("expected a type");
    H8_PARSER_TRY(ParseType(*type.mutable_map_type()->mutable_value_type()));
  } else {
    return Error("sparse_tensor types are not supported in text form");
  }
  return Expect(")");
}

absl::Status Parser::ParseValueInfo(onnx::ValueInfoProto& vi) {
  if (AtType()) H8_PARSER_TRY(ParseType(*vi.mutable_type()));
  std::string name;
  H8_PARSER_TRY(ParseId(name));
  vi.set_name(name);
  return absl::OkStatus();
}

absl::Status Parser::ParseTensorData(TensorProto& tensor) {
  if (cur_.kind == Tok::kId && cur_.text == "external" && NextIsPunct("{")) {
    H8_PARSER_TRY(Advance());
    H8_PARSER_TRY(Expect("{"));
    tensor.set_data_location(TensorProto::EXTERNAL);
    if (!Accept("}")) {
      do {
        auto* kv = tensor.add_external_data();
        std::string text;
        H8_PARSER_TRY(ParseString(text));
        kv->set_key(text);
        H8_PARSER_TRY(Expect(":"));
        H8_PARSER_TRY(ParseString(text));
        kv->set_value(text);
      } while (Accept(","));
      H8_PARSER_TRY(Expect("}"));
    }
    return absl::OkStatus();
  }
  H8_PARSER_TRY(Expect("{"));
  int32_t type = tensor.data_type();
  // Text data is the element values (float16/bfloat16: their bit
  // patterns), for the types TensorData decodes.
  int size = ElementSize(type);
  if (type != TensorProto::STRING && !IsDecodableElementType(type))
    return Error(absl::StrCat("tensors of type ", TensorProto::DataType_Name(type),
                              " are not supported in text form"));
  std::string raw;
  int64_t count = 0;
  if (!IsPunct("}")) {
    do {
      ++count;
      if (type == TensorProto::STRING) {
        std::string s;
        H8_PARSER_TRY(ParseString(s));
        tensor.add_string_data(s);
        continue;
      }
      if (cur_.kind != Tok::kNumber && cur_.kind != Tok::kId) return Error("expected a number");
      const std::string& t = cur_.text;
      char buf[16] = {0};
      if (type == TensorProto::FLOAT || type == TensorProto::DOUBLE) {
        double d = 0;
        if (!ParseDouble(t, d)) return Error("expected a number");
        if (type == TensorProto::FLOAT) {
          float f = static_cast<float>(d);
          std::memcpy(buf, &f, 4);
        } else {
          std::memcpy(buf, &d, 8);
        }
      } else if (type == TensorProto::UINT64) {
        uint64_t u = 0;
        if (!absl::SimpleAtoi(t, &u)) return Error("expected an integer");
        std::memcpy(buf, &u, 8);
      } else {
        int64_t v = 0;
        if (!absl::SimpleAtoi(t, &v)) return Error("expected an integer");
        std::memcpy(buf, &v, size);  // little-endian truncation
      }
      raw.append(buf, size);
      H8_PARSER_TRY(Advance());
    } while (Accept(","));
  }
  H8_PARSER_TRY(Expect("}"));
  int64_t expected = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0) return Error("negative tensor dimension");
    if (d > 0 && expected > std::numeric_limits<int64_t>::max() / d)
      return Error("tensor dimensions overflow");
    expected *= d;
  }
  if (count != expected)
    return lex_.Error(cur_, absl::StrCat("tensor '", tensor.name(), "' has ", count,
                                         " values, its shape needs ", expected));
  if (type != TensorProto::STRING) tensor.set_raw_data(std::move(raw));
  return absl::OkStatus();
}

bool Parser::ParseDouble(const std::string& t, double& d) {
  std::string lower = absl::AsciiStrToLower(t);
  if (lower == "nan" || lower == "-nan" || lower == "+nan") {
    d = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (lower == "inf" || lower == "+inf" || lower == "infinity") {
    d = std::numeric_limits<double>::infinity();
    return true;
  }
  if (lower == "-inf" || lower == "-infinity") {
    d = -std::numeric_limits<double>::infinity();
    return true;
  }
  return absl::SimpleAtod(t, &d);
}

absl::Status Parser::ParseTensor(TensorProto& tensor) {
  onnx::TypeProto type;
  H8_PARSER_TRY(ParseType(type));
  H8_PARSER_TRY(TensorTypeToProto(type, tensor));
  if (AtId()) {
    std::string name;
    H8_PARSER_TRY(ParseId(name));
    tensor.set_name(name);
  }
  return ParseTensorData(tensor);
}

absl::Status Parser::TensorTypeToProto(const onnx::TypeProto& type, TensorProto& tensor) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape())
    return Error("a tensor value needs a tensor type with a shape");
  tensor.set_data_type(type.tensor_type().elem_type());
  for (const auto& dim : type.tensor_type().shape().dim()) {
    if (!dim.has_dim_value()) return Error("a tensor value needs numeric dimensions");
    tensor.add_dims(dim.dim_value());
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseAttributes(onnx::NodeProto& node) {
  H8_PARSER_TRY(Expect("<"));
  do {
    H8_PARSER_TRY(ParseAttribute(*node.add_attribute()));
  } while (Accept(","));
  return Expect(">");
}

AttributeProto::AttributeType Parser::AttrTypeFromName(absl::string_view n) {
  static const absl::flat_hash_map<std::string, AttributeProto::AttributeType> kMap = {
      {"float", AttributeProto::FLOAT},     {"int", AttributeProto::INT},
      {"string", AttributeProto::STRING},   {"tensor", AttributeProto::TENSOR},
      {"graph", AttributeProto::GRAPH},     {"floats", AttributeProto::FLOATS},
      {"ints", AttributeProto::INTS},       {"strings", AttributeProto::STRINGS},
      {"tensors", AttributeProto::TENSORS}, {"graphs", AttributeProto::GRAPHS}};
  auto it = kMap.find(std::string(n));
  return it == kMap.end() ? AttributeProto::UNDEFINED : it->second;
}

absl::Status Parser::ParseLiteral(AttributeProto& attr, AttributeProto::AttributeType expected) {
  if (cur_.kind == Tok::kString) {
    attr.set_type(AttributeProto::STRING);
    attr.set_s(cur_.text);
    return Advance();
  }
  if (cur_.kind != Tok::kNumber && cur_.kind != Tok::kId)
    return Error("expected an attribute value");
  const std::string& t = cur_.text;
  bool is_float = expected == AttributeProto::FLOAT ||
                  t.find_first_of(".eEnN") != std::string::npos ||
                  absl::AsciiStrToLower(t).find("inf") != std::string::npos;
  if (is_float) {
    double d = 0;
    if (!ParseDouble(t, d)) return Error("expected a number");
    attr.set_type(AttributeProto::FLOAT);
    attr.set_f(static_cast<float>(d));
  } else {
    int64_t v = 0;
    if (!absl::SimpleAtoi(t, &v)) return Error("expected a number");
    attr.set_type(AttributeProto::INT);
    attr.set_i(v);
  }
  return Advance();
}

absl::Status Parser::ParseAttribute(AttributeProto& attr) {
  std::string name;
  H8_PARSER_TRY(ParseId(name));
  attr.set_name(name);
  AttributeProto::AttributeType declared = AttributeProto::UNDEFINED;
  if (Accept(":")) {
    if (cur_.kind != Tok::kId) return Error("expected an attribute type");
    declared = AttrTypeFromName(cur_.text);
    if (declared == AttributeProto::UNDEFINED) return Error("unknown attribute type");
    H8_PARSER_TRY(Advance());
  }
  H8_PARSER_TRY(Expect("="));
  if (Accept("@")) {
    std::string ref;
    H8_PARSER_TRY(ParseId(ref));
    attr.set_ref_attr_name(ref);
    attr.set_type(declared);
    return absl::OkStatus();
  }
  if (Accept("[")) {
    if (Accept("]")) {
      if (declared == AttributeProto::UNDEFINED)
        return Error("an empty list attribute needs a type, e.g. 'name: ints = []'");
      attr.set_type(declared);
      return absl::OkStatus();
    }
    AttributeProto::AttributeType elem = AttributeProto::UNDEFINED;
    if (declared == AttributeProto::FLOATS) elem = AttributeProto::FLOAT;
    bool any_float = false;
    std::vector<AttributeProto> values;
    do {
      AttributeProto v;
      if (AtType()) {
        H8_PARSER_TRY(ParseTensor(*attr.add_tensors()));
        attr.set_type(AttributeProto::TENSORS);
        continue;
      }
      if (cur_.kind == Tok::kId && NextIsPunct("(")) {
        H8_PARSER_TRY(ParseGraph(*attr.add_graphs()));
        attr.set_type(AttributeProto::GRAPHS);
        continue;
      }
      H8_PARSER_TRY(ParseLiteral(v, elem));
      any_float |= v.type() == AttributeProto::FLOAT;
      values.push_back(std::move(v));
    } while (Accept(","));
    H8_PARSER_TRY(Expect("]"));
    if (!values.empty()) {
      if (values[0].type() == AttributeProto::STRING) {
        attr.set_type(AttributeProto::STRINGS);
        for (auto& v : values) {
          if (v.type() != AttributeProto::STRING)
            return Error("mixed strings and numbers in a list attribute");
          attr.add_strings(v.s());
        }
      } else if (any_float || declared == AttributeProto::FLOATS) {
        attr.set_type(AttributeProto::FLOATS);
        for (auto& v : values) {
          if (v.type() == AttributeProto::STRING)
            return Error("mixed strings and numbers in a list attribute");
          attr.add_floats(v.type() == AttributeProto::FLOAT ? v.f() : static_cast<float>(v.i()));
        }
      } else {
        attr.set_type(AttributeProto::INTS);
        for (auto& v : values) {
          if (v.type() != AttributeProto::INT)
            return Error("mixed strings and numbers in a list attribute");
          attr.add_ints(v.i());
        }
      }
    }
    return absl::OkStatus();
  }
  if (AtType()) {
    attr.set_type(AttributeProto::TENSOR);
    return ParseTensor(*attr.mutable_t());
  }
  if (cur_.kind == Tok::kId && NextIsPunct("(")) {
    attr.set_type(AttributeProto::GRAPH);
    return ParseGraph(*attr.mutable_g());
  }
  return ParseLiteral(
      attr, declared == AttributeProto::FLOAT ? AttributeProto::FLOAT : AttributeProto::UNDEFINED);
}

}  // namespace textio
}  // namespace h8
