//===- OptMain.cpp - The onnx-h8-opt driver -------------------------------===//
//
// Structure (as MlirOptMain): parse the command line -> build the pipeline
// (every pass and option validated before any input is read) -> read the
// input -> for each chunk: parse, verify, run the pipeline, print -> write
// the output only when every chunk succeeded.
//
// The command line is parsed here by hand rather than with absl::flags:
// per-pass flags (`--lift-conv1d --pin-shape=1,9,2,100`) come from the
// registry at run time, plugins included, and their order on the command
// line is the pipeline order; usage errors must exit with 2.
//
//===----------------------------------------------------------------------===//
#include "h8/Tools/OptMain.h"

#include <climits>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "h8/IR/Verifier.h"
#include "h8/Pass/PassManager.h"
#include "h8/Pass/PassPipeline.h"
#include "h8/Plugin/PassPlugin.h"
#include "h8/Report/Dot.h"
#include "h8/Report/Report.h"
#include "h8/Support/BoolText.h"
#include "h8/Support/Diagnostics.h"
#include "h8/Support/DimsText.h"
#include "h8/Support/ModelIO.h"
#include "h8/Support/Status.h"
#include "h8/Support/TextIO.h"
#include "h8/Support/ExternalData.h"
#include "h8/Tools/OptRun.h"
#include "h8/Tools/VerifyNumerics.h"

#ifndef H8_VERSION
#define H8_VERSION "0.0.0"
#endif

namespace h8 {
namespace {

constexpr absl::string_view kSplitMarker = "# -----";

constexpr char kUsage[] = R"(USAGE: onnx-h8-opt [options] <input> [-o <output>]

Rewrites an ONNX model (binary .onnx or textual .onnxtext; '-' reads stdin)
with a pipeline of passes and writes the result (text on stdout by default).

Pipeline:
  --passes=<pipeline>           e.g. --passes='lift-conv1d,cleanup'
  --<pass>[=<value>]            append a pass; the value sets its primary
                                option (--pin-shape=1,9,2,100). Mixed with
                                --passes, command-line order is pipeline order.
  --hailo8[=<opset>]            the Hailo-8 legalisation pipeline: fold-constants,
                                lift-conv1d, [pin-shape], flatten-groups,
                                fold-constants, legalize-hailo8, cleanup,
                                convert-opset{target=<opset> down-only},
                                check-hailo8 (--pin-shape goes after lift-conv1d;
                                <opset>: what the DFC parses, default 17)
  --list-passes                 list passes with their options
  --load-pass-plugin=<file.so>  load passes from a plugin (repeatable)
  --dump-pass-pipeline          print the canonical pipeline to stderr

Input and output:
  -o <file>                     output file (atomic; may equal the input)
  --emit=text|binary|dot        output format (default: from -o's extension,
                                text for stdout); dot draws the output graph
                                (Graphviz), also when the run fails
  --input-format=text|binary    input format (default: extension, then sniff)
  --split-input-file            run each '# -----' separated chunk separately
  --external-data=<file>        write tensors of --external-data-threshold bytes
                                (default 1024) or more to <file> next to the
                                output; tensors external in the input stay
                                external; automatic beyond protobuf's 2 GiB;
                                'none': every tensor inside the one output
                                file (what the Hailo DFC's parser reads)
  --elide-initializers-larger-than=<n>
                                print large initializers as {...} (the text is
                                then not re-parseable)

Instrumentation:
  --verify-each[=true|false|structural|full|numerics]
                                verify after each pass (default: structural;
                                full adds the ONNX checker; numerics also
                                compares with the input model and names the
                                first pass that breaks numerics)
  --verify-numerics[=<n>]       after the pipeline, run input and output models
                                on n (default 3) seeded random inputs with the
                                reference evaluator; exit 1 on a mismatch
  --verify-seed=<n>             seed of the random inputs (default 0)
  --verify-atol=<x>             absolute tolerance (default 1e-5): pass when
                                every |d| <= atol + rtol*|ref| and the cosine
                                similarity is >= 0.99999
  --verify-rtol=<x>             relative tolerance (default 1e-4)
  --verify-dims=<name=v,...>    values of symbolic dims (others: pinned or 1)
  --verify-max-bytes=<n>        bytes of tensors one evaluation may hold at
                                once (default 1073741824 = 1 GiB)
  --verify-max-work=<n>         estimated operations (about one per
                                multiply-add) one evaluation may run (default
                                34359738368 = 2^35); larger models exit 1
  --verify-against=<dir>        compare the output model with an ONNX test-data
                                set (input_N.pb / output_N.pb)
  --time-passes                 per-pass wall time on stderr
  --print-ir-before=<p,...>     IR dump to stderr before the named passes
  --print-ir-after=<p,...>      IR dump to stderr after the named passes
  --print-ir-after-all          IR dump after every pass
  --print-ir-after-change       IR dump after passes that changed the model
  --pass-statistics             per-pass counters on stderr
  --pass-remarks=<p,...|all>    show why rewrites did (not) apply
  --report=<file.html>          write a self-contained HTML report (pipeline,
                                timings, statistics, verification, lint,
                                before/after drawings), also when the run fails

Diagnostics:
  --diagnostics-format=text|json|sarif
                                text: one line per diagnostic; json: one JSON
                                object per line; sarif: one SARIF 2.1.0 log on
                                stderr at the end of the run (for code
                                scanning); exit codes are the same
  --Werror                      treat warnings as errors

  --help, --version

Exit codes: 0 success; 1 the model has problems (a pass failed, lint errors,
numeric mismatch); 2 usage, I/O or parse errors; 3 the Hailo toolchain is
missing or failed.
)";

struct Config {
  std::string input;
  std::string output = "-";
  // -o was given (`-o -` and --report=- would both write to stdout).
  bool output_given = false;
  std::optional<ModelFormat> emit;
  // --emit=dot: a Graphviz drawing instead of the model.
  bool emit_dot = false;
  // --report=FILE: the HTML report.
  std::string report;
  std::string command_line;
  ModelFormat input_format = ModelFormat::kAuto;
  bool split_input_file = false;
  bool list_passes = false;
  bool dump_pipeline = false;
  bool help = false;
  bool version = false;
  DiagnosticsFormat diagnostics_format = DiagnosticsFormat::kText;
  bool werror = false;
  bool pass_statistics = false;
  std::vector<std::string> remark_passes;
  std::vector<PassSpec> pipeline;
  PassManagerOptions pm;
  // Numeric verification (0 trials: off).
  VerifyOptions verify;
  bool verify_numerics = false;
  std::string verify_against;
  ExternalDataOptions external_data;
};

constexpr char kHailo8Marker[] = "<hailo8>";
constexpr char kHailo8DefaultOpset[] = "17";

// --hailo8[=OPSET] is the one-line legalisation:
//   fold-constants, lift-conv1d, [pin-shape...], flatten-groups,
//   fold-constants, legalize-hailo8, cleanup,
//   convert-opset{target=OPSET down-only=true}, check-hailo8
// OPSET (default 17, the newest opset the DFC 3.x line is known to parse;
// 13 or 11 for older DFCs) caps the written model's opset: today's exports
// (opset 18-23) come down to it after pinning, older models stay as they
// are.
// Any --pin-shape/--pin-dim on the command line moves to right after
// lift-conv1d (the pin then states the lifted [N,C,H,T] shape); with none,
// pin-dim{dims=} pins just the inserted H axis to 1. The first
// fold-constants lets computed pads (causal convolutions) lift with their
// region instead of becoming boundaries. With --split-hailo8 the lint
// judges the device part: check-hailo8 runs right after the split, with
// the split's profile/allow/deny.
void ExpandHailo8(std::vector<PassSpec>& pipeline) {
  auto marker = std::find_if(pipeline.begin(), pipeline.end(),
                             [](const PassSpec& p) { return p.name == kHailo8Marker; });
  if (marker == pipeline.end()) return;
  const bool split = std::any_of(pipeline.begin(), pipeline.end(),
                                 [](const PassSpec& p) { return p.name == "split-hailo8"; });
  std::vector<PassSpec> pins, rest;
  for (PassSpec& p : pipeline) {
    if (p.name == "pin-shape" || p.name == "pin-dim") pins.push_back(std::move(p));
    else rest.push_back(std::move(p));
  }
  std::vector<PassSpec> out;
  bool expanded = false;
  for (PassSpec& p : rest) {
    if (p.name == "split-hailo8") {
      PassSpec check{"check-hailo8", {}};
      for (const auto& [key, value] : p.options)
        if (key == "profile" || key == "allow" || key == "deny")
          check.options.emplace_back(key, value);
      out.push_back(std::move(p));
      out.push_back(std::move(check));
      continue;
    }
    if (p.name != kHailo8Marker) {
      out.push_back(std::move(p));
      continue;
    }
    if (expanded) continue;
    expanded = true;
    for (const char* name : {"fold-constants", "lift-conv1d"}) out.push_back(PassSpec{name, {}});
    // Nothing pinned: pin-dim with no dims pins only the H axis lift-conv1d
    // inserted (to 1), so a static 1-D model comes out static.
    if (pins.empty()) out.push_back(PassSpec{"pin-dim", {{"dims", ""}}});
    for (PassSpec& pin : pins) out.push_back(std::move(pin));
    for (const char* name : {"flatten-groups", "fold-constants", "legalize-hailo8", "cleanup"})
      out.push_back(PassSpec{name, {}});
    PassSpec convert{"convert-opset", {}};
    convert.options.emplace_back("target", kHailo8DefaultOpset);
    for (const auto& [key, value] : p.options)
      if (key == "target-opset") convert.options[0].second = value;
    convert.options.emplace_back("down-only", "true");
    out.push_back(std::move(convert));
    if (!split) out.push_back(PassSpec{"check-hailo8", {}});
  }
  pipeline = std::move(out);
}

absl::Status UsageError(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

std::vector<std::string> SplitCommaList(absl::string_view value) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace()))
    out.emplace_back(absl::StripAsciiWhitespace(part));
  return out;
}

