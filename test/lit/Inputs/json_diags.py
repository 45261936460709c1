"""Reads --diagnostics-format=json output on stdin and checks its shape.

Every non-empty line must be one JSON object with exactly the keys file,
severity, pass, graph, node, op, message (strings) and notes (list of
strings). Prints one line per diagnostic:

  severity=<s> file=<f> pass=<p> graph=<g> node=<n> op=<o> message=<m> notes=<k>

and exits 1 (naming the line) on any malformed line. Prints '== N
diagnostics' at the end.
"""
import json
import sys

KEYS = {"file", "severity", "pass", "graph", "node", "op", "message", "notes"}


def main():
    count = 0
    for lineno, line in enumerate(sys.stdin, 1):
        if not line.strip():
            print("json_diags.py: line %d is empty" % lineno)
            return 1
        try:
            d = json.loads(line)
        except ValueError as e:
            print("json_diags.py: line %d is not JSON: %s: %r" % (lineno, e, line))
            return 1
        if not isinstance(d, dict) or set(d) != KEYS:
            print("json_diags.py: line %d has keys %s" % (lineno, sorted(d)))
            return 1
        if not all(isinstance(d[k], str) for k in KEYS - {"notes"}) or not (
                isinstance(d["notes"], list) and all(isinstance(n, str) for n in d["notes"])):
            print("json_diags.py: line %d has a field of the wrong type" % lineno)
            return 1
        count += 1
        print("severity=%s file=%s pass=%s graph=%s node=%s op=%s message=%s notes=%d" % (
            d["severity"], d["file"], d["pass"], d["graph"], d["node"], d["op"],
            d["message"], len(d["notes"])))
    print("== %d diagnostics" % count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
