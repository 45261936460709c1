#!/usr/bin/env bash
# Builds the main project with AddressSanitizer + UndefinedBehaviorSanitizer
# (clang, -O1, build-asan/) and runs the unit tests and the lit suite through
# ctest. Fails (non-zero exit) on any test failure and on any sanitizer
# report, including reports from commands whose failure a test expects
# (`not onnx-h8-opt ...`): every report is also written to
# build-asan/sanitizer-logs/, which must stay empty.
#
# Lean on purpose (CI budget): only onnx-h8-opt, h8-unit-tests and the
# plugins the lit tests load are built, at -O1 with line tables only.
#
# Usage: utils/sanitize.sh            (H8_ASAN_BUILD_DIR overrides build-asan/,
#                                      H8_JOBS the build parallelism, default 1)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# Paths relative to the checkout in ccache's hashes: a fresh clone elsewhere
# (CI) reuses the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"
BUILD="${H8_ASAN_BUILD_DIR:-$ROOT/build-asan}"
JOBS="${H8_JOBS:-1}"
LOGS="$BUILD/sanitizer-logs"

# clang and its sanitizer and libFuzzer runtimes (libclang_rt.*).
"$ROOT/utils/install_deps.sh" clang libclang-rt-14-dev

start=$(date +%s)
# Without the Python module: an instrumented extension cannot load into the
# uninstrumented python3 (test/python runs in the normal suite).
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
cmake -S "$ROOT" -B "$BUILD" -G Ninja \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g1" \
  -DCMAKE_CXX_FLAGS="$SAN" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DH8_WERROR=OFF -DH8_PYTHON=OFF >/dev/null

# The lit suite loads the example plugin and the test plugins (h8-bad-*,
# h8-perturb, ...): every h8-* target except the benchmarks' executables.
TARGETS=(onnx-h8-opt)
while read -r t; do
  case "$t" in h8-*-bench|h8-gen-model|h8-floor) ;; *) TARGETS+=("$t") ;; esac
done < <(cmake --build "$BUILD" --target help | grep -oE '^h8-[A-Za-z0-9_-]+' | sort -u)
echo "sanitize.sh: building ${TARGETS[*]}"
cmake --build "$BUILD" -j"$JOBS" --target "${TARGETS[@]}"
built=$(date +%s)
echo "sanitize.sh: build took $((built - start)) s"

rm -rf "$LOGS" && mkdir -p "$LOGS"
# log_path sends every report to one file per process instead of stderr, so
# a report inside an expected failure (`not ...`) is still caught; the files
# are printed below.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$LOGS/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$LOGS/ubsan"
export LSAN_OPTIONS="log_path=$LOGS/lsan"

status=0
# Safety net, as root: onnx-h8-opt -o <device> currently renames its
# temporary file over the device node (see test/lit/Hostile/README.md), and
# lit tests write '-o /dev/null'. In a private mount namespace the common
# device nodes are bind-mounted onto themselves, so such a rename fails with
# EBUSY (a failing test) instead of replacing the machine's /dev/null.
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
  unshare -m bash -c 'mount --make-rprivate / &&
    for d in null zero full random urandom; do mount --bind /dev/$d /dev/$d; done &&
    cd "$1" && ctest --output-on-failure' sanitize "$BUILD" || status=$?
else
  (cd "$BUILD" && ctest --output-on-failure) || status=$?
fi
echo "sanitize.sh: tests took $(( $(date +%s) - built )) s"

shopt -s nullglob
reports=("$LOGS"/*)
if (( ${#reports[@]} > 0 )); then
  echo "sanitize.sh: ${#reports[@]} sanitizer report(s):" >&2
  for f in "${reports[@]}"; do
    echo "==== $f" >&2
    head -n 60 "$f" >&2
  done
  status=1
fi
exit "$status"
