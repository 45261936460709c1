"""onnx-h8-opt from Python: the same driver, pass manager and passes as the CLI.

    import onnx_h8_opt
    r = onnx_h8_opt.run("model.onnx", hailo8=True, pin_shape="1,9,2,100",
                        verify_numerics=True)
    print(r.hailo8); r.save("model.h8.onnx")

Every call runs the onnx-h8-opt command line in process (h8::RunOpt); the
keyword arguments become the CLI's flags (Result.args shows them) and
``args=[...]`` appends flags verbatim. Exit code 2 (usage, I/O or parse
errors: a bad pipeline, a bad pin, an unreadable model) raises UsageError, a
ValueError carrying the CLI's message; model problems (exit 1) and Hailo
toolchain failures (exit 3) are reported in the Result. The GIL is released
while the driver runs; runs in several threads are serialised. Pass plugins
load per run (``plugins=[path]`` or ``--load-pass-plugin`` in args).
"""

import os

from . import _core

__all__ = ["run", "check_hailo8", "list_passes", "Result", "Findings", "Diagnostic",
           "UsageError", "EXIT_OK", "EXIT_MODEL_ERROR", "EXIT_USAGE_ERROR",
           "EXIT_TOOLCHAIN_ERROR"]

EXIT_OK = _core.EXIT_OK
EXIT_MODEL_ERROR = _core.EXIT_MODEL_ERROR
EXIT_USAGE_ERROR = _core.EXIT_USAGE_ERROR
EXIT_TOOLCHAIN_ERROR = _core.EXIT_TOOLCHAIN_ERROR

try:  # Result.model is an onnx.ModelProto when the onnx package is there.
    import onnx as _onnx
except ImportError:  # pragma: no cover - exercised only without python3-onnx
    _onnx = None


class Diagnostic(dict):
    """One diagnostic, with the fields of --diagnostics-format=json (file,
    severity, pass, graph, node, op, message, notes) plus rule (the SARIF
    ruleId) and text (the CLI's text lines). Fields read as items
    (d["pass"]) or attributes (d.severity; d.pass_ for the keyword)."""

    def __getattr__(self, name):
        key = "pass" if name == "pass_" else name
        try:
            return self[key]
        except KeyError:
            raise AttributeError(name) from None

    def __str__(self):
        return self["text"]


