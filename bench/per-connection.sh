#!/usr/bin/env bash
# Ack and delivery latency when one connection sends many messages a second: 10 visitors
# (one conversation each, 2 operators) at 40, 100 and 200 msg/s per visitor connection,
# against a fresh frontdesk-server and the bare relay. Nagle's algorithm on the server's
# sockets shows here as acks that wait for the connection's next send.
#
#   bench/per-connection.sh [BIN_DIR]   (default: the release build, built first)
#
# Prints one line per run: target, msg/s per connection, ack p50/p99, delivery p50/p99.
# The relay runs with --nodelay like the server; RELAY_FLAGS= runs it with Nagle on.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-}
if [ -z "$BIN" ]; then
    cargo build --release -p frontdesk-server -p frontdesk-loadgen
    BIN=${CARGO_TARGET_DIR:-target}/release
fi
WORK=$(mktemp -d -t frontdesk-per-connection.XXXXXX)
PIDS=
# The databases go when the run ends; the logs stay for reading.
trap 'for p in $PIDS; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"/data-*/' EXIT

wait_line() {
    for _ in $(seq 600); do
        if grep -q "^$2" "$1" 2>/dev/null; then
            grep -m1 "^$2" "$1" | cut -c$((${#2} + 1))-
            return 0
        fi
        sleep 0.1
    done
    echo "no line starting with '$2' in $1" >&2
    return 1
}

"$BIN/frontdesk-loadgen" relay --listen 127.0.0.1:0 ${RELAY_FLAGS---nodelay} >"$WORK/relay.out" 2>&1 &
PIDS="$PIDS $!"
RELAY_URL=$(wait_line "$WORK/relay.out" "listening on ")

VISITORS=10
echo "target | msg/s per connection | ack p50 ms | ack p99 ms | delivery p50 ms | delivery p99 ms"
for per in 40 100 200; do
    rate=$((per * VISITORS))
    for mode in relay frontdesk; do
        url=$RELAY_URL
        if [ "$mode" = frontdesk ]; then
            # A fresh server per run: nothing queued from the previous one.
            "$BIN/frontdesk-server" --listen 127.0.0.1:0 --data "$WORK/data-$per" \
                --visitor-rate-per-address 0 --visitor-message-rate 0 \
                >"$WORK/server-$per.out" 2>"$WORK/server-$per.log" &
            PIDS="$PIDS $!"
            url=$(wait_line "$WORK/server-$per.out" "frontdesk-server listening on ")
            FRONTDESK_ADMIN_PASSWORD=$(wait_line "$WORK/server-$per.out" "  password: ")
            export FRONTDESK_ADMIN_PASSWORD
        fi
        out=$WORK/$mode-$per.txt
        "$BIN/frontdesk-loadgen" run --target "$url" --mode "$mode" --visitors $VISITORS --operators 2 \
            --rate "$rate" --duration-secs 5 --drain-secs 3 --label "per-connection-$per" >"$out" 2>"$out.err"
        ack=$(grep '^ack latency' "$out" | awk '{for (i=1;i<=NF;i++) {if ($i=="p50") a=$(i+1); if ($i=="p99") b=$(i+1)}} END {print a " | " b}')
        del=$(grep '^latency visitor → operator, from due' "$out" | awk '{for (i=1;i<=NF;i++) {if ($i=="p50") a=$(i+1); if ($i=="p99") b=$(i+1)}} END {print a " | " b}')
        echo "$mode | $per | $ack | $del"
    done
done
echo "raw output: $WORK"
