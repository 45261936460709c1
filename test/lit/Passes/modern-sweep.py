"""The opset 18-23 sweep (helper of modern-sweep.test).

usage: modern-sweep.py fixtures FIXTURE_DIR TMP_DIR
       modern-sweep.py real MODERN_EXPORTS_DIR TMP_DIR

For every model of the list:
  1. `--hailo8 [--pin-dim=...] --verify-numerics` exits 0; or, for a model
     with ops Hailo-8 does not run, exits 1 with check-hailo8 errors only and
     then exits 0 with --split-hailo8 (the device part and the host part
     together reproduce the original numerics), or ("lint") has no Hailo-8
     region before the unsupported op at all;
  2. the written model imports ai.onnx opset <= 17 with ir_version <= 8 and
     every Conv/ConvTranspose has kernel_shape;
  3. converting the device model back up to the original opset reproduces
     its numbers;
  4. convert-opset (after the same pins) to 17, then 17 -> 13 -> 17, each
     step with --verify-numerics, exits 0; a model with a stored test-data
     set (the fixtures' numpy or PyTorch outputs) converted to 17
     reproduces it (--verify-against);
  5. metadata_props survive: the graph's are unchanged (in the device
     model; split-hailo8's host model is a new graph); a node that keeps
     its name keeps its entries, and nodes named '<original>_<Op>...' (the
     decompositions) carry the original's; value_info entries that remain
     keep theirs.
Models are read with a small protobuf wire-format reader (no onnx module
needed). Prints 'skipped: ...' when the folder is absent, else one line per
model and 'checked N models'; exits 1 with the failing step otherwise.
"""
import os
import subprocess
import sys

TOOL = "onnx-h8-opt"

# (path, pin: --pin-dim value, or a list of flags for --hailo8 (after
# lifting) and one for convert-opset, opset, mode)
FIXTURES = [
    ("tcn_mean_op18/model.onnx", "s53=64", 18, "ok"),
    ("tcn_split_op18/model.onnx", (["--pin-shape=1,8,1,64"], []), 18, "ok"),
    ("tcn_ln_gelu_op20/model.onnx", "s53=32", 20, "split"),
    ("tcn_groupnorm_op21/model.onnx", "s53=32", 21, "split"),
    ("causal_tcn_op18/model.onnx", "s53=32", 18, "ok"),
    ("causal_tcn_const_op18/model.onnx", "s53=32", 18, "ok"),
    ("causal_tcn_extdata_op18/model.onnx", "s53=32", 18, "ok"),
    ("tcn_dynamic_op23/model.onnx", "s77=1,s53=33", 23, "split"),
]

# Pins matching the stored test data where they differ from the above.
DATA_PINS = {"tcn_dynamic_op23/model.onnx": "s77=2,s53=33"}

# resnet18_dynamo_pt22_noweights.onnx is not usable: its weights were
# stripped at the source and every module is a model-local function.
REAL = [
    ("gesture_mlp_pt290_op20.onnx", "s77=1", 20, "ok"),
    ("tinycnn_dw_op18.onnx", None, 18, "ok"),
    ("mlp_pt211_op17.onnx", None, 17, "ok"),
    ("edge_autoencoder_lstm_pt291/model.onnx", None, 18, "split"),
    ("two_nodes_layernorm_op18.onnx", "s0=1,s1=64", 18, "split"),
    ("vox_gru_pt211/model.onnx", "batch_size=1", 18, "lint"),
    ("onnx_node/test_gelu_default_1/model.onnx", None, 20, "ok"),
    ("onnx_node/test_group_normalization_example/model.onnx", None, 21, "ok"),
    ("onnx_node/test_rms_normalization_3d_axis_negative_1_epsilon/model.onnx", None, 23,
     "lint"),
]


class Fail(Exception):
    pass


# -- protobuf wire format ----------------------------------------------------
def _varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def fields(buf):
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            n, i = _varint(buf, i)
            value, i = buf[i:i + n], i + n
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise Fail("unsupported wire type %d" % wire)
        yield number, value


def _meta(entry):
    kv = dict(fields(entry))
    return (kv.get(1, b"").decode(), kv.get(2, b"").decode())


class Node:
    def __init__(self, buf):
        self.name = self.op = ""
        self.attrs, self.meta = set(), []
        for f, v in fields(buf):
            if f == 3:
                self.name = v.decode()
            elif f == 4:
                self.op = v.decode()
            elif f == 5:
                self.attrs.add(dict(fields(v)).get(1, b"").decode())
            elif f == 9:
                self.meta.append(_meta(v))


class Model:
    def __init__(self, path):
        with open(path, "rb") as fh:
            buf = fh.read()
        self.ir, self.opset = 0, 0
        self.nodes, self.graph_meta, self.value_meta = [], [], {}
        for f, v in fields(buf):
            if f == 1:
                self.ir = v
            elif f == 8:
                op = dict(fields(v))
                if op.get(1, b"") in (b"", b"ai.onnx"):
                    self.opset = op.get(2, 0)
            elif f == 7:
                self._graph(v)

    def _graph(self, buf):
        for f, v in fields(buf):
            if f == 1:
                self.nodes.append(Node(v))
            elif f == 13:
                name, meta = "", []
                for g, w in fields(v):
                    if g == 1:
                        name = w.decode()
                    elif g == 4:
                        meta.append(_meta(w))
                self.value_meta[name] = meta
            elif f == 16:
                self.graph_meta.append(_meta(v))


