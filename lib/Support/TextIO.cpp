//===- TextIO.cpp - ONNX textual IR parser and printer --------------------===//
//
// A recursive-descent parser over a small lexer, and the matching printer.
// The grammar is ONNX's text syntax (see TextIO.h for the extensions):
//
//   model     ::= ('<' header (',' header)* '>')? graph function*
//   graph     ::= id '(' inputs ')' '=>' '(' value-infos ')'
//                 ('<' (value-info ('=' tensor-data)?) % ',' '>')? '{' node* '}'
//   node      ::= ('[' id ']')? ids '=' (id '.')* id attrs? '(' ids ')' attrs?
//   attr      ::= id (':' attr-type)? '=' value
//   value     ::= literal | '[' literal % ',' ']' | tensor | graph | '@' id
//   function  ::= ('<' header % ',' '>')? id ('<' id % ',' '>')?
//                 '(' ids ')' '=>' '(' ids ')' '{' node* '}'
//
//===----------------------------------------------------------------------===//
#include "h8/Support/TextIO.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>

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

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

// The spelling of an element type; a type outside the table prints as
// `fallback`.
std::string ElementTypeText(int32_t type, const char* fallback) {
  return IsKnownElementType(type) ? ElementTypeName(type) : fallback;
}

bool IsTypeKeyword(absl::string_view id) {
  return ElementTypeFromName(id) != 0 || id == "seq" || id == "map" ||
         id == "optional" || id == "sparse_tensor";
}

//===----------------------------------------------------------------------===//
// Lexer
//===----------------------------------------------------------------------===//

enum class Tok { kEnd, kId, kString, kNumber, kPunct };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // identifier/number spelling, decoded string, or punct
  bool quoted = false;
  int line = 0;
  int col = 0;
  size_t offset = 0;
};

class Lexer {
 public:
  Lexer(absl::string_view text, int first_line)
      : text_(text), line_(first_line) {}

  absl::Status Next(Token& tok) {
    SkipSpace();
    tok = Token();
    tok.line = line_;
    tok.col = static_cast<int>(pos_ - line_start_) + 1;
    tok.offset = pos_;
    if (pos_ >= text_.size()) return absl::OkStatus();
    char c = text_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
              text_[pos_] == '_'))
        ++pos_;
      tok.kind = Tok::kId;
      tok.text = std::string(text_.substr(start, pos_ - start));
      return absl::OkStatus();
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        ((c == '-' || c == '+') && pos_ + 1 < text_.size() &&
         (std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])) ||
          text_[pos_ + 1] == '.' || std::isalpha(static_cast<unsigned char>(
                                        text_[pos_ + 1]))))) {
      size_t start = pos_;
      ++pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
              text_[pos_] == '.' ||
              ((text_[pos_] == '-' || text_[pos_] == '+') &&
               (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E'))))
        ++pos_;
      tok.kind = Tok::kNumber;
      tok.text = std::string(text_.substr(start, pos_ - start));
      return absl::OkStatus();
    }
    if (c == '"') {
      ++pos_;
      std::string value;
      while (true) {
        if (pos_ >= text_.size() || text_[pos_] == '\n')
          return Error(tok, "unterminated string literal");
        char d = text_[pos_++];
        if (d == '"') break;
        if (d == '\\') {
          if (pos_ >= text_.size())
            return Error(tok, "unterminated string literal");
          char e = text_[pos_++];
          switch (e) {
            case 'n':
              value.push_back('\n');
              break;
            case 't':
              value.push_back('\t');
              break;
            case 'x': {
              if (pos_ + 2 > text_.size())
                return Error(tok, "bad \\x escape in string literal");
              int hi = HexValue(text_[pos_]), lo = HexValue(text_[pos_ + 1]);
              if (hi < 0 || lo < 0)
                return Error(tok, "bad \\x escape in string literal");
              value.push_back(static_cast<char>(hi * 16 + lo));
              pos_ += 2;
              break;
            }
            default:
              value.push_back(e);
          }
          continue;
        }
        value.push_back(d);
      }
      tok.kind = Tok::kString;
      tok.text = std::move(value);
      return absl::OkStatus();
    }
    if (c == '=' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '>') {
      pos_ += 2;
      tok.kind = Tok::kPunct;
      tok.text = "=>";
      return absl::OkStatus();
    }
    if (std::strchr("<>()[]{},:=.@?", c) != nullptr) {
      ++pos_;
      tok.kind = Tok::kPunct;
      tok.text = std::string(1, c);
      return absl::OkStatus();
    }
    return Error(tok, absl::StrCat("unexpected character '",
                                   absl::CHexEscape(std::string(1, c)), "'"));
  }

  absl::Status Error(const Token& at, absl::string_view what) const {
    // Context: the rest of the line where the error is.
    size_t line_begin = at.offset;
    while (line_begin > 0 && text_[line_begin - 1] != '\n') --line_begin;
    size_t line_end = at.offset;
    while (line_end < text_.size() && text_[line_end] != '\n') ++line_end;
    std::string context(absl::StripAsciiWhitespace(
        text_.substr(line_begin, line_end - line_begin)));
    if (context.size() > 80) context = context.substr(0, 77) + "...";
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", at.line, ", column ", at.col, ": ", what, " (near '",
        context, "')"));
  }

 private:
  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\n') {
        ++pos_;
        ++line_;
        line_start_ = pos_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  absl::string_view text_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  int line_;
};

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