class UsageError(ValueError):
    """Exit code 2: the command line, a pin, a file or the model's bytes
    could not be used. str() is the CLI's error line(s); .result holds the
    whole Result."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result
        self.exit_code = result.exit_code


def _to_model(data):
    if data is None or _onnx is None:
        return data
    m = _onnx.ModelProto()
    m.ParseFromString(data)
    return m


class Findings:
    """The Hailo-8 lint (check-hailo8) of a run: .summary (errors, warnings,
    runnable_nodes, total_nodes), .end_nodes (the recommended cut, the DFC's
    --end-node-names), .region_note, and .findings (the error and warning
    diagnostics, with node, op, message and the fix: notes)."""

    def __init__(self, lint, diagnostics, exit_code):
        self.summary = {k: lint[k] for k in ("errors", "warnings", "runnable_nodes",
                                             "total_nodes")}
        self.end_nodes = list(lint["end_nodes"])
        self.region_note = lint["region_note"]
        self.findings = [d for d in diagnostics if d["pass"] == lint["pass"]
                         and d["severity"] in ("error", "warning")]
        self.exit_code = exit_code

    @property
    def ok(self):
        """No lint errors (warnings allowed)."""
        return self.summary["errors"] == 0

    def __str__(self):
        lines = [d["text"] for d in self.findings]
        s = self.summary
        lines.append("%d errors, %d warnings; Hailo-8 can run %d of %d nodes"
                     % (s["errors"], s["warnings"], s["runnable_nodes"], s["total_nodes"]))
        if self.end_nodes:
            lines.append("recommended cut: --end-node-names " + " ".join(self.end_nodes))
        elif self.region_note:
            lines.append(self.region_note)
        return "\n".join(lines)

    def __repr__(self):
        return "<Findings %r end_nodes=%r>" % (self.summary, self.end_nodes)


class Result:
    """What one run produced.

    exit_code/ok, model (onnx.ModelProto, or bytes without the onnx package;
    None when the run failed or wrote output= to a file), output (that file),
    diagnostics (Diagnostic records in emission order), statistics and
    timings ((pass, ...) pairs in pipeline order), numerics (per output: cos,
    mse, max_abs_diff, dims, ok), hailo8 (Findings, None when no lint ran),
    host_model (after --split-hailo8), pipeline (canonical text), args (the
    command line that ran) and models (the raw per-model records, several
    with --split-input-file)."""

    def __init__(self, raw, args, output_path):
        self.args = list(args)
        self.exit_code = raw["exit_code"]
        self.output = output_path
        self.model_bytes = raw["output"]
        self.diagnostics = [Diagnostic(d) for d in raw["diagnostics"]]
        self.pipeline = raw["pipeline"]
        self.models = raw["models"]
        last = self.models[-1] if self.models else None
        self.timings = list(last["timings"]) if last else []
        self.statistics = list(last["statistics"]) if last else []
        self.verifications = list(last["verifications"]) if last else []
        self.numerics = [row for v in self.verifications for row in v["outputs"]]
        self.hailo8 = None
        if last and last["lints"]:
            self.hailo8 = Findings(last["lints"][-1], self.diagnostics, self.exit_code)
        self.host_model_path = last["host_model_path"] if last else ""
        self._model = None

    @property
    def ok(self):
        return self.exit_code == EXIT_OK

    @property
    def model(self):
        """The output model: an onnx.ModelProto for binary output (the
        default), else (--emit=text or dot) the bytes as written."""
        if self._model is None and self.model_bytes is not None:
            binary = _emit(self.args) in (None, "binary")
            self._model = _to_model(self.model_bytes) if binary else self.model_bytes
        return self._model

    @property
    def host_model(self):
        """The host part written by split-hailo8 (its file read back)."""
        if not self.host_model_path or not os.path.exists(self.host_model_path):
            return None
        with open(self.host_model_path, "rb") as f:
            data = f.read()
        if self.host_model_path.endswith(".onnxtext"):
            return data
        return _to_model(data)

    def errors(self):
        return [d for d in self.diagnostics if d["severity"] == "error"]

    def save(self, path):
        """Writes the output model (binary) to path."""
        if self.model_bytes is None:
            raise ValueError("this run produced no model in memory (exit code %d%s)"
                             % (self.exit_code, ", output written to " + self.output
                                if self.output else ""))
        tmp = "%s.tmp%d" % (path, os.getpid())
        with open(tmp, "wb") as f:
            f.write(self.model_bytes)
        os.replace(tmp, path)

    def __repr__(self):
        return "<Result exit_code=%d diagnostics=%d pipeline=%r>" % (
            self.exit_code, len(self.diagnostics), self.pipeline)


def _emit(args):
    """The last --emit value in args (None when absent)."""
    emit = None
    for i, a in enumerate(args):
        if a.startswith("--emit="):
            emit = a[len("--emit="):]
        elif a == "--emit" and i + 1 < len(args):
            emit = args[i + 1]
    return emit


def _shape_text(shape):
    """'1,9,2,100' from a str, a sequence of ints, or {input: shape}."""
    if isinstance(shape, str):
        return shape
    if isinstance(shape, dict):
        return " ".join("%s:%s" % (name, _shape_text(s)) for name, s in shape.items())
    try:
        return ",".join(str(int(d)) for d in shape)
    except (TypeError, ValueError):
        raise TypeError("pin_shape: expected '1,9,2,100', a sequence of ints or "
                        "{input: shape}, got %r" % (shape,)) from None


def _dims_text(dims, what):
    """'batch=1,time=100' from a str or {name: int}."""
    if isinstance(dims, str):
        return dims
    if isinstance(dims, dict):
        return ",".join("%s=%d" % (k, int(v)) for k, v in dims.items())
    raise TypeError("%s: expected 'name=value,...' or {name: value}, got %r" % (what, dims))


def _input(model):
    """(path or None, bytes or None) for a path, bytes or an onnx.ModelProto."""
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if path == "" or path.startswith("-"):
            # Never read as a flag or as stdin.
            path = os.path.join(".", path)
        return path, None
    if isinstance(model, (bytes, bytearray, memoryview)):
        return None, bytes(model)
    if hasattr(model, "SerializeToString"):
        return None, model.SerializeToString()
    raise TypeError("model: expected an onnx.ModelProto, bytes or a path, got %s"
                    % type(model).__name__)


def _flags(pipeline=None, pin_shape=None, pin_dim=None, hailo8=False,
           verify_numerics=False, output=None, args=None, **flags):
    out = []
    if pipeline:
        if not isinstance(pipeline, str):
            pipeline = ",".join(pipeline)
        out.append("--passes=" + pipeline)
    if hailo8 is True:
        out.append("--hailo8")
    elif hailo8 not in (False, None):
        out.append("--hailo8=%d" % int(hailo8))
    if pin_shape is not None:
        out.append("--pin-shape=" + _shape_text(pin_shape))
    if pin_dim is not None:
        out.append("--pin-dim=" + _dims_text(pin_dim, "pin_dim"))
    for key, value in flags.items():
        if value is None or value is False:
            continue
        name = "--" + key.replace("_", "-")
        if key in ("verify_dims",):
            value = _dims_text(value, key)
        out.append(name if value is True else "%s=%s" % (name, value))
    if verify_numerics is True:
        out.append("--verify-numerics")
    elif verify_numerics not in (False, None):
        out.append("--verify-numerics=%d" % int(verify_numerics))
    if output is not None:
        out += ["-o", os.fspath(output)]
    if args is not None:
        if isinstance(args, str) or not all(isinstance(a, str) for a in args):
            raise TypeError("args: expected a list of str (the CLI's flags)")
        out += list(args)
    return out


def _plugin_flags(plugins):
    """--load-pass-plugin=PATH per plugin (a path or a list of paths)."""
    if plugins is None:
        return []
    if isinstance(plugins, (str, os.PathLike)):
        plugins = [plugins]
    out = []
    for p in plugins:
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError("plugins: expected paths of plugin libraries, got %r" % (p,))
        out.append("--load-pass-plugin=" + os.fspath(p))
    return out


def _run(model, flags, output, echo):
    path, data = _input(model)
    argv = list(flags) + ([path] if path is not None else [])
    raw = _core.run(argv, data, "<memory>", True, bool(echo))
    return _checked(Result(raw, argv, os.fspath(output) if output is not None else None))


def _checked(result):
    """result, or UsageError on exit code 2."""
    if result.exit_code == EXIT_USAGE_ERROR:
        lines = [d["text"] for d in result.diagnostics if d["severity"] == "error"]
        raise UsageError("\n".join(lines) or "usage error (exit code 2)", result)
    return result


def run(model, pipeline=None, *, pin_shape=None, pin_dim=None, hailo8=False,
        verify_numerics=False, output=None, args=None, plugins=None, echo=False, **flags):
    """Runs onnx-h8-opt on model (an onnx.ModelProto, bytes, or a path; a
    path keeps external data and models over 2 GB working).

    pipeline: --passes text ('fold-constants,lift-conv1d') or a list of
    passes; pin_shape: '1,9,2,100', (1, 9, 2, 100) or {'x': ..., 'mask': ...};
    pin_dim: 'batch=1,time=100' or {'batch': 1}; hailo8: True or the DFC's
    opset (13); verify_numerics: True or the number of random inputs;
    output: write the model there (atomically, as -o) instead of keeping it
    in memory; args: CLI flags appended verbatim; plugins: pass plugin
    libraries to load for this run (a path or a list; the same as
    args=["--load-pass-plugin=PATH"]); echo: also print the
    diagnostics on stderr as the CLI does. Other keywords are CLI flags with
    '_' for '-' (verify_seed=1, werror=True, split_hailo8='host.onnx',
    external_data='w.data'): True adds the bare flag, None/False nothing.
    Flags come in the order pipeline, hailo8, pin_shape, pin_dim, other
    keywords, verify_numerics, output, args (command-line order is pipeline
    order). Returns a Result; raises UsageError (a ValueError) on exit 2."""
    flags_list = _plugin_flags(plugins) + _flags(pipeline, pin_shape, pin_dim, hailo8,
                                                 verify_numerics, output, args, **flags)
    return _run(model, flags_list, output, echo)


def check_hailo8(model, profile="default", *, allow=None, deny=None, args=None, echo=False):
    """The Hailo-8 lint alone (check-hailo8, the model unchanged). Returns
    Findings (.ok is False when the DFC would reject the model)."""
    options = ["profile=" + profile]
    if allow:
        options.append("allow=[%s]" % ",".join(allow))
    if deny:
        options.append("deny=[%s]" % ",".join(deny))
    flags = ["--passes=check-hailo8{%s}" % " ".join(options)] + list(args or [])
    result = _run(model, _flags(args=flags), None, echo)
    if result.hailo8 is None:
        raise ValueError("check-hailo8 did not run: " +
                         "; ".join(d["text"] for d in result.errors()))
    return result.hailo8


def list_passes(plugins=None):
    """Every registered pass: name, summary, plugin (the plugin's name, ""
    for built-ins), primary_option and options (key, type, default, help,
    allowed); with plugins=[PATH, ...], the passes of those plugins too
    (UsageError when one cannot be loaded)."""
    flags = _plugin_flags(plugins)
    raw, passes = _core.list_passes(flags)
    _checked(Result(raw, flags + ["--list-passes"], None))
    return passes
