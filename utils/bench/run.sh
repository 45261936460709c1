#!/usr/bin/env bash
# Benchmarks on this machine: reference-evaluator time per model, and the
# tool's end-to-end time on the fixtures. Prints medians; compare as ratios
# within one run (the machine is shared and noisy).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${H8_BUILD_DIR:-$ROOT/build}"
"$ROOT/utils/build.sh" >/dev/null
BENCH="$BUILD/utils/bench/h8-eval-bench"
TOOL="$BUILD/tools/onnx-h8-opt/onnx-h8-opt"
F="$ROOT/test/fixtures"
echo "== evaluator (float32 reference), 200 runs each"
"$BENCH" "$F/seed_tcn2d/model.onnx" 200
"$BENCH" "$F/tcn_encoder/model.onnx" 200 batch=1 time=100
"$BENCH" "$F/tcn_residual/model.onnx" 200 batch=1 time=100
"$BENCH" "$F/attention_opset17/model.onnx" 200
echo "== onnx-h8-opt --lift-conv1d --pin-shape=1,9,2,100 on tcn_encoder, 21 runs"
times=()
for i in $(seq 21); do
  s=$(date +%s%N)
  "$TOOL" "$F/tcn_encoder/model.onnx" --lift-conv1d --pin-shape=1,9,2,100 -o /tmp/h8-bench.onnx
  e=$(date +%s%N)
  times+=($(( (e - s) / 1000 )))
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %.2f ms\n", a[int((NR+1)/2)]/1000}'
