"""Shared helpers of the Python tests: paths from ctest's environment and a
runner for the onnx-h8-opt CLI, which the module is compared against."""
import json
import os
import subprocess

SOURCE_DIR = os.environ.get("H8_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(
                                os.path.abspath(__file__)))))
BUILD_DIR = os.environ.get("H8_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
TOOL = os.environ.get("H8_TOOL", os.path.join(BUILD_DIR, "tools", "onnx-h8-opt", "onnx-h8-opt"))
FIXTURES = os.path.join(SOURCE_DIR, "test", "fixtures")
LIT = os.path.join(SOURCE_DIR, "test", "lit")


def cli(args, cwd=None):
    """Runs the CLI; returns (exit code, stdout bytes, stderr text)."""
    p = subprocess.run([TOOL] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       cwd=cwd, timeout=600)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def fixtures():
    """(name, model path, info dict) of every fixture in test/fixtures."""
    out = []
    for name in sorted(os.listdir(FIXTURES)):
        path = os.path.join(FIXTURES, name, "model.onnx")
        if not os.path.exists(path):
            continue
        with open(os.path.join(FIXTURES, name, "info.json")) as f:
            out.append((name, path, json.load(f)))
    return out


def fixture_dims(info):
    """'batch=1,time=100' from a fixture's dynamic axes and example shapes."""
    dims = {}
    for inp in info.get("inputs", []):
        for axis, dim_name in info.get("dynamic_axes", {}).get(inp["name"], {}).items():
            dims[dim_name] = inp["shape"][int(axis)]
    return ",".join("%s=%d" % kv for kv in sorted(dims.items()))
