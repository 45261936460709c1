#!/usr/bin/env python3
"""Tiny PyTorch nn.LSTM / nn.GRU / nn.RNN exports with PyTorch's outputs.

Purpose
-------
Reference data for the evaluator's recurrent kernels (LSTM, GRU with
linear_before_reset=1 as PyTorch exports it, RNN with Tanh or Relu): each
fixture is one recurrent module (input 4, hidden 8, sequence 5, batch 2)
exported by torch 1.13's torch.onnx.export at opset 13 with static shapes,
uni- or bidirectional, 1 or 2 layers (a 2-layer module is two ONNX nodes
with a Transpose/Reshape between them), batch_first True or False (the
exporter adds Transposes; the ONNX ops stay layout 0).

Graph inputs: `x` (and `h0` for the fixtures marked so: the initial state
as a graph input, sliced per layer by the exporter; otherwise the exporter
writes zero initial states).  Graph outputs: `y` (the module's output
sequence), `h` (h_n) and, for LSTM, `c` (c_n), stored as
test_data_set_0/output_0.pb, output_1.pb, output_2.pb in that order, with
the inputs as input_0.pb (x) and input_1.pb (h0).  Weights are PyTorch's
default random initialization under a fixed seed; the input is
torch.randn under the same seed.

Layout and conventions are those of utils/export_fixtures.py (model.onnx,
test_data_set_0/, info.json).  The section of test/fixtures/README.md
between the markers below is rewritten by this script (appended when
absent); nothing else in the README is touched.

Usage
-----
  /usr/bin/python3 utils/export_recurrent_fixtures.py [--out test/fixtures] [--only NAME...] [--list]
"""

import argparse
import collections
import json
import os
import shutil
import sys
import warnings

import onnx
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_fixtures as ef  # noqa: E402  (shared helpers)

OPSET = 13
INPUT, HIDDEN, SEQ, BATCH = 4, 8, 5, 2
README_BEGIN = "<!-- export_recurrent_fixtures.py: begin -->"
README_END = "<!-- export_recurrent_fixtures.py: end -->"

Spec = collections.namedtuple(
    "Spec", "name cell layers bidirectional batch_first h0 nonlinearity seed")

SPECS = [
    Spec("rnn_tanh_uni_l1", "RNN", 1, False, False, False, "tanh", 101),
    Spec("rnn_relu_bi_l1_bf", "RNN", 1, True, True, False, "relu", 102),
    Spec("rnn_tanh_bi_l2_h0", "RNN", 2, True, False, True, "tanh", 103),
    Spec("rnn_tanh_uni_l2_bf", "RNN", 2, False, True, False, "tanh", 104),
    Spec("gru_uni_l1", "GRU", 1, False, False, False, None, 201),
    Spec("gru_bi_l1_bf", "GRU", 1, True, True, False, None, 202),
    Spec("gru_bi_l2_h0", "GRU", 2, True, False, True, None, 203),
    Spec("gru_uni_l2_bf", "GRU", 2, False, True, False, None, 204),
    Spec("lstm_uni_l1", "LSTM", 1, False, False, False, None, 301),
    Spec("lstm_bi_l1_bf", "LSTM", 1, True, True, False, None, 302),
    Spec("lstm_bi_l2_h0", "LSTM", 2, True, False, True, None, 303),
    Spec("lstm_uni_l2_bf", "LSTM", 2, False, True, False, None, 304),
]


class Wrapper(nn.Module):
    """Returns (y, h_n[, c_n]) so every state the module yields is compared."""

    def __init__(self, spec):
        super().__init__()
        kw = dict(input_size=INPUT, hidden_size=HIDDEN, num_layers=spec.layers,
                  bidirectional=spec.bidirectional, batch_first=spec.batch_first)
        if spec.cell == "RNN":
            self.rnn = nn.RNN(nonlinearity=spec.nonlinearity, **kw)
        else:
            self.rnn = getattr(nn, spec.cell)(**kw)
        self.cell = spec.cell

    def forward(self, x, *state):
        if self.cell == "LSTM":
            hx = (state[0], state[1]) if state else None
            y, (h, c) = self.rnn(x, hx)
            return y, h, c
        y, h = self.rnn(x, state[0] if state else None)
        return y, h


def description(spec):
    dirs = "bidirectional" if spec.bidirectional else "unidirectional"
    cell = spec.cell if spec.cell != "RNN" else "RNN(nonlinearity=%s)" % spec.nonlinearity
    state = ("initial state(s) as graph input(s)" if spec.h0
             else "no initial state (exporter writes zeros)")
    lbr = "; GRU exported with linear_before_reset=1" if spec.cell == "GRU" else ""
    return ("nn.%s(input 4, hidden 8, %d layer%s, %s, batch_first=%s), seq 5, batch 2; %s; "
            "outputs y, h_n%s%s." % (cell, spec.layers, "s" if spec.layers > 1 else "", dirs,
                                     spec.batch_first, state,
                                     ", c_n" if spec.cell == "LSTM" else "", lbr))


