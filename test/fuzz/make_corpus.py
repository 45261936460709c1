#!/usr/bin/env python3
"""Regenerates the committed seed corpora under test/fuzz/corpus/.

usage: make_corpus.py ONNX_H8_OPT

  binary-reader/  the fixtures' model.onnx, plus every parseable lit
                  .onnxtext chunk converted to binary
  text-parser/    every lit .onnxtext chunk ('# -----' separated, comment
                  lines dropped), plus each fixture printed as text
  pipeline/       the fixtures (binary) and the lit chunks (text)

Files are named by the sha1 of their contents (libFuzzer's convention), so
re-running is idempotent. Chunks over 64 KB (the targets' cap) are skipped.
"""
import glob
import hashlib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CAP = 64 * 1024


def put(target, data):
    if not data or len(data) > CAP:
        return
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def chunks(path):
    out, cur = [], []
    for line in open(path, encoding="utf-8"):
        if line.strip() == "# -----":
            out.append(cur)
            cur = []
        elif not line.lstrip().startswith("#"):
            cur.append(line)
    out.append(cur)
    return ["".join(c).strip() + "\n" for c in out if "".join(c).strip()]


def main(argv):
    if len(argv) != 1:
        sys.exit(__doc__)
    tool = argv[0]
    with tempfile.TemporaryDirectory() as tmp:
        for model in sorted(glob.glob(os.path.join(ROOT, "test/fixtures/*/model.onnx"))):
            data = open(model, "rb").read()
            put("binary-reader", data)
            put("pipeline", data)
            text = subprocess.run([tool, model], capture_output=True).stdout
            put("text-parser", text)
        srcs = sorted(glob.glob(os.path.join(ROOT, "test/lit/**/*.onnxtext"), recursive=True))
        for src in srcs:
            if "/Hostile/" in src or "/hostile/" in src:
                continue  # hostile inputs are large or generated
            for i, chunk in enumerate(chunks(src)):
                data = chunk.encode()
                put("text-parser", data)
                put("pipeline", data)
                t = os.path.join(tmp, "c.onnxtext")
                b = os.path.join(tmp, "c.onnx")
                open(t, "wb").write(data)
                if os.path.exists(b):
                    os.unlink(b)
                r = subprocess.run([tool, "--verify-each=false", t, "-o", b],
                                   capture_output=True)
                if r.returncode == 0 and os.path.exists(b):
                    put("binary-reader", open(b, "rb").read())
    for target in ("binary-reader", "text-parser", "pipeline"):
        files = glob.glob(os.path.join(HERE, "corpus", target, "*"))
        print(target, len(files), "files,", sum(os.path.getsize(f) for f in files), "bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
