"""The Hailo-8 flow on every fixture, each result checked independently.

usage: hailo8_sweep.py TOOL FIXTURES_DIR WORK_DIR

For every fixture (a folder with model.onnx and info.json), with the
fixture's dynamic dims pinned to its data set 0 (info.json):

1. `TOOL model.onnx --hailo8 [--pin-dim=...] --diagnostics-format=json -o OUT`
   must exit 0 or 1. On 0, OUT exists and the lint's summary has 0 errors;
   on 1, OUT was not written, and the model the lint judged is made again by
   the same pipeline without its last pass (--dump-pass-pipeline).
2. That output model is read here with onnx and judged by this script's own
   rules (the README's Hailo-8 facts, not the tool's table): unsupported
   ops (also inside If/Loop/Scan bodies), the markers of decomposed norms (Sqrt for
   LayerNorm, Exp for Softmax, Reshape -> InstanceNormalization for
   GroupNorm), Concat over axis 0, reductions off the channel axis or with
   keepdims=0, grouped ConvTranspose. Each such node must be named by one of
   the lint's errors (as its node or a pattern member, in the same graph),
   and every node an error names must exist in the output. Exit 0 means no
   such node.
3. When the lint recommends a cut, `--hailo8 ... --split-hailo8=HOST -o DEV
   --verify-numerics` must exit 0 with a clean device lint (0 errors; the
   only warning allowed is a static batch > 1 of the model), every output at cos 1.000000, both files written, and DEV
   judged clean by step 2's rules.

Prints one line per fixture and 'sweep: N fixtures, P problems'; exits 1
when there is a problem.
"""
import json
import os
import re
import subprocess
import sys

import onnx
from onnx import numpy_helper

UNSUPPORTED = {
    "LSTM", "GRU", "RNN", "Gather", "GatherElements", "GatherND", "ScatterND",
    "ScatterElements", "Scatter", "TopK", "NonZero", "Where", "Expand", "Mod",
    "CumSum", "ArgMax", "ArgMin", "NonMaxSuppression", "If", "Loop", "Scan",
    "Shape", "ConstantOfShape", "Range", "Softmax", "LogSoftmax",
    "LayerNormalization", "GroupNormalization", "RMSNormalization",
    "Attention", "Gelu", "Mish",
}


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def node_name(node, index):
    if node.name:
        return node.name
    if node.output and node.output[0]:
        return node.output[0]
    return "#%d" % index


def walk(graph, path=""):
    """Yields (path, name, node, graph) for every node, bodies included."""
    for i, node in enumerate(graph.node):
        yield path, node_name(node, i), node, graph
        for a in node.attribute:
            bodies = [a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)
            for body in bodies:
                sub = "%s%s%s '%s' / %s" % (path, " / " if path else "", node.op_type,
                                             node_name(node, i), a.name)
                yield from walk(body, sub)


def constant_ints(graph, value):
    for t in graph.initializer:
        if t.name == value:
            return [int(v) for v in numpy_helper.to_array(t).flatten()]
    for n in graph.node:
        if n.op_type == "Constant" and value in n.output:
            t = attr(n, "value")
            if t is not None:
                return [int(v) for v in numpy_helper.to_array(t).flatten()]
    return None


def must_list(model):
    """(path, name) -> why, for the nodes Hailo-8 cannot run."""
    out = {}
    producers_of = {}  # id(graph) -> {value: producer}
    for path, name, node, graph in walk(model.graph):
        op = node.op_type
        if id(graph) not in producers_of:
            producers_of[id(graph)] = {o: n for n in graph.node for o in n.output}
        producers = producers_of[id(graph)]
        why = None
        if node.domain not in ("", "ai.onnx"):
            why = "custom domain"
        elif op in UNSUPPORTED:
            why = op
        elif op in ("Sqrt", "Exp"):
            why = "%s (decomposed %s)" % (op, "LayerNorm" if op == "Sqrt" else "Softmax")
        elif op == "InstanceNormalization":
            p = producers.get(node.input[0])
            if p is not None and p.op_type == "Reshape":
                why = "GroupNorm"
        elif op == "Concat" and attr(node, "axis", 0) == 0:
            why = "Concat over axis 0"
        elif op in ("ReduceMean", "ReduceMax", "ReduceSum"):
            axes = attr(node, "axes")
            if axes is None and len(node.input) > 1 and node.input[1]:
                axes = constant_ints(graph, node.input[1])
            if attr(node, "keepdims", 1) != 1 or list(axes or []) != [1]:
                why = "%s over %s keepdims=%d" % (op, axes, attr(node, "keepdims", 1))
        elif op == "ConvTranspose" and attr(node, "group", 1) != 1:
            why = "grouped ConvTranspose"
        if why:
            out[(path, name)] = why
    return out


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    return p.returncode, p.stderr


def parse_json_lines(stderr):
    diags, summaries = [], []
    for line in stderr.splitlines():
        if not line.startswith("{"):
            continue
        d = json.loads(line)
        (summaries if "summary" in d else diags).append(d)
    return diags, summaries


def listed_nodes(diags):
    listed = set()
    for d in diags:
        if d.get("severity") != "error" or d.get("pass") != "check-hailo8" or not d["node"]:
            continue
        listed.add((d["graph"], d["node"]))
        for note in d["notes"]:
            if note.startswith("pattern members: "):
                for m in re.finditer(r"'([^']*)' \(", note):
                    listed.add((d["graph"], m.group(1)))
    return listed


