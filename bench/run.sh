#!/usr/bin/env bash
# Frontdesk benchmark: the real server against a bare relay, same load driver, same run.
#
#   bench/run.sh           full run (about 5 minutes on 2 cores, build excluded)
#   bench/run.sh --quick   short smoke run of the same scenarios (about 3 minutes)
#
# Scenarios, each against the relay and then against frontdesk-server:
#   idle-10k       10,000 idle visitor WebSockets on top of 1,000 conversations (20 operators)
#                  carrying 2,000 msg/s, 10 s measured; memory per idle connection. First, so
#                  that the memory reading is taken on a fresh server.
#   latency        1,000 conversations (20 operators), 2,000 msg/s, 20 s measured
#   throughput-N   the same population at 1,000 / 5,000 / 10,000 / 20,000 msg/s, 10 s measured
# Everything runs on 127.0.0.1; the server and the load generator share the machine's cores,
# so run it on an otherwise idle machine (each run records the hypervisor's steal and other
# processes' CPU, and the comparison warns about disturbed runs).
# Raw output and RESULT lines stay in the printed work directory.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1

cargo build --release -p frontdesk-server -p frontdesk-loadgen
BIN=target/release

# Each side holds ~11,000 sockets in the idle scenario.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt 12000 ]; then
    echo "open-file limit $(ulimit -n) is too low for 10,000 idle connections (need 12000)" >&2
    exit 1
fi

WORK=$(mktemp -d -t frontdesk-bench.XXXXXX)
RESULTS=$WORK/results.txt
RELAY_PID=
SERVER_PID=
cleanup() {
    for pid in $RELAY_PID $SERVER_PID; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT

# Prints the text after PREFIX on the first line of FILE that starts with it (waits up to 60 s).
line_after() {
    local file=$1 prefix=$2
    for _ in $(seq 600); do
        if grep -q "^$prefix" "$file" 2>/dev/null; then
            grep -m1 "^$prefix" "$file" | cut -c$((${#prefix} + 1))-
            return 0
        fi
        sleep 0.1
    done
    echo "no line starting with '$prefix' in $file" >&2
    cat "$file" >&2
    return 1
}

"$BIN/frontdesk-loadgen" relay --listen 127.0.0.1:0 >"$WORK/relay.out" 2>&1 &
RELAY_PID=$!
RELAY_URL=$(line_after "$WORK/relay.out" "listening on ")

# Per-address and per-visitor limits would throttle a load generator on one address.
SERVER_FLAGS=()
if "$BIN/frontdesk-server" --help | grep -q -- --visitor-rate-per-address; then
    SERVER_FLAGS+=(--visitor-rate-per-address 0)
fi
if "$BIN/frontdesk-server" --help | grep -q -- --visitor-message-rate; then
    SERVER_FLAGS+=(--visitor-message-rate 0)
fi
"$BIN/frontdesk-server" --listen 127.0.0.1:0 --data "$WORK/data" "${SERVER_FLAGS[@]}" \
    >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
SERVER_URL=$(line_after "$WORK/server.out" "frontdesk-server listening on ")
FRONTDESK_ADMIN_PASSWORD=$(line_after "$WORK/server.out" "  password: ")
export FRONTDESK_ADMIN_PASSWORD # read by the load generator (kept off the command line)

echo "work directory: $WORK"
echo "relay:    $RELAY_URL (pid $RELAY_PID)"
echo "frontdesk: $SERVER_URL (pid $SERVER_PID, data $WORK/data)"
echo "machine:  $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"

# run LABEL ARGS...: the same scenario against the relay, then against frontdesk.
run() {
    local label=$1
    shift
    for mode in relay frontdesk; do
        local target=$RELAY_URL pid=$RELAY_PID other=$SERVER_PID
        if [ "$mode" = frontdesk ]; then
            target=$SERVER_URL
            pid=$SERVER_PID
            other=$RELAY_PID
        fi
        echo
        # --wait-idle-pid: the other target may still be working off the previous backlog.
        "$BIN/frontdesk-loadgen" run --target "$target" --mode "$mode" --server-pid "$pid" --wait-idle-pid "$other" \
            --label "$label" --visitors 1000 --operators 20 "$@" | tee -a "$RESULTS" | grep -v '^RESULT '
    done
}

if [ "$QUICK" = 1 ]; then
    run idle-2k --rate 2000 --duration-secs 3 --idle-connections 2000 --settle-secs 11
    run latency --rate 2000 --duration-secs 3
    for rate in 1000 5000 10000 20000; do
        run "throughput-$rate" --rate "$rate" --duration-secs 3 --drain-secs 5
    done
else
    run idle-10k --rate 2000 --duration-secs 10 --idle-connections 10000
    run latency --rate 2000 --duration-secs 20
    for rate in 1000 5000 10000 20000; do
        run "throughput-$rate" --rate "$rate" --duration-secs 10
    done
fi

echo
echo "## frontdesk vs bare relay ($(date -u +%Y-%m-%d), $(nproc) cores)"
"$BIN/frontdesk-loadgen" compare "$RESULTS"
echo
echo "raw results: $RESULTS"
