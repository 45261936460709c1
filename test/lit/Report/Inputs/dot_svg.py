"""Renders a DOT file with Graphviz (`dot -Tsvg`) and checks it succeeds.

usage: dot_svg.py FILE.dot OUT.svg [TEXT_THAT_MUST_APPEAR ...]

Skips (prints 'skipped: ...' and exits 0) when `dot` is not installed: CI
machines without the Debian package graphviz still run the other checks.
"""
import shutil
import subprocess
import sys


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    dot = shutil.which("dot")
    if dot is None:
        print("skipped: Graphviz dot is not installed")
        return 0
    proc = subprocess.run([dot, "-Tsvg", argv[0], "-o", argv[1]],
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.stderr.write("dot -Tsvg exited %d: %s\n" % (proc.returncode, proc.stderr))
        return 1
    # Graphviz warns (exit 0) about bad escapes or attributes: refuse those too.
    if proc.stderr.strip():
        sys.stderr.write("dot -Tsvg warned: %s\n" % proc.stderr)
        return 1
    svg = open(argv[1], encoding="utf-8").read()
    for text in argv[2:]:
        if text not in svg:
            sys.stderr.write("'%s' not in the SVG\n" % text)
            return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
