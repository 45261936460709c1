#!/usr/bin/env bash
# Installs the Debian packages onnx-h8-opt builds and tests with, plus any
# extra packages named as arguments (utils/sanitize.sh and utils/fuzz.sh add
# clang and its sanitizer runtimes). Idempotent: when everything is present
# it only runs dpkg-query and returns.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ ccache python3 python3-dev pybind11-dev python3-pybind11
  python3-onnx python3-numpy dpkg-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libabsl-dev
  libeigen3-dev nlohmann-json3-dev libgtest-dev llvm-14-tools graphviz
  "$@"
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install_deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
