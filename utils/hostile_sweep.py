#!/usr/bin/env python3
"""Extreme-value sweep: writes single-node models whose sizes, pads, axes and
repeats are INT64_MAX, INT64_MIN or +-2^62 (and Resize scales of inf, NaN,
1e30, 0) into OUT_DIR and runs TOOL on each through five pipelines
(--verify-numerics=1, --fold-constants, --check-hailo8, --infer-shapes,
--hailo8). Reports any signal, exit code above 3, sanitizer report or run
over 10 s. Meant for the ASan/UBSan build (utils/sanitize.sh):

  utils/hostile_sweep.py build-asan/tools/onnx-h8-opt/onnx-h8-opt /tmp/sweep
"""
import glob
import os
import subprocess
import sys
import time

MAX = 9223372036854775807
MIN = -9223372036854775808
H = '<ir_version: 8, opset_import: ["" : %d]>\n'
cases = {}


def m(name, body, inputs="float[2,3,4,5] x", outputs="float[?,?,?,?] y", inits="", opset=17):
    init = "  <%s>\n" % inits if inits else ""
    cases[name] = (H % opset) + "g (%s) => (%s)\n%s{\n%s\n}\n" % (inputs, outputs, init, body)


for v in (MAX, MIN, 2**62, -2**62):
    m("pad_%d" % abs(v % 97), "  y = Pad (x, p)", inits="int64[8] p = {%d, 0, 0, 0, %d, 0, 0, 0}" % (v, v))
    m("slice_%d" % abs(v % 97), "  y = Slice (x, s, e, a, st)", inits="int64[1] s = {%d}, int64[1] e = {%d}, int64[1] a = {3}, int64[1] st = {%d}" % (v, -v if v != MIN else MAX, v))
    m("split_%d" % abs(v % 97), "  y, z = Split <axis = 1> (x, s)", outputs="float[?,?,?,?] y, float[?,?,?,?] z", inits="int64[2] s = {%d, %d}" % (v, 3 - v if v != MIN else 1))
    m("range_%d" % abs(v % 97), "  y = Range (a, b, c)", inputs="float[1] x", outputs="int64[?] y", inits="int64 a = {%d}, int64 b = {%d}, int64 c = {1}" % (-abs(v) if v != MIN else MIN, abs(v) if v != MIN else MAX))
    m("reduce_%d" % abs(v % 97), "  y = ReduceSum (x, ax)", inits="int64[1] ax = {%d}" % v)
    m("conv_%d" % abs(v % 97), "  y = Conv <pads = [%d, 0, %d, 0], strides = [1, 1]> (x, w)" % (v, v), inits="float[1,3,1,1] w = {1, 1, 1}")
    m("convs_%d" % abs(v % 97), "  y = Conv <strides = [%d, 1], dilations = [%d, 1]> (x, w)" % (v, v), inits="float[1,3,1,1] w = {1, 1, 1}")
    m("pool_%d" % abs(v % 97), "  y = MaxPool <kernel_shape = [%d, 1]> (x)" % v)
    m("apool_%d" % abs(v % 97), "  y = AveragePool <kernel_shape = [2, 1], pads = [%d, 0, %d, 0]> (x)" % (v, v))
    m("tile_%d" % abs(v % 97), "  y = Tile (x, r)", inits="int64[4] r = {1, 1, 1, %d}" % v)
    m("expand_%d" % abs(v % 97), "  y = Expand (x, s)", inits="int64[4] s = {%d, 3, 4, 5}" % v)
    m("reshape_%d" % abs(v % 97), "  y = Reshape (x, s)", inits="int64[2] s = {%d, -1}" % v)
    m("cos_%d" % abs(v % 97), "  y = ConstantOfShape (s)", inputs="float[1] x", outputs="float[?] y", inits="int64[1] s = {%d}" % v)
    m("gather_%d" % abs(v % 97), "  y = Gather <axis = 1> (x, i)", inits="int64[1] i = {%d}" % v)
    m("unsq_%d" % abs(v % 97), "  y = Unsqueeze (x, a)", inits="int64[1] a = {%d}" % v)
    m("flat_%d" % abs(v % 97), "  y = Flatten <axis = %d> (x)" % v, outputs="float[?,?] y")
    m("concat_%d" % abs(v % 97), "  y = Concat <axis = %d> (x, x)" % v)
    m("topk_%d" % abs(v % 97), "  y, i = TopK (x, k)", outputs="float[?,?,?,?] y, int64[?,?,?,?] i", inits="int64[1] k = {%d}" % v)
    m("cumsum_%d" % abs(v % 97), "  y = CumSum (x, a)", inits="int64 a = {%d}" % v)
    m("d2s_%d" % abs(v % 97), "  y = DepthToSpace <blocksize = %d> (x)" % v)
    m("trilu_%d" % abs(v % 97), "  y = Trilu (x, k)", inits="int64 k = {%d}" % v)
    m("onehot_%d" % abs(v % 97), "  y = OneHot (i, d, vals)", inputs="float[1] x", outputs="float[?,?] y", inits="int64[2] i = {0, 1}, int64 d = {%d}, float[2] vals = {0, 1}" % v)
    m("resizes_%d" % abs(v % 97), "  y = Resize <mode = \"nearest\"> (x, \"\", \"\", s)", inits="int64[4] s = {2, 3, 4, %d}" % v)
    m("transpose_%d" % abs(v % 97), "  y = Transpose <perm = [0, 1, 2, %d]> (x)" % v)
    m("squeeze_%d" % abs(v % 97), "  y = Squeeze (x, a)", inits="int64[1] a = {%d}" % v)
    m("dft_%d" % abs(v % 97), "  y = DFT (x, n)", inputs="float[1,8,1] x", outputs="float[?,?,?] y", inits="int64 n = {%d}" % v)
    m("stft_%d" % abs(v % 97), "  y = STFT (x, st, \"\", fl)", inputs="float[1,8,1] x", outputs="float[?,?,?,?] y", inits="int64 st = {%d}, int64 fl = {4}" % v)