absl::Status ParseCommandLine(int argc, char** argv, const PassRegistry& registry,
                              Config& config) {
  bool inputs_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (inputs_only || arg == "-" || arg.empty() || arg[0] != '-') {
      if (!config.input.empty())
        return UsageError(absl::StrCat("more than one input file: '", config.input,
                                       "' and '", arg, "'"));
      config.input = arg;
      continue;
    }
    if (arg == "--") {
      inputs_only = true;
      continue;
    }
    if (arg == "-o") {
      if (i + 1 >= argc || argv[i + 1][0] == '\0') return UsageError("-o needs a file name");
      config.output = argv[++i];
      config.output_given = true;
      continue;
    }
    if (absl::StartsWith(arg, "-o") && !absl::StartsWith(arg, "--")) {
      absl::string_view v = absl::string_view(arg).substr(2);
      absl::ConsumePrefix(&v, "=");
      if (v.empty()) return UsageError("-o needs a file name");
      config.output = std::string(v);
      config.output_given = true;
      continue;
    }
    absl::string_view flag = arg;
    absl::ConsumePrefix(&flag, "--") || absl::ConsumePrefix(&flag, "-");
    std::string name(flag);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto need = [&](absl::string_view what) -> absl::StatusOr<std::string> {
      if (value) return *value;
      if (i + 1 < argc) return std::string(argv[++i]);
      return UsageError(absl::StrCat("--", name, " needs ", what));
    };
    auto boolean = [&](bool& out) -> absl::Status {
      std::optional<bool> v = value ? ParseBool(*value) : std::optional<bool>(true);
      if (!v) return UsageError(absl::StrCat("--", name, " expects true or false, got '", *value, "'"));
      out = *v;
      return absl::OkStatus();
    };
    if (name == "help" || name == "h") {
      config.help = true;
    } else if (name == "version") {
      config.version = true;
    } else if (name == "output") {
      auto v = need("a file name");
      if (!v.ok()) return v.status();
      if (v->empty()) return UsageError("--output needs a file name");
      config.output = *v;
      config.output_given = true;
    } else if (name == "emit") {
      auto v = need("text or binary");
      if (!v.ok()) return v.status();
      config.emit_dot = *v == "dot";
      if (*v == "text") config.emit = ModelFormat::kText;
      else if (*v == "binary") config.emit = ModelFormat::kBinary;
      else if (*v == "dot") config.emit.reset();
      else return UsageError(absl::StrCat("--emit expects text or binary, got '", *v,
                                          "'\nonnx-h8-opt: note: --emit=dot draws the graph "
                                          "(Graphviz DOT)"));
    } else if (name == "report") {
      auto v = need("a file name");
      if (!v.ok()) return v.status();
      if (v->empty()) return UsageError("--report needs a file name");
      config.report = *v;
    } else if (name == "input-format") {
      auto v = need("text or binary");
      if (!v.ok()) return v.status();
      if (*v == "text") config.input_format = ModelFormat::kText;
      else if (*v == "binary") config.input_format = ModelFormat::kBinary;
      else return UsageError(absl::StrCat("--input-format expects text or binary, got '", *v, "'"));
    } else if (name == "passes") {
      auto v = need("a pipeline");
      if (!v.ok()) return v.status();
      auto specs = ParsePipelineText(*v);
      if (!specs.ok()) return specs.status();
      for (auto& s : *specs) config.pipeline.push_back(std::move(s));
    } else if (name == "split-input-file") {
      if (auto s = boolean(config.split_input_file); !s.ok()) return s;
    } else if (name == "list-passes") {
      config.list_passes = true;
    } else if (name == "dump-pass-pipeline") {
      config.dump_pipeline = true;
    } else if (name == "verify-each") {
      std::string v = value.value_or("true");
      if (v == "true" || v == "1" || v == "structural") config.pm.verify_each = VerifyEachMode::kStructural;
      else if (v == "false" || v == "0") config.pm.verify_each = VerifyEachMode::kNone;
      else if (v == "full") config.pm.verify_each = VerifyEachMode::kFull;
      else if (v == "numerics") config.pm.verify_each = VerifyEachMode::kNumerics;
      else return UsageError(absl::StrCat(
          "--verify-each expects true, false, structural, full or numerics, got '", v, "'"));
    } else if (name == "verify-numerics") {
      config.verify_numerics = true;
      if (value) {
        int64_t n = 0;
        if (!absl::SimpleAtoi(*value, &n) || n < 1 || n > 1000)
          return UsageError(absl::StrCat(
              "--verify-numerics expects a number of inputs from 1 to 1000, got '", *value, "'"));
        config.verify.trials = static_cast<int>(n);
      }
    } else if (name == "verify-seed") {
      auto v = need("a number");
      if (!v.ok()) return v.status();
      if (!absl::SimpleAtoi(*v, &config.verify.seed))
        return UsageError(absl::StrCat("--verify-seed expects a non-negative integer, got '", *v, "'"));
    } else if (name == "verify-atol" || name == "verify-rtol") {
      auto v = need("a number");
      if (!v.ok()) return v.status();
      double& tol = name == "verify-atol" ? config.verify.atol : config.verify.rtol;
      if (!absl::SimpleAtod(*v, &tol) || !(tol >= 0))
        return UsageError(absl::StrCat("--", name, " expects a non-negative number, got '", *v, "'"));
    } else if (name == "verify-max-bytes" || name == "verify-max-work") {
      auto v = need("a positive integer");
      if (!v.ok()) return v.status();
      int64_t& limit = name == "verify-max-bytes" ? config.verify.budget.max_live_bytes
                                                  : config.verify.budget.max_work;
      if (!absl::SimpleAtoi(*v, &limit) || limit < 1)
        return UsageError(absl::StrCat("--", name, " expects a positive integer, got '", *v, "'"));
    } else if (name == "verify-dims") {
      auto v = need("name=value pairs");
      if (!v.ok()) return v.status();
      std::string bad;
      std::optional<std::map<std::string, int64_t>> dims = ParseNamedDims(*v, &bad);
      if (!dims)
        return UsageError(absl::StrCat(
            "--verify-dims expects name=positive-integer pairs, got '", bad, "'"));
      for (const auto& [name, n] : *dims) config.verify.dims[name] = n;
    } else if (name == "verify-against") {
      auto v = need("a folder");
      if (!v.ok()) return v.status();
      config.verify_against = *v;
    } else if (name == "time-passes") {
      if (auto s = boolean(config.pm.time_passes); !s.ok()) return s;
    } else if (name == "print-ir-after-all") {
      if (auto s = boolean(config.pm.print_ir_after_all); !s.ok()) return s;
    } else if (name == "print-ir-after-change") {
      if (auto s = boolean(config.pm.print_ir_after_change); !s.ok()) return s;
    } else if (name == "print-ir-after" || name == "print-ir-before") {
      auto v = need("pass names");
      if (!v.ok()) return v.status();
      for (const std::string& p : SplitCommaList(*v)) {
        if (p != "all" && registry.Find(p) == nullptr)
          return UsageError(absl::StrCat("--", name, ": unknown pass '", p,
                                         "'; valid passes: ", registry.Names()));
        (name == "print-ir-after" ? config.pm.print_ir_after : config.pm.print_ir_before)
            .insert(p);
      }
    } else if (name == "pass-statistics") {
      if (auto s = boolean(config.pass_statistics); !s.ok()) return s;
    } else if (name == "pass-remarks") {
      auto v = need("pass names");
      if (!v.ok()) return v.status();
      for (const std::string& p : SplitCommaList(*v)) {
        if (p != "all" && registry.Find(p) == nullptr)
          return UsageError(absl::StrCat("--pass-remarks: unknown pass '", p,
                                         "'; valid passes: ", registry.Names()));
        config.remark_passes.push_back(p);
      }
    } else if (name == "diagnostics-format") {
      auto v = need("text, json or sarif");
      if (!v.ok()) return v.status();
      std::optional<DiagnosticsFormat> format = ParseDiagnosticsFormat(*v);
      // (The wording predates sarif; usage-errors.test pins it.)
      if (!format)
        return UsageError(
            absl::StrCat("--diagnostics-format expects text or json, got '", *v, "'"));
      config.diagnostics_format = *format;
    } else if (name == "hailo8") {
      // Expanded after parsing, when every --pin-shape is known.
      PassSpec marker;
      marker.name = kHailo8Marker;
      if (value) {
        int64_t opset = 0;
        if (!absl::SimpleAtoi(*value, &opset) || opset < 10 || opset > 23)
          return UsageError(absl::StrCat(
              "--hailo8 takes the opset the DFC parses (10-23, e.g. --hailo8=13), got '", *value,
              "'"));
        marker.options.emplace_back("target-opset", *value);
      }
      config.pipeline.push_back(std::move(marker));
    } else if (name == "external-data") {
      auto v = need("a file name");
      if (!v.ok()) return v.status();
      if (v->empty() || v->find('/') != std::string::npos)
        return UsageError(absl::StrCat(
            "--external-data expects a plain file name (written next to the output), got '", *v,
            "'"));
      if (*v == "none") config.external_data.none = true;
      else config.external_data.file = *v;
    } else if (name == "external-data-threshold") {
      auto v = need("a number of bytes");
      if (!v.ok()) return v.status();
      if (!absl::SimpleAtoi(*v, &config.external_data.threshold) ||
          config.external_data.threshold < 0)
        return UsageError(absl::StrCat(
            "--external-data-threshold expects a non-negative number of bytes, got '", *v, "'"));
    } else if (name == "load-pass-plugin") {
      if (!value) ++i;  // loaded before parsing
    } else if (name == "Werror") {
      config.werror = true;
    } else if (name == "elide-initializers-larger-than") {
      auto v = need("a number");
      if (!v.ok()) return v.status();
      int64_t n = 0;
      if (!absl::SimpleAtoi(*v, &n) || n < 0)
        return UsageError(absl::StrCat(
            "--elide-initializers-larger-than expects a non-negative integer, got '", *v, "'"));
      config.pm.print_options.elide_initializers_larger_than = n;
    } else if (const PassInfo* info = registry.Find(name); info != nullptr) {
      PassSpec spec;
      spec.name = name;
      if (value) {
        if (info->primary_option.empty())
          return UsageError(absl::StrCat("--", name, " takes no value; use --passes='", name,
                                         "{key=value}' for its options"));
        spec.options.emplace_back(info->primary_option, *value);
      }
      config.pipeline.push_back(std::move(spec));
    } else {
      return UsageError(absl::StrCat("unknown option '", arg,
                                     "'; see --help; passes usable as flags: ",
                                     registry.Names()));
    }
  }
  ExpandHailo8(config.pipeline);
  return absl::OkStatus();
}

