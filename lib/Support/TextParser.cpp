//===- TextParser.cpp - Parsing models, graphs, nodes and functions -------===//
//
// The structure of ONNX text; TextParseValues.cpp parses the values inside.
//
//===----------------------------------------------------------------------===//
#include "TextParser.h"

#include "h8/Support/TextIO.h"

namespace h8 {
namespace textio {

absl::Status Parser::Error(absl::string_view what) const {
  std::string found;
  switch (cur_.kind) {
    case Tok::kEnd: found = "end of input"; break;
    case Tok::kString: found = "a string"; break;
    default: found = absl::StrCat("'", cur_.text, "'");
  }
  return lex_.Error(cur_, absl::StrCat(what, ", found ", found));
}

absl::Status Parser::ParseModel(onnx::ModelProto& model) {
  if (IsPunct("<")) H8_PARSER_TRY(ParseModelHeader(model));
  H8_PARSER_TRY(ParseGraph(*model.mutable_graph()));
  while (cur_.kind != Tok::kEnd) {
    H8_PARSER_TRY(ParseFunction(*model.add_functions()));
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseModelHeader(onnx::ModelProto& model) {
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

absl::Status Parser::ParseGraph(onnx::GraphProto& graph) {
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

absl::Status Parser::ParseNode(onnx::NodeProto& node) {
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
  if (node.attribute_size() == 0 && IsPunct("<")) H8_PARSER_TRY(ParseAttributes(node));
  return absl::OkStatus();
}

absl::Status Parser::ParseFunction(onnx::FunctionProto& fn) {
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

}  // namespace textio

absl::StatusOr<onnx::ModelProto> ParseModelText(absl::string_view text, int first_line) {
  onnx::ModelProto model;
  textio::Parser parser(text, first_line);
  absl::Status status = parser.Init();
  if (status.ok()) status = parser.ParseModel(model);
  if (!status.ok()) return status;
  return model;
}

}  // namespace h8
