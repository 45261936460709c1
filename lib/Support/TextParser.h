//===- TextParser.h - The ONNX text parser ----------------------*- C++ -*-===//
//
// A recursive-descent parser over TextLexer.h's tokens for ONNX's text
// syntax (see TextIO.h for the extensions):
//   model     ::= ('<' header (',' header)* '>')? graph function*
//   graph     ::= id '(' inputs ')' '=>' '(' value-infos ')'
//                 ('<' (value-info ('=' tensor-data)?) % ',' '>')? '{' node* '}'
//   node      ::= ('[' id ']')? ids '=' (id '.')* id attrs? '(' ids ')' attrs?
//   attr      ::= id (':' attr-type)? '=' value
//   value     ::= literal | '[' literal % ',' ']' | tensor | graph | '@' id
//   function  ::= ('<' header % ',' '>')? id ('<' id % ',' '>')?
//                 '(' ids ')' '=>' '(' ids ')' '{' node* '}'
//
// TextParser.cpp parses models, graphs, nodes and functions;
// TextParseValues.cpp types, tensors and attribute values. Private to
// lib/Support.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_SUPPORT_TEXTPARSER_H
#define H8_LIB_SUPPORT_TEXTPARSER_H

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
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
#include "onnx/onnx_pb.h"

namespace h8 {
namespace textio {

using onnx::AttributeProto;
using onnx::TensorProto;

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

#define H8_PARSER_TRY(expr)                              \
  do {                                                   \
    absl::Status h8_parse_status_ = (expr);              \
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

  absl::Status ParseModel(onnx::ModelProto& model);

 private:
  bool IsPunct(absl::string_view p) const { return cur_.kind == Tok::kPunct && cur_.text == p; }
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
  absl::Status Error(absl::string_view what) const;
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

  absl::Status ParseModelHeader(onnx::ModelProto& model);

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

  absl::Status ParseType(onnx::TypeProto& type);

  absl::Status ParseTypeBody(onnx::TypeProto& type);

  absl::Status ParseValueInfo(onnx::ValueInfoProto& vi);

  // `{v, v, ...}` into `tensor`, whose data_type and dims are set; or
  // `external {"location": "w.bin", "offset": "0", "length": "64"}` for a
  // tensor whose bytes live in an external data file.
  absl::Status ParseTensorData(TensorProto& tensor);

  static bool ParseDouble(const std::string& t, double& d);

  // `type name? {data}` after the caller checked AtType().
  absl::Status ParseTensor(TensorProto& tensor);

  absl::Status TensorTypeToProto(const onnx::TypeProto& type, TensorProto& tensor);

  absl::Status ParseGraph(onnx::GraphProto& graph);

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

  absl::Status ParseNode(onnx::NodeProto& node);

  absl::Status ParseAttributes(onnx::NodeProto& node);

  static AttributeProto::AttributeType AttrTypeFromName(absl::string_view n);

  // A scalar literal into `attr` (INT, FLOAT or STRING by spelling, unless
  // `expected` fixes the type).
  absl::Status ParseLiteral(AttributeProto& attr, AttributeProto::AttributeType expected);

  absl::Status ParseAttribute(AttributeProto& attr);

  absl::Status ParseFunction(onnx::FunctionProto& fn);

  Lexer lex_;
  Token cur_;
  Token next_;
  int depth_ = 0;
  int type_depth_ = 0;
};

}  // namespace textio
}  // namespace h8

#endif  // H8_LIB_SUPPORT_TEXTPARSER_H
