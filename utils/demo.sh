#!/usr/bin/env bash
# One-command demo: installs what is missing, builds (Release), then runs the
# Hailo-8 preparation pipeline on a PyTorch-exported Conv1d TCN shipped in
# test/fixtures, printing the pipeline, the timing and the result.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${H8_BUILD_DIR:-$ROOT/build}"
"$ROOT/utils/build.sh"
TOOL="$BUILD/tools/onnx-h8-opt/onnx-h8-opt"
MODEL="$ROOT/test/fixtures/tcn_encoder/model.onnx"
OUT="${TMPDIR:-/tmp}/tcn_encoder.h8.onnx"
set -x
"$TOOL" "$MODEL" --infer-shapes --cleanup --dump-pass-pipeline --time-passes \
  --pass-statistics -o "$OUT"
"$TOOL" "$OUT" --elide-initializers-larger-than=8