#define H8_PARSER_TRY(expr)                    \
  do {                                         \
    absl::Status h8_parse_status_ = (expr);    \
    if (!h8_parse_status_.ok()) return h8_parse_status_; \
  } while (0)

// Guard recursion through nested graph attributes and nested types
// (seq(seq(...)), optional(...)) on hostile input.
constexpr int kMaxGraphDepth = 256;
constexpr int kMaxTypeDepth = 256;

class Parser {
 public:
  Parser(absl::string_view text, int first_line) : lex_(text, first_line) {}

  absl::Status Init() {
    H8_PARSER_TRY(lex_.Next(cur_));
    return lex_.Next(next_);
  }

  absl::Status ParseModel(onnx::ModelProto& model) {
    if (IsPunct("<")) H8_PARSER_TRY(ParseModelHeader(model));
    H8_PARSER_TRY(ParseGraph(*model.mutable_graph()));
    while (cur_.kind != Tok::kEnd) {
      H8_PARSER_TRY(ParseFunction(*model.add_functions()));
    }
    return absl::OkStatus();
  }

 private:

  bool IsPunct(absl::string_view p) const {
    return cur_.kind == Tok::kPunct && cur_.text == p;
  }
  bool NextIsPunct(absl::string_view p) const {
    return next_.kind == Tok::kPunct && next_.text == p;
  }
  absl::Status Advance() {
    cur_ = std::move(next_);
    return lex_.Next(next_);
  }
  absl::Status Expect(absl::string_view p) {
    if (!IsPunct(p)) return Error(absl::StrCat("expected '", p, "'"));
    return Advance();
  }
  absl::Status Error(absl::string_view what) const {
    std::string found;
    switch (cur_.kind) {
      case Tok::kEnd:
        found = "end of input";
        break;
      case Tok::kString:
        found = "a string";
        break;
      default:
        found = absl::StrCat("'", cur_.text, "'");
    }
    return lex_.Error(cur_, absl::StrCat(what, ", found ", found));
  }
  bool Accept(absl::string_view p) {
    if (!IsPunct(p)) return false;
    // Advance() can only fail on a lexical error in the token after; that
    // error resurfaces when the parser reaches it.
    (void)Advance();
    return true;
  }

  // identifier: bare or double-quoted.
  absl::Status ParseId(std::string& out) {
    if (cur_.kind == Tok::kId || cur_.kind == Tok::kString) {
      out = cur_.text;
      return Advance();
    }
    return Error("expected an identifier");
  }
  bool AtId() const { return cur_.kind == Tok::kId || cur_.kind == Tok::kString; }

  absl::Status ParseString(std::string& out) {
    if (cur_.kind != Tok::kString) return Error("expected a string literal");
    out = cur_.text;
    return Advance();
  }

