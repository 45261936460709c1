//===- PassOptions.h - Typed pass options -----------------------*- C++ -*-===//
//
// A pass declares its options once, as a struct with a static Bind():
//
//   struct LiftConv1dOptions {
//     std::string interface = "lift";
//     static void Bind(OptionBinder<LiftConv1dOptions>& b) {
//       b.Add("interface", &LiftConv1dOptions::interface, "...")
//           .OneOf({"lift", "keep"});
//     }
//   };
//
// That declaration drives parsing of `{key=value ...}` (errors at pipeline
// parse time, naming the pass and key), --list-passes help and canonical
// printing with every option, defaults included.
//
//===----------------------------------------------------------------------===//
#ifndef H8_PASS_PASSOPTIONS_H
#define H8_PASS_PASSOPTIONS_H

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace h8 {

/// Documentation of one option, for --list-passes.
struct OptionInfo {
  std::string key;
  std::string type;
  std::string default_value;
  std::string help;
  std::vector<std::string> allowed;  // empty: any value of the type
};

// Value codecs, one overload per supported option type.
absl::Status ParseOptionValue(absl::string_view text, bool& out);
absl::Status ParseOptionValue(absl::string_view text, int64_t& out);
absl::Status ParseOptionValue(absl::string_view text, double& out);
absl::Status ParseOptionValue(absl::string_view text, std::string& out);
absl::Status ParseOptionValue(absl::string_view text, std::vector<int64_t>& out);
absl::Status ParseOptionValue(absl::string_view text, std::vector<std::string>& out);
std::string FormatOptionValue(bool v);
std::string FormatOptionValue(int64_t v);
std::string FormatOptionValue(double v);
std::string FormatOptionValue(const std::string& v);
std::string FormatOptionValue(const std::vector<int64_t>& v);
std::string FormatOptionValue(const std::vector<std::string>& v);
const char* OptionTypeName(const bool*);
const char* OptionTypeName(const int64_t*);
const char* OptionTypeName(const double*);
const char* OptionTypeName(const std::string*);
const char* OptionTypeName(const std::vector<int64_t>*);
const char* OptionTypeName(const std::vector<std::string>*);

/// Quotes an option value for pipeline text when it contains a space,
/// brace, quote or is empty.
std::string QuoteOptionValue(const std::string& value);

template <typename OptionsT>
class OptionBinder {
 public:
  /// One declared option; returned by Add() for chained constraints.
  class Option {
   public:
    /// Restricts the value to one of `allowed` (compared in canonical form).
    Option& OneOf(std::vector<std::string> allowed) {
      info_.allowed = std::move(allowed);
      return *this;
    }
    /// Marks this option as the one `--<pass>=value` sets.
    Option& Primary() {
      primary_ = true;
      return *this;
    }
    /// Adds a check run after parsing; returns an error message or "".
    Option& Check(std::function<std::string(const OptionsT&)> check) {
      checks_.push_back(std::move(check));
      return *this;
    }

   private:
    friend class OptionBinder;
    OptionInfo info_;
    bool primary_ = false;
    std::function<absl::Status(OptionsT&, absl::string_view)> set_;
    std::function<std::string(const OptionsT&)> get_;
    std::vector<std::function<std::string(const OptionsT&)>> checks_;
  };

  template <typename V>
  Option& Add(std::string key, V OptionsT::*member, std::string help) {
    auto option = std::make_unique<Option>();
    option->info_.key = std::move(key);
    option->info_.type = OptionTypeName(static_cast<const V*>(nullptr));
    option->info_.help = std::move(help);
    option->info_.default_value = FormatOptionValue(OptionsT{}.*member);
    option->set_ = [member](OptionsT& o, absl::string_view text) {
      return ParseOptionValue(text, o.*member);
    };
    option->get_ = [member](const OptionsT& o) { return FormatOptionValue(o.*member); };
    options_.push_back(std::move(option));
    return *options_.back();
  }

  /// Sets `key` from its text. `pass` names the pass in errors.
  absl::Status Set(OptionsT& o, absl::string_view key, absl::string_view value,
                   absl::string_view pass) const {
    for (const auto& opt : options_) {
      if (opt->info_.key != key) continue;
      absl::Status s = opt->set_(o, value);
      if (!s.ok())
        return absl::InvalidArgumentError(
            absl::StrCat(pass, ": option '", key, "' ", s.message(), ", got '", value, "'"));
      if (!opt->info_.allowed.empty()) {
        std::string canonical = opt->get_(o);
        bool ok = false;
        for (const auto& a : opt->info_.allowed) ok |= a == canonical;
        if (!ok)
          return absl::InvalidArgumentError(absl::StrCat(pass, ": option '", key, "' expects ",
                                                         absl::StrJoin(opt->info_.allowed, " or "),
                                                         ", got '", value, "'"));
      }
      for (const auto& check : opt->checks_) {
        std::string error = check(o);
        if (!error.empty())
          return absl::InvalidArgumentError(
              absl::StrCat(pass, ": option '", key, "' ", error, ", got '", value, "'"));
      }
      return absl::OkStatus();
    }
    std::vector<std::string> keys;
    for (const auto& opt : options_) keys.push_back(opt->info_.key);
    return absl::InvalidArgumentError(
        absl::StrCat(pass, ": unknown option '", key, "'",
                     keys.empty() ? "; the pass takes no options"
                                  : absl::StrCat("; valid options: ", absl::StrJoin(keys, ", "))));
  }

  /// Canonical `k1=v1 k2=v2` text with every option, in declaration order.
  std::string Print(const OptionsT& o) const {
    std::vector<std::string> parts;
    for (const auto& opt : options_)
      parts.push_back(absl::StrCat(opt->info_.key, "=", QuoteOptionValue(opt->get_(o))));
    return absl::StrJoin(parts, " ");
  }

  std::vector<OptionInfo> Describe() const {
    std::vector<OptionInfo> out;
    for (const auto& opt : options_) out.push_back(opt->info_);
    return out;
  }

  /// Key of the Primary() option, or "".
  std::string primary() const {
    for (const auto& opt : options_)
      if (opt->primary_) return opt->info_.key;
    return "";
  }

 private:
  std::vector<std::unique_ptr<Option>> options_;
};

/// Options struct for passes that take none.
struct NoOptions {
  static void Bind(OptionBinder<NoOptions>&) {}
};

}  // namespace h8

#endif  // H8_PASS_PASSOPTIONS_H