def pins(info):
    dims = {}
    for inp in info["inputs"]:
        for axis, name in info.get("dynamic_axes", {}).get(inp["name"], {}).items():
            dims[name] = inp["shape"][int(axis)]
        # Fixtures imitating current exporters list the dim names in the
        # declared shape ("onnx_shape": [1, 4, "s53"]).
        for axis, name in enumerate(inp.get("onnx_shape", [])):
            if isinstance(name, str):
                dims[name] = inp["shape"][axis]
    if not dims:
        return []
    return ["--pin-dim=" + ",".join("%s=%d" % kv for kv in sorted(dims.items()))]


def sweep_one(tool, fixture, name, work):
    problems = []
    model = os.path.join(fixture, "model.onnx")
    with open(os.path.join(fixture, "info.json")) as f:
        pin = pins(json.load(f))
    out = os.path.join(work, name + ".onnx")
    host = os.path.join(work, name + ".host.onnx")
    dev = os.path.join(work, name + ".dev.onnx")
    for f in (out, host, dev):
        if os.path.exists(f):
            os.remove(f)
    code, err = run([tool, model, "--hailo8"] + pin + ["--diagnostics-format=json", "-o", out])
    diags, summaries = parse_json_lines(err)
    if code not in (0, 1) or len(summaries) != 1:
        return ["exit %d with %d summaries: %s" % (code, len(summaries), err[-300:])], ""
    summary = summaries[0]
    errors = summary["summary"]["errors"]
    if code == 0:
        if not os.path.exists(out):
            problems.append("exit 0 but no output")
        if errors:
            problems.append("exit 0 with %d errors" % errors)
    else:
        if os.path.exists(out):
            problems.append("exit 1 but the output was written")
        _, dump = run([tool, model, "--hailo8"] + pin + ["--dump-pass-pipeline", "-o", os.devnull])
        pipeline = re.search(r"--passes='(.*)'$", dump, re.M).group(1)
        pipeline = re.sub(r",check-hailo8\{[^}]*\}$", "", pipeline)
        c, e = run([tool, model, "--passes=" + pipeline, "-o", out])
        if c != 0:
            return problems + ["the pipeline without the lint exits %d: %s" % (c, e[-300:])], ""
    judged = onnx.load(out)
    present = {(p, n) for p, n, _, _ in walk(judged.graph)}
    need = must_list(judged)
    listed = listed_nodes(diags)
    for key, why in sorted(need.items()):
        if key not in listed:
            problems.append("%s '%s' (%s) is in the output but not listed" % (key[0] or "main", key[1], why))
    for key in sorted(listed - present):
        problems.append("the lint lists '%s' (%s) which is not in the output" % (key[1], key[0] or "main"))
    if code == 1 and not need and errors == 0:
        problems.append("exit 1 without errors")
    line = "exit %d, %d errors, %d unsupported nodes in the output, all listed" % (
        code, errors, len(need))
    if code == 0 and need:
        problems.append("exit 0 but the output holds %d unsupported nodes" % len(need))
    cut = summary.get("end_node_names") or []
    if not cut:
        return problems, line + "; no cut"
    c, e = run([tool, model, "--hailo8"] + pin + ["--split-hailo8=" + host, "--verify-numerics",
                                                  "--diagnostics-format=json", "-o", dev])
    dev_diags, dev_summaries = parse_json_lines(e)
    if c != 0:
        return problems + ["split at the recommended cut exits %d: %s" % (c, e[-400:])], line
    s = dev_summaries[-1]["summary"] if dev_summaries else {}
    # The one warning allowed is the static batch of a model exported at
    # batch 2 (true of the model, not of the split).
    other = [d["message"] for d in dev_diags
             if d["severity"] == "warning" and " has batch " not in d["message"]]
    if s.get("errors") != 0 or other:
        problems.append("device lint not clean: %s %s" % (s, other))
    rows = re.findall(r"^  (\S+): cos (\S+) .*max\|d\| (\S+)", e, re.M)
    if not rows or any(cos != "1.000000" for _, cos, _ in rows):
        problems.append("composition not exact: %s" % rows)
    for f in (host, dev):
        if not os.path.exists(f):
            problems.append("%s not written" % f)
    if os.path.exists(dev):
        left = must_list(onnx.load(dev))
        if left:
            problems.append("device part holds unsupported nodes: %s" % sorted(left.values()))
    return problems, "%s; cut %s; split: device lint %d errors %d warnings, %s" % (
        line, " ".join(cut), s.get("errors", -1), s.get("warnings", -1), ", ".join("%s max|d| %s" % (n, d) for n, _, d in rows))


def main(argv):
    tool, fixtures, work = argv[1:4]
    os.makedirs(work, exist_ok=True)
    total, bad = 0, 0
    for name in sorted(os.listdir(fixtures)):
        d = os.path.join(fixtures, name)
        if not os.path.exists(os.path.join(d, "model.onnx")):
            continue
        total += 1
        problems, line = sweep_one(tool, d, name, work)
        print("%s: %s" % (name, line))
        for p in problems:
            bad += 1
            print("%s: PROBLEM: %s" % (name, p))
    print("sweep: %d fixtures, %d problems" % (total, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
