#!/bin/sh
# Renders an onnx-h8-opt HTML report (--report=FILE.html) to a PNG with
# Debian's headless Chromium, e.g. to look at a CI run's report or to make a
# picture for documentation:
#
#   utils/render_report.sh report.html report.png [WIDTHxHEIGHT]
#
# Installs the Debian package chromium when it is missing (needs root and
# network; ~100 MB). Chromium runs without network access to anything: the
# report is self-contained, and background networking, component updates,
# sync and first-run tasks are off; its profile is a fresh temporary folder.
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT]" >&2
  exit 2
fi
html=$1
png=$2
size=${3:-1400x2000}
width=${size%x*}
height=${size#*x}

if [ ! -f "$html" ]; then
  echo "$0: $html: no such file" >&2
  exit 2
fi

find_chromium() {
  for c in chromium chromium-browser; do
    if command -v "$c" >/dev/null 2>&1; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

if ! chrome=$(find_chromium); then
  echo "$0: chromium not found; installing the Debian package chromium" >&2
  SUDO=
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  $SUDO apt-get install -y chromium >&2 || {
    $SUDO apt-get update >&2 && $SUDO apt-get install -y chromium >&2
  }
  chrome=$(find_chromium) || { echo "$0: chromium could not be installed" >&2; exit 3; }
fi

abs_html=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
case "$png" in
  /*) abs_png=$png ;;
  *) abs_png=$(pwd)/$png ;;
esac
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT INT TERM

"$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --no-first-run --disable-sync --hide-scrollbars \
  --disable-dev-shm-usage --user-data-dir="$profile" \
  --screenshot="$abs_png" --window-size="$width,$height" "file://$abs_html" \
  >"$profile/chromium.log" 2>&1 || {
  echo "$0: chromium failed:" >&2
  cat "$profile/chromium.log" >&2
  exit 1
}
if [ ! -s "$abs_png" ]; then
  echo "$0: chromium wrote no screenshot:" >&2
  cat "$profile/chromium.log" >&2
  exit 1
fi
echo "$0: wrote $png" >&2
