#!/usr/bin/env bash
# Configures and builds onnx-h8-opt (Release, Ninja, ccache) into build/.
# Usage: utils/build.sh [extra cmake args...]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# Paths relative to the checkout in ccache's hashes: a fresh clone elsewhere
# (CI) reuses the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"
BUILD="${H8_BUILD_DIR:-$ROOT/build}"
"$ROOT/utils/install_deps.sh"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$BUILD" -j2