for f in ("1e30", "-1e30", "inf", "nan", "0"):
    tag = f.replace("-", "m").replace(".", "_")
    m("resize_%s" % tag, "  y = Resize <mode = \"nearest\"> (x, \"\", s)", inits="float[4] s = {1, 1, 1, %s}" % f)
    m("resizel_%s" % tag, "  y = Resize <mode = \"linear\"> (x, \"\", s)", inits="float[4] s = {1, 1, %s, 2}" % f)
m("text_huge", "  y = Add (x, w)", inputs="float[1] x", outputs="float[?] y", inits="float[4611686018427387904] w = {}")
def write(out):
    for name, text in cases.items():
        with open(os.path.join(out, name + ".onnxtext"), "w") as f:
            f.write(text)


PIPELINES = [["--verify-numerics=1"], ["--fold-constants"], ["--check-hailo8"],
             ["--infer-shapes"], ["--hailo8"]]


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    tool, out = argv
    os.makedirs(out, exist_ok=True)
    write(out)
    bad = n = 0
    for f in sorted(glob.glob(os.path.join(out, "*.onnxtext"))):
        for p in PIPELINES:
            n += 1
            t = time.time()
            try:
                r = subprocess.run([tool] + p + [f, "-o", os.devnull], capture_output=True,
                                   text=True, timeout=60)
                rc, err = r.returncode, r.stderr
            except subprocess.TimeoutExpired:
                rc, err = "timeout", ""
            dt = time.time() - t
            if (rc == "timeout" or rc < 0 or rc > 3 or "runtime error" in err
                    or "Sanitizer" in err or dt > 10):
                bad += 1
                lines = [l for l in err.splitlines() if "error" in l or "Sanitizer" in l]
                print("BAD", os.path.basename(f), p, rc, "%.1fs" % dt, "|", " / ".join(lines)[:400])
    print("ran", n, "bad", bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
