"""Truncates a binary model while onnx-h8-opt reads it.

Usage: truncate-race.py WORKDIR TOOL

Writes a ~40 MB binary model (a chain of 1,000,000 Relu nodes), then runs
TOOL on a fresh copy several times, truncating the copy to 0 bytes after
0 to 200 ms. A tool that maps its input dies of SIGBUS when the pages
vanish under it; one that reads its input into memory sees the whole file,
a shorter file (exit 2) or an empty one (exit 2). Fails when any run ends
by a signal or with an exit code other than 0 or 2.
"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Inputs", "hostile"))
import mkmodel as m  # noqa: E402

work, tool = sys.argv[1], sys.argv[2]
n = 1000000
nodes = [m.node("Relu", ["v%d" % i], ["v%d" % (i + 1)]) for i in range(n)]
g = m.graph("chain", nodes, [m.value_info("v0", [4])], [m.value_info("v%d" % n, [4])])
src = os.path.join(work, "chain.onnx")
m.write(src, m.model(g))
bad = 0
for delay in (0.0, 0.005, 0.02, 0.05, 0.1, 0.2):
    path = os.path.join(work, "victim.onnx")
    shutil.copyfile(src, path)
    proc = subprocess.Popen([tool, path, "-o", "/dev/null"], stderr=subprocess.PIPE)
    time.sleep(delay)
    os.truncate(path, 0)
    _, err = proc.communicate(timeout=300)
    if proc.returncode not in (0, 2):
        bad += 1
        print("truncated after %.3f s: exit %d %s" % (delay, proc.returncode,
                                                      err.decode(errors="replace")[:200]))
sys.exit(1 if bad else 0)
