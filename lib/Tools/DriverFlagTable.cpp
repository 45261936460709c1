//===- DriverFlagTable.cpp - The flag table of onnx-h8-opt ----------------===//
//
// One row per flag: name, value kind, help, handler. --help is printed from
// the rows; the parser (DriverFlags.cpp) looks flags up in them.
//
//===----------------------------------------------------------------------===//
#include "DriverFlagTable.h"

#include <sys/stat.h>
#include <algorithm>
#include <cstring>
#include <functional>
#include <utility>
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "h8/Plugin/PassPlugin.h"
#include "h8/Support/BoolText.h"
#include "h8/Support/DimsText.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/Status.h"

namespace h8 {
namespace {

std::vector<std::string> SplitCommaList(absl::string_view value) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace()))
    out.emplace_back(absl::StripAsciiWhitespace(part));
  return out;
}

absl::Status SetBool(FlagParser& p, const std::optional<std::string>& value, bool& out) {
  std::optional<bool> v = value ? ParseBool(*value) : std::optional<bool>(true);
  if (!v)
    return UsageError(absl::StrCat("--", p.name, " expects true or false, got '", *value, "'"));
  out = *v;
  return absl::OkStatus();
}

absl::Status SetOutput(FlagParser& p, const std::string& value, const char* flag) {
  if (value.empty()) return UsageError(absl::StrCat(flag, " needs a file name"));
  p.config.output = value;
  p.config.output_given = true;
  return absl::OkStatus();
}

// --print-ir-before/--print-ir-after/--pass-remarks name passes, "all"
// included; checked after the whole command line (plugins).
absl::Status AddPassNames(FlagParser& p, const std::string& value,
                          const std::function<void(DriverConfig&, const std::string&)>& add) {
  std::string flag = p.name;
  for (const std::string& pass : SplitCommaList(value)) {
    add(p.config, pass);
    if (pass == "all") continue;
    const PassRegistry& registry = p.registry;
    p.deferred.emplace_back(p.index, [&registry, flag, pass]() -> absl::Status {
      if (registry.Find(pass) != nullptr) return absl::OkStatus();
      return UsageError(absl::StrCat("--", flag, ": unknown pass '", pass,
                                     "'; valid passes: ", registry.Names()));
    });
  }
  return absl::OkStatus();
}

absl::Status SetInt(FlagParser& p, const std::string& value, int64_t min, int64_t& out,
                    absl::string_view expects) {
  if (!absl::SimpleAtoi(value, &out) || out < min)
    return UsageError(absl::StrCat("--", p.name, " expects ", expects, ", got '", value, "'"));
  return absl::OkStatus();
}

absl::Status SetTolerance(FlagParser& p, const std::string& value, double& tol) {
  if (!absl::SimpleAtod(value, &tol) || !(tol >= 0))
    return UsageError(
        absl::StrCat("--", p.name, " expects a non-negative number, got '", value, "'"));
  return absl::OkStatus();
}

absl::Status LoadPlugin(FlagParser& p, const std::string& value) {
  // Always a path: a bare name must not make dlopen search the system
  // libraries; and only a regular file (dlopen would block on a FIFO).
  std::string path = value.find('/') == std::string::npos ? "./" + value : value;
  // (A missing file is left to dlopen's own message.)
  struct stat st;
  absl::Status s = ::stat(path.c_str(), &st) == 0
                       ? CheckInputFile(path, /*allow_pipe=*/false, "a plugin library")
                       : absl::OkStatus();
  if (s.ok()) s = LoadPassPlugin(path, p.registry);
  return s;
}

