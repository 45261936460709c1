"""onnx_h8_opt against the onnx-h8-opt CLI: same output bytes, same exit
codes, the same diagnostics as the CLI's JSON lines, and the error paths."""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import onnx

import onnx_h8_opt
from h8test import FIXTURES, LIT, cli, fixture_dims, fixtures

TCN = os.path.join(FIXTURES, "tcn_encoder", "model.onnx")
# lstm_uni_l1 has an LSTM Hailo-8 rejects (lint errors, exit 1).
LSTM = os.path.join(FIXTURES, "lstm_uni_l1", "model.onnx")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def json_lines(stderr):
    out = []
    for line in stderr.splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


class SameAsCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def cli_bytes(self, args):
        out = os.path.join(self.tmp.name, "cli.onnx")
        if os.path.exists(out):
            os.remove(out)
        code, _, err = cli(args + ["-o", out])
        data = read(out) if os.path.exists(out) else None
        return code, data, err

    def test_every_fixture_same_bytes(self):
        """Per fixture: a lifting pipeline (all exit 0) and --hailo8 with the
        fixture's dims pinned: same exit code, same output bytes, same
        diagnostic lines; a ModelProto input gives the same bytes."""
        checked = 0
        for name, path, info in fixtures():
            flag_sets = [["--passes=fold-constants,lift-conv1d,cleanup"], ["--hailo8"]]
            dims = fixture_dims(info)
            if dims:
                flag_sets[1].append("--pin-dim=" + dims)
            for flags in flag_sets:
                with self.subTest(fixture=name, flags=flags):
                    code, data, err = self.cli_bytes(flags + [path])
                    try:
                        r = onnx_h8_opt.run(path, args=flags)
                    except onnx_h8_opt.UsageError as e:
                        self.assertEqual(code, 2, str(e))
                        continue
                    self.assertEqual(r.exit_code, code, err)
                    if code == 0 and info.get("external_data"):
                        # The CLI moves external tensors into <output>.data;
                        # the in-memory result keeps the input's references.
                        self.assertIsNotNone(data)
                        self.assertIsNotNone(r.model_bytes)
                    elif code == 0:
                        self.assertIsNotNone(data)
                        self.assertEqual(r.model_bytes, data)
                        checked += 1
                    else:
                        self.assertIsNone(r.model_bytes)
                    lines = [l for l in err.splitlines()]
                    text = [l for d in r.diagnostics for l in d["text"].splitlines()]
                    self.assertEqual(text, lines)
            if info.get("external_data"):
                continue
            model = onnx.load(path)
            r = onnx_h8_opt.run(model, "fold-constants,lift-conv1d,cleanup")
            code, data, _ = self.cli_bytes(["--passes=fold-constants,lift-conv1d,cleanup", path])
            self.assertEqual(r.model_bytes, data, name)
        self.assertGreater(checked, 40)

    def test_keywords_are_the_cli_flags(self):
        r = onnx_h8_opt.run(TCN, hailo8=True, pin_shape=(1, 9, 1, 100), verify_numerics=True)
        self.assertEqual(r.args, ["--hailo8", "--pin-shape=1,9,1,100", "--verify-numerics", TCN])
        code, data, err = self.cli_bytes(["--hailo8", "--pin-shape=1,9,1,100",
                                          "--verify-numerics", TCN])
        self.assertEqual((r.exit_code, r.model_bytes), (code, data))
        # The verify-numerics table the CLI prints, as data.
        self.assertIn("verify-numerics: 3 random inputs (seed 0)", err)
        self.assertEqual(len(r.numerics), 1)
        row = r.numerics[0]
        self.assertEqual(row["output"], "y")
        self.assertEqual(row["dims"], "1,16,1,100")
        self.assertTrue(row["ok"])
        self.assertGreaterEqual(row["cos"], 0.99999)
        self.assertIn("  y: cos %.6f" % row["cos"], err)
        self.assertIn("max|d| %.1e" % row["max_abs_diff"], err)
        # The lifted model: input x is [1,9,1,100], the opset capped at 17.
        m = r.model
        self.assertIsInstance(m, onnx.ModelProto)
        dims = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
        self.assertEqual(dims, [1, 9, 1, 100])
        self.assertEqual(m.graph.input[0].name, "x")
        # The lint ran last and is clean.
        self.assertIsNotNone(r.hailo8)
        self.assertEqual(r.hailo8.summary["errors"], 0)
        self.assertEqual(r.hailo8.summary["total_nodes"], len(m.graph.node))
        self.assertEqual(r.hailo8.end_nodes, [])
        # Statistics and timings in pipeline order, --hailo8's passes.
        passes = [p for p, _ in r.timings if not p.startswith("(")]
        self.assertEqual(passes[:2], ["fold-constants", "lift-conv1d"])
        self.assertEqual(passes[-1], "check-hailo8")
        self.assertTrue(all(s >= 0 for _, s in r.timings))
        check = dict(r.statistics)["check-hailo8"]
        self.assertEqual(check["errors"], 0)
        self.assertEqual(check["runnable-nodes"], len(m.graph.node))
        self.assertIn("pin-shape", r.pipeline)

    def test_pin_dim_dict_and_output_file(self):
        out = os.path.join(self.tmp.name, "m.onnx")
        r = onnx_h8_opt.run(TCN, "lift-conv1d", pin_dim={"batch": 1, "time": 50}, output=out)
        self.assertEqual(r.args[:2], ["--passes=lift-conv1d", "--pin-dim=batch=1,time=50"])
        self.assertTrue(r.ok)
        self.assertIsNone(r.model)
        code, data, _ = self.cli_bytes(r.args[:-3] + [TCN])
        self.assertEqual(read(out), data)

    def test_an_earlier_runs_input_may_be_a_later_runs_output(self):
        # Each run protects its own inputs from being overwritten; a file
        # an earlier run in this process read is fair game for a later one.
        first = os.path.join(self.tmp.name, "first.onnx")
        with open(first, "wb") as f:
            f.write(read(TCN))
        self.assertTrue(onnx_h8_opt.run(first, "cleanup").ok)
        r = onnx_h8_opt.run(TCN, "lift-conv1d", output=first)
        self.assertTrue(r.ok, r.diagnostics)
        self.assertEqual(read(first), onnx_h8_opt.run(TCN, "lift-conv1d").model_bytes)

    def test_save(self):
        r = onnx_h8_opt.run(TCN, "lift-conv1d")
        path = os.path.join(self.tmp.name, "saved.onnx")
        r.save(path)
        self.assertEqual(read(path), r.model_bytes)
        self.assertEqual(os.listdir(self.tmp.name), ["saved.onnx"])

    def test_text_emit(self):
        r = onnx_h8_opt.run(TCN, args=["--emit=text", "--lift-conv1d"])
        code, out, _ = cli(["--lift-conv1d", TCN])
        self.assertEqual((r.exit_code, r.model_bytes), (code, out))
        self.assertTrue(out.startswith(b"<\n  ir_version"))
        # Text output stays bytes: .model parses only binary models.
        self.assertEqual(r.model, out)


