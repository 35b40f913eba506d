#!/usr/bin/env bash
# screenshot-report.sh RUN_DIR OUT.png renders RUN_DIR/report.html with headless
# Chromium into a 1200-pixel-wide full-page PNG at OUT.png (height 4000 unless
# SCREENSHOT_HEIGHT is set). It needs chromium (apt-get install -y chromium).
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 RUN_DIR OUT.png" >&2
	exit 2
fi
run_dir=$1
out=$2
page="$(cd "$run_dir" && pwd)/report.html"
if [ ! -f "$page" ]; then
	echo "$0: $page not found; write the report first" >&2
	exit 1
fi

browser=""
for b in chromium chromium-browser google-chrome; do
	if command -v "$b" >/dev/null 2>&1; then
		browser=$b
		break
	fi
done
if [ -z "$browser" ]; then
	echo "$0: no chromium on PATH; install it with apt-get install -y chromium" >&2
	exit 1
fi

# absolute output path, since chromium resolves it against its own directory
out_abs="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
rm -f "$out_abs"

timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--hide-scrollbars --user-data-dir="$profile" --screenshot="$out_abs" \
	--window-size="1200,${SCREENSHOT_HEIGHT:-4000}" "file://$page" >/dev/null 2>&1 || true

if [ ! -s "$out_abs" ]; then
	echo "$0: chromium wrote no screenshot to $out_abs" >&2
	exit 1
fi
echo "$out_abs"