  absl::Status ParseInt(int64_t& out) {
    if (cur_.kind != Tok::kNumber || !absl::SimpleAtoi(cur_.text, &out))
      return Error("expected an integer");
    return Advance();
  }

  absl::Status ParseModelHeader(onnx::ModelProto& model) {
    H8_PARSER_TRY(Expect("<"));
    if (Accept(">")) return absl::OkStatus();
    do {
      std::string key;
      if (cur_.kind != Tok::kId) return Error("expected a model header key");
      key = cur_.text;
      H8_PARSER_TRY(Advance());
      H8_PARSER_TRY(Expect(":"));
      int64_t i = 0;
      std::string s;
      if (key == "ir_version") {
        H8_PARSER_TRY(ParseInt(i));
        model.set_ir_version(i);
      } else if (key == "model_version") {
        H8_PARSER_TRY(ParseInt(i));
        model.set_model_version(i);
      } else if (key == "opset_import") {
        H8_PARSER_TRY(ParseOpsets(*model.mutable_opset_import()));
      } else if (key == "producer_name") {
        H8_PARSER_TRY(ParseString(s));
        model.set_producer_name(s);
      } else if (key == "producer_version") {
        H8_PARSER_TRY(ParseString(s));
        model.set_producer_version(s);
      } else if (key == "domain") {
        H8_PARSER_TRY(ParseString(s));
        model.set_domain(s);
      } else if (key == "doc_string") {
        H8_PARSER_TRY(ParseString(s));
        model.set_doc_string(s);
      } else if (key == "metadata_props") {
        H8_PARSER_TRY(Expect("["));
        if (!Accept("]")) {
          do {
            auto* prop = model.add_metadata_props();
            H8_PARSER_TRY(ParseString(s));
            prop->set_key(s);
            H8_PARSER_TRY(Expect(":"));
            H8_PARSER_TRY(ParseString(s));
            prop->set_value(s);
          } while (Accept(","));
          H8_PARSER_TRY(Expect("]"));
        }
      } else {
        return lex_.Error(cur_, absl::StrCat("unknown model header key '", key, "'"));
      }
    } while (Accept(","));
    return Expect(">");
  }

  template <typename OpsetList>
  absl::Status ParseOpsets(OpsetList& opsets) {
    H8_PARSER_TRY(Expect("["));
    if (Accept("]")) return absl::OkStatus();
    do {
      auto* opset = opsets.Add();
      std::string domain;
      int64_t version = 0;
      H8_PARSER_TRY(ParseString(domain));
      H8_PARSER_TRY(Expect(":"));
      H8_PARSER_TRY(ParseInt(version));
      opset->set_domain(domain);
      opset->set_version(version);
    } while (Accept(","));
    return Expect("]");
  }

  bool AtType() const { return cur_.kind == Tok::kId && IsTypeKeyword(cur_.text); }

  absl::Status ParseType(onnx::TypeProto& type) {
    if (type_depth_ >= kMaxTypeDepth)
      return Error(absl::StrCat("types nested too deeply (more than ", kMaxTypeDepth, " levels)"));
    ++type_depth_;
    absl::Status s = ParseTypeBody(type);
    --type_depth_;
    return s;
  }

