"""The hostile-input catalogue (test/lit/Hostile) through the module: every
input gives the CLI's exit code (2 as UsageError), never a crash of the
interpreter, and leaves the input untouched. Inputs come from the lit
tests' generator (test/lit/Inputs/hostile/mkmodel.py), the lit files that
hold bad models, and the fuzz regressions."""
import glob
import hashlib
import os
import sys
import tempfile
import unittest

import onnx_h8_opt
from h8test import LIT, SOURCE_DIR, cli

sys.path.insert(0, os.path.join(LIT, "Inputs", "hostile"))
import mkmodel  # noqa: E402

# (name, mkmodel arguments)
GENERATED = [
    ("short-raw", ["short-raw"]),
    ("short-raw-fold", ["short-raw-fold"]),
    ("external-outside", ["external", "../outside.bin"]),
    ("external-absolute", ["external", "/etc/passwd"]),
    ("external-missing", ["external", "missing.bin"]),
    ("external-past-end", ["external", "data.bin", "0", "4096"]),
    ("nested", ["nested", "1000"]),
    ("nested-text", ["nested-text", "1000"]),
    ("many-text", ["many-text", "20000"]),
    ("big-name", ["big-name", "10000000"]),
    ("dims-zero", ["dims", "0"]),
    ("dims-negative", ["dims", "-1"]),
    ("dims-huge", ["dims", str(2 ** 62)]),
    ("op-type", ["op-type", "a\\nb c"]),
] + [("random-%d" % seed, ["random", str(size), str(seed)])
     for seed, size in ((1, 1), (2, 100), (3, 4096), (4, 65536))]

LIT_FILES = [
    "Tools/onnx-h8-opt/verifier-errors.onnxtext",
    "Hostile/conv-mismatch.onnxtext",
    "Hostile/flatten-groups-indivisible.onnxtext",
    "Hostile/opsets.onnxtext",
    "Hostile/pad-huge.onnxtext",
    "Hostile/onnx-inference-attributes.onnxtext",
]

PIPELINES = [
    [],
    ["--hailo8", "--pin-dim=batch=1,time=100", "--verify-numerics"],
    ["--passes=infer-shapes{onnx=true},fold-constants,flatten-groups,cleanup"],
]


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Hostile(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def check(self, path, flags):
        """Module and CLI agree on the exit code; the module raises only
        UsageError, on exit 2; the input is unchanged; no output is left."""
        before = digest(path)
        out = os.path.join(self.tmp.name, "out", "result.onnx")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        code, _, err = cli(flags + [path, "-o", out])
        if os.path.exists(out):
            os.remove(out)
        try:
            r = onnx_h8_opt.run(path, args=flags + ["-o", out])
            got = r.exit_code
            self.assertNotEqual(got, 2)
        except onnx_h8_opt.UsageError as e:
            got = 2
            self.assertTrue(str(e))
        self.assertEqual(got, code, err[-2000:])
        self.assertEqual(digest(path), before)
        if code != 0:
            self.assertEqual(os.listdir(os.path.dirname(out)), [])
        # From memory too (external data then resolves from the current folder).
        with open(path, "rb") as f:
            data = f.read()
        try:
            r = onnx_h8_opt.run(data, args=flags)
            self.assertIn(r.exit_code, (0, 1, 3))
        except onnx_h8_opt.UsageError:
            pass
        return code

    def test_generated(self):
        codes = {}
        for name, args in GENERATED:
            path = os.path.join(self.tmp.name, name + (".onnxtext" if "text" in name or name in (
                "big-name", "dims-zero", "dims-negative", "dims-huge") else ".onnx"))
            if name == "external-past-end":
                with open(os.path.join(self.tmp.name, "data.bin"), "wb") as f:
                    f.write(b"\0" * 16)
            self.assertEqual(mkmodel.main(args[:1] + [path] + args[1:]), 0)
            for flags in PIPELINES:
                with self.subTest(input=name, flags=flags):
                    codes[(name, tuple(flags))] = self.check(path, flags)
        # Verdicts of the catalogue (Hostile/README.md): random bytes do not
        # parse (2); external data outside the folder is refused when the
        # model is read, whatever the pipeline (2).
        self.assertEqual(codes[("random-3", ())], 2)
        self.assertEqual(codes[("external-outside", ())], 2)
        self.assertEqual(codes[("external-outside", tuple(PIPELINES[1]))], 2)

    def test_lit_inputs(self):
        for rel in LIT_FILES:
            path = os.path.join(LIT, rel)
            for flags in PIPELINES:
                with self.subTest(input=rel, flags=flags):
                    self.check(path, ["--split-input-file", "--emit=text"] + flags)

    def test_fuzz_regressions(self):
        files = sorted(glob.glob(os.path.join(SOURCE_DIR, "test", "fuzz", "regressions", "*")))
        files = [f for f in files if os.path.isfile(f) and not f.endswith((".md", ".test"))]
        self.assertTrue(files)
        for path in files:
            with self.subTest(input=os.path.relpath(path, SOURCE_DIR)):
                self.check(path, PIPELINES[1])


if __name__ == "__main__":
    unittest.main()
