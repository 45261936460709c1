"""Installation: `cmake --install` into a temporary prefix, then Debian's
python3 imports onnx_h8_opt from <prefix>/lib/python3/dist-packages and
runs a fixture; `cpack -G DEB` builds the .deb, whose contents and control
fields are checked with dpkg-deb (installing it with apt would change the
machine, so the test stops there)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from h8test import BUILD_DIR, FIXTURES


def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600, **kw)
    return p.returncode, p.stdout.decode("utf-8", "replace")


@unittest.skipIf(shutil.which("cmake") is None, "cmake missing")
class Install(unittest.TestCase):
    def test_install_prefix_and_import(self):
        with tempfile.TemporaryDirectory() as prefix:
            code, out = run(["cmake", "--install", BUILD_DIR, "--prefix", prefix])
            self.assertEqual(code, 0, out)
            site = os.path.join(prefix, "lib", "python3", "dist-packages")
            pkg = os.path.join(site, "onnx_h8_opt")
            self.assertTrue(os.path.exists(os.path.join(pkg, "__init__.py")))
            self.assertTrue([f for f in os.listdir(pkg) if f.startswith("_core.")])
            self.assertTrue(os.path.exists(os.path.join(prefix, "bin", "onnx-h8-opt")))
            self.assertTrue(os.path.exists(os.path.join(prefix, "include", "h8", "Tools",
                                                        "OptRun.h")))
            script = (
                "import onnx_h8_opt, sys\n"
                "assert onnx_h8_opt.__file__.startswith(sys.argv[1]), onnx_h8_opt.__file__\n"
                "r = onnx_h8_opt.run(sys.argv[2], hailo8=True, pin_shape='1,9,1,100',"
                " verify_numerics=True)\n"
                "print(r.exit_code, r.hailo8.summary['errors'], r.numerics[0]['ok'])\n")
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            env["PYTHONPATH"] = site
            code, out = run(["/usr/bin/python3", "-c", script, pkg,
                             os.path.join(FIXTURES, "tcn_encoder", "model.onnx")],
                            env=env, cwd=prefix)
            self.assertEqual(code, 0, out)
            self.assertEqual(out.split(), ["0", "0", "True"])

    @unittest.skipIf(shutil.which("cpack") is None or shutil.which("dpkg-deb") is None,
                     "cpack or dpkg-deb missing")
    def test_deb(self):
        with tempfile.TemporaryDirectory() as tmp:
            code, out = run(["cpack", "-G", "DEB", "--config",
                             os.path.join(BUILD_DIR, "CPackConfig.cmake"), "-B", tmp])
            self.assertEqual(code, 0, out)
            debs = [f for f in os.listdir(tmp) if f.endswith(".deb")]
            self.assertEqual(len(debs), 1, os.listdir(tmp))
            deb = os.path.join(tmp, debs[0])
            self.assertTrue(debs[0].startswith("onnx-h8-opt_"), debs[0])
            code, listing = run(["dpkg-deb", "-c", deb])
            self.assertEqual(code, 0, listing)
            files = [line.split()[-1] for line in listing.splitlines() if line.strip()]
            for want in ("./usr/bin/onnx-h8-opt",
                         "./usr/include/h8/Tools/OptRun.h",
                         "./usr/include/h8/Plugin/PassPlugin.h",
                         "./usr/lib/cmake/OnnxH8/OnnxH8Config.cmake",
                         "./usr/lib/onnx-h8-opt/plugins/libh8-fuse-bn-into-conv.so",
                         "./usr/lib/python3/dist-packages/onnx_h8_opt/__init__.py"):
                self.assertIn(want, files)
            self.assertTrue([f for f in files if f.startswith(
                "./usr/lib/python3/dist-packages/onnx_h8_opt/_core.cpython-")])
            code, control = run(["dpkg-deb", "-f", deb])
            self.assertEqual(code, 0, control)
            fields = dict(line.split(": ", 1) for line in control.splitlines() if ": " in line)
            self.assertEqual(fields["Package"], "onnx-h8-opt")
            depends = fields.get("Depends", "")
            # From dpkg-shlibdeps: the shared libraries the tool links.
            for lib in ("libonnx", "libprotobuf", "python3"):
                self.assertIn(lib, depends)
            # The package unpacks (what apt would install) and its tool runs.
            root = os.path.join(tmp, "root")
            code, out = run(["dpkg-deb", "-x", deb, root])
            self.assertEqual(code, 0, out)
            code, out = run([os.path.join(root, "usr", "bin", "onnx-h8-opt"), "--version"])
            self.assertEqual(code, 0, out)
            self.assertTrue(out.startswith("onnx-h8-opt "), out)


if __name__ == "__main__":
    unittest.main()