// One '# -----' separated piece of the input.
struct Chunk {
  std::string text;
  int first_line = 1;
};

std::vector<Chunk> SplitInput(const std::string& text, bool split) {
  if (!split) return {Chunk{text, 1}};
  std::vector<Chunk> chunks;
  Chunk current;
  int line = 1;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    absl::string_view l = absl::StripAsciiWhitespace(
        absl::string_view(text).substr(pos, end - pos));
    if (l == kSplitMarker) {
      chunks.push_back(std::move(current));
      current = Chunk();
      current.first_line = line + 1;
    } else {
      current.text.append(text, pos, end - pos);
      current.text.push_back('\n');
    }
    ++line;
    pos = end + 1;
  }
  chunks.push_back(std::move(current));
  return chunks;
}

// Whether `text` has only whitespace and '#' comments.
bool IsBlank(absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty() && line[0] != '#') return false;
  }
  return true;
}

class Driver {
 public:
  Driver(Config& config, const PassRegistry& registry, OptRunRequest& request,
         OptRunResult& result)
      : config_(config), registry_(registry), request_(request), result_(result) {
    diags_.SetFormat(config.diagnostics_format);
    diags_.set_warnings_as_errors(config.werror);
    // A tee: print as the CLI does, and keep every diagnostic for the
    // result, the drawings and the report.
    diags_.SetHandler([this](const Diagnostic& d) {
      if (request_.print) diags_.Print(d);
      result_.diagnostics.push_back(d);
      if (current_model_ >= 0) report_.models[current_model_].diagnostics.push_back(d);
      else report_.diagnostics.push_back(d);
    });
  }

