#!/usr/bin/env bash
# The desktop app's start-up time and idle memory, beside an empty Tauri 2 window with a tray
# icon (bench/empty-window) built the same way (cargo, release) and measured the same way in
# the same run, under Xvfb with a private D-Bus session.
#
#   bench/desktop-app.sh [RUNS] [SAMPLES]
#                                    (default 5 starts, 5 memory samples of each app)
#   FRONTDESK_DESKTOP_BIN=/path/to/frontdesk-desktop bench/desktop-app.sh
#                                    (another build of the app, e.g. from before a change,
#                                    against the same empty window)
#
# Start-up: from the moment the process is spawned to the app's own line "inbox listed"
# (the window has the first page of a folder; it paints in the next frame), signed in, with
# 2,000 conversations in the cache and the server reachable. Memory: PSS of the process and
# all its descendants (WebKit's web and network processes), 15 s after start, idle.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
# The empty window alone moves by ~14 MiB between samples: one pair cannot decide a few percent.
SAMPLES=${2:-5}

if [ -z "${FRONTDESK_BENCH_IN_SESSION:-}" ]; then
    for tool in Xvfb dbus-run-session xdpyinfo; do
        command -v "$tool" >/dev/null || { echo "missing $tool: see README (desktop packages)" >&2; exit 1; }
    done
    npm --prefix ui ci --no-audit --no-fund >/dev/null && npm --prefix ui run build >/dev/null
    cargo build --release --locked -p frontdesk-server -p frontdesk-loadgen -p frontdesk-client \
        -p frontdesk-desktop -p empty-tauri-window
    display=:$((70 + RANDOM % 9))
    Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb=$!
    trap 'kill $xvfb 2>/dev/null || true' EXIT
    for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done
    DISPLAY=$display FRONTDESK_BENCH_IN_SESSION=1 dbus-run-session -- "$0" "$@"
    exit
fi

BIN=${CARGO_TARGET_DIR:-$PWD/target}/release
APP_BIN=${FRONTDESK_DESKTOP_BIN:-$BIN/frontdesk-desktop}
WORK=$(mktemp -d -t frontdesk-desktop-bench.XXXXXX)
"$BIN/frontdesk-server" --listen 127.0.0.1:0 --data "$WORK/data" \
    --visitor-rate-per-address 0 --visitor-message-rate 0 --wait-time-secs 3600 \
    >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
# The databases go when the run ends; the logs stay for reading.
cleanup() { kill "$SERVER_PID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK/data" "$WORK/app"; }
trap cleanup EXIT
for _ in $(seq 600); do
    grep -q "listening on" "$WORK/server.out" 2>/dev/null && break
    sleep 0.1
done
BASE=$(sed -n 's/^frontdesk-server listening on //p' "$WORK/server.out")
PASSWORD=$(sed -n 's/^ *password: *//p' "$WORK/server.out")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

# A signed-in app with a day of history in its cache.
export FRONTDESK_DESKTOP_DATA="$WORK/app"
FRONTDESK_PASSWORD="$PASSWORD" "$BIN/frontdesk-client" --server "$BASE" \
    sign-in admin@frontdesk.local >/dev/null
"$BIN/frontdesk-loadgen" catchup --target "$BASE" --admin-password "$PASSWORD" \
    --conversations 2000 --history-only 2>/dev/null
"$BIN/frontdesk-client" inbox closed >/dev/null

# PSS (KiB) of a process and all its descendants.
pss_tree() {
    local pids=("$1") i=0 total=0
    while [ $i -lt ${#pids[@]} ]; do
        for c in $(pgrep -P "${pids[$i]}" || true); do pids+=("$c"); done
        i=$((i + 1))
    done
    for p in "${pids[@]}"; do
        kb=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
        total=$((total + ${kb:-0}))
    done
    echo "$total"
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; sleep 1; }

echo "start-up to a listed inbox ($RUNS starts):"
STARTS=()
for i in $(seq "$RUNS"); do
    T0=$(date +%s%3N)
    "$APP_BIN" 2>"$WORK/app-$i.err" >/dev/null &
    APP=$!
    for _ in $(seq 300); do
        grep -q "inbox listed" "$WORK/app-$i.err" && break
        sleep 0.02
    done
    T1=$(sed -n 's/.*inbox listed .*unix time \([0-9]*\) ms.*/\1/p' "$WORK/app-$i.err")
    [ -n "$T1" ] || { echo "the app did not list the inbox:" >&2; cat "$WORK/app-$i.err" >&2; exit 1; }
    STARTS+=($((T1 - T0)))
    echo "  run $i: $((T1 - T0)) ms"
    stop "$APP"
done

echo "idle memory (PSS of all processes, 15 s after start):"
APP_PSS=()
EMPTY_PSS=()
PAIR_RATIOS=()
for i in $(seq "$SAMPLES"); do
    "$APP_BIN" >/dev/null 2>&1 &
    APP=$!
    sleep 15
    APP_PSS+=($(pss_tree "$APP"))
    stop "$APP"
    "$BIN/empty-tauri-window" >/dev/null 2>&1 &
    EMPTY=$!
    sleep 15
    EMPTY_PSS+=($(pss_tree "$EMPTY"))
    stop "$EMPTY"
    PAIR_RATIOS+=("$(awk "BEGIN {printf \"%.3f\", ${APP_PSS[-1]} / ${EMPTY_PSS[-1]}}")")
    echo "  sample $i: app ${APP_PSS[-1]} KiB, empty window ${EMPTY_PSS[-1]} KiB (${PAIR_RATIOS[-1]})"
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
S=$(median "${STARTS[@]}")
SMAX=$(printf '%s\n' "${STARTS[@]}" | sort -n | tail -1)
A=$(median "${APP_PSS[@]}")
E=$(median "${EMPTY_PSS[@]}")
RATIO=$(awk "BEGIN {printf \"%.2f\", $A / $E}")
RMIN=$(printf '%s\n' "${PAIR_RATIOS[@]}" | sort -n | head -1)
RMAX=$(printf '%s\n' "${PAIR_RATIOS[@]}" | sort -n | tail -1)
printf 'start-up: median %d ms, max %d ms\n' "$S" "$SMAX"
printf 'idle PSS (medians): app %.0f MiB, empty Tauri window %.0f MiB, ratio %s (pairs %s–%s)\n' \
    "$(awk "BEGIN {print $A / 1024}")" "$(awk "BEGIN {print $E / 1024}")" "$RATIO" "$RMIN" "$RMAX"
printf 'RESULT {"startup_median_ms":%d,"startup_max_ms":%d,"app_pss_kib":%d,"empty_window_pss_kib":%d,"ratio":%s,"pair_ratio_min":%s,"pair_ratio_max":%s}\n' \
    "$S" "$SMAX" "$A" "$E" "$RATIO" "$RMIN" "$RMAX"
echo "work directory: $WORK"
