#!/usr/bin/env bash
# The project's test command: installs missing packages, checks the C++
# formatting (utils/check_style.sh), builds with warnings as errors, runs every test (GoogleTest and lit) through ctest,
# then the same suites under AddressSanitizer + UndefinedBehaviorSanitizer
# (utils/sanitize.sh) and each libFuzzer target for H8_FUZZ_SECONDS
# (default 60) with the committed corpus (utils/fuzz.sh). CI runs exactly
# this. H8_QUICK=1 stops after ctest (for a fast local loop).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${H8_BUILD_DIR:-$ROOT/build}"
export H8_JOBS="${H8_JOBS:-2}"
# Style first (seconds): every tracked C++ file matches .clang-format.
"$ROOT/utils/check_style.sh"
"$ROOT/utils/build.sh" -DH8_WERROR=ON
(cd "$BUILD" && ctest --output-on-failure)
if [ "${H8_QUICK:-0}" = "1" ]; then
  exit 0
fi
"$ROOT/utils/sanitize.sh"
"$ROOT/utils/fuzz.sh" "${H8_FUZZ_SECONDS:-60}"
echo "test.sh: unit + lit, sanitizer suite and fuzzing all passed"
