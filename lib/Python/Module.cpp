//===- Module.cpp - onnx_h8_opt._core: the driver for Python ---------------===//
//
// The extension behind the `onnx_h8_opt` package: one function, run(), that
// hands a command line (and optionally the model's bytes) to h8::RunOpt --
// the same driver, pass manager and passes as the onnx-h8-opt tool -- and
// returns its OptRunResult as plain Python data. The Python package
// (onnx_h8_opt/__init__.py) builds the command line from keyword arguments
// and wraps the data in Result objects.
//
// The GIL is released while the driver runs. Runs are serialised by a
// mutex: the driver keeps process-wide state (the files a run reads).
//
// Pass plugins (--load-pass-plugin) resolve the onnx-h8-opt API against
// their host. Python loads extension modules with RTLD_LOCAL, which hides
// the module's symbols from libraries loaded later, so before the first
// plugin the module makes its own symbols global (dlopen RTLD_NOLOAD |
// RTLD_GLOBAL on itself). Each run registers plugins into its own copy of
// the built-in registry: a plugin's passes exist only in the runs that load
// it, and a plugin loaded by several runs (dlopen returns the same handle)
// registers again without clashing with itself.
//
// Strings from models may be arbitrary bytes; they are decoded as UTF-8
// with U+FFFD for invalid sequences, as the JSON diagnostics do.
//
//===----------------------------------------------------------------------===//
#include <dlfcn.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "h8/Passes/Passes.h"
#include "h8/Tools/OptMain.h"
#include "h8/Tools/OptRun.h"

namespace py = pybind11;

