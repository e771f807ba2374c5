#!/usr/bin/env bash
# What the desktop costs when it runs: the CPU time of the `pingan` process (all its threads, Mesa's rasteriser
# included when it renders in software) over a window of seconds, as a share of one core, for each view (2D map,
# 3D map, dashboard) with the clock frozen (nothing changes: `--freeze`) and with the live demo (24 events/h,
# workers walking). Runs the real window under Xvfb at 1920×1080. Also prints the share outside Mesa's llvmpipe
# threads: without a GPU, rasterising every frame in software is most of the cost; on a GPU that part goes away.
#
#   packaging/cpu-use.sh [BINARY] [SECONDS]      (default target/release/pingan, 20 s per case)
#   SCENES="b10k.geojson city.geojson" packaging/cpu-use.sh
#       instead: the 3D map of each buildings file (imported in place of the demo district), frozen and live, with
#       the process's peak memory (VmHWM) — the app's figures in the README's table of scenes; WARMUP (default 12 s)
#       must cover the import (about 30 s for a million buildings).
#
# Needs xvfb-run (packaging/dev-setup.sh installs it). Prints one line per case and a Markdown table.
set -euo pipefail

BIN=${1:-target/release/pingan}
SECS=${2:-20}
WARMUP=${WARMUP:-12}
HZ=$(getconf CLK_TCK)
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-runtime}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

[ -x "$BIN" ] || { echo "cpu-use: no binary at $BIN (cargo build --release --bin pingan)" >&2; exit 1; }

ticks() { # utime + stime of a process, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

raster_ticks() { # the same, of its Mesa software-rasteriser threads (llvmpipe-N) only
  local sum=0
  for t in /proc/"$1"/task/*; do
    if grep -q '^llvmpipe' "$t/comm" 2>/dev/null; then
      sum=$((sum + $(awk '{print $14 + $15}' "$t/stat")))
    fi
  done
  echo "$sum"
}

measure() { # name, then the app's arguments
  local name=$1; shift
  local dir; dir=$(mktemp -d)
  xvfb-run -a -s "-screen 0 1920x1080x24" \
    "$BIN" --size 1920x1080 --scenario-dir "$dir/scenario" "$@" >"$dir/log" 2>&1 &
  local runner=$!
  local pid=""
  for _ in $(seq 1 100); do
    pid=$(pgrep -n -f "^$BIN --size 1920x1080 --scenario-dir $dir/scenario" || true)
    [ -n "$pid" ] && break
    sleep 0.2
  done
  [ -n "$pid" ] || { echo "cpu-use: $name did not start" >&2; cat "$dir/log" >&2; exit 1; }
  sleep "$WARMUP" # start-up: district, history, first assessment, scene upload
  local t0; t0=$(ticks "$pid")
  local r0; r0=$(raster_ticks "$pid")
  sleep "$SECS"
  local t1; t1=$(ticks "$pid")
  local r1; r1=$(raster_ticks "$pid")
  local peak; peak=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  kill "$pid" 2>/dev/null || true
  wait "$runner" 2>/dev/null || true
  local pct; pct=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v s="$SECS" 'BEGIN { printf "%.1f", (b - a) / hz / s * 100 }')
  local app; app=$(awk -v a="$t0" -v b="$t1" -v c="$r0" -v d="$r1" -v hz="$HZ" -v s="$SECS" \
    'BEGIN { printf "%.1f", ((b - a) - (d - c)) / hz / s * 100 }')
  echo "$name: $pct % of one core ($app % outside the software rasteriser), peak memory $peak MB"
  RESULTS+=("| $name | $pct % | $app % | $peak MB |")
  rm -rf "$dir"
}

RESULTS=()
if [ -n "${SCENES:-}" ]; then
  for f in $SCENES; do
    measure "3D map of $(basename "$f"), frozen" --freeze --3d --import "$f" --as buildings
    measure "3D map of $(basename "$f"), live demo" --3d --import "$f" --as buildings
  done
else
  measure "2D map, frozen" --freeze
  measure "2D map, live demo"
  measure "3D map, frozen" --freeze --3d
  measure "3D map, live demo" --3d
  measure "dashboard, frozen" --freeze --dashboard
  measure "dashboard, live demo" --dashboard
fi

echo
echo "| view | CPU, whole process (share of one core, ${SECS} s after ${WARMUP} s) | of which not Mesa's llvmpipe threads | peak memory |"
echo "|---|---|---|---|"
printf '%s\n' "${RESULTS[@]}"