  /// What the run collected per model (RunOpt moves it into its result).
  ReportData& report() { return report_; }

  // The report is written whatever the run's outcome: a failed run is when
  // it is needed most. Only an unwritable report changes the exit code.
  int Run() {
    if (!config_.report.empty()) {
      // A report that cannot be written is refused before anything runs,
      // so it never turns a finished run (and its written output) into a
      // failure: its temporary file is created now.
      if (SameFile(config_.report, config_.output) &&
          (config_.report != "-" || config_.output_given))
        return Fail(config_.report,
                    UsageError("--report and -o name the same file; give them different ones"),
                    kExitUsageError);
      if (!config_.input.empty() && config_.input != "-" &&
          SameFile(config_.report, config_.input))
        return Fail(config_.report, UsageError("--report names the input file"), kExitUsageError);
      const std::string dir = DirName(config_.report);
      struct stat st;
      if (config_.report != "-" && (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)))
        return Fail(config_.report,
                    absl::NotFoundError(absl::StrCat("cannot write the report: folder '", dir,
                                                     "' does not exist")),
                    kExitUsageError);
      auto file = PendingFile::Create(config_.report);
      if (!file.ok()) return Fail(config_.report, file.status(), kExitUsageError);
      report_file_ = std::move(*file);
    }
    int code = RunPipeline();
    if (!report_file_) return code;
    report_.exit_code = code;
    report_.version = H8_VERSION;
    report_.command_line = config_.command_line;
    const std::string html = RenderReportHtml(report_);
    absl::Status s = report_file_->Close(report_file_->Write(html.data(), html.size()));
    if (s.ok()) s = report_file_->Commit();
    if (!s.ok()) {
      Fail(config_.report == "-" ? "<stdout>" : config_.report, s, kExitUsageError);
      return code == kExitOk ? static_cast<int>(kExitUsageError) : code;
    }
    return code;
  }

  // --diagnostics-format=sarif: the log of the whole run, written last.
  void FlushDiagnostics(int exit_code) {
    if (diags_.format() != DiagnosticsFormat::kSarif || !request_.print) return;
    SarifRunInfo run;
    run.tool_version = H8_VERSION;
    run.artifact = config_.input;
    run.command_line = config_.command_line;
    run.exit_code = exit_code;
    std::cerr << FormatDiagnosticsSarif(diags_.sarif_diagnostics(), run) << "\n";
    std::cerr.flush();
  }

 private:
  bool Drawing() const { return config_.emit_dot || !config_.report.empty(); }
  // RunOpt keeps the output (no -o) in its result instead of stdout.
  bool Capturing() const { return request_.capture_output && !config_.output_given; }

  // The output of a successful run, kept in memory: what the CLI would have
  // written to stdout, except that a model is binary by default (RunOpt
  // sets --emit=binary) and a lint run keeps its model too.
  int CaptureOutput(const std::vector<onnx::ModelProto>& results, ModelFormat out_format) {
    std::string out;
    if (out_format == ModelFormat::kBinary) {
      if (results.size() != 1)
        return Fail("", UsageError("binary output needs exactly one model; drop "
                                   "--split-input-file or use --emit=text"),
                    kExitUsageError);
      if (results[0].ByteSizeLong() > static_cast<size_t>(INT_MAX))
        return Fail("", UsageError("the model serializes to more than protobuf's 2 GiB limit; "
                                   "write it to a file (-o) with its tensors as external data"),
                    kExitUsageError);
      results[0].SerializeToString(&out);
    } else {
      for (size_t i = 0; i < results.size(); ++i) {
        if (i > 0) absl::StrAppend(&out, kSplitMarker, "\n");
        absl::StrAppend(&out, PrintModelText(results[i], config_.pm.print_options));
      }
    }
    result_.output = std::move(out);
    return kExitOk;
  }

  int RunPipeline() {
    if (config_.pm.verify_each == VerifyEachMode::kNumerics) {
      // Each pass's result is compared with the pipeline's input (kept by
      // ProcessModel), so the first failing pass is the one that broke it.
      config_.pm.numerics_check = [this](const onnx::ModelProto&,
                                         const onnx::ModelProto& after, PassContext& ctx) {
        auto reports = VerifyNumerics(*current_original_, after, ctx.interface_map(),
                                      config_.verify, ctx.base_dir());
        if (!reports.ok()) return reports.status();
        for (const OutputReport& r : *reports)
          if (!r.ok) return absl::FailedPreconditionError(FormatStats(r.name, r.stats, r.dims));
        return absl::OkStatus();
      };
    }
    auto passes = BuildPipeline(config_.pipeline, registry_);
    if (!passes.ok()) return Fail("", passes.status(), kExitUsageError);
    report_.pipeline = PrintPipeline(*passes);
    if (config_.dump_pipeline && request_.print)
      std::cerr << "onnx-h8-opt --passes='" << PrintPipeline(*passes) << "'\n";
    PassManager pm(config_.pm);
    for (auto& p : *passes) pm.AddPass(std::move(p));

    if (config_.input.empty())
      return Fail("", UsageError("no input file; see --help"), kExitUsageError);
    label_ = request_.input_bytes ? request_.label
                                  : config_.input == "-" ? "<stdin>" : config_.input;

    ModelFormat out_format = config_.emit.value_or(
        config_.output == "-" ? ModelFormat::kText : FormatFromPath(config_.output));
    if (out_format == ModelFormat::kAuto) out_format = ModelFormat::kText;

    std::vector<onnx::ModelProto> results;
    int exit_code = kExitOk;
    ModelFormat in_format = config_.input_format;
    if (in_format == ModelFormat::kAuto && config_.input != "-")
      in_format = FormatFromPath(config_.input);

    std::string bytes;
    if (request_.input_bytes) {
      bytes = std::move(*request_.input_bytes);
      request_.input_bytes.emplace();  // still "from memory"
    } else if (absl::Status s = ReadFileToString(config_.input, bytes); !s.ok()) {
      return Fail("", s, kExitUsageError);
    }
    ProtectInput(config_.input);
    if (in_format == ModelFormat::kAuto) in_format = SniffFormat(bytes);
    if (in_format == ModelFormat::kBinary) {
      if (config_.split_input_file)
        return Fail("", UsageError("--split-input-file needs textual input"), kExitUsageError);
      auto model = ParseBinaryModel(bytes.data(), bytes.size(), label_);
      bytes.clear();
      bytes.shrink_to_fit();
      if (!model.ok()) return Fail("", StripLabel(model.status()), kExitUsageError);
      if (absl::Status s = GuardOutputs(*model, out_format); !s.ok())
        return Fail("", s, kExitUsageError);
      exit_code = ProcessModel(*model, label_, pm);
      if (exit_code == kExitOk) results.push_back(std::move(*model));
    } else {
      if (absl::StripAsciiWhitespace(bytes).empty())
        return Fail("", UsageError("empty file"), kExitUsageError);
      std::vector<Chunk> chunks = SplitInput(bytes, config_.split_input_file);
      for (const Chunk& chunk : chunks) {
        // A chunk of only blanks and comments (e.g. after a trailing
        // separator) holds no model.
        if (config_.split_input_file && chunks.size() > 1 && IsBlank(chunk.text)) continue;
        std::string where = chunks.size() > 1 ? absl::StrCat(label_, ":", chunk.first_line)
                                              : label_;
        auto model = ParseModelText(chunk.text, chunk.first_line);
        if (!model.ok()) {
          Emit(label_, absl::StrCat("parse error: ", model.status().message()));
          exit_code = std::max(exit_code, static_cast<int>(kExitUsageError));
          continue;
        }
        if (absl::Status s = GuardOutputs(*model, out_format); !s.ok())
          return Fail("", s, kExitUsageError);
        int code = ProcessModel(*model, where, pm);
        exit_code = std::max(exit_code, code);
        if (code == kExitOk) results.push_back(std::move(*model));
      }
    }
    // split-hailo8's host part is written only when the whole run
    // succeeded, and goes into place with the output.
    std::vector<PendingFile> host_files;
    if (exit_code == kExitOk) {
      if (absl::Status s = PrepareHostFiles(host_files); !s.ok())
        return Fail(host_path_, s, kExitUsageError);
    }
    auto commit = [&](std::vector<PendingFile*> files) {
      return CommitFiles(host_files, std::move(files));
    };
    // --report=- owns stdout.
    if (config_.output == "-" && config_.report == "-") {
      if (absl::Status s = commit({}); !s.ok()) return Fail("", s, kExitUsageError);
      return exit_code;
    }
    // Writing over the input itself (in place) is atomic, and so allowed.
    if (config_.input != "-" && SameFile(config_.output, config_.input)) UnprotectInputs();
    if (config_.emit_dot) {
      // The drawing is written also when the model has problems (exit 1 or
      // 3): it shows them. Not after usage, I/O or parse errors.
      if (exit_code == kExitUsageError) return exit_code;
      if (Capturing()) {
        result_.output = absl::StrJoin(dots_, "");
        return exit_code;
      }
      if (absl::Status s = WriteFileAtomically(config_.output, absl::StrJoin(dots_, ""));
          !s.ok())
        return Fail(config_.output == "-" ? "<stdout>" : config_.output, s, kExitUsageError);
      if (absl::Status s = commit({}); !s.ok()) return Fail("", s, kExitUsageError);
      return exit_code;
    }
    if (exit_code != kExitOk) return exit_code;
    if (Capturing()) {
      int code = CaptureOutput(results, out_format);
      if (code != kExitOk) return code;
      if (absl::Status s = commit({}); !s.ok()) return Fail(host_path_, s, kExitUsageError);
      return kExitOk;
    }

    if (out_format == ModelFormat::kBinary) {
      if (results.size() != 1)
        return Fail("", UsageError("binary output needs exactly one model; drop "
                                   "--split-input-file or use --emit=text"),
                    kExitUsageError);
      std::string note;
      auto data = PrepareExternalData(results[0], DirName(config_.input), config_.output,
                                      config_.external_data, &note);
      if (!data.ok()) return Fail(config_.output, data.status(), kExitUsageError);
      if (!note.empty()) {
        Diagnostic d;
        d.severity = Severity::kNote;
        d.file = config_.output;
        d.message = note;
        diags_.Emit(std::move(d));
      }
      auto written = PrepareBinaryModel(results[0], config_.output);
      if (!written.ok()) return Fail(config_.output, written.status(), kExitUsageError);
      // All files are complete before any goes into place; the data file
      // follows the model referencing it, the host part the device part.
      if (absl::Status s = commit({&*written, &*data}); !s.ok())
        return Fail(config_.output, s, kExitUsageError);
      return kExitOk;
    }
    // A lint run (the pipeline ends with a lint such as check-hailo8) with
    // no -o prints only its report.
    if (config_.output == "-" && !pm.passes().empty() && pm.passes().back()->IsLint()) {
      if (absl::Status s = commit({}); !s.ok()) return Fail("", s, kExitUsageError);
      return kExitOk;
    }
    std::string text;
    for (size_t i = 0; i < results.size(); ++i) {
      if (i > 0) absl::StrAppend(&text, kSplitMarker, "\n");
      absl::StrAppend(&text, PrintModelText(results[i], config_.pm.print_options));
    }
    auto out = PrepareFile(config_.output, text);
    absl::Status s = out.ok() ? commit({&*out}) : out.status();
    if (!s.ok()) return Fail(config_.output == "-" ? "<stdout>" : config_.output, s, kExitUsageError);
    return kExitOk;
  }

  // Writes the host part of a split into pending files (the model, and for
  // binary its data file: tensors that were external in the input move next
  // to the host file, so it can be used where it is).
  absl::Status PrepareHostFiles(std::vector<PendingFile>& files) {
    if (!host_model_) return absl::OkStatus();
    onnx::ModelProto& host = *host_model_;
    if (FormatFromPath(host_path_) == ModelFormat::kText) {
      H8_ASSIGN_OR_RETURN(PendingFile f, PrepareFile(host_path_, PrintModelText(host)));
      files.push_back(std::move(f));
      return absl::OkStatus();
    }
    ExternalDataOptions options;
    options.none = config_.external_data.none;
    std::string note;
    H8_ASSIGN_OR_RETURN(PendingFile data, PrepareExternalData(host, DirName(config_.input),
                                                              host_path_, options, &note));
    H8_ASSIGN_OR_RETURN(PendingFile model, PrepareBinaryModel(host, host_path_));
    files.push_back(std::move(model));
    files.push_back(std::move(data));
    return absl::OkStatus();
  }

  // Commits `outputs` and the host files together: none goes into place
  // unless all were written.
  static absl::Status CommitFiles(std::vector<PendingFile>& host_files,
                                  std::vector<PendingFile*> outputs) {
    for (PendingFile& f : host_files) outputs.push_back(&f);
    if (outputs.empty()) return absl::OkStatus();
    return CommitAll(std::move(outputs));
  }

  // Protects `model`'s external data files (read by this run) from every
  // output, and refuses, before the pipeline runs, an output path that
  // would replace one of them or the input. Writing the model over its own
  // input (in place) is atomic and allowed, and so then is its data file.
  absl::Status GuardOutputs(onnx::ModelProto& model, ModelFormat out_format) {
    const std::vector<std::string> data_files = ExternalDataFiles(model, DirName(config_.input));
    for (const std::string& f : data_files) ProtectInput(f);
    if (report_file_ && config_.report != "-" && IsProtectedInput(config_.report)) {
      report_file_.reset();
      return UsageError(absl::StrCat("--report=", config_.report,
                                     " names a file this run reads (the input's external data)"));
    }
    H8_RETURN_IF_ERROR(GuardHostOutput(model));
    H8_RETURN_IF_ERROR(GuardTextReferences(model, config_.output, out_format));
    if (config_.output == "-" || (config_.input != "-" && SameFile(config_.output, config_.input)))
      return absl::OkStatus();
    if (IsProtectedInput(config_.output))
      return UsageError(absl::StrCat("-o ", config_.output,
                                     " names a file this run reads (the input's external data)"));
    const std::string data = ExternalDataPath(config_.output, config_.external_data);
    if (out_format == ModelFormat::kBinary && !config_.external_data.none &&
        (!config_.external_data.file.empty() || !data_files.empty()) && IsProtectedInput(data))
      return UsageError(absl::StrCat("the external data file ", data,
                                     " would replace a file this run reads; choose another "
                                     "--external-data name or output folder"));
    return absl::OkStatus();
  }

  // The host file of --split-hailo8 (or split-hailo8{host-out=...}), or "".
  std::string HostOutPath() const {
    for (const PassSpec& p : config_.pipeline)
      if (p.name == "split-hailo8")
        for (const auto& [key, value] : p.options)
          if (key == "host-out") return value;
    return "";
  }

  // Refuses, before the pipeline runs, a host file that would replace the
  // input, its external data, the output (or its data file) or the report.
  absl::Status GuardHostOutput(onnx::ModelProto& model) {
    const std::string host = HostOutPath();
    if (host.empty()) return absl::OkStatus();
    const std::string flag = absl::StrCat("--split-hailo8=", host);
    if (host == "-") return UsageError(flag + " needs a file; the host part is not written to stdout");
    if (IsProtectedInput(host) || (config_.input != "-" && SameFile(host, config_.input)))
      return UsageError(flag + " names a file this run reads (the input or its external data)");
    if (config_.output != "-" && SameFile(host, config_.output))
      return UsageError(flag + " names the output file too; the device and host parts need two files");
    if (!config_.report.empty() && config_.report != "-" && SameFile(host, config_.report))
      return UsageError(flag + " names the report file too");
    {
      // A destination that cannot be written (missing folder, a directory)
      // fails now, not after the pipeline.
      auto probe = PendingFile::Create(host);
      if (!probe.ok()) return UsageError(probe.status().message());
      probe->Abandon();
    }
    const ModelFormat host_format = FormatFromPath(host);
    if (host_format != ModelFormat::kText) {
      const std::string data = ExternalDataPath(host, ExternalDataOptions());
      if (IsProtectedInput(data))
        return UsageError(absl::StrCat("the host part's data file ", data,
                                       " would replace a file this run reads"));
      if (config_.output != "-" && SameFile(data, config_.output))
        return UsageError(absl::StrCat("the host part's data file ", data, " is the output file"));
    }
    return GuardTextReferences(model, host, host_format);
  }

  // Text keeps external tensors as references relative to its own folder:
  // text written elsewhere than the input's folder would point at nothing.
  // Refused before the pipeline runs (binary output copies the data).
  absl::Status GuardTextReferences(onnx::ModelProto& model, const std::string& path,
                                   ModelFormat format) {
    if (format != ModelFormat::kText || path == "-" || config_.input == "-") return absl::OkStatus();
    // A device (/dev/null) or FIFO is not a folder's file.
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
      return absl::OkStatus();
    if (ExternalDataFiles(model, ".").empty()) return absl::OkStatus();
    if (SameFile(DirName(path), DirName(config_.input))) return absl::OkStatus();
    return UsageError(absl::StrCat(
        path, ": text output outside the input's folder cannot reference its external data; "
              "write binary output (.onnx), which copies the data, or write next to the input"));
  }

  // Verifies and runs the pipeline on one model; returns its exit code.
  // With --emit=dot or --report, also records what the report shows.
  int ProcessModel(onnx::ModelProto& model, const std::string& where, PassManager& pm) {
    report_.models.emplace_back();
    current_model_ = static_cast<int>(report_.models.size()) - 1;
    report_.models.back().where = where;
    int code = RunOnModel(model, where, pm);
    report_.models[current_model_].exit_code = code;
    current_model_ = -1;
    return code;
  }

  int RunOnModel(onnx::ModelProto& model, const std::string& where, PassManager& pm) {
    if (absl::Status s = VerifyModelStructure(model); !s.ok()) {
      Emit(where, absl::StrCat("invalid model: ", s.message()));
      return kExitUsageError;
    }
    // External data is checked once, up front, like inline data is by the
    // verifier: a short or oversized file is a broken input (exit 2) whether
    // or not a pass later reads the tensor.
    if (absl::Status s = VerifyExternalData(model, DirName(config_.input)); !s.ok()) {
      Emit(where, std::string(s.message()));
      return kExitUsageError;
    }
    PassContext ctx(diags_, where);
    ctx.set_base_dir(DirName(config_.input));
    for (const auto& p : config_.remark_passes) ctx.EnableRemarks(p);
    int errors_before = diags_.num_errors();
    // The input model is kept only when something compares against it.
    std::unique_ptr<onnx::ModelProto> original;
    if (config_.verify_numerics || config_.pm.verify_each == VerifyEachMode::kNumerics ||
        Drawing())
      original = std::make_unique<onnx::ModelProto>(model);
    current_original_ = original.get();
    absl::Status s;
    {
      // hailo-compile prints its steps, and check-hailo8 its JSON summary,
      // on stderr: keep a copy for the report.
      std::optional<StderrTee> tee;
      if (Drawing()) tee.emplace();
      s = pm.Run(model, ctx);
      ModelReport& mr = report_.models[current_model_];
      for (const auto& [pass, seconds] : pm.timings()) mr.timings.push_back(PassTiming{pass, seconds});
      mr.stats = ctx.stats();
      mr.lints = ctx.lint_summaries();
      if (!mr.lints.empty()) mr.end_nodes = mr.lints.back().end_nodes;
      mr.host_model_path = ctx.interface_map().host_model_path;
      if (tee) mr.hailo_compile = ExtractHailoCompileOutput(tee->text());
    }
    current_original_ = nullptr;
    if (config_.pm.time_passes && request_.print) std::cerr << pm.TimingReport();
    if (config_.pass_statistics && request_.print) std::cerr << FormatStatistics(ctx);
    int code = Judge(s, model, original.get(), ctx, where, errors_before);
    if (Drawing()) Draw(*original, model, s, code);
    const InterfaceMap& map = ctx.interface_map();
    if (map.host_model && code == kExitOk) {
      if (host_model_) {
        Emit(where, "split-hailo8 names one host file but the input holds several models; "
                    "split one model per run");
        return kExitUsageError;
      }
      host_model_ = map.host_model;
      host_path_ = map.host_model_path;
    }
    return code;
  }

  // The drawings of one model: before (--report) and after the pipeline.
  void Draw(const onnx::ModelProto& original, const onnx::ModelProto& model,
            const absl::Status& pipeline_status, int code) {
    ModelReport& mr = report_.models[current_model_];
    // The file and its folder (fixtures are all model.onnx).
    std::string file = mr.where;
    if (size_t slash = file.find_last_of('/'); slash != std::string::npos && slash > 0) {
      size_t parent = file.find_last_of('/', slash - 1);
      file = file.substr(parent == std::string::npos ? 0 : parent + 1);
    }
    std::vector<std::string> passes;
    for (const PassTiming& t : mr.timings)
      if (!absl::StartsWith(t.pass, "(")) passes.push_back(t.pass);  // not "(verify-each)"
    DotAnnotations after;
    after.diagnostics = mr.diagnostics;
    after.before = &original;
    after.end_nodes = mr.end_nodes;
    // The title names the passes, a few per line.
    std::string line = passes.empty() ? file : absl::StrCat(file, " after");
    for (size_t k = 0; k < passes.size(); ++k) {
      std::string item = absl::StrCat(passes[k], k + 1 < passes.size() ? "," : "");
      if (line.size() + item.size() > 48) {
        after.title.push_back(line);
        line.clear();
      }
      absl::StrAppend(&line, line.empty() ? "" : " ", item);
    }
    after.title.push_back(line);
    if (!pipeline_status.ok() && !passes.empty()) {
      after.title.push_back(absl::StrCat("the pipeline stopped at ", passes.back(),
                                         "; the model as it was then"));
      mr.after_caption = absl::StrCat("After: the model when the pipeline stopped at '",
                                      passes.back(), "' (not written)");
    } else if (code != kExitOk) {
      mr.after_caption = absl::StrCat("After: the pipeline's result (not written: exit ", code, ")");
    }
    std::string dot = ModelToDot(model, after);
    if (!config_.report.empty()) {
      DotAnnotations before;
      before.after = &model;
      before.title.push_back(absl::StrCat(file, " (input)"));
      mr.before_dot = ModelToDot(original, before);
      mr.after_dot = dot;
    }
    if (config_.emit_dot) dots_.push_back(std::move(dot));
  }

  // The exit code of one model's run; runs the numeric verification.
  int Judge(const absl::Status& s, onnx::ModelProto& model, const onnx::ModelProto* original,
            PassContext& ctx, const std::string& where, int errors_before) {
    // Files that cannot be read or written (calibration data, a host model:
    // ModelIO marks them as usage errors) are I/O problems: 2.
    if (!s.ok() && IsUsageError(s)) return kExitUsageError;
    if (!s.ok() && IsToolchainError(s)) return kExitToolchainError;
    if (!s.ok() || diags_.num_errors() > errors_before) return kExitModelError;
    if (config_.verify_numerics) {
      auto reports = VerifyNumerics(*original, model, ctx.interface_map(), config_.verify,
                                    ctx.base_dir());
      if (!Report(reports, absl::StrCat(config_.verify.trials, " random inputs (seed ",
                                        config_.verify.seed, ")"),
                  where))
        return !reports.ok() && IsUsageError(reports.status()) ? kExitUsageError
                                                                : kExitModelError;
    }
    if (!config_.verify_against.empty()) {
      // A missing or unreadable test-data file is an I/O problem.
      auto reports = VerifyAgainstDataSet(model, ctx.interface_map(), config_.verify_against,
                                          config_.verify, ctx.base_dir());
      if (!Report(reports, absl::StrCat("test data in ", config_.verify_against), where))
        return !reports.ok() && IsIoError(reports.status()) ? kExitUsageError : kExitModelError;
    }
    return kExitOk;
  }

  // Prints a verification table on stderr; false (with an error) on a
  // mismatch or when the models could not be evaluated.
  bool Report(const absl::StatusOr<std::vector<OutputReport>>& reports,
              const std::string& what, const std::string& where) {
    ModelReport::Verification* record = nullptr;
    if (current_model_ >= 0) {
      report_.models[current_model_].verifications.emplace_back();
      record = &report_.models[current_model_].verifications.back();
      record->what = what;
    }
    if (!reports.ok()) {
      if (record != nullptr) record->error = std::string(reports.status().message());
      Emit(where, absl::StrCat("verify-numerics: ", reports.status().message()));
      return false;
    }
    const std::string criteria = FormatCriteria(config_.verify);
    if (record != nullptr) {
      record->criteria = criteria;
      for (const OutputReport& r : *reports)
        record->rows.push_back(VerifyRow{r.name, r.stats.cosine, r.stats.mse,
                                         r.stats.max_abs_diff, absl::StrJoin(r.dims, ","), r.ok});
    }
    if (request_.print) {
      std::cerr << "verify-numerics: " << what << "; " << criteria << "\n";
      for (const OutputReport& r : *reports)
        std::cerr << "  " << FormatStats(r.name, r.stats, r.dims) << "\n";
    }
    bool ok = true;
    for (const OutputReport& r : *reports) {
      if (r.ok) continue;
      ok = false;
      Emit(where, absl::StrCat("verify-numerics: output '", r.name,
                               "' differs from the original: ",
                               FormatStats(r.name, r.stats, r.dims)));
    }
    return ok;
  }

  // I/O statuses already start with the file name; keep one copy of it.
  absl::Status StripLabel(const absl::Status& s) {
    absl::string_view m = s.message();
    if (absl::ConsumePrefix(&m, label_ + ": ")) return absl::Status(s.code(), m);
    return s;
  }

  void Emit(const std::string& where, std::string message) {
    Diagnostic d;
    d.file = where;
    d.message = std::move(message);
    diags_.Emit(std::move(d));
  }

  int Fail(const std::string& where, const absl::Status& s, int code) {
    std::string file = where.empty() ? label_ : where;
    absl::string_view m = s.message();
    if (!file.empty()) absl::ConsumePrefix(&m, file + ": ");
    Diagnostic d;
    d.file = file.empty() ? "onnx-h8-opt" : file;
    d.message = std::string(m);
    diags_.Emit(std::move(d));
    return code;
  }

  Config& config_;
  const PassRegistry& registry_;
  OptRunRequest& request_;
  OptRunResult& result_;
  DiagnosticEngine diags_;
  std::string label_;
  const onnx::ModelProto* current_original_ = nullptr;
  // What --report shows, collected while running; the model being run.
  ReportData report_;
  int current_model_ = -1;
  // --emit=dot: one digraph per model.
  std::vector<std::string> dots_;
  // --report: created before the pipeline runs, committed after.
  std::optional<PendingFile> report_file_;
  // The host part of a split and its file: split-hailo8 leaves it in
  // memory, and it is written with the outputs.
  std::shared_ptr<onnx::ModelProto> host_model_;
  std::string host_path_;
};

}  // namespace

