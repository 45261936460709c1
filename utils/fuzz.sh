#!/usr/bin/env bash
# Builds the libFuzzer targets (test/fuzz, standalone CMake project, clang
# with ASan+UBSan, ccache) in build-fuzz/ and runs each for SECONDS on a
# fresh copy of its committed corpus (test/fuzz/corpus/<target>/), so the
# repository is never written to. Fails (non-zero) on any crash, leak,
# timeout, OOM or sanitizer report; the reproducer is left in
# build-fuzz/artifacts/<target>/ and its path printed.
#
# Usage: utils/fuzz.sh [SECONDS] [TARGET...]   (default 60 s, all targets:
#        binary-reader text-parser pipeline; H8_JOBS sets build parallelism,
#        default 1; H8_FUZZ_BUILD_DIR overrides build-fuzz/)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# Paths relative to the checkout in ccache's hashes: a fresh clone elsewhere
# (CI) reuses the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"
BUILD="${H8_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
JOBS="${H8_JOBS:-1}"
SECONDS_PER_TARGET="${1:-60}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(binary-reader text-parser pipeline)

# clang and its sanitizer and libFuzzer runtimes (libclang_rt.*).
"$ROOT/utils/install_deps.sh" clang libclang-rt-14-dev

start=$(date +%s)
cmake -S "$ROOT/test/fuzz" -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$BUILD" -j"$JOBS" --target "${TARGETS[@]/#/fuzz-}"
echo "fuzz.sh: build took $(( $(date +%s) - start )) s"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for t in "${TARGETS[@]}"; do
  corpus="$BUILD/corpus/$t"
  artifacts="$BUILD/artifacts/$t"
  rm -rf "$corpus" "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  cp "$ROOT/test/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
  log="$BUILD/fuzz-$t.log"
  echo "fuzz.sh: fuzz-$t for ${SECONDS_PER_TARGET} s ($(ls "$corpus" | wc -l) seeds)"
  t0=$(date +%s)
  rc=0
  # A fixed seed makes CI explore the same inputs as the run it was checked
  # with (H8_FUZZ_SEED=0 asks libFuzzer for a random one).
  "$BUILD/fuzz-$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -seed="${H8_FUZZ_SEED:-1}" \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$corpus" >"$log" 2>&1 || rc=$?
  grep -E "^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)" "$log" | sed "s/^/  /" || true
  echo "  corpus: $(ls "$corpus" | wc -l) files, $(du -sb "$corpus" | cut -f1) bytes; $(( $(date +%s) - t0 )) s"
  if [ "$rc" -ne 0 ] || grep -qE "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: " "$log"; then
    echo "fuzz.sh: fuzz-$t FAILED (exit $rc); log $log; reproducers:" >&2
    ls "$artifacts" >&2 || true
    grep -m1 -A30 -E "ERROR:|runtime error:|FUZZ PROPERTY VIOLATED" "$log" >&2 || tail -n 40 "$log" >&2
    status=1
  fi
done
exit "$status"