// clang-format off
const Flag kFlags[] = {
  {"Pipeline:", FlagKind::kSection, "", nullptr, nullptr, nullptr},
  {"passes", FlagKind::kRequired, "=<pipeline>", "a pipeline",
   "e.g. --passes='lift-conv1d,cleanup'",
   [](FlagParser& p, const std::optional<std::string>& v) -> absl::Status {
     auto specs = ParsePipelineText(*v);
     if (!specs.ok()) return specs.status();
     for (auto& s : *specs) p.config.pipeline.push_back(std::move(s));
     return absl::OkStatus();
   }},
  {"<pass>", FlagKind::kHelpOnly, "[=<value>]", nullptr,
   "append a pass; the value sets its primary option (--pin-shape=1,9,2,100). Mixed with "
   "--passes, command-line order is pipeline order.", nullptr},
  {"hailo8", FlagKind::kOptional, "[=<opset>]", nullptr,
   "the Hailo-8 legalisation pipeline (<opset>: what the DFC parses, default 17):",
   [](FlagParser& p, const std::optional<std::string>& v) -> absl::Status {
     // Expanded after parsing, when every pin is known (Pipelines.def).
     PassSpec marker;
     marker.name = "hailo8";
     if (v) {
       int64_t opset = 0;
       if (!absl::SimpleAtoi(*v, &opset) || opset < 10 || opset > 23)
         return UsageError(absl::StrCat(
             "--hailo8 takes the opset the DFC parses (10-23, e.g. --hailo8=13), got '", *v, "'"));
       marker.options.emplace_back("opset", *v);
     }
     p.config.pipeline.push_back(std::move(marker));
     return absl::OkStatus();
   }},
  {"list-passes", FlagKind::kSwitch, "", nullptr, "list passes with their options",
   [](FlagParser& p, const std::optional<std::string>&) -> absl::Status {
     p.config.list_passes = true;
     return absl::OkStatus();
   }},
  {"load-pass-plugin", FlagKind::kRequired, "=<file.so>", "a file name",
   "load passes from a plugin (repeatable); they can be named anywhere on the command line",
   [](FlagParser& p, const std::optional<std::string>& v) { return LoadPlugin(p, *v); }},
  {"dump-pass-pipeline", FlagKind::kSwitch, "", nullptr,
   "print the canonical pipeline to stderr",
   [](FlagParser& p, const std::optional<std::string>&) -> absl::Status {
     p.config.dump_pipeline = true;
     return absl::OkStatus();
   }},

  {"Input and output:", FlagKind::kSection, "", nullptr, nullptr, nullptr},
  {"o", FlagKind::kRequired, " <file>", "a file name",
   "output file (atomic; may equal the input)",
   [](FlagParser& p, const std::optional<std::string>& v) { return SetOutput(p, *v, "-o"); },
   nullptr, /*short_flag=*/true},
  {"output", FlagKind::kRequired, "=<file>", "a file name", "the same as -o",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return SetOutput(p, *v, "--output");
   }},
  {"emit", FlagKind::kRequired, "=text|binary|dot", "text or binary",
   "output format (default: from -o's extension, text for stdout); dot draws the output "
   "graph (Graphviz), also when the run fails",
   [](FlagParser& p, const std::optional<std::string>& v) -> absl::Status {
     p.config.emit_dot = *v == "dot";
     if (*v == "text") p.config.emit = ModelFormat::kText;
     else if (*v == "binary") p.config.emit = ModelFormat::kBinary;
     else if (*v == "dot") p.config.emit.reset();
     else return UsageError(absl::StrCat("--emit expects text or binary, got '", *v,
                                         "'\nonnx-h8-opt: note: --emit=dot draws the graph "
                                         "(Graphviz DOT)"));
     return absl::OkStatus();
   }},
  {"input-format", FlagKind::kRequired, "=text|binary", "text or binary",
   "input format (default: extension, then sniff)",
   [](FlagParser& p, const std::optional<std::string>& v) -> absl::Status {
     if (*v == "text") p.config.input_format = ModelFormat::kText;
     else if (*v == "binary") p.config.input_format = ModelFormat::kBinary;
     else return UsageError(absl::StrCat("--input-format expects text or binary, got '", *v, "'"));
     return absl::OkStatus();
   }},
  {"split-input-file", FlagKind::kBool, "", nullptr,
   "run each '# -----' separated chunk separately",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return SetBool(p, v, p.config.split_input_file);
   }},
  {"external-data", FlagKind::kRequired, "=<file>", "a file name",
   "write tensors of --external-data-threshold bytes or more to <file> next to the output; "
   "tensors external in the input stay external; automatic beyond protobuf's 2 GiB; 'none': "
   "every tensor inside the one output file (what the Hailo DFC's parser reads)",
   [](FlagParser& p, const std::optional<std::string>& v) -> absl::Status {
     if (v->empty() || v->find('/') != std::string::npos)
       return UsageError(absl::StrCat(
           "--external-data expects a plain file name (written next to the output), got '", *v,
           "'"));
     if (*v == "none") p.config.external_data.none = true;
     else p.config.external_data.file = *v;
     return absl::OkStatus();
   }},
  {"external-data-threshold", FlagKind::kRequired, "=<n>", "a number of bytes",
   "the size from which --external-data moves a tensor out (default 1024)",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return SetInt(p, *v, 0, p.config.external_data.threshold, "a non-negative number of bytes");
   }},
  {"elide-initializers-larger-than", FlagKind::kRequired, "=<n>", "a number",
   "print large initializers as {...} (the text is then not re-parseable)",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return SetInt(p, *v, 0, p.config.pm.print_options.elide_initializers_larger_than,
                   "a non-negative integer");
   }},

  {"Instrumentation:", FlagKind::kSection, "", nullptr, nullptr, nullptr},
  {"verify-each", FlagKind::kOptional, "[=true|false|structural|full|numerics]", nullptr,
   "verify after each pass (default: structural; full adds the ONNX checker; numerics also "
   "compares with the input model and names the first pass that breaks numerics)",
   [](FlagParser& p, const std::optional<std::string>& value) -> absl::Status {
     std::string v = value.value_or("true");
     VerifyEachMode& mode = p.config.pm.verify_each;
     if (v == "true" || v == "1" || v == "structural") mode = VerifyEachMode::kStructural;
     else if (v == "false" || v == "0") mode = VerifyEachMode::kNone;
     else if (v == "full") mode = VerifyEachMode::kFull;
     else if (v == "numerics") mode = VerifyEachMode::kNumerics;
     else return UsageError(absl::StrCat(
         "--verify-each expects true, false, structural, full or numerics, got '", v, "'"));
     return absl::OkStatus();
   }},
  {"verify-numerics", FlagKind::kOptional, "[=<n>]", nullptr,
   "after the pipeline, run input and output models on n (default 3) seeded random inputs "
   "with the reference evaluator; exit 1 on a mismatch",
   [](FlagParser& p, const std::optional<std::string>& v) -> absl::Status {
     p.config.verify_numerics = true;
     if (!v) return absl::OkStatus();
     int64_t n = 0;
     if (!absl::SimpleAtoi(*v, &n) || n < 1 || n > 1000)
       return UsageError(absl::StrCat(
           "--verify-numerics expects a number of inputs from 1 to 1000, got '", *v, "'"));
     p.config.verify.trials = static_cast<int>(n);
     return absl::OkStatus();
   }},
  {"verify-seed", FlagKind::kRequired, "=<n>", "a number",
   "seed of the random inputs (default 0)",
   [](FlagParser& p, const std::optional<std::string>& v) -> absl::Status {
     if (!absl::SimpleAtoi(*v, &p.config.verify.seed))
       return UsageError(absl::StrCat("--verify-seed expects a non-negative integer, got '", *v,
                                      "'"));
     return absl::OkStatus();
   }},
  {"verify-atol", FlagKind::kRequired, "=<x>", "a number",
   "absolute tolerance (default 1e-5): pass when every |d| <= atol + rtol*|ref| and the "
   "cosine similarity is >= 0.99999",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return SetTolerance(p, *v, p.config.verify.atol);
   }},
  {"verify-rtol", FlagKind::kRequired, "=<x>", "a number", "relative tolerance (default 1e-4)",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return SetTolerance(p, *v, p.config.verify.rtol);
   }},
  {"verify-dims", FlagKind::kRequired, "=<name=v,...>", "name=value pairs",
   "values of symbolic dims (others: pinned or 1)",
   [](FlagParser& p, const std::optional<std::string>& v) -> absl::Status {
     std::string bad;
     std::optional<std::map<std::string, int64_t>> dims = ParseNamedDims(*v, &bad);
     if (!dims)
       return UsageError(absl::StrCat(
           "--verify-dims expects name=positive-integer pairs, got '", bad, "'"));
     for (const auto& [name, n] : *dims) p.config.verify.dims[name] = n;
     return absl::OkStatus();
   }},
  {"verify-max-bytes", FlagKind::kRequired, "=<n>", "a positive integer",
   "bytes of tensors one evaluation may hold at once (default 1073741824 = 1 GiB)",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return SetInt(p, *v, 1, p.config.verify.budget.max_live_bytes, "a positive integer");
   }},
  {"verify-max-work", FlagKind::kRequired, "=<n>", "a positive integer",
   "estimated operations (about one per multiply-add) one evaluation may run (default "
   "34359738368 = 2^35); larger models exit 1",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return SetInt(p, *v, 1, p.config.verify.budget.max_work, "a positive integer");
   }},
  {"verify-against", FlagKind::kRequired, "=<dir>", "a folder",
   "compare the output model with an ONNX test-data set (input_N.pb / output_N.pb)",
   [](FlagParser& p, const std::optional<std::string>& v) -> absl::Status {
     p.config.verify_against = *v;
     return absl::OkStatus();
   }},
  {"time-passes", FlagKind::kBool, "", nullptr, "per-pass wall time on stderr",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return SetBool(p, v, p.config.pm.time_passes);
   }},
  {"print-ir-before", FlagKind::kRequired, "=<p,...>", "pass names",
   "IR dump to stderr before the named passes",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return AddPassNames(p, *v, [](DriverConfig& c, const std::string& pass) {
       c.pm.print_ir_before.insert(pass);
     });
   }},
  {"print-ir-after", FlagKind::kRequired, "=<p,...>", "pass names",
   "IR dump to stderr after the named passes",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return AddPassNames(p, *v, [](DriverConfig& c, const std::string& pass) {
       c.pm.print_ir_after.insert(pass);
     });
   }},
  {"print-ir-after-all", FlagKind::kBool, "", nullptr, "IR dump after every pass",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return SetBool(p, v, p.config.pm.print_ir_after_all);
   }},
  {"print-ir-after-change", FlagKind::kBool, "", nullptr,
   "IR dump after passes that changed the model",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return SetBool(p, v, p.config.pm.print_ir_after_change);
   }},
  {"pass-statistics", FlagKind::kBool, "", nullptr, "per-pass counters on stderr",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return SetBool(p, v, p.config.pass_statistics);
   }},
  {"pass-remarks", FlagKind::kRequired, "=<p,...|all>", "pass names",
   "show why rewrites did (not) apply",
   [](FlagParser& p, const std::optional<std::string>& v) {
     return AddPassNames(p, *v, [](DriverConfig& c, const std::string& pass) {
       c.remark_passes.push_back(pass);
     });
   }},
  {"report", FlagKind::kRequired, "=<file.html>", "a file name",
   "write a self-contained HTML report (pipeline, timings, statistics, verification, lint, "
   "before/after drawings), also when the run fails",
   [](FlagParser& p, const std::optional<std::string>& v) -> absl::Status {
     if (v->empty()) return UsageError("--report needs a file name");
     p.config.report = *v;
     return absl::OkStatus();
   }},

  {"Diagnostics:", FlagKind::kSection, "", nullptr, nullptr, nullptr},
  {"diagnostics-format", FlagKind::kRequired, "=text|json|sarif", "text, json or sarif",
   "text: one line per diagnostic; json: one JSON object per line; sarif: one SARIF 2.1.0 "
   "log on stderr at the end of the run (for code scanning); exit codes are the same",
   [](FlagParser& p, const std::optional<std::string>& v) -> absl::Status {
     std::optional<DiagnosticsFormat> format = ParseDiagnosticsFormat(*v);
     // (The wording predates sarif; usage-errors.test pins it.)
     if (!format)
       return UsageError(
           absl::StrCat("--diagnostics-format expects text or json, got '", *v, "'"));
     p.config.diagnostics_format = *format;
     return absl::OkStatus();
   }},
  {"Werror", FlagKind::kSwitch, "", nullptr, "treat warnings as errors",
   [](FlagParser& p, const std::optional<std::string>&) -> absl::Status {
     p.config.werror = true;
     return absl::OkStatus();
   }},
  {"", FlagKind::kSection, "", nullptr, nullptr, nullptr},
  {"help", FlagKind::kSwitch, ", -h", nullptr, "this text",
   [](FlagParser& p, const std::optional<std::string>&) -> absl::Status {
     p.config.help = true;
     return absl::OkStatus();
   },
   "h"},
  {"version", FlagKind::kSwitch, "", nullptr, "the version and the ONNX and protobuf it uses",
   [](FlagParser& p, const std::optional<std::string>&) -> absl::Status {
     p.config.version = true;
     return absl::OkStatus();
   }},
};
// clang-format on

}  // namespace

absl::Span<const Flag> DriverFlagTable() { return kFlags; }

}  // namespace h8