OptRunResult RunOpt(OptRunRequest request, PassRegistry& registry) {
  OptRunResult result;
  // Command-line errors: one line `onnx-h8-opt: error: ...` on stderr, and
  // the same as a record.
  auto command_line_error = [&](absl::string_view message) {
    Diagnostic d;
    d.file = "onnx-h8-opt";
    d.message = std::string(message);
    if (request.print) std::cerr << "onnx-h8-opt: error: " << message << "\n";
    result.diagnostics.push_back(std::move(d));
    result.command_line_error = true;
    result.exit_code = kExitUsageError;
    return result;
  };
  // The argv the command-line parser reads.
  std::vector<std::string> arg_strings;
  arg_strings.reserve(request.args.size() + 1);
  arg_strings.push_back("onnx-h8-opt");
  for (const std::string& a : request.args) arg_strings.push_back(a);
  std::vector<char*> argv_vector;
  for (std::string& a : arg_strings) argv_vector.push_back(a.data());
  argv_vector.push_back(nullptr);
  const int argc = static_cast<int>(arg_strings.size());
  char** argv = argv_vector.data();

  // Plugins register passes that the rest of the command line may name
  // (as --<pass> or in --passes), so they load first, in the order given.
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    std::string path;
    if (absl::ConsumePrefix(&arg, "--load-pass-plugin=")) {
      path = std::string(arg);
    } else if (arg == "--load-pass-plugin") {
      if (i + 1 >= argc) return command_line_error("--load-pass-plugin needs a file name");
      path = argv[++i];
    } else {
      continue;
    }
    // Always a path: a bare name must not make dlopen search the system
    // libraries; and only a regular file (dlopen would block on a FIFO).
    if (path.find('/') == std::string::npos) path = "./" + path;
    // (A missing file is left to dlopen's own message.)
    struct stat st;
    absl::Status s = ::stat(path.c_str(), &st) == 0
                         ? CheckInputFile(path, /*allow_pipe=*/false, "a plugin library")
                         : absl::OkStatus();
    if (s.ok()) s = LoadPassPlugin(path, registry);
    if (!s.ok()) return command_line_error(s.message());
  }

  Config config;
  if (absl::Status s = ParseCommandLine(argc, argv, registry, config); !s.ok())
    return command_line_error(s.message());
  if (request.input_bytes) {
    if (!config.input.empty())
      return command_line_error(absl::StrCat("the model is given in memory; the arguments name "
                                             "an input file too: '", config.input, "'"));
    config.input = "-";
  }
  // A captured model is binary unless --emit says otherwise.
  if (request.capture_output && !config.output_given && !config.emit && !config.emit_dot)
    config.emit = ModelFormat::kBinary;
  for (int i = 0; i < argc; ++i) {
    std::string arg = i == 0 ? "onnx-h8-opt" : argv[i];
    bool plain = !arg.empty() && arg.find_first_not_of(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=./,:+@%") ==
        std::string::npos;
    if (!plain) {
      std::string quoted = "'";
      for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      arg = quoted + "'";
    }
    absl::StrAppend(&config.command_line, i == 0 ? "" : " ", arg);
  }
  // --help, --version and --list-passes print on stdout (or into the result).
  std::string info;
  if (config.help) {
    info = kUsage;
  } else if (config.version) {
    info = absl::StrCat("onnx-h8-opt ", H8_VERSION, " (ONNX 1.12, protobuf ",
                        GOOGLE_PROTOBUF_VERSION / 1000000, ".",
                        GOOGLE_PROTOBUF_VERSION / 1000 % 1000, ".",
                        GOOGLE_PROTOBUF_VERSION % 1000, ")\n");
  } else if (config.list_passes) {
    info = FormatPassList(registry);
  }
  if (config.help || config.version || config.list_passes) {
    if (request.capture_output) result.output = std::move(info);
    else std::cout << info;
    return result;
  }
  Driver driver(config, registry, request, result);
  result.exit_code = driver.Run();
  driver.FlushDiagnostics(result.exit_code);
  result.pipeline = driver.report().pipeline;
  result.models = std::move(driver.report().models);
  return result;
}

int OptMain(int argc, char** argv, PassRegistry& registry) {
  // A size-limited output (ulimit -f) must end in a write error and a clean
  // exit, not in SIGXFSZ killing the process with a temporary file left.
  std::signal(SIGXFSZ, SIG_IGN);
  std::ios::sync_with_stdio(false);
  OptRunRequest request;
  for (int i = 1; i < argc; ++i) request.args.emplace_back(argv[i]);
  return RunOpt(std::move(request), registry).exit_code;
}

}  // namespace h8