class Diagnostics(unittest.TestCase):
    def test_quiet_by_default_and_echo_prints_as_the_cli(self):
        flags = ["--hailo8", "--pin-dim=batch=1,time=100", "--verify-numerics"]
        _, _, err = cli(flags + [TCN, "-o", os.devnull])
        self.assertIn("verify-numerics:", err)
        self.assertIn("check-hailo8: 0 errors", err)
        script = ("import onnx_h8_opt, sys\n"
                  "r = onnx_h8_opt.run(sys.argv[1], args=sys.argv[3:], echo=sys.argv[2] == '1')\n"
                  "sys.exit(r.exit_code)\n")
        for echo, expected in (("1", err), ("0", "")):
            p = subprocess.run([sys.executable, "-c", script, TCN, echo] + flags,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
            self.assertEqual(p.returncode, 0)
            self.assertEqual(p.stdout, b"")
            self.assertEqual(p.stderr.decode(), expected)

    def test_records_equal_cli_json_lines(self):
        """The records carry the JSON format's fields with the same values,
        on a run with lint errors, remarks and a pass statistic."""
        flags = ["--hailo8", "--pin-dim=batch=1,time=100", "--diagnostics-format=json",
                 "--pass-remarks=all"]
        for path in (LSTM, TCN, os.path.join(FIXTURES, "depthwise_tcn", "model.onnx")):
            code, _, err = cli(flags + [path, "-o", os.devnull])
            r = onnx_h8_opt.run(path, args=flags)
            self.assertEqual(r.exit_code, code)
            lines = json_lines(err)
            summaries = [l for l in lines if "summary" in l]
            records = [{k: d[k] for k in ("file", "severity", "pass", "graph", "node", "op",
                                          "message", "notes")} for d in r.diagnostics]
            self.assertEqual(records, [l for l in lines if "summary" not in l])
            self.assertTrue(records)
            # check-hailo8's JSON summary object, as the Findings.
            self.assertEqual(len(summaries), 1)
            s = summaries[0]
            self.assertEqual(r.hailo8.summary, s["summary"])
            self.assertEqual(r.hailo8.end_nodes, s["end_node_names"])
        # lstm_uni_l1: a model problem is a Result, not an exception.
        r = onnx_h8_opt.run(LSTM, hailo8=True, pin_dim="batch=1,time=100")
        self.assertEqual(r.exit_code, 1)
        self.assertFalse(r.ok)
        self.assertIsNone(r.model)
        self.assertFalse(r.hailo8.ok)
        self.assertTrue(r.hailo8.findings)
        lstm = [d for d in r.hailo8.findings if d.op == "LSTM"]
        self.assertEqual(len(lstm), 1)
        self.assertEqual(lstm[0].severity, "error")
        self.assertEqual(lstm[0].pass_, "check-hailo8")
        self.assertTrue(any(n.startswith("fix: ") for n in lstm[0].notes))
        self.assertTrue(lstm[0].rule.startswith("check-hailo8/"))

    def test_check_hailo8_matches_cli_text(self):
        code, _, err = cli(["--check-hailo8", LSTM])
        f = onnx_h8_opt.check_hailo8(LSTM)
        self.assertEqual(code, 1)
        self.assertEqual(f.exit_code, 1)
        self.assertFalse(f.ok)
        # The CLI's summary note says the same as the Findings.
        s = f.summary
        self.assertIn("check-hailo8: %d errors, %d warnings; Hailo-8 can run %d of %d nodes"
                      % (s["errors"], s["warnings"], s["runnable_nodes"], s["total_nodes"]), err)
        self.assertEqual(s["errors"], sum(1 for d in f.findings if d.severity == "error"))
        self.assertEqual(s["warnings"], sum(1 for d in f.findings if d.severity == "warning"))
        for d in f.findings:
            self.assertIn(d["text"].splitlines()[0], err)
        if f.end_nodes:
            self.assertIn("recommended cut: --end-node-names " + " ".join(f.end_nodes), err)
        # profile= and allow= reach the pass: allowing LSTM drops its error.
        g = onnx_h8_opt.check_hailo8(LSTM, profile="dfc3.27", allow=["LSTM"])
        self.assertFalse([d for d in g.findings if d.op == "LSTM" and d.severity == "error"])
        clean = onnx_h8_opt.check_hailo8(os.path.join(FIXTURES, "seed_tcn2d", "model.onnx"))
        code, _, err = cli(["--check-hailo8", os.path.join(FIXTURES, "seed_tcn2d", "model.onnx")])
        self.assertEqual(clean.exit_code, code)

    def test_list_passes(self):
        passes = onnx_h8_opt.list_passes()
        names = [p["name"] for p in passes]
        self.assertEqual(names, sorted(names))
        _, out, _ = cli(["--list-passes"])
        text = out.decode()
        for p in passes:
            self.assertIn("  %s - %s\n" % (p["name"], p["summary"]), text)
            for o in p["options"]:
                self.assertIn("      %s=<%s>" % (o["key"], o["type"]), text)
        self.assertIn("check-hailo8", names)
        pin = [p for p in passes if p["name"] == "pin-shape"][0]
        self.assertEqual(pin["primary_option"], "shape")


class Errors(unittest.TestCase):
    """Exit code 2 raises UsageError (a ValueError) with the CLI's message;
    wrong Python types raise TypeError before anything runs."""

    def assertUsage(self, cli_args, **run_kwargs):
        code, _, err = cli(cli_args)
        self.assertEqual(code, 2, err)
        model = run_kwargs.pop("model", TCN)
        with self.assertRaises(onnx_h8_opt.UsageError) as cm:
            onnx_h8_opt.run(model, **run_kwargs)
        self.assertIsInstance(cm.exception, ValueError)
        self.assertEqual(cm.exception.exit_code, 2)
        return str(cm.exception), err.rstrip("\n")

    def test_bad_pipeline(self):
        msg, err = self.assertUsage(["--passes=lift-conv1d,nope", TCN], pipeline="lift-conv1d,nope")
        self.assertEqual(msg, err)
        self.assertIn("nope", msg)
        msg, err = self.assertUsage(["--passes=lift-conv1d{interface=sideways}", TCN],
                                    pipeline="lift-conv1d{interface=sideways}")
        self.assertEqual(msg, err)

    def test_bad_pin(self):
        msg, err = self.assertUsage(["--pin-shape=1,2,3", TCN], pin_shape="1,2,3")
        self.assertEqual(msg, err)
        msg, err = self.assertUsage(["--pin-dim=batch=0", TCN], pin_dim="batch=0")
        self.assertEqual(msg, err)

    def test_bad_flags(self):
        msg, err = self.assertUsage(["--no-such-flag", TCN], args=["--no-such-flag"])
        self.assertEqual(msg, err)
        self.assertTrue(msg.startswith("onnx-h8-opt: error: unknown option '--no-such-flag'"))
        msg, err = self.assertUsage(["--hailo8=99", TCN], hailo8=99)
        self.assertEqual(msg, err)
        msg, err = self.assertUsage(["--verify-numerics=-1", TCN], verify_numerics=-1)
        self.assertEqual(msg, err)
        msg, err = self.assertUsage([TCN, TCN], args=[TCN])
        self.assertEqual(msg, err)

    def test_bad_files(self):
        missing = os.path.join(tempfile.gettempdir(), "h8-no-such-model.onnx")
        msg, err = self.assertUsage([missing], model=missing)
        self.assertEqual(msg, err)
        with tempfile.TemporaryDirectory() as tmp:
            junk = os.path.join(tmp, "junk.onnx")
            with open(junk, "wb") as f:
                f.write(b"\x08\x07\x12\x04junk\xff\xff")
            msg, junk_err = self.assertUsage([junk], model=junk)
            self.assertEqual(msg, junk_err)
            out = os.path.join(tmp, "no", "dir", "out.onnx")
            msg, err = self.assertUsage([TCN, "-o", out], output=out)
            self.assertEqual(msg, err)
            self.assertEqual(os.listdir(tmp), ["junk.onnx"])
            # Bytes: the same message, naming the in-memory input.
            with self.assertRaises(onnx_h8_opt.UsageError) as cm:
                onnx_h8_opt.run(b"\x08\x07\x12\x04junk\xff\xff")
            self.assertEqual(str(cm.exception), junk_err.replace(junk, "<memory>"))
            with self.assertRaises(onnx_h8_opt.UsageError) as cm:
                onnx_h8_opt.run(b"")
            self.assertIn("<memory>", str(cm.exception))
            # Bytes plus an input named in args.
            with self.assertRaises(onnx_h8_opt.UsageError) as cm:
                onnx_h8_opt.run(read(TCN), args=[TCN])
            self.assertIn("the model is given in memory", str(cm.exception))

    def test_python_errors(self):
        with self.assertRaises(TypeError):
            onnx_h8_opt.run(42)
        with self.assertRaises(TypeError):
            onnx_h8_opt.run(TCN, args="--lift-conv1d")
        with self.assertRaises(TypeError):
            onnx_h8_opt.run(TCN, pin_shape=object())
        with self.assertRaises(TypeError):
            onnx_h8_opt.run(TCN, "lift-conv1d", "extra-positional")

    def test_toolchain_missing_is_a_result(self):
        with tempfile.TemporaryDirectory() as tmp:
            flags = ["--passes=hailo-compile{out=%s dfc=%s}"
                     % (os.path.join(tmp, "out"), os.path.join(tmp, "no-hailo")),
                     os.path.join(FIXTURES, "seed_tcn2d", "model.onnx")]
            code, _, err = cli(flags)
            r = onnx_h8_opt.run(flags[-1], args=flags[:-1])
            self.assertEqual(code, 3, err)
            self.assertEqual(r.exit_code, 3)
            self.assertTrue(r.errors())

    def test_help_and_version_through_args(self):
        _, out, _ = cli(["--version"])
        raw = onnx_h8_opt._core.run(["--version"])
        self.assertEqual(raw["output"], out)
        self.assertEqual(raw["exit_code"], 0)


class Gil(unittest.TestCase):
    def test_second_thread_runs_during_a_long_run(self):
        """A pure-Python thread counts while the driver runs on a 150,000-node
        chain; with the GIL held it could not count at all. (60,000 nodes
        once took 0.4 s here; they take under 0.3 s now.)"""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "chain.onnxtext")
            n = 150000
            with open(path, "w") as f:
                f.write('<\n  ir_version: 8,\n  opset_import: ["" : 13]\n>\n')
                f.write("chain (float[2] x) => (float[2] v%d)\n{\n  v0 = Relu (x)\n" % (n - 1))
                f.writelines("  v%d = Neg (v%d)\n" % (i, i - 1) for i in range(1, n))
                f.write("}\n")
            count = [0]
            stop = threading.Event()

            def counter():
                while not stop.is_set():
                    count[0] += 1

            t = threading.Thread(target=counter)
            t.start()
            try:
                time.sleep(0.05)
                before = count[0]
                start = time.monotonic()
                r = onnx_h8_opt.run(path, "cleanup,infer-shapes,cleanup",
                                    args=["--verify-each=full"])
                seconds = time.monotonic() - start
                during = count[0] - before
            finally:
                stop.set()
                t.join()
            self.assertEqual(r.exit_code, 0, [d.text for d in r.errors()])
            self.assertGreater(seconds, 0.3, "the run is too short to tell")
            # Tens of thousands of increments per 0.1 s when the thread runs.
            self.assertGreater(during, 10000 * seconds, (during, seconds))

    def test_concurrent_runs_are_serialised_and_correct(self):
        results = []

        def work():
            results.append(onnx_h8_opt.run(TCN, "lift-conv1d").model_bytes)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(results), 4)
        self.assertEqual(len(set(results)), 1)


if __name__ == "__main__":
    unittest.main()