  absl::Status ParseTypeBody(onnx::TypeProto& type) {
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

  absl::Status ParseValueInfo(onnx::ValueInfoProto& vi) {
    if (AtType()) H8_PARSER_TRY(ParseType(*vi.mutable_type()));
    std::string name;
    H8_PARSER_TRY(ParseId(name));
    vi.set_name(name);
    return absl::OkStatus();
  }

  // `{v, v, ...}` into `tensor`, whose data_type and dims are set; or
  // `external {"location": "w.bin", "offset": "0", "length": "64"}` for a
  // tensor whose bytes live in an external data file.
  absl::Status ParseTensorData(TensorProto& tensor) {
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
      return Error(absl::StrCat("tensors of type ",
                                TensorProto::DataType_Name(type),
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
        if (cur_.kind != Tok::kNumber && cur_.kind != Tok::kId)
          return Error("expected a number");
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
      return lex_.Error(cur_, absl::StrCat("tensor '", tensor.name(), "' has ",
                                           count, " values, its shape needs ",
                                           expected));
    if (type != TensorProto::STRING) tensor.set_raw_data(std::move(raw));
    return absl::OkStatus();
  }

  static bool ParseDouble(const std::string& t, double& d) {
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

  // `type name? {data}` after the caller checked AtType().
  absl::Status ParseTensor(TensorProto& tensor) {
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

  absl::Status TensorTypeToProto(const onnx::TypeProto& type, TensorProto& tensor) {
    if (!type.has_tensor_type() || !type.tensor_type().has_shape())
      return Error("a tensor value needs a tensor type with a shape");
    tensor.set_data_type(type.tensor_type().elem_type());
    for (const auto& dim : type.tensor_type().shape().dim()) {
      if (!dim.has_dim_value())
        return Error("a tensor value needs numeric dimensions");
      tensor.add_dims(dim.dim_value());
    }
    return absl::OkStatus();
  }

  absl::Status ParseGraph(onnx::GraphProto& graph) {
    if (++depth_ > kMaxGraphDepth) return Error("graphs nested too deeply");
    std::string name;
    H8_PARSER_TRY(ParseId(name));
    graph.set_name(name);
    H8_PARSER_TRY(Expect("("));
    if (!Accept(")")) {
      do {
        auto* vi = graph.add_input();
        H8_PARSER_TRY(ParseValueInfo(*vi));
        if (Accept("=")) {
          auto* init = graph.add_initializer();
          init->set_name(vi->name());
          H8_PARSER_TRY(TensorTypeToProto(vi->type(), *init));
          H8_PARSER_TRY(ParseTensorData(*init));
        }
      } while (Accept(","));
      H8_PARSER_TRY(Expect(")"));
    }
    H8_PARSER_TRY(Expect("=>"));
    H8_PARSER_TRY(Expect("("));
    if (!Accept(")")) {
      do {
        H8_PARSER_TRY(ParseValueInfo(*graph.add_output()));
      } while (Accept(","));
      H8_PARSER_TRY(Expect(")"));
    }
    if (Accept("<")) {
      if (!Accept(">")) {
        do {
          onnx::ValueInfoProto vi;
          H8_PARSER_TRY(ParseValueInfo(vi));
          if (Accept("=")) {
            auto* init = graph.add_initializer();
            init->set_name(vi.name());
            H8_PARSER_TRY(TensorTypeToProto(vi.type(), *init));
            H8_PARSER_TRY(ParseTensorData(*init));
          } else {
            *graph.add_value_info() = std::move(vi);
          }
        } while (Accept(","));
        H8_PARSER_TRY(Expect(">"));
      }
    }
    H8_PARSER_TRY(ParseNodes(*graph.mutable_node()));
    --depth_;
    return absl::OkStatus();
  }

  template <typename NodeList>
  absl::Status ParseNodes(NodeList& nodes) {
    H8_PARSER_TRY(Expect("{"));
    while (!Accept("}")) {
      if (cur_.kind == Tok::kEnd) return Error("expected '}'");
      H8_PARSER_TRY(ParseNode(*nodes.Add()));
    }
    return absl::OkStatus();
  }

  template <typename List>
  absl::Status ParseIdList(List& ids, absl::string_view close) {
    if (IsPunct(close)) return absl::OkStatus();
    do {
      std::string id;
      if (IsPunct(",") || IsPunct(close)) {
        id.clear();  // an omitted optional input
      } else {
        H8_PARSER_TRY(ParseId(id));
      }
      *ids.Add() = id;
    } while (Accept(","));
    return absl::OkStatus();
  }

  absl::Status ParseNode(onnx::NodeProto& node) {
    if (Accept("[")) {
      std::string name;
      H8_PARSER_TRY(ParseId(name));
      node.set_name(name);
      H8_PARSER_TRY(Expect("]"));
    }
    if (!IsPunct("=")) H8_PARSER_TRY(ParseIdList(*node.mutable_output(), "="));
    H8_PARSER_TRY(Expect("="));
    // Op and domain segments are identifiers or quoted strings (for names
    // that are not identifiers).
    std::string id;
    if (!AtId()) return Error("expected an operator name");
    id = cur_.text;
    H8_PARSER_TRY(Advance());
    std::string domain;
    while (Accept(".")) {
      if (!domain.empty()) domain += ".";
      domain += id;
      if (!AtId()) return Error("expected an operator name");
      id = cur_.text;
      H8_PARSER_TRY(Advance());
    }
    node.set_domain(domain);
    node.set_op_type(id);
    if (IsPunct("<")) H8_PARSER_TRY(ParseAttributes(node));
    H8_PARSER_TRY(Expect("("));
    H8_PARSER_TRY(ParseIdList(*node.mutable_input(), ")"));
    H8_PARSER_TRY(Expect(")"));
    if (node.attribute_size() == 0 && IsPunct("<"))
      H8_PARSER_TRY(ParseAttributes(node));
    return absl::OkStatus();
  }

  absl::Status ParseAttributes(onnx::NodeProto& node) {
    H8_PARSER_TRY(Expect("<"));
    do {
      H8_PARSER_TRY(ParseAttribute(*node.add_attribute()));
    } while (Accept(","));
    return Expect(">");
  }

  static AttributeProto::AttributeType AttrTypeFromName(absl::string_view n) {
    static const absl::flat_hash_map<std::string, AttributeProto::AttributeType>
        kMap = {{"float", AttributeProto::FLOAT},   {"int", AttributeProto::INT},
                {"string", AttributeProto::STRING}, {"tensor", AttributeProto::TENSOR},
                {"graph", AttributeProto::GRAPH},   {"floats", AttributeProto::FLOATS},
                {"ints", AttributeProto::INTS},     {"strings", AttributeProto::STRINGS},
                {"tensors", AttributeProto::TENSORS}, {"graphs", AttributeProto::GRAPHS}};
    auto it = kMap.find(std::string(n));
    return it == kMap.end() ? AttributeProto::UNDEFINED : it->second;
  }

  // A scalar literal into `attr` (INT, FLOAT or STRING by spelling, unless
  // `expected` fixes the type).
  absl::Status ParseLiteral(AttributeProto& attr, AttributeProto::AttributeType expected) {
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

  absl::Status ParseAttribute(AttributeProto& attr) {
    std::string name;
    H8_PARSER_TRY(ParseId(name));
    attr.set_name(name);
    AttributeProto::AttributeType declared = AttributeProto::UNDEFINED;
    if (Accept(":")) {
      if (cur_.kind != Tok::kId) return Error("expected an attribute type");
      declared = AttrTypeFromName(cur_.text);
      if (declared == AttributeProto::UNDEFINED)
        return Error("unknown attribute type");
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
            attr.add_floats(v.type() == AttributeProto::FLOAT ? v.f()
                                                              : static_cast<float>(v.i()));
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
    return ParseLiteral(attr, declared == AttributeProto::FLOAT
                                  ? AttributeProto::FLOAT
                                  : AttributeProto::UNDEFINED);
  }

  absl::Status ParseFunction(onnx::FunctionProto& fn) {
    if (Accept("<")) {
      do {
        if (cur_.kind != Tok::kId) return Error("expected a function header key");
        std::string key = cur_.text;
        H8_PARSER_TRY(Advance());
        H8_PARSER_TRY(Expect(":"));
        std::string s;
        if (key == "domain") {
          H8_PARSER_TRY(ParseString(s));
          fn.set_domain(s);
        } else if (key == "doc_string") {
          H8_PARSER_TRY(ParseString(s));
          fn.set_doc_string(s);
        } else if (key == "opset_import") {
          H8_PARSER_TRY(ParseOpsets(*fn.mutable_opset_import()));
        } else {
          return Error("unknown function header key");
        }
      } while (Accept(","));
      H8_PARSER_TRY(Expect(">"));
    }
    std::string name;
    H8_PARSER_TRY(ParseId(name));
    fn.set_name(name);
    if (Accept("<")) {
      H8_PARSER_TRY(ParseIdList(*fn.mutable_attribute(), ">"));
      H8_PARSER_TRY(Expect(">"));
    }
    H8_PARSER_TRY(Expect("("));
    H8_PARSER_TRY(ParseIdList(*fn.mutable_input(), ")"));
    H8_PARSER_TRY(Expect(")"));
    H8_PARSER_TRY(Expect("=>"));
    H8_PARSER_TRY(Expect("("));
    H8_PARSER_TRY(ParseIdList(*fn.mutable_output(), ")"));
    H8_PARSER_TRY(Expect(")"));
    return ParseNodes(*fn.mutable_node());
  }
#undef H8_PARSER_TRY

  Lexer lex_;
  Token cur_;
  Token next_;
  int depth_ = 0;
  int type_depth_ = 0;
};

//===----------------------------------------------------------------------===//
// Printer
//===----------------------------------------------------------------------===//

bool IsBareIdentifier(absl::string_view s) {
  if (s.empty() || IsTypeKeyword(s)) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_'))
    return false;
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

std::string Id(absl::string_view s) {
  return IsBareIdentifier(s) ? std::string(s) : Quote(s);
}

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
    absl::SimpleAtod(s, &back);
    if (single ? static_cast<float>(back) == static_cast<float>(v) : back == v)
      break;
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
      if (d.has_dim_value())
        dims.push_back(absl::StrCat(d.dim_value()));
      else if (d.has_dim_param())
        dims.push_back(Id(d.dim_param()));
      else
        dims.push_back("?");
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
  if (options.elide_initializers_larger_than >= 0 &&
      n > options.elide_initializers_larger_than)
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
      case TensorProto::UINT64: case TensorProto::FLOAT16: case TensorProto::BFLOAT16:
        values.push_back(absl::StrCat(data->Bits(k)));
        break;
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
        parts.push_back(absl::StrCat(pad, "    ", TensorTypeText(t), " ",
                                     Id(t.name()), " = ",
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
      return absl::StrCat(out, ": ", AttrTypeName(a.type()), " = @",
                          Id(a.ref_attr_name()));
    }
    switch (a.type()) {
      case AttributeProto::FLOAT:
        return absl::StrCat(out, " = ", FloatLiteral(a.f(), true));
      case AttributeProto::INT:
        return absl::StrCat(out, " = ", a.i());
      case AttributeProto::STRING:
        return absl::StrCat(out, " = ", Quote(a.s()));
      case AttributeProto::TENSOR:
        return absl::StrCat(out, " = ", Tensor(a.t()));
      case AttributeProto::GRAPH:
        return absl::StrCat(out, " = ", Graph(a.g(), indent + 2));
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
      default:
        return absl::StrCat(out, " = \"<unprintable attribute>\"");
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

std::string OpsetsText(
    const google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto>& opsets) {
  std::vector<std::string> parts;
  for (const auto& o : opsets)
    parts.push_back(absl::StrCat(Quote(o.domain()), " : ", o.version()));
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}

}  // namespace

absl::StatusOr<onnx::ModelProto> ParseModelText(absl::string_view text,
                                                int first_line) {
  onnx::ModelProto model;
  Parser parser(text, first_line);
  absl::Status status = parser.Init();
  if (status.ok()) status = parser.ParseModel(model);
  if (!status.ok()) return status;
  return model;
}

std::string PrintModelText(const onnx::ModelProto& model,
                           const PrintOptions& options) {
  std::vector<std::string> header;
  if (model.has_ir_version())
    header.push_back(absl::StrCat("  ir_version: ", model.ir_version()));
  if (model.opset_import_size() > 0)
    header.push_back(absl::StrCat("  opset_import: ", OpsetsText(model.opset_import())));
  if (model.has_producer_name())
    header.push_back(absl::StrCat("  producer_name: ", Quote(model.producer_name())));
  if (model.has_producer_version())
    header.push_back(absl::StrCat("  producer_version: ", Quote(model.producer_version())));
  if (model.has_domain())
    header.push_back(absl::StrCat("  domain: ", Quote(model.domain())));
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
  if (!header.empty())
    out = absl::StrCat("<\n", absl::StrJoin(header, ",\n"), "\n>\n");
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
