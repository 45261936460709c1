#!/usr/bin/env python3
"""Checks the direction of #include "h8/<Area>/..." between the project's
areas: the lower layers never include the upper ones.

    Support, IR  ->  never Pass, Passes, Tools, Report, Target, Plugin
    Support, IR  ->  never Analysis either (the shape analysis is above them)

Reads include/h8/<Area>/ and lib/<Area>/ under the source folder given
(default: this script's repository); prints one line per offending include,
`file:line: <Area> includes h8/<Other>/...`, and exits 1 when there is one.
Run by ctest (test `include-direction`).
"""
import os
import re
import sys

UPPER = ("Pass", "Passes", "Tools", "Report", "Target", "Plugin")
FORBIDDEN = {"Support": UPPER + ("Analysis",), "IR": UPPER + ("Analysis",)}
INCLUDE = re.compile(r'^\s*#\s*include\s*"h8/([A-Za-z0-9_]+)/')


def offending(root):
    for area, banned in sorted(FORBIDDEN.items()):
        for top in (os.path.join(root, "include", "h8", area), os.path.join(root, "lib", area)):
            if not os.path.isdir(top):
                yield "%s: missing folder of area %s" % (top, area)
                continue
            for folder, _, files in sorted(os.walk(top)):
                for name in sorted(files):
                    if not name.endswith((".h", ".cpp", ".def", ".inc")):
                        continue
                    path = os.path.join(folder, name)
                    with open(path, encoding="utf-8", errors="replace") as f:
                        for number, line in enumerate(f, 1):
                            m = INCLUDE.match(line)
                            if m and m.group(1) in banned:
                                yield "%s:%d: %s includes h8/%s/ (%s must not depend on %s)" % (
                                    os.path.relpath(path, root), number, area, m.group(1), area,
                                    ", ".join(banned))


def self_test():
    """The check finds a violation in a scratch tree and passes a clean one."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        for area in FORBIDDEN:
            os.makedirs(os.path.join(tmp, "include", "h8", area))
            os.makedirs(os.path.join(tmp, "lib", area))
        ok = os.path.join(tmp, "lib", "IR", "A.cpp")
        with open(ok, "w") as f:
            f.write('#include "h8/IR/GraphIndex.h"\n#include "h8/Support/Status.h"\n')
        assert list(offending(tmp)) == [], list(offending(tmp))
        bad = os.path.join(tmp, "include", "h8", "Support", "B.h")
        with open(bad, "w") as f:
            f.write('// x\n#include "h8/Passes/Passes.h"\n')
        found = list(offending(tmp))
        assert len(found) == 1 and found[0].startswith(
            os.path.join("include", "h8", "Support", "B.h") + ":2: Support includes h8/Passes/"), found
        # Support may not include the analysis; IR may not either, Analysis
        # may include both.
        with open(os.path.join(tmp, "lib", "Support", "C.cpp"), "w") as f:
            f.write('#include "h8/Analysis/ShapeAnalysis.h"\n')
        os.makedirs(os.path.join(tmp, "lib", "Analysis"))
        with open(os.path.join(tmp, "lib", "Analysis", "D.cpp"), "w") as f:
            f.write('#include "h8/Support/OnnxBridge.h"\n#include "h8/IR/Match.h"\n')
        found = list(offending(tmp))
        assert len(found) == 2 and found[1].startswith(
            os.path.join("lib", "Support", "C.cpp") + ":1: Support includes h8/Analysis/"), found
    print("include direction self-test: ok")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    problems = list(offending(root))
    for p in problems:
        print(p)
    if problems:
        return 1
    print("include direction: ok (%s)" % ", ".join(
        "%s never includes %s" % (a, "/".join(b)) for a, b in sorted(FORBIDDEN.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