# -- steps -------------------------------------------------------------------
def run(cmd, code, need=None):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != code or (need is not None and need not in r.stdout):
        raise Fail("`%s` exited %d (expected %d%s):\n%s" % (
            " ".join(cmd), r.returncode, code, ", output with '%s'" % need if need else "",
            r.stdout[-3000:]))
    return r.stdout


def check_written(path, what):
    m = Model(path)
    if m.opset > 17 or m.ir > 8:
        raise Fail("%s: opset %d / ir_version %d, expected <= 17 / <= 8" % (what, m.opset, m.ir))
    for n in m.nodes:
        if n.op in ("Conv", "ConvTranspose") and "kernel_shape" not in n.attrs:
            raise Fail("%s: node '%s' (%s) has no kernel_shape" % (what, n.name, n.op))


def check_metadata(original, written, what, host):
    o, w = Model(original), Model(written)
    # split-hailo8's host model is a new graph without the graph's entries.
    if not host and w.graph_meta != o.graph_meta:
        raise Fail("%s: graph metadata_props changed" % what)
    by_name = {n.name: n.meta for n in o.nodes if n.name}
    checked = 0
    for n in w.nodes:
        origin = n.name if n.name in by_name else None
        if origin is None:  # a decomposition's node: <original>_<Op>[_k]
            cands = [k for k in by_name if n.name.startswith(k + "_") and
                     n.name[len(k) + 1:len(k) + 2].isupper()]
            origin = max(cands, key=len) if cands else None
        if origin is None:
            continue
        if n.meta != by_name[origin]:
            raise Fail("%s: node '%s' has metadata_props %s, its original '%s' %s" % (
                what, n.name, n.meta, origin, by_name[origin]))
        checked += len(n.meta) > 0
    for name, meta in w.value_meta.items():
        if name in o.value_meta and meta != o.value_meta[name]:
            raise Fail("%s: value_info '%s' lost its metadata_props" % (what, name))
    return checked


def sweep(folder, rel, pin, opset, mode, tmp):
    model = os.path.join(folder, rel)
    tag = rel.replace("/", "_").replace(".onnx", "")
    if isinstance(pin, tuple):
        pins, convert_pins = pin
    else:
        pins = convert_pins = ["--pin-dim=" + pin] if pin else []
    out = os.path.join(tmp, tag + ".h8.onnx")
    host = os.path.join(tmp, tag + ".host.onnx")
    for f in (out, host):
        if os.path.exists(f):
            os.remove(f)
    hailo8 = [TOOL, model, "--hailo8"] + pins + ["--verify-numerics"]
    if mode == "ok":
        run(hailo8 + ["-o", out], 0, "cos 1.000000")
    else:
        text = run(hailo8 + ["-o", out], 1)
        errors = [line for line in text.splitlines() if ": error: " in line]
        if not errors or any(": error: check-hailo8: " not in e for e in errors):
            raise Fail("%s: --hailo8 failed for another reason than check-hailo8:\n%s" % (
                rel, "\n".join(errors)))
        if os.path.exists(out):
            raise Fail("%s: a failed run wrote %s" % (rel, out))
        if mode == "split":
            run(hailo8 + ["--split-hailo8=" + host, "-o", out], 0, "cos 1.000000")
    written = [p for p in (out, host) if os.path.exists(p)]
    meta = 0
    for p in written:
        check_written(p, "%s (%s)" % (rel, os.path.basename(p)))
        meta += check_metadata(model, p, rel, p == host)
        # The host model is not converted back: split-hailo8 writes it with
        # references to the input's external data file, which it does not
        # copy next to it.
        if opset > 17 and p == out:
            run([TOOL, p, "--convert-opset=%d" % opset, "--verify-numerics", "-o", os.devnull],
                0, "cos 1.000000")
    m17 = os.path.join(tmp, tag + ".17.onnx")
    m13 = os.path.join(tmp, tag + ".13.onnx")
    run([TOOL, model] + convert_pins + ["--convert-opset=17", "--verify-numerics", "-o", m17], 0,
        "cos 1.000000")
    run([TOOL, m17, "--convert-opset=13", "--verify-numerics", "-o", m13], 0, "cos 1.000000")
    run([TOOL, m13, "--convert-opset=17", "--verify-numerics", "-o", os.devnull], 0,
        "cos 1.000000")
    # A fixture's stored outputs come from outside onnx-h8-opt (numpy or
    # PyTorch): the model converted to 17 reproduces them too.
    data = os.path.join(os.path.dirname(model), "test_data_set_0")
    if os.path.isdir(data):
        data_pins = ["--pin-dim=" + DATA_PINS[rel]] if rel in DATA_PINS else convert_pins
        run([TOOL, model] + data_pins + ["--convert-opset=17", "--verify-against=" + data,
                                         "-o", os.devnull], 0, "cos 1.000000")
    return "%s: %s, %d written, %d nodes with metadata_props checked" % (
        rel, mode, len(written), meta)


def main(kind, folder, tmp):
    if not os.path.isdir(folder):
        print("skipped: no %s folder" % os.path.basename(os.path.normpath(folder)))
        return 0
    os.makedirs(tmp, exist_ok=True)
    checked = 0
    for rel, pin, opset, mode in (FIXTURES if kind == "fixtures" else REAL):
        if not os.path.exists(os.path.join(folder, rel)):
            print("absent: %s" % rel)
            continue
        try:
            print(sweep(folder, rel, pin, opset, mode, tmp))
        except Fail as e:
            sys.stderr.write("FAIL %s: %s\n" % (rel, e))
            return 1
        checked += 1
    print("checked %d models" % checked)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
