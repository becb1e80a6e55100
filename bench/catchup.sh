#!/usr/bin/env bash
# Catch-up benchmark: an operator's app comes back after N conversations changed (default
# 10,000) and brings its copy up to date three ways — the stream replay, the sync calls,
# one request per conversation — from the same position, against one real server.
#
#   bench/catchup.sh [CONVERSATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}

cargo build --release -p frontdesk-server -p frontdesk-loadgen
BIN=target/release
WORK=$(mktemp -d -t frontdesk-catchup.XXXXXX)
"$BIN/frontdesk-server" --listen 127.0.0.1:0 --data "$WORK/data" \
    --visitor-rate-per-address 0 --visitor-message-rate 0 --wait-time-secs 3600 \
    >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
# The databases go when the run ends; the logs stay for reading.
trap 'kill $SERVER_PID 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK/data" "$WORK/app"' EXIT
for _ in $(seq 600); do
    grep -q "listening on" "$WORK/server.out" 2>/dev/null && break
    sleep 0.1
done
BASE=$(sed -n 's/^frontdesk-server listening on //p' "$WORK/server.out")
PASSWORD=$(sed -n 's/^ *password: *//p' "$WORK/server.out")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$BIN/frontdesk-loadgen" catchup --target "$BASE" --admin-password "$PASSWORD" \
    --conversations "$N" --server-pid "$SERVER_PID" | tee "$WORK/result.txt"
echo "work directory: $WORK"