namespace h8 {
namespace {

std::mutex& RunMutex() {
  static std::mutex mutex;
  return mutex;
}

// The built-in passes, registered once (under RunMutex). A run works on a
// copy, into which its plugins register.
const PassRegistry& Registry() {
  static PassRegistry* registry = [] {
    auto* r = new PassRegistry();
    // Registration of the built-in list cannot fail but for a programming
    // error (a duplicate name), which a unit test rules out.
    (void)RegisterAllPasses(*r);
    return r;
  }();
  return *registry;
}

bool LoadsPlugins(const std::vector<std::string>& args) {
  for (const std::string& a : args)
    if (a == "--load-pass-plugin" || a.rfind("--load-pass-plugin=", 0) == 0) return true;
  return false;
}

// Makes this module's symbols (the onnx-h8-opt API) visible to plugins
// loaded later. Called under RunMutex; an error is kept for the plugin's
// own load error to explain.
std::string ExportApiToPlugins() {
  static bool done = false;
  static std::string error;
  if (done) return error;
  done = true;
  Dl_info info;
  if (::dladdr(reinterpret_cast<void*>(&LoadsPlugins), &info) == 0 || info.dli_fname == nullptr) {
    error = "cannot find the onnx_h8_opt module's own file (dladdr)";
    return error;
  }
  // The handle only promotes the loaded module; it is never closed.
  if (::dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL) == nullptr) {
    const char* why = ::dlerror();
    error = why != nullptr ? why : "dlopen failed";
  }
  return error;
}

py::str Text(const std::string& s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

py::list TextList(const std::vector<std::string>& v) {
  py::list out;
  for (const std::string& s : v) out.append(Text(s));
  return out;
}

py::dict DiagnosticDict(const Diagnostic& d) {
  py::dict out;
  out["file"] = Text(d.file);
  out["severity"] = SeverityName(d.severity);
  out["pass"] = Text(d.pass);
  out["graph"] = Text(d.graph);
  out["node"] = Text(d.node);
  out["op"] = Text(d.op);
  out["message"] = Text(d.message);
  out["notes"] = TextList(d.notes);
  out["rule"] = Text(DiagnosticRuleId(d));
  out["text"] = Text(FormatDiagnosticText(d));
  return out;
}

py::dict ModelDict(const ModelRunRecord& m) {
  py::dict out;
  out["where"] = Text(m.where);
  out["exit_code"] = m.exit_code;
  py::list timings;
  // The pipeline's passes; a nested pass's time is part of its parent's.
  for (const PassTiming& t : m.timings)
    if (!t.nested) timings.append(py::make_tuple(t.pass, t.seconds));
  out["timings"] = timings;
  py::list stats;
  for (const auto& [pass, counters] : m.stats) {
    py::dict c;
    for (const auto& [name, value] : counters) c[py::str(name)] = value;
    stats.append(py::make_tuple(pass, c));
  }
  out["statistics"] = stats;
  py::list verifications;
  for (const ModelRunRecord::Verification& v : m.verifications) {
    py::dict vd;
    vd["what"] = Text(v.what);
    vd["criteria"] = Text(v.criteria);
    vd["error"] = Text(v.error);
    py::list rows;
    for (const VerifyRow& r : v.rows) {
      py::dict rd;
      rd["output"] = Text(r.output);
      rd["cos"] = r.cosine;
      rd["mse"] = r.mse;
      rd["max_abs_diff"] = r.max_abs_diff;
      rd["dims"] = r.dims;
      rd["ok"] = r.ok;
      rows.append(rd);
    }
    vd["outputs"] = rows;
    verifications.append(vd);
  }
  out["verifications"] = verifications;
  py::list lints;
  for (const LintSummary& l : m.lints) {
    py::dict ld;
    ld["pass"] = l.pass;
    ld["errors"] = l.errors;
    ld["warnings"] = l.warnings;
    ld["runnable_nodes"] = l.runnable_nodes;
    ld["total_nodes"] = l.total_nodes;
    ld["end_nodes"] = TextList(l.end_nodes);
    ld["region_note"] = Text(l.region_note);
    lints.append(ld);
  }
  out["lints"] = lints;
  out["host_model_path"] = Text(m.host_model_path);
  return out;
}

// The driver with `registry`, under RunMutex and without the GIL: the
// registry is a copy of the built-in one, into which the run's plugins
// register.
OptRunResult RunLocked(OptRunRequest request, PassRegistry& registry) {
  py::gil_scoped_release release;
  std::lock_guard<std::mutex> lock(RunMutex());
  registry = Registry();
  std::string export_error = LoadsPlugins(request.args) ? ExportApiToPlugins() : "";
  OptRunResult result = RunOpt(std::move(request), registry);
  if (!export_error.empty()) {
    // Explains the plugin's load error (an undefined h8:: symbol).
    Diagnostic d;
    d.file = "onnx-h8-opt";
    d.severity = Severity::kNote;
    d.message = "the onnx_h8_opt module could not export its API to pass plugins: " + export_error;
    result.diagnostics.insert(result.diagnostics.begin(), std::move(d));
  }
  return result;
}

py::dict ResultDict(const OptRunResult& result) {
  py::dict out;
  out["exit_code"] = result.exit_code;
  if (result.output) out["output"] = py::bytes(*result.output);
  else out["output"] = py::none();
  py::list diags;
  for (const Diagnostic& d : result.diagnostics) diags.append(DiagnosticDict(d));
  out["diagnostics"] = diags;
  out["command_line_error"] = result.command_line_error;
  out["pipeline"] = Text(result.pipeline);
  py::list models;
  for (const ModelRunRecord& m : result.models) models.append(ModelDict(m));
  out["models"] = models;
  return out;
}

// run(args, input=None, label="<memory>", capture=True, echo=False) -> dict
py::dict Run(const std::vector<std::string>& args, std::optional<py::bytes> input,
             const std::string& label, bool capture, bool echo) {
  OptRunRequest request;
  request.args = args;
  if (input) request.input_bytes = std::string(*input);
  request.label = label;
  request.capture_output = capture;
  request.print = echo;
  PassRegistry registry;
  return ResultDict(RunLocked(std::move(request), registry));
}

py::list PassList(const PassRegistry& registry) {
  py::list out;
  for (const PassInfo* info : registry.List()) {
    py::dict p;
    p["name"] = info->argument;
    p["summary"] = info->summary;
    p["plugin"] = info->plugin;
    p["primary_option"] = info->primary_option;
    py::list options;
    for (const OptionInfo& o : info->options) {
      py::dict od;
      od["key"] = o.key;
      od["type"] = o.type;
      od["default"] = o.default_value;
      od["help"] = o.help;
      od["allowed"] = o.allowed;
      options.append(od);
    }
    p["options"] = options;
    out.append(p);
  }
  return out;
}

// list_passes(args=[]) -> (run dict, [{name, summary, plugin, primary_option,
// options: [...]}]): the registry after `args` (--load-pass-plugin flags)
// and --list-passes ran.
py::tuple ListPasses(const std::vector<std::string>& args) {
  OptRunRequest request;
  request.args = args;
  request.args.push_back("--list-passes");
  request.capture_output = true;
  request.print = false;
  PassRegistry registry;
  OptRunResult result = RunLocked(std::move(request), registry);
  return py::make_tuple(ResultDict(result), PassList(registry));
}

}  // namespace
}  // namespace h8

PYBIND11_MODULE(_core, m) {
  m.doc() = "onnx-h8-opt's driver (h8::RunOpt); use the onnx_h8_opt package instead.";
  m.def("run", &h8::Run, py::arg("args"), py::arg("input") = py::none(),
        py::arg("label") = "<memory>", py::arg("capture") = true, py::arg("echo") = false);
  m.def("list_passes", &h8::ListPasses, py::arg("args") = std::vector<std::string>());
  m.attr("EXIT_OK") = static_cast<int>(h8::kExitOk);
  m.attr("EXIT_MODEL_ERROR") = static_cast<int>(h8::kExitModelError);
  m.attr("EXIT_USAGE_ERROR") = static_cast<int>(h8::kExitUsageError);
  m.attr("EXIT_TOOLCHAIN_ERROR") = static_cast<int>(h8::kExitToolchainError);
}
