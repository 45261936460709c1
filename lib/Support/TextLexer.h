//===- TextLexer.h - Tokens of the ONNX text syntax -------------*- C++ -*-===//
//
// The lexer the text parser (TextParser.cpp) reads tokens from, and the
// type keywords the parser and the printer (TextPrinter.cpp) both know.
// Private to lib/Support.
//
//===----------------------------------------------------------------------===//
#ifndef H8_LIB_SUPPORT_TEXTLEXER_H
#define H8_LIB_SUPPORT_TEXTLEXER_H

#include <cctype>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "h8/IR/ElementType.h"

namespace h8 {
namespace textio {

inline bool IsTypeKeyword(absl::string_view id) {
  return ElementTypeFromName(id) != 0 || id == "seq" || id == "map" || id == "optional" ||
         id == "sparse_tensor";
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
  Lexer(absl::string_view text, int first_line) : text_(text), line_(first_line) {}

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
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
        ++pos_;
      tok.kind = Tok::kId;
      tok.text = std::string(text_.substr(start, pos_ - start));
      return absl::OkStatus();
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        ((c == '-' || c == '+') && pos_ + 1 < text_.size() &&
         (std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])) || text_[pos_ + 1] == '.' ||
          std::isalpha(static_cast<unsigned char>(text_[pos_ + 1]))))) {
      size_t start = pos_;
      ++pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.' ||
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
          if (pos_ >= text_.size()) return Error(tok, "unterminated string literal");
          char e = text_[pos_++];
          switch (e) {
            case 'n': value.push_back('\n'); break;
            case 't': value.push_back('\t'); break;
            case 'x': {
              if (pos_ + 2 > text_.size()) return Error(tok, "bad \\x escape in string literal");
              int hi = HexValue(text_[pos_]), lo = HexValue(text_[pos_ + 1]);
              if (hi < 0 || lo < 0) return Error(tok, "bad \\x escape in string literal");
              value.push_back(static_cast<char>(hi * 16 + lo));
              pos_ += 2;
              break;
            }
            default: value.push_back(e);
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
    return Error(tok,
                 absl::StrCat("unexpected character '", absl::CHexEscape(std::string(1, c)), "'"));
  }

  absl::Status Error(const Token& at, absl::string_view what) const {
    // Context: the rest of the line where the error is.
    size_t line_begin = at.offset;
    while (line_begin > 0 && text_[line_begin - 1] != '\n') --line_begin;
    size_t line_end = at.offset;
    while (line_end < text_.size() && text_[line_end] != '\n') ++line_end;
    std::string context(
        absl::StripAsciiWhitespace(text_.substr(line_begin, line_end - line_begin)));
    if (context.size() > 80) context = context.substr(0, 77) + "...";
    return absl::InvalidArgumentError(
        absl::StrCat("line ", at.line, ", column ", at.col, ": ", what, " (near '", context, "')"));
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

}  // namespace textio
}  // namespace h8

#endif  // H8_LIB_SUPPORT_TEXTLEXER_H
