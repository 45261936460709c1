"""Pass plugins in the onnx_h8_opt module: the example plugin of the tree
(fuse-bn-into-conv) and the lit tests' plugins load with plugins=[...] or
args=["--load-pass-plugin=..."], run as they do in the CLI, and loading a
plugin again (in later runs, in one run, from several threads) never
crashes the interpreter."""
import os
import threading
import unittest

import numpy as np
import onnx
import onnx.parser
from onnx import numpy_helper

import onnx_h8_opt
from h8test import BUILD_DIR, FIXTURES, LIT, cli

EXAMPLE = os.environ.get("H8_EXAMPLE_PLUGIN", os.path.join(
    BUILD_DIR, "utils", "plugins", "libh8-fuse-bn-into-conv.so"))
TEST_PLUGINS = os.environ.get("H8_TEST_PLUGINS", os.path.join(BUILD_DIR, "test", "lit",
                                                              "plugins"))
CONV_BN = os.path.join(LIT, "Plugins", "Inputs", "conv-bn.onnxtext")
TCN = os.path.join(FIXTURES, "tcn_encoder", "model.onnx")


def initializers(model):
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


@unittest.skipUnless(os.path.exists(EXAMPLE), "the example plugin is not built")
class Plugins(unittest.TestCase):
    def test_example_plugin_fuses_and_matches_the_cli(self):
        r = onnx_h8_opt.run(CONV_BN, "fuse-bn-into-conv", plugins=[EXAMPLE],
                            verify_numerics=True)
        self.assertEqual(r.exit_code, 0, [d.text for d in r.diagnostics])
        self.assertEqual(r.pipeline, "fuse-bn-into-conv")
        self.assertTrue(r.numerics and all(row["ok"] for row in r.numerics), r.numerics)
        # The same command line through the CLI writes the same bytes.
        code, out, err = cli(["--load-pass-plugin=" + EXAMPLE, "--passes=fuse-bn-into-conv",
                              "--emit=binary", CONV_BN])
        self.assertEqual(code, 0, err)
        self.assertEqual(r.model_bytes, out)
        # One Conv writes y; its weights are the BatchNormalization folded in,
        # computed here from the input's parameters.
        self.assertEqual([(n.op_type, list(n.output)) for n in r.model.graph.node],
                         [("Conv", ["y"])])
        conv = r.model.graph.node[0]
        p = initializers(r.model)
        with open(CONV_BN) as f:
            before = initializers(onnx.parser.parse_model(f.read()))
        s = before["scale"] / np.sqrt(before["var"] + 1e-5)
        np.testing.assert_allclose(p[conv.input[1]], before["w"] * s[:, None, None], rtol=1e-6)
        np.testing.assert_allclose(p[conv.input[2]],
                                   (before["b"] - before["mean"]) * s + before["bias"],
                                   rtol=1e-6, atol=1e-6)

    def test_args_form_and_flag_form(self):
        a = onnx_h8_opt.run(CONV_BN, args=["--load-pass-plugin", EXAMPLE,
                                           "--fuse-bn-into-conv"])
        b = onnx_h8_opt.run(CONV_BN, plugins=EXAMPLE, fuse_bn_into_conv=True)
        self.assertEqual(a.exit_code, 0)
        self.assertEqual(a.model_bytes, b.model_bytes)
        self.assertEqual(a.pipeline, "fuse-bn-into-conv")
        self.assertIn("--load-pass-plugin=" + EXAMPLE, b.args)

    def test_loaded_again_in_later_runs(self):
        first = onnx_h8_opt.run(CONV_BN, "fuse-bn-into-conv", plugins=[EXAMPLE])
        for _ in range(3):
            again = onnx_h8_opt.run(CONV_BN, "fuse-bn-into-conv", plugins=[EXAMPLE])
            self.assertEqual(again.exit_code, 0, [d.text for d in again.diagnostics])
            self.assertEqual(again.model_bytes, first.model_bytes)
        # A plugin's passes exist only in the runs that load it.
        with self.assertRaises(onnx_h8_opt.UsageError) as cm:
            onnx_h8_opt.run(CONV_BN, "fuse-bn-into-conv")
        self.assertIn("unknown pass 'fuse-bn-into-conv'", str(cm.exception))
        self.assertNotIn("fuse-bn-into-conv", [p["name"] for p in onnx_h8_opt.list_passes()])

    def test_twice_in_one_run_is_the_clis_usage_error(self):
        flags = ["--load-pass-plugin=" + EXAMPLE, "--load-pass-plugin=" + EXAMPLE,
                 "--fuse-bn-into-conv"]
        code, _, err = cli(flags + [CONV_BN])
        self.assertEqual(code, 2)
        with self.assertRaises(onnx_h8_opt.UsageError) as cm:
            onnx_h8_opt.run(CONV_BN, args=flags)
        self.assertEqual(str(cm.exception), err.strip())
        self.assertIn("is already registered by plugin 'fuse-bn-into-conv'", str(cm.exception))

    def test_from_threads(self):
        results, errors = [], []

        def work():
            try:
                results.append(onnx_h8_opt.run(CONV_BN, "fuse-bn-into-conv",
                                               plugins=[EXAMPLE]).model_bytes)
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 4)
        self.assertEqual(len(set(results)), 1)

    @unittest.skipUnless(os.path.isdir(TEST_PLUGINS), "the lit tests' plugins are not built")
    def test_refused_plugins_are_the_clis_usage_errors(self):
        bad = sorted(f for f in os.listdir(TEST_PLUGINS) if f.startswith("libh8-bad-")
                     or f == "libh8-other-onnx.so")
        self.assertGreaterEqual(len(bad), 5, bad)
        missing = os.path.join(TEST_PLUGINS, "no-such-plugin.so")
        for name in bad + [missing]:
            path = os.path.join(TEST_PLUGINS, name)
            with self.subTest(plugin=name):
                code, _, err = cli(["--load-pass-plugin=" + path, "--list-passes"])
                self.assertEqual(code, 2, err)
                with self.assertRaises(onnx_h8_opt.UsageError) as cm:
                    onnx_h8_opt.run(TCN, plugins=[path])
                self.assertEqual(str(cm.exception), err.strip())
        # The module is still usable afterwards.
        self.assertTrue(onnx_h8_opt.run(TCN, "lift-conv1d").ok)

    @unittest.skipUnless(os.path.exists(os.path.join(TEST_PLUGINS, "libh8-perturb.so")),
                         "the perturb plugin is not built")
    def test_plugin_pass_is_verified(self):
        # perturb-weights changes the numerics; --verify-each=numerics pins it
        # on the pass: a model problem (exit 1) in the Result, not raised.
        r = onnx_h8_opt.run(CONV_BN, "perturb-weights",
                            plugins=[os.path.join(TEST_PLUGINS, "libh8-perturb.so")],
                            verify_each="numerics")
        self.assertEqual(r.exit_code, 1)
        self.assertTrue([d for d in r.errors()
                         if "pass 'perturb-weights' changed the model's numerics" in d.message],
                        [d.text for d in r.diagnostics])

    def test_list_passes_with_plugins(self):
        builtin = onnx_h8_opt.list_passes()
        with_plugin = onnx_h8_opt.list_passes(plugins=[EXAMPLE])
        added = [p for p in with_plugin if p not in builtin]
        self.assertEqual([(p["name"], p["plugin"]) for p in added],
                         [("fuse-bn-into-conv", "fuse-bn-into-conv")])
        self.assertEqual(len(with_plugin), len(builtin) + 1)
        # The CLI lists the same names.
        code, out, err = cli(["--load-pass-plugin=" + EXAMPLE, "--list-passes"])
        self.assertEqual(code, 0, err)
        # Passes come before the "Pipelines:" section (named pipelines are
        # not passes).
        passes_text = out.decode().split("\nPipelines:\n")[0]
        listed = [line.split(" - ")[0].split(" [plugin ")[0].strip()
                  for line in passes_text.splitlines()
                  if line.startswith("  ") and not line.startswith("    ") and " - " in line]
        self.assertEqual(listed, [p["name"] for p in with_plugin])
        # A plugin that cannot load is the CLI's usage error.
        with self.assertRaises(onnx_h8_opt.UsageError) as cm:
            onnx_h8_opt.list_passes(plugins=[os.path.join(TEST_PLUGINS, "no-such-plugin.so")])
        self.assertIn("cannot load pass plugin", str(cm.exception))

    def test_wrong_types(self):
        with self.assertRaises(TypeError):
            onnx_h8_opt.run(CONV_BN, plugins=[42])


if __name__ == "__main__":
    unittest.main()
