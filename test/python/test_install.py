"""Installation: `cmake --install` into a temporary prefix, then Debian's
python3 imports onnx_h8_opt from <prefix>/lib/python3/dist-packages and
runs a fixture; `cpack -G DEB` builds the .deb, which dpkg installs into a
temporary root with its own admin folder (the machine is not changed) and
apt-get -s plans to install on this machine; the installed tool, example
plugin and module then run jobs from that root."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from h8test import BUILD_DIR, FIXTURES, LIT, TOOL


def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600, **kw)
    return p.returncode, p.stdout.decode("utf-8", "replace")


TCN = os.path.join(FIXTURES, "tcn_encoder", "model.onnx")
CONV_BN = os.path.join(LIT, "Plugins", "Inputs", "conv-bn.onnxtext")


def run_installed_module(site, cwd, plugin):
    """Debian's python3 imports onnx_h8_opt from `site` alone and runs the
    headline job, then the example plugin's pass from `plugin`. Prints
    '<exit> <lint errors> <numerics ok>' and '<exit> <op types> <numerics ok>'."""
    script = (
        "import onnx_h8_opt, sys\n"
        "assert onnx_h8_opt.__file__.startswith(sys.argv[1]), onnx_h8_opt.__file__\n"
        "r = onnx_h8_opt.run(sys.argv[2], hailo8=True, pin_shape='1,9,2,100',"
        " verify_numerics=True)\n"
        "print(r.exit_code, r.hailo8.summary['errors'], r.numerics[0]['ok'])\n"
        "p = onnx_h8_opt.run(sys.argv[3], 'fuse-bn-into-conv', plugins=[sys.argv[4]],"
        " verify_numerics=True)\n"
        "print(p.exit_code, [n.op_type for n in p.model.graph.node], p.numerics[0]['ok'])\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = site
    return run(["/usr/bin/python3", "-c", script, site, TCN, CONV_BN, plugin], env=env, cwd=cwd)


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
            code, out = run_installed_module(site, prefix, os.path.join(
                prefix, "lib", "onnx-h8-opt", "plugins", "libh8-fuse-bn-into-conv.so"))
            self.assertEqual(code, 0, out)
            self.assertEqual(out.splitlines(), ["0 0 True", "0 ['Conv'] True"])


def depends_names(field):
    """Package names of a Depends field ('a (>= 1), b | c' -> {a, b, c})."""
    names = set()
    for part in field.split(","):
        for alt in part.split("|"):
            name = alt.strip().split(" ")[0].split(":")[0]
            if name:
                names.add(name)
    return names


def installed_stanzas(names):
    """The machine's dpkg status records of the installed packages `names`."""
    with open("/var/lib/dpkg/status", encoding="utf-8", errors="replace") as f:
        stanzas = f.read().split("\n\n")
    out = []
    for stanza in stanzas:
        fields = dict(line.split(": ", 1) for line in stanza.splitlines()
                      if ": " in line and not line.startswith(" "))
        if fields.get("Package") in names and fields.get("Status") == "install ok installed":
            out.append(stanza.strip("\n"))
    return out


def library_owner(path):
    """The package that ships a library path (dpkg -S), trying the /usr and
    the merged-/usr spelling of the path."""
    candidates = [path]
    if path.startswith("/lib"):
        candidates.append("/usr" + path)
    elif path.startswith("/usr/lib"):
        candidates.append(path[len("/usr"):])
    for candidate in candidates:
        code, out = run(["dpkg", "-S", candidate])
        if code == 0 and ": " in out:
            return out.split(": ", 1)[0].split(":")[0]
    return None


@unittest.skipIf(shutil.which("cpack") is None or shutil.which("dpkg") is None
                 or shutil.which("dpkg-deb") is None, "cpack, dpkg or dpkg-deb missing")
