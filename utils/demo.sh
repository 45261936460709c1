#!/usr/bin/env bash
# One-command demo: installs what is missing, builds (Release), then runs the
# headline job on a PyTorch-exported Conv1d TCN shipped in test/fixtures:
# lift every Conv1d region to Conv2d (1,k), pin the input to (1,9,2,100)
# (H = 2 stacks two devices), prove it numerically row by row, and lint the
# result for Hailo-8.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${H8_BUILD_DIR:-$ROOT/build}"
"$ROOT/utils/build.sh"
TOOL="$BUILD/tools/onnx-h8-opt/onnx-h8-opt"
MODEL="$ROOT/test/fixtures/tcn_encoder/model.onnx"
OUT="${TMPDIR:-/tmp}/tcn_encoder.h8.onnx"
set -x
"$TOOL" "$MODEL" --lift-conv1d --pin-shape=1,9,2,100 --verify-numerics \
  --dump-pass-pipeline --time-passes --pass-statistics -o "$OUT"
"$TOOL" "$OUT" --elide-initializers-larger-than=8
"$TOOL" "$MODEL" --hailo8 --pin-shape=1,9,1,100 --verify-numerics -o "${OUT%.onnx}.hailo8.onnx"
