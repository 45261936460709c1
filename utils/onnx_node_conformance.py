#!/usr/bin/env python3
"""Runs the evaluator on ONNX's backend node test cases and checks a known-failure list.

    utils/onnx_node_conformance.py --tool build/tools/onnx-h8-opt/onnx-h8-opt \
        --known test/lit/Eval/Inputs/onnx-node-known-failures.txt [--cases DIR] [-j 2]

The cases come from utils/onnx_node_cases.py (generated into a temporary
folder unless --cases names one already written). Every data set of every
case runs as `onnx-h8-opt model.onnx -o /dev/null --verify-against=SET`, which
passes when every element has |d| <= 1e-5 + 1e-4*|expected| and cos >=
0.99999. A case whose model uses an op (or domain) the evaluator does not
implement is outside the claimed set and only counted; so is a case with
sequence/map/optional or string data. Every other case is claimed and must pass, unless
the known-failure file lists it (`test_name  # reason`); a listed case that
passes, or is no longer claimed, is an error too, so the list stays exact.

Prints `conformance: N of M claimed cases pass (K known failures); U cases use
unsupported ops, S have non-tensor or string data`, then one line per unexpected
result. Exit 0 when everything is as listed, 1 otherwise, 2 on usage errors.
When python3 lacks onnx or numpy it prints a message and exits 0 (skipped).
"""
import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# Messages that mean "not an op the evaluator implements" (the case is then
# outside the claimed set) and "data the evaluator cannot hold".
UNSUPPORTED_MARKERS = ("op is not supported by the evaluator", "): domain '",
                       "has no opset_import for the ai.onnx domain")
NON_NUMERIC_MARKERS = ("element type string is not supported",)


def read_known(path):
    known = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            text = line.split("#", 1)
            name = text[0].strip()
            if not name:
                continue
            reason = text[1].strip() if len(text) > 1 else ""
            if not reason:
                sys.exit(f"{path}:{lineno}: '{name}' has no '# reason'")
            if name in known:
                sys.exit(f"{path}:{lineno}: '{name}' is listed twice")
            known[name] = reason
    return known


def run_case(tool, case_dir):
    """('pass'|'fail'|'unsupported'|'non-tensor', first diagnostic line).

    'non-tensor' covers sequence/map/optional data and string tensors."""
    if os.path.exists(os.path.join(case_dir, "NON_TENSOR_DATA")):
        return "non-tensor", ""
    sets = sorted(d for d in os.listdir(case_dir) if d.startswith("test_data_set_"))
    model = os.path.join(case_dir, "model.onnx")
    for s in sets:
        proc = subprocess.run(
            [tool, model, "-o", os.devnull, "--verify-against=" + os.path.join(case_dir, s)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        if proc.returncode == 0:
            continue
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        errors = [l for l in lines if ": error: " in l]
        message = errors[0] if errors else " | ".join(lines[-3:])
        if any(m in message for m in UNSUPPORTED_MARKERS):
            return "unsupported", message
        if any(m in message for m in NON_NUMERIC_MARKERS):
            return "non-tensor", message
        if not errors:
            # A numeric mismatch: the figures of the failing outputs.
            bad = [l.strip() for l in lines[1:]]
            message = f"exit {proc.returncode}: " + "; ".join(bad)
        return "fail", message
    return "pass", ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", required=True)
    parser.add_argument("--known", required=True)
    parser.add_argument("--cases", help="folder written by onnx_node_cases.py")
    parser.add_argument("-j", type=int, default=2)
    parser.add_argument("--show", action="store_true", help="print every claimed failure")
    args = parser.parse_args()

    try:
        import numpy  # noqa: F401
        import onnx  # noqa: F401
    except ImportError as e:
        print(f"conformance: skipped: {sys.executable} lacks onnx or numpy ({e}); "
              "utils/install_deps.sh installs python3-onnx and python3-numpy")
        return 0
    known = read_known(args.known)

    with tempfile.TemporaryDirectory(prefix="onnx-node-cases-") as tmp:
        cases_dir = args.cases
        if not cases_dir:
            cases_dir = os.path.join(tmp, "node")
            gen = subprocess.run([sys.executable, os.path.join(HERE, "onnx_node_cases.py"),
                                  cases_dir], stdout=subprocess.DEVNULL)
            if gen.returncode != 0:
                print("conformance: generating the node cases failed", file=sys.stderr)
                return 1
        names = sorted(n for n in os.listdir(cases_dir)
                       if os.path.isdir(os.path.join(cases_dir, n)))
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.j)) as pool:
            results = dict(zip(names, pool.map(
                lambda n: run_case(args.tool, os.path.join(cases_dir, n)), names)))

    claimed = {n: r for n, r in results.items() if r[0] in ("pass", "fail")}
    passed = [n for n, r in claimed.items() if r[0] == "pass"]
    unsupported = [n for n, r in results.items() if r[0] == "unsupported"]
    non_tensor = [n for n, r in results.items() if r[0] == "non-tensor"]
    problems = []
    for n, (status, message) in sorted(claimed.items()):
        if status == "fail" and n not in known:
            problems.append(f"FAIL (not in the known list) {n}: {message}")
        elif status == "pass" and n in known:
            problems.append(f"PASS (listed as known failure: {known[n]}) {n}")
    for n in sorted(known):
        if n not in results:
            problems.append(f"LISTED BUT NO SUCH CASE {n}")
        elif n not in claimed:
            problems.append(f"LISTED BUT NOT CLAIMED ({results[n][0]}) {n}: {results[n][1]}")
    listed_failures = sum(1 for n in claimed if n in known)
    print(f"conformance: {len(passed)} of {len(claimed)} claimed cases pass "
          f"({listed_failures} known failures); {len(unsupported)} cases use unsupported ops, "
          f"{len(non_tensor)} have non-tensor or string data")
    if args.show:
        for n, (status, message) in sorted(claimed.items()):
            if status == "fail":
                print(f"  {n}: {message}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
