#!/usr/bin/env bash
# The project's test command: installs missing packages, builds, and runs
# every test (GoogleTest and lit) through ctest. CI runs exactly this.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${H8_BUILD_DIR:-$ROOT/build}"
"$ROOT/utils/build.sh" -DH8_WERROR=ON
cd "$BUILD"
ctest --output-on-failure