def export(spec, out_dir):
    d = os.path.join(out_dir, spec.name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    torch.manual_seed(spec.seed)
    model = Wrapper(spec).eval()
    x_shape = (BATCH, SEQ, INPUT) if spec.batch_first else (SEQ, BATCH, INPUT)
    x = torch.randn(*x_shape)
    state_shape = (spec.layers * (2 if spec.bidirectional else 1), BATCH, HIDDEN)
    inputs = [("x", x)]
    if spec.h0:
        inputs.append(("h0", torch.randn(*state_shape)))
        if spec.cell == "LSTM":
            inputs.append(("c0", torch.randn(*state_shape)))
    out_names = ["y", "h"] + (["c"] if spec.cell == "LSTM" else [])
    args = tuple(t for _, t in inputs)
    path = os.path.join(d, "model.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, args, path, opset_version=OPSET,
                          input_names=[n for n, _ in inputs], output_names=out_names,
                          do_constant_folding=True)
    with torch.no_grad():
        outs = model(*args)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = collections.Counter(n.op_type for n in m.graph.node)
    assert ops[spec.cell] == spec.layers, (spec.name, ops)
    if spec.cell == "GRU":
        for n in m.graph.node:
            if n.op_type == "GRU":
                lbr = [a.i for a in n.attribute if a.name == "linear_before_reset"]
                assert lbr == [1], (spec.name, lbr)

    ds = os.path.join(d, "test_data_set_0")
    os.makedirs(ds)
    for k, (name, t) in enumerate(inputs):
        ef.write_tensor(os.path.join(ds, "input_%d.pb" % k), t.numpy(), name)
    for k, (name, t) in enumerate(zip(out_names, outs)):
        ef.write_tensor(os.path.join(ds, "output_%d.pb" % k), t.numpy(), name)

    info = {
        "name": spec.name,
        "description": description(spec),
        "opset": OPSET,
        "do_constant_folding": True,
        "seed": spec.seed,
        "inputs": [{"name": n, "shape": list(t.shape),
                    "onnx_shape": ef.dim_list(vi)}
                   for (n, t), vi in zip(inputs, m.graph.input)],
        "outputs": [{"name": n, "shape": list(t.shape),
                     "onnx_shape": ef.dim_list(vi)}
                    for n, t, vi in zip(out_names, outs, m.graph.output)],
        "dynamic_axes": {},
        "output_dynamic_axes": {},
        "test_data_sets": [{"name": "test_data_set_0",
                            "inputs": {n: list(t.shape) for n, t in inputs},
                            "outputs": {n: list(t.shape) for n, t in zip(out_names, outs)}}],
    }
    info.update(num_nodes=len(m.graph.node), op_types=dict(sorted(ops.items())),
                value_info_entries=len(m.graph.value_info), torch_version=torch.__version__)
    with open(os.path.join(d, "info.json"), "w") as f:
        f.write(json.dumps(info, indent=2, sort_keys=True) + "\n")


def readme_section():
    lines = [
        README_BEGIN,
        "",
        "## Recurrent fixtures",
        "",
        "Generated by `utils/export_recurrent_fixtures.py` (re-run",
        "`/usr/bin/python3 utils/export_recurrent_fixtures.py`; it rewrites only",
        "this section).  One PyTorch recurrent module each, input 4, hidden 8,",
        "sequence 5, batch 2, exported at opset 13 with static shapes; default",
        "random weights under the fixed seed in info.json.  Graph outputs `y`",
        "(output sequence), `h` (h_n) and for LSTM `c` (c_n) are",
        "`output_0/1/2.pb`; inputs `x` and, where named `_h0`, the initial",
        "state(s) `h0` (and `c0`) are `input_0/1/2.pb`.  `_bf` fixtures use",
        "batch_first=True (the exporter adds Transposes around layout-0 ops).",
        "",
        "| fixture | opset | contents |",
        "|---|---|---|",
    ]
    for s in SPECS:
        lines.append("| `%s` | %d | %s |" % (s.name, OPSET, description(s)))
    lines += ["", README_END]
    return "\n".join(lines) + "\n"


def update_readme(out_dir):
    path = os.path.join(out_dir, "README.md")
    text = open(path).read() if os.path.exists(path) else ""
    section = readme_section()
    if README_BEGIN in text and README_END in text:
        head = text[:text.index(README_BEGIN)]
        tail = text[text.index(README_END) + len(README_END):].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures"))
    p.add_argument("--only", nargs="*")
    p.add_argument("--list", action="store_true")
    a = p.parse_args(argv)
    if a.list:
        for s in SPECS:
            print(s.name)
        return 0
    names = {s.name for s in SPECS}
    for n in a.only or []:
        if n not in names:
            p.error("unknown fixture %s" % n)
    torch.use_deterministic_algorithms(True)
    for s in SPECS:
        if a.only and s.name not in a.only:
            continue
        export(s, a.out)
        print("wrote", s.name)
    update_readme(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