class Deb(unittest.TestCase):
    """The .deb of this build (one cpack run): its contents and control
    fields, its Depends against the libraries its ELF files really need,
    an install with dpkg into a temporary root (own admin folder; the
    machine's installed packages stand in for the dependencies), the
    installed tool, plugin and module at work there, and apt's simulated
    install resolving the Depends on this machine. Nothing outside the
    temporary folder is written (dpkg's log goes to /dev/null)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="h8-deb-")
        code, out = run(["cpack", "-G", "DEB", "--config",
                         os.path.join(BUILD_DIR, "CPackConfig.cmake"), "-B", cls.tmp])
        if code != 0:
            shutil.rmtree(cls.tmp)
            raise AssertionError("cpack failed:\n" + out)
        debs = [f for f in os.listdir(cls.tmp) if f.endswith(".deb")]
        assert len(debs) == 1, os.listdir(cls.tmp)
        cls.deb = os.path.join(cls.tmp, debs[0])
        code, control = run(["dpkg-deb", "-f", cls.deb])
        assert code == 0, control
        cls.fields = dict(line.split(": ", 1) for line in control.splitlines() if ": " in line)
        cls.depends = depends_names(cls.fields.get("Depends", ""))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def dpkg(self, admin, root, *args):
        flags = ["dpkg", "--admindir=" + admin, "--instdir=" + root, "--log=/dev/null"]
        if os.geteuid() != 0:
            flags.append("--force-not-root")
        return run(flags + list(args))

    def admin_folder(self, name, stanzas):
        admin = os.path.join(self.tmp, name, "admin")
        for sub in ("info", "updates", "triggers"):
            os.makedirs(os.path.join(admin, sub))
        with open(os.path.join(admin, "status"), "w") as f:
            f.write("".join(s + "\n\n" for s in stanzas))
        open(os.path.join(admin, "available"), "w").close()
        root = os.path.join(self.tmp, name, "root")
        os.makedirs(root)
        return admin, root

    def test_contents_and_control(self):
        self.assertTrue(os.path.basename(self.deb).startswith("onnx-h8-opt_"), self.deb)
        code, listing = run(["dpkg-deb", "-c", self.deb])
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
        self.assertEqual(self.fields["Package"], "onnx-h8-opt")
        # The module is built for one Python minor version (its ABI tag):
        # the one running this test (the build's H8_PYTHON_EXECUTABLE).
        major, minor = sys.version_info[:2]
        depends = self.fields["Depends"]
        self.assertIn("python3 (>= %d.%d)" % (major, minor), depends)
        self.assertIn("python3 (<< %d.%d)" % (major, minor + 1), depends)
        self.assertIn("python3-onnx", self.fields.get("Recommends", ""))

    @unittest.skipIf(shutil.which("readelf") is None or shutil.which("ldd") is None,
                     "readelf or ldd missing")
    def test_depends_cover_the_libraries_the_files_need(self):
        root = os.path.join(self.tmp, "extracted")
        code, out = run(["dpkg-deb", "-x", self.deb, root])
        self.assertEqual(code, 0, out)
        elves = [os.path.join(root, "usr", "bin", "onnx-h8-opt"),
                 os.path.join(root, "usr", "lib", "onnx-h8-opt", "plugins",
                              "libh8-fuse-bn-into-conv.so")]
        pkg = os.path.join(root, "usr", "lib", "python3", "dist-packages", "onnx_h8_opt")
        elves += [os.path.join(pkg, f) for f in os.listdir(pkg) if f.startswith("_core.")]
        self.assertEqual(len(elves), 3)
        owners = {}
        for elf in elves:
            code, dyn = run(["readelf", "-d", elf])
            self.assertEqual(code, 0, dyn)
            needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
            self.assertIn("libc.so.6", needed, elf)
            # Installed files point at no folder of the build.
            for path in re.findall(r"\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[([^\]]*)\]",
                                   dyn):
                self.assertNotIn(BUILD_DIR, path, elf)
            code, ldd = run(["ldd", elf])
            self.assertEqual(code, 0, ldd)
            self.assertNotIn("not found", ldd, elf)
            resolved = dict(re.findall(r"^\s*(\S+) => (/\S+)", ldd, re.M))
            for soname in needed:
                path = resolved.get(soname) or (soname if soname.startswith("/") else None)
                if path is None and soname.startswith("ld-linux"):
                    path = next((p for p in re.findall(r"^\s*(/\S*ld-linux\S*)", ldd, re.M)), None)
                self.assertIsNotNone(path, "%s: %s not resolved:\n%s" % (elf, soname, ldd))
                owner = library_owner(path)
                self.assertIsNotNone(owner, "%s: no package ships %s" % (elf, path))
                owners[soname] = owner
        missing = {s: o for s, o in owners.items() if o not in self.depends}
        self.assertEqual(missing, {}, "Depends: %s" % self.fields["Depends"])
        # Nor does it depend on more: python3 (for the module) aside, every
        # dependency ships a library one of the files needs.
        self.assertEqual(self.depends - {"python3"}, set(owners.values()),
                         "Depends: %s" % self.fields["Depends"])
        # The project's own code is linked in: every library comes from Debian.
        for want in ("libonnx1", "libprotobuf32", "libstdc++6", "libc6"):
            self.assertIn(want, owners.values())

    def test_dpkg_checks_the_depends(self):
        # Without the dependencies installed, dpkg refuses to configure it.
        admin, root = self.admin_folder("no-deps", [])
        code, out = self.dpkg(admin, root, "-i", self.deb)
        self.assertNotEqual(code, 0, out)
        self.assertIn("dependency problems", out)
        self.assertIn("depends on libonnx1", out)

    def test_dpkg_install_then_the_installed_files_work(self):
        stanzas = installed_stanzas(self.depends)
        admin, root = self.admin_folder("install", stanzas)
        code, out = self.dpkg(admin, root, "-i", self.deb)
        self.assertEqual(code, 0, out)
        code, status = self.dpkg(admin, root, "-s", "onnx-h8-opt")
        self.assertIn("Status: install ok installed", status)
        usr = os.path.join(root, "usr")
        tool = os.path.join(usr, "bin", "onnx-h8-opt")
        plugin = os.path.join(usr, "lib", "onnx-h8-opt", "plugins", "libh8-fuse-bn-into-conv.so")
        site = os.path.join(usr, "lib", "python3", "dist-packages")

        code, out = run([tool, "--version"])
        self.assertEqual(code, 0, out)
        self.assertTrue(out.startswith("onnx-h8-opt "), out)
        # The headline job: the installed tool writes what the build's does.
        job = [TCN, "--hailo8", "--pin-shape=1,9,2,100", "--verify-numerics", "-o"]
        installed_out = os.path.join(self.tmp, "install", "tcn.installed.onnx")
        built_out = os.path.join(self.tmp, "install", "tcn.built.onnx")
        code, out = run([tool] + job + [installed_out])
        self.assertEqual(code, 0, out)
        self.assertIn("cos 1.000000", out)
        code, out = run([TOOL] + job + [built_out])
        self.assertEqual(code, 0, out)
        with open(installed_out, "rb") as a, open(built_out, "rb") as b:
            self.assertEqual(a.read(), b.read())
        # The installed example plugin with the installed tool.
        code, out = run([tool, CONV_BN, "--load-pass-plugin=" + plugin, "--fuse-bn-into-conv",
                         "--verify-numerics", "--emit=text"])
        self.assertEqual(code, 0, out)
        self.assertIn("y = Conv <kernel_shape = [2]> (x, w, b)", out)
        self.assertNotIn("BatchNormalization (", out)

        # Debian's python3 imports the installed module and runs a job, with
        # the installed plugin too.
        code, out = run_installed_module(site, self.tmp, plugin)
        self.assertEqual(code, 0, out)
        self.assertEqual(out.splitlines(), ["0 0 True", "0 ['Conv'] True"])

        # And it removes cleanly.
        code, out = self.dpkg(admin, root, "-r", "onnx-h8-opt")
        self.assertEqual(code, 0, out)
        self.assertFalse(os.path.exists(tool))
        self.assertFalse(os.path.exists(os.path.join(site, "onnx_h8_opt", "__init__.py")))

    @unittest.skipIf(shutil.which("apt-get") is None, "apt-get missing")
    def test_apt_resolves_the_depends_here(self):
        # A simulation (-s): apt plans the install of the file against this
        # machine's packages and changes nothing.
        code, out = run(["apt-get", "install", "-s", "--no-install-recommends",
                         "-o", "Debug::NoLocking=true", self.deb])
        self.assertEqual(code, 0, out)
        planned = set(re.findall(r"^Inst (\S+)", out, re.M))
        # Only the package itself: every dependency is already installed.
        self.assertLessEqual(planned, {"onnx-h8-opt"}, out)
        self.assertTrue(planned or "onnx-h8-opt is already the newest version" in out, out)

if __name__ == "__main__":
    unittest.main()
