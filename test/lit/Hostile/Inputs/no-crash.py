"""Runs a command on every file of a folder; fails if any run dies by a
signal, exits with a code other than 0, 1 or 2, or prints a sanitizer report.

Usage: no-crash.py FOLDER COMMAND [ARGS...]   (the file is appended first)
"""
import os
import subprocess
import sys

folder, command = sys.argv[1], sys.argv[2:]
bad = 0
count = 0
for name in sorted(os.listdir(folder)):
    path = os.path.join(folder, name)
    if not os.path.isfile(path) or name.endswith(".md"):
        continue
    count += 1
    proc = subprocess.run([command[0], path] + command[1:], capture_output=True, text=True,
                          errors="replace", timeout=120)
    if proc.returncode not in (0, 1, 2) or "runtime error:" in proc.stderr or \
            "Sanitizer" in proc.stderr:
        bad += 1
        print("%s: exit %d\n%s" % (name, proc.returncode, proc.stderr[-2000:]))
print("%d inputs, %d crashed" % (count, bad))
sys.exit(1 if bad or count == 0 else 0)
