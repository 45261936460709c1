#!/usr/bin/env bash
# Fails when the C++ sources drift from the project's style.
#
#   utils/check_style.sh            clang-format (.clang-format) on every tracked
#                                   .h/.cpp: lists the files it would change,
#                                   exit 1 when there is one
#   utils/check_style.sh --tidy     also clang-tidy (.clang-tidy) on lib/ and
#                                   tools/ sources, with build/compile_commands.json
#                                   (configure first: utils/build.sh); exit 1 on
#                                   any finding
#   utils/check_style.sh FILE...    only those files
#
# clang-format and clang-tidy are Debian packages; utils/install_deps.sh
# installs them when absent. Nothing is rewritten: to fix a file, run
# `clang-format -i FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."

tidy=0
files=()
for a in "$@"; do
  case "$a" in
    --tidy) tidy=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) files+=("$a") ;;
  esac
done

need=()
command -v clang-format >/dev/null || need+=(clang-format)
if [ "$tidy" = 1 ]; then command -v clang-tidy >/dev/null || need+=(clang-tidy); fi
if [ ${#need[@]} -gt 0 ]; then utils/install_deps.sh "${need[@]}"; fi

if [ ${#files[@]} -eq 0 ]; then
  mapfile -t files < <(git ls-files '*.h' '*.cpp' | grep -v '^test/fixtures/')
fi

drift=()
for f in "${files[@]}"; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then drift+=("$f"); fi
done
status=0
if [ ${#drift[@]} -gt 0 ]; then
  printf 'clang-format would change: %s\n' "${drift[@]}"
  echo "check_style: ${#drift[@]} of ${#files[@]} files drift from .clang-format" >&2
  status=1
else
  echo "check_style: ${#files[@]} files match .clang-format"
fi

if [ "$tidy" = 1 ]; then
  if [ ! -f build/compile_commands.json ]; then
    echo "check_style: no build/compile_commands.json; run utils/build.sh first" >&2
    exit 2
  fi
  tidy_files=()
  for f in "${files[@]}"; do
    case "$f" in lib/*.cpp|tools/*.cpp) tidy_files+=("$f") ;; esac
  done
  if [ ${#tidy_files[@]} -gt 0 ] &&
     ! clang-tidy -p build --quiet --warnings-as-errors='*' "${tidy_files[@]}" 2>/dev/null; then
    echo "check_style: clang-tidy findings (see above)" >&2
    status=1
  fi
fi
exit $status
