#!/usr/bin/env bash
# Benchmarks on this machine. Prints medians; compare as ratios within one run
# (the machine is shared and noisy).
#
#   utils/bench/run.sh [eval] [scale] [io] [baseline] [big]   (default: eval and scale)
#
# eval:  reference-evaluator time per fixture, on an LSTM(64 hidden) over 100
#        steps and on tcn_encoder lifted to 1x9x2x100, and the tool's end-to-end time
#        on tcn_encoder.
# scale: generates four Conv1d TCNs with h8-gen-model (cached in
#        $H8_BENCH_DIR, default /tmp/h8-bench), then times h8-floor (mmap +
#        ParseFromArray + serialize: the least any read-rewrite-write tool
#        pays; also with --arena, the least such a tool parsing into a
#        protobuf arena pays) and onnx-h8-opt (the pipeline and each pass alone) on each:
#        median wall time, peak RSS (/usr/bin/time %M) and both as ratios to
#        the floor (the floor and --hailo8 --pin-shape run interleaved, rep
#        by rep, so that ratio does not carry the machine's drift between
#        minutes); the onnx-Python peer of --pin-shape (utils/bench/onnx_peer.py:
#        update_inputs_outputs_dims + infer_shapes + check_model + save) on
#        the node-heavy models; time per node for deep (20k nodes) vs deeper
#        (100k); and one --time-passes report per model.
#
# io:    the read/write path alone, interleaved: each repetition runs
#        h8-floor, h8-floor --fsync, onnx-h8-opt with no pass and with
#        --hailo8 --pin-shape on wide (317 MB, 1,601 nodes) and deep
#        (20,001 nodes) in turn, each writing its own output file, so that
#        load from other jobs falls on all of them alike; prints median and
#        fastest wall time, median peak RSS and ratios to h8-floor.
#
# big:   a TCN with 2.2 GB of weights in external data (h8-gen-model
#        --layers=700 --channels=512 --external-data): wall time and peak RSS
#        of --lift-conv1d --pin-shape and --hailo8 --pin-shape.
#
# baseline: builds onnx-h8-opt at git revision $H8_BENCH_BASELINE (default
#        645bfb3, the last revision before the shape analysis) in a
#        throw-away worktree and times it against this checkout on the deep
#        and deeper TCNs in the same run: --pin-shape and --hailo8.
#
# Environment: H8_BUILD_DIR (default build-bench), H8_JOBS (ninja -j, default
# 1), H8_BENCH_DIR, H8_BENCH_REPS (default 5; wide and deeper use
# H8_BENCH_BIG_REPS, default 3). Models stay cached; rm -r the folder after.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${H8_BUILD_DIR:-$ROOT/build-bench}"
JOBS="${H8_JOBS:-1}"
WORK="${H8_BENCH_DIR:-/tmp/h8-bench}"
REPS="${H8_BENCH_REPS:-5}"
BIG_REPS="${H8_BENCH_BIG_REPS:-3}"
SECTIONS=("$@")
[ ${#SECTIONS[@]} -eq 0 ] && SECTIONS=(eval scale)
BASE_REV="${H8_BENCH_BASELINE:-645bfb3}"
want() { local s; for s in "${SECTIONS[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

"$ROOT/utils/install_deps.sh"
if [ ! -x /usr/bin/time ]; then
  # Peak RSS comes from GNU time (Debian package 'time').
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -qq time >/dev/null
fi
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$BUILD" -j"$JOBS" onnx-h8-opt h8-eval-bench h8-gen-model h8-floor h8-ir-bench >/dev/null

# Snapshot the binaries: others may rebuild $BUILD while this runs.
mkdir -p "$WORK/bin"
for b in tools/onnx-h8-opt/onnx-h8-opt utils/bench/h8-eval-bench utils/bench/h8-gen-model \
         utils/bench/h8-floor utils/bench/h8-ir-bench; do
  cp "$BUILD/$b" "$WORK/bin/"
done
BENCH="$WORK/bin/h8-eval-bench"
TOOL="$WORK/bin/onnx-h8-opt"
GEN="$WORK/bin/h8-gen-model"
FLOOR="$WORK/bin/h8-floor"
F="$ROOT/test/fixtures"
OUT="$WORK/out.onnx"   # never /dev/null: the tool writes through temp + rename

if want eval; then
  echo "== evaluator (float32 reference), 200 runs each"
  "$BENCH" "$F/seed_tcn2d/model.onnx" 200
  "$BENCH" "$F/tcn_encoder/model.onnx" 200 batch=1 time=100
  "$BENCH" "$F/tcn_residual/model.onnx" 200 batch=1 time=100
  "$BENCH" "$F/attention_opset17/model.onnx" 200
  echo "== evaluator targets (< 5 ms median): LSTM(64 hidden) over 100 steps, 1x9x2x100 TCN"
  "$BENCH" lstm:64:100:9 200
  "$TOOL" "$F/tcn_encoder/model.onnx" --lift-conv1d --pin-shape=1,9,2,100 -o "$WORK/tcn_1x9x2x100.onnx"
  "$BENCH" "$WORK/tcn_1x9x2x100.onnx" 200
  echo "== onnx-h8-opt --lift-conv1d --pin-shape=1,9,2,100 on tcn_encoder, 21 runs"
  times=()
  for i in $(seq 21); do
    s=$(date +%s%N)
    "$TOOL" "$F/tcn_encoder/model.onnx" --lift-conv1d --pin-shape=1,9,2,100 -o "$OUT"
    e=$(date +%s%N)
    times+=($(( (e - s) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %.2f ms\n", a[int((NR+1)/2)]/1000}'
fi


# name layers channels groups
MODELS=(
  "wide 400 256 1"
  "deep 5000 8 1"
  "deeper 25000 8 1"
  "depthwise 400 256 256"
)

# Generates $WORK/NAME.onnx unless a model from the same generator and
# arguments is cached.
gen() {
  local name=$1 layers=$2 ch=$3 groups=$4
  local args="--layers=$layers --channels=$ch --groups=$groups --opset=13"
  local stamp
  stamp="$(sha1sum "$GEN" | cut -c1-40) $args"
  if [ -f "$WORK/$name.onnx" ] && [ "$(cat "$WORK/$name.stamp" 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  rm -f "$WORK/$name.stamp"
  "$GEN" $args --out="$WORK/$name.onnx" >/dev/null
  echo "$stamp" > "$WORK/$name.stamp"
}

# measure REPS CMD... : runs CMD REPS times; sets MED_MS (median wall, ms,
# from the monotonic clock) and MED_KB (median of /usr/bin/time's peak RSS).
# A failing run aborts with its stderr.
measure() {
  local reps=$1; shift
  local ms=() kb=() i s e
  for i in $(seq "$reps"); do
    s=$(date +%s%N)
    if ! /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/err.txt"; then
      echo "FAILED: $*" >&2
      cat "$WORK/err.txt" >&2
      exit 1
    fi
    e=$(date +%s%N)
    ms+=($(( (e - s) / 1000 )))
    kb+=($(tail -1 "$WORK/time.txt" | cut -d' ' -f2))
  done
  MED_MS=$(printf '%s\n' "${ms[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}')
  MED_KB=$(printf '%s\n' "${kb[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
}

# measure_pair REPS "CMD A" "CMD B": runs A and B alternately REPS times
# (A B A B ...), so both see the same machine: a shared machine's speed
# drifts within minutes, and a ratio of medians taken minutes apart
# carries that drift. Sets MED_MS/MED_KB for A and PAIR_MS/PAIR_KB for B.
measure_pair() {
  local reps=$1 a=$2 b=$3 i
  local ams=() akb=() bms=() bkb=()
  for i in $(seq "$reps"); do
    # shellcheck disable=SC2086
    measure 1 $a
    ams+=("$MED_MS") akb+=("$MED_KB")
    # shellcheck disable=SC2086
    measure 1 $b
    bms+=("$MED_MS") bkb+=("$MED_KB")
  done
  med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  MED_MS=$(med "${ams[@]}") MED_KB=$(med "${akb[@]}")
  PAIR_MS=$(med "${bms[@]}") PAIR_KB=$(med "${bkb[@]}")
}

declare -A MS   # "model|run" -> median ms
row() {  # model run floor_ms floor_kb
  printf '%-10s %-40s %10.1f %7.2fx %9.1f %6.2fx\n' "$1" "$2" "$MED_MS" \
    "$(awk -v a="$MED_MS" -v b="$3" 'BEGIN{print a/b}')" \
    "$(awk -v a="$MED_KB" 'BEGIN{print a/1024}')" \
    "$(awk -v a="$MED_KB" -v b="$4" 'BEGIN{print a/b}')"
}

if want baseline; then
  base="$WORK/baseline"
  if [ ! -x "$base/onnx-h8-opt" ] || [ "$(cat "$base/rev" 2>/dev/null)" != "$BASE_REV" ]; then
    rm -rf "$base"
    mkdir -p "$base"
    git -C "$ROOT" worktree add --detach "$base/src" "$BASE_REV" >/dev/null 2>&1
    CCACHE_BASEDIR="$base/src" cmake -S "$base/src" -B "$base/build" -G Ninja \
      -DCMAKE_BUILD_TYPE=Release >/dev/null
    ninja -C "$base/build" -j"$JOBS" onnx-h8-opt >/dev/null
    cp "$base/build/tools/onnx-h8-opt/onnx-h8-opt" "$base/onnx-h8-opt"
    git -C "$ROOT" worktree remove --force "$base/src"
    rm -rf "$base/build"
    echo "$BASE_REV" > "$base/rev"
  fi
  mkdir -p "$WORK"
  for spec in "deep 5000" "deeper 25000"; do
    set -- $spec
    [ -f "$WORK/$1.onnx" ] || "$GEN" --layers="$2" --channels=8 --groups=1 --opset=13 \
      --out="$WORK/$1.onnx" >/dev/null
  done
  echo "== this checkout vs $BASE_REV (median wall ms, same run)"
  printf '%-8s %-40s %12s %12s %8s\n' model run baseline_ms now_ms speedup
  for name in deep deeper; do
    reps=$REPS
    [ "$name" = deeper ] && reps=$BIG_REPS
    for flags in "--pin-shape=1,8,100" "--hailo8 --pin-shape=1,8,1,100"; do
      # shellcheck disable=SC2086
      measure "$reps" "$base/onnx-h8-opt" "$WORK/$name.onnx" $flags -o "$OUT"
      b=$MED_MS
      # shellcheck disable=SC2086
      measure "$reps" "$TOOL" "$WORK/$name.onnx" $flags -o "$OUT"
      printf '%-8s %-40s %12.1f %12.1f %7.2fx\n' "$name" "$flags" "$b" "$MED_MS" \
        "$(awk -v a="$b" -v b="$MED_MS" 'BEGIN{print a/b}')"
    done
  done
fi

if want io; then
  mkdir -p "$WORK"
  for spec in "wide 400 256" "deep 5000 8"; do
    set -- $spec
    gen "$1" "$2" "$3" 1
  done
  echo "== read + write path, interleaved (median and fastest of $REPS, wall ms; peak RSS MB)"
  printf '%-6s %-34s %9s %7s %9s %7s %8s\n' model run median x_floor fastest x_floor rss_MB
  for spec in "wide 256" "deep 8"; do
    set -- $spec
    name=$1 ch=$2 in="$WORK/$1.onnx"
    labels=("h8-floor" "h8-floor --fsync" "onnx-h8-opt (no pass)" "--hailo8 --pin-shape=1,$ch,1,100")
    cmds=("$FLOOR $in $WORK/io-0.onnx" "$FLOOR $in $WORK/io-1.onnx --fsync"
          "$TOOL $in -o $WORK/io-2.onnx" "$TOOL $in --hailo8 --pin-shape=1,$ch,1,100 -o $WORK/io-3.onnx")
    declare -A IO_MS=() IO_KB=()
    for i in $(seq "$REPS"); do
      for k in "${!cmds[@]}"; do
        s=$(date +%s%N)
        # shellcheck disable=SC2086
        if ! /usr/bin/time -f '%M' -o "$WORK/time.txt" ${cmds[$k]} >/dev/null 2>"$WORK/err.txt"; then
          echo "FAILED: ${cmds[$k]}" >&2
          cat "$WORK/err.txt" >&2
          exit 1
        fi
        e=$(date +%s%N)
        IO_MS[$k]+="$(( (e - s) / 1000 )) "
        IO_KB[$k]+="$(tail -1 "$WORK/time.txt") "
      done
    done
    stat_of() {  # stat_of median|min VALUES...
      local how=$1; shift
      printf '%s\n' "$@" | sort -n | awk -v h="$how" '{a[NR]=$1} END {print (h == "min") ? a[1] : a[int((NR+1)/2)]}'
    }
    # shellcheck disable=SC2086
    fmed=$(stat_of median ${IO_MS[0]}) fmin=$(stat_of min ${IO_MS[0]})
    for k in "${!cmds[@]}"; do
      # shellcheck disable=SC2086
      med=$(stat_of median ${IO_MS[$k]}) min=$(stat_of min ${IO_MS[$k]}) kb=$(stat_of median ${IO_KB[$k]})
      printf '%-6s %-34s %9.1f %6.2fx %9.1f %6.2fx %8.1f\n' "$name" "${labels[$k]}" \
        "$(awk -v t="$med" 'BEGIN{print t/1000}')" "$(awk -v a="$med" -v b="$fmed" 'BEGIN{print a/b}')" \
        "$(awk -v t="$min" 'BEGIN{print t/1000}')" "$(awk -v a="$min" -v b="$fmin" 'BEGIN{print a/b}')" \
        "$(awk -v a="$kb" 'BEGIN{print a/1024}')"
    done
    unset IO_MS IO_KB
  done
  rm -f "$WORK"/io-?.onnx "$WORK/time.txt" "$WORK/err.txt"
fi

if want big; then
  # Over 2 GB: the weights live in external data and no pass reads them, so
  # peak memory stays that of the graph, not of the weights.
  big="$WORK/big"
  mkdir -p "$big"
  if [ ! -f "$big/big.onnx" ] || [ "$(cat "$big/stamp" 2>/dev/null)" != "$(sha1sum "$GEN" | cut -c1-40)" ]; then
    rm -f "$big"/*
    (cd "$big" && "$GEN" --layers=700 --channels=512 --external-data=big.data --out=big.onnx >/dev/null)
    sha1sum "$GEN" | cut -c1-40 > "$big/stamp"
  fi
  echo "== over 2 GB: $(du -sh "$big" | cut -f1) in $big (median of $BIG_REPS)"
  printf '%-40s %10s %9s\n' run wall_ms rss_MB
  for flags in "--lift-conv1d --pin-shape=1,512,1,100" "--hailo8 --pin-shape=1,512,1,100"; do
    # shellcheck disable=SC2086
    measure "$BIG_REPS" "$TOOL" "$big/big.onnx" $flags -o "$big/out.onnx"
    printf '%-40s %10.1f %9.1f\n' "$flags" "$MED_MS" "$(awk -v a="$MED_KB" 'BEGIN{print a/1024}')"
  done
  rm -f "$big/out.onnx" "$big/out.onnx.data"
fi

want scale || exit 0

echo "== generating models into $WORK (cached)"
mkdir -p "$WORK"
for m in "${MODELS[@]}"; do
  set -- $m
  gen "$@"
  printf '%-10s %6d layers %4d channels groups %-4d %8d nodes %9.1f MB\n' "$1" "$2" "$3" "$4" \
    $((4 * $2 + 1)) "$(awk -v b="$(stat -c %s "$WORK/$1.onnx")" 'BEGIN{print b/1e6}')"
done

echo "== structural + ONNX-checker verification (--cleanup --verify-each=full)"
for m in "${MODELS[@]}"; do
  set -- $m
  "$TOOL" "$WORK/$1.onnx" --cleanup --verify-each=full -o "$OUT"
  echo "$1: ok"
done

echo "== median wall (ms) and peak RSS (MB); ratios to h8-floor on the same model"
printf '%-10s %-40s %10s %8s %9s %7s\n' model run wall_ms x_floor rss_MB x_floor
for m in "${MODELS[@]}"; do
  set -- $m
  name=$1 ch=$3 groups=$4
  in="$WORK/$name.onnx"
  reps=$REPS
  case $name in wide|deeper) reps=$BIG_REPS ;; esac
  # The floor and the full pipeline run interleaved: every ratio below is
  # to this floor, and the pipeline's is the one the targets are about.
  # Each writes its own file (as in the io section): a truncate of a file
  # whose pages the other is still writing back would wait for them.
  measure_pair "$reps" "$FLOOR $in $WORK/out-floor.onnx" \
    "$TOOL $in --hailo8 --pin-shape=1,$ch,1,100 -o $OUT"
  fms=$MED_MS fkb=$MED_KB
  hailo8_ms=$PAIR_MS hailo8_kb=$PAIR_KB
  row "$name" "h8-floor" "$fms" "$fkb"
  MS["$name|floor"]=$MED_MS
  measure "$reps" "$FLOOR" "$in" "$OUT" --fsync
  row "$name" "h8-floor --fsync" "$fms" "$fkb"
  # The floor of a tool that parses into an arena, as onnx-h8-opt does.
  measure "$reps" "$FLOOR" "$in" "$OUT" --arena
  row "$name" "h8-floor --arena" "$fms" "$fkb"
  MS["$name|floor --arena"]=$MED_MS
  runs=("(no pass)|"
        "--hailo8 --pin-shape=1,$ch,1,100|--hailo8 --pin-shape=1,$ch,1,100"
        "--lift-conv1d --pin-shape=1,$ch,1,100|--lift-conv1d --pin-shape=1,$ch,1,100"
        "--lift-conv1d|--lift-conv1d"
        "--pin-shape=1,$ch,100|--pin-shape=1,$ch,100"
        "--cleanup|--cleanup")
  [ "$groups" -gt 1 ] && runs+=("--flatten-groups|--flatten-groups")
  for r in "${runs[@]}"; do
    label=${r%%|*} flags=${r#*|}
    if [ "$label" = "--hailo8 --pin-shape=1,$ch,1,100" ]; then
      MED_MS=$hailo8_ms MED_KB=$hailo8_kb  # measured with the floor, above
    else
      # shellcheck disable=SC2086
      measure "$reps" "$TOOL" "$in" $flags -o "$OUT"
    fi
    row "$name" "$label" "$fms" "$fkb"
    MS["$name|$label"]=$MED_MS
  done
  # The onnx-Python peer of --pin-shape on the node-heavy models (Debian's
  # python3-onnx; skipped when absent).
  if [ "$name" = deep ] || [ "$name" = deeper ]; then
    if /usr/bin/python3 -c 'import onnx' 2>/dev/null; then
      measure "$reps" /usr/bin/python3 "$ROOT/utils/bench/onnx_peer.py" "$in" "$OUT" "1,$ch,100"
      row "$name" "onnx Python pin+infer+check+save" "$fms" "$fkb"
      MS["$name|peer"]=$MED_MS
      printf '%-10s %-40s %10s %7.2fx\n' "$name" "  --pin-shape speedup over the peer" "" \
        "$(awk -v a="$MED_MS" -v b="${MS["$name|--pin-shape=1,$ch,100"]}" 'BEGIN{print a/b}')"
    else
      echo "$name: onnx Python peer skipped (python3-onnx not installed)"
    fi
  fi
done

echo "== time per node, deep (20,001 nodes) vs deeper (100,001 nodes); linear is 5.0x"
printf '%-38s %12s %12s %8s\n' run deep_us/node deeper_us/node x_total
for label in floor "floor --arena" "(no pass)" "--hailo8 --pin-shape=1,8,1,100" \
             "--lift-conv1d --pin-shape=1,8,1,100" "--lift-conv1d" \
             "--pin-shape=1,8,100" "--cleanup"; do
  a=${MS["deep|$label"]} b=${MS["deeper|$label"]}
  printf '%-38s %12.2f %12.2f %7.2fx %s\n' "$label" \
    "$(awk -v t="$a" 'BEGIN{print t*1000/20001}')" \
    "$(awk -v t="$b" 'BEGIN{print t*1000/100001}')" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN{print b/a}')" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN{print (b/a <= 5.5) ? "ok (<= 5.5x)" : "SUPERLINEAR (> 5.5x)"}')"
done

echo "== IR building blocks (h8-ir-bench, median of 5): deep vs deeper"
"$WORK/bin/h8-ir-bench" "$WORK/deep.onnx" 5 > "$WORK/ir-deep.txt"
"$WORK/bin/h8-ir-bench" "$WORK/deeper.onnx" 5 > "$WORK/ir-deeper.txt"
paste "$WORK/ir-deep.txt" "$WORK/ir-deeper.txt" | awk -F'\t' '{print "deep " $1 "   | deeper " $2}'
rm -f "$WORK/ir-deep.txt" "$WORK/ir-deeper.txt"

echo "== where the time goes: --time-passes on the pipeline (one run each)"
for m in "${MODELS[@]}"; do
  set -- $m
  # shellcheck disable=SC2086
  s=$(date +%s%N)
  "$TOOL" "$WORK/$1.onnx" --hailo8 --pin-shape=1,$3,1,100 \
    --time-passes -o "$OUT" 2>&1 >/dev/null |
    grep -E '^ +[0-9.]+ +\(' | grep -v Total | awk -v m="$1" 'BEGIN{printf "%-10s", m} {printf " %s %.3f s,", $NF, $1}'
  e=$(date +%s%N)
  echo " whole run $(awk -v t=$(( (e - s) / 1000000 )) 'BEGIN{printf "%.3f", t/1000}') s"
done

rm -f "$OUT" "$WORK/out-floor.onnx" "$WORK/time.txt" "$WORK/err.txt"
echo "(models cached in $WORK for the next run; rm -r $WORK frees $(du -sh "$WORK" | cut -f1))"
