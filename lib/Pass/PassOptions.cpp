//===- PassOptions.cpp - Option value codecs ------------------------------===//
#include "h8/Pass/PassOptions.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "h8/Support/BoolText.h"

namespace h8 {
namespace {

// Accepts `a,b,c` and `[a,b,c]`.
std::vector<std::string> SplitList(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (absl::ConsumePrefix(&text, "[")) absl::ConsumeSuffix(&text, "]");
  std::vector<std::string> out;
  if (absl::StripAsciiWhitespace(text).empty()) return out;
  for (absl::string_view part : absl::StrSplit(text, ','))
    out.emplace_back(absl::StripAsciiWhitespace(part));
  return out;
}

}  // namespace

absl::Status ParseOptionValue(absl::string_view text, bool& out) {
  // A bare key (`cleanup{forward-identity}`) means true.
  std::optional<bool> v = text.empty() ? std::optional<bool>(true) : ParseBool(text);
  if (!v) return absl::InvalidArgumentError("expects true or false");
  out = *v;
  return absl::OkStatus();
}

absl::Status ParseOptionValue(absl::string_view text, int64_t& out) {
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &out))
    return absl::InvalidArgumentError("expects an integer");
  return absl::OkStatus();
}

absl::Status ParseOptionValue(absl::string_view text, double& out) {
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(text), &out))
    return absl::InvalidArgumentError("expects a number");
  return absl::OkStatus();
}

absl::Status ParseOptionValue(absl::string_view text, std::string& out) {
  out = std::string(text);
  return absl::OkStatus();
}

absl::Status ParseOptionValue(absl::string_view text, std::vector<int64_t>& out) {
  out.clear();
  for (const std::string& part : SplitList(text)) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(part, &v))
      return absl::InvalidArgumentError("expects a comma-separated list of integers");
    out.push_back(v);
  }
  return absl::OkStatus();
}

absl::Status ParseOptionValue(absl::string_view text, std::vector<std::string>& out) {
  out = SplitList(text);
  return absl::OkStatus();
}

std::string FormatOptionValue(bool v) { return v ? "true" : "false"; }
std::string FormatOptionValue(int64_t v) { return absl::StrCat(v); }
std::string FormatOptionValue(double v) {
  // Shortest text that reads back as the same double.
  for (int precision = 6; precision < 17; ++precision) {
    std::string s = absl::StrFormat("%.*g", precision, v);
    double back = 0;
    if (absl::SimpleAtod(s, &back) && back == v) return s;
  }
  return absl::StrFormat("%.17g", v);
}
std::string FormatOptionValue(const std::string& v) { return v; }
std::string FormatOptionValue(const std::vector<int64_t>& v) {
  return absl::StrCat("[", absl::StrJoin(v, ","), "]");
}
std::string FormatOptionValue(const std::vector<std::string>& v) {
  return absl::StrCat("[", absl::StrJoin(v, ","), "]");
}

const char* OptionTypeName(const bool*) { return "bool"; }
const char* OptionTypeName(const int64_t*) { return "int"; }
const char* OptionTypeName(const double*) { return "float"; }
const char* OptionTypeName(const std::string*) { return "string"; }
const char* OptionTypeName(const std::vector<int64_t>*) { return "int-list"; }
const char* OptionTypeName(const std::vector<std::string>*) { return "string-list"; }

std::string QuoteOptionValue(const std::string& value) {
  // A list like [1,2] reads back unquoted; any other bracket needs quotes.
  bool plain_list = value.size() >= 2 && value.front() == '[' && value.back() == ']' &&
                    value.find_first_of("[]", 1) == value.size() - 1;
  bool brackets = value.find_first_of("[]") != std::string::npos;
  if (!value.empty() && value.find_first_of(" {}'\"\t") == std::string::npos &&
      (!brackets || plain_list))
    return value;
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

}  // namespace h8
