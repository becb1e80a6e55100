#!/usr/bin/env bash
# Frontdesk benchmark: the real server against a bare relay, same load driver, same run.
#
#   bench/run.sh              full run (about 5 minutes on 2 cores, build excluded)
#   bench/run.sh --quick      short smoke run of the same scenarios (about 3 minutes)
#   bench/run.sh --postgres   also the latency and throughput scenarios on PostgreSQL: one
#                             node (`…-pg1`), and two nodes with the streams split between
#                             them (`…-pg2`), on a throwaway cluster from Debian's
#                             `postgresql` binaries (fsync and synchronous commit on); their
#                             server CPU is the nodes' plus PostgreSQL's (combines with --quick)
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
POSTGRES=0
for arg in "$@"; do
    case "$arg" in
    --quick) QUICK=1 ;;
    --postgres) POSTGRES=1 ;;
    *)
        echo "usage: bench/run.sh [--quick] [--postgres]" >&2
        exit 2
        ;;
    esac
done

cargo build --release -p frontdesk-server -p frontdesk-loadgen
BIN=${CARGO_TARGET_DIR:-target}/release

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
PG_NODE_PIDS=
PG_CTL=()
cleanup() {
    for pid in $RELAY_PID $SERVER_PID $PG_NODE_PIDS; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if [ ${#PG_CTL[@]} -gt 0 ]; then
        "${PG_CTL[@]}" -D "$WORK/pg/data" -m fast stop >/dev/null 2>&1 || true
    fi
    # The databases go (a run writes up to 2 GB); results and logs stay for reading.
    rm -rf "$WORK/data" "$WORK/pg" "$WORK"/pg-node*/
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

# --nodelay: the server turns Nagle's algorithm off on its sockets; so does the relay.
"$BIN/frontdesk-loadgen" relay --listen 127.0.0.1:0 --nodelay >"$WORK/relay.out" 2>&1 &
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

# PostgreSQL: a throwaway cluster on a Unix socket in the work directory, and two nodes.
if [ "$POSTGRES" = 1 ]; then
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
        echo "--postgres needs PostgreSQL's server binaries: apt-get install postgresql" >&2
        exit 1
    fi
    mkdir -p "$WORK/pg"
    AS=()
    if [ "$(id -u)" = 0 ]; then
        # PostgreSQL refuses to run as root.
        chmod 755 "$WORK"
        chown postgres:postgres "$WORK/pg"
        AS=(runuser -u postgres --)
    fi
    PG_CTL=("${AS[@]}" "$PG_BIN/pg_ctl")
    "${AS[@]}" "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust -E UTF8 >"$WORK/pg-initdb.out"
    "${PG_CTL[@]}" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w \
        -o "-k $WORK/pg -c listen_addresses='' -c max_connections=100 -c shared_buffers=256MB" start >/dev/null
    psql -q -h "$WORK/pg" -U postgres -c "CREATE DATABASE frontdesk" postgres
    PG_URL="postgres://postgres@$(printf %s "$WORK/pg" | sed 's|/|%2F|g')/frontdesk"
    POSTMASTER_PID=$(head -1 "$WORK/pg/data/postmaster.pid")
    head -c 32 /dev/urandom | base64 >"$WORK/secret.key"
    PG_URLS=()
    for n in 1 2; do
        "$BIN/frontdesk-server" --listen 127.0.0.1:0 --database "$PG_URL" --secret-key-file "$WORK/secret.key" \
            --data "$WORK/pg-node$n" "${SERVER_FLAGS[@]}" >"$WORK/pg-node$n.out" 2>"$WORK/pg-node$n.log" &
        PG_NODE_PIDS="$PG_NODE_PIDS $!"
        PG_URLS+=("$(line_after "$WORK/pg-node$n.out" "frontdesk-server listening on ")")
        if [ "$n" = 1 ]; then
            PG_ADMIN_PASSWORD=$(line_after "$WORK/pg-node1.out" "  password: ")
        fi
    done
    read -r PG_NODE1 PG_NODE2 <<<"$PG_NODE_PIDS"
fi

echo "work directory: $WORK"
echo "relay:    $RELAY_URL (pid $RELAY_PID)"
echo "frontdesk: $SERVER_URL (pid $SERVER_PID, data $WORK/data)"
if [ "$POSTGRES" = 1 ]; then
    echo "postgres: ${PG_URLS[*]} (pids $PG_NODE1 $PG_NODE2, postmaster $POSTMASTER_PID, $("$PG_BIN/postgres" --version))"
fi
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

# run_pg LABEL ARGS...: the same scenario on one PostgreSQL node, then on two.
run_pg() {
    [ "$POSTGRES" = 1 ] || return 0
    local label=$1
    shift
    local quiet=(--wait-idle-pid "$RELAY_PID" --wait-idle-pid "$SERVER_PID")
    echo
    FRONTDESK_ADMIN_PASSWORD=$PG_ADMIN_PASSWORD "$BIN/frontdesk-loadgen" run --target "${PG_URLS[0]}" --mode frontdesk \
        --server-pid "$PG_NODE1" --server-pid "$POSTMASTER_PID" --wait-idle-pid "$PG_NODE2" "${quiet[@]}" \
        --label "$label-pg1" --visitors 1000 --operators 20 "$@" | tee -a "$RESULTS" | grep -v '^RESULT '
    echo
    FRONTDESK_ADMIN_PASSWORD=$PG_ADMIN_PASSWORD "$BIN/frontdesk-loadgen" run --target "${PG_URLS[0]}" \
        --also-target "${PG_URLS[1]}" --mode frontdesk \
        --server-pid "$PG_NODE1" --server-pid "$PG_NODE2" --server-pid "$POSTMASTER_PID" "${quiet[@]}" \
        --label "$label-pg2" --visitors 1000 --operators 20 "$@" | tee -a "$RESULTS" | grep -v '^RESULT '
}

if [ "$QUICK" = 1 ]; then
    run idle-2k --rate 2000 --duration-secs 3 --idle-connections 2000 --settle-secs 11
    run latency --rate 2000 --duration-secs 3
    run_pg latency --rate 2000 --duration-secs 3
    for rate in 1000 5000 10000 20000; do
        run "throughput-$rate" --rate "$rate" --duration-secs 3 --drain-secs 5
        run_pg "throughput-$rate" --rate "$rate" --duration-secs 3 --drain-secs 5
    done
else
    run idle-10k --rate 2000 --duration-secs 10 --idle-connections 10000
    run latency --rate 2000 --duration-secs 20
    run_pg latency --rate 2000 --duration-secs 20
    for rate in 1000 5000 10000 20000; do
        run "throughput-$rate" --rate "$rate" --duration-secs 10
        run_pg "throughput-$rate" --rate "$rate" --duration-secs 10
    done
fi

echo
echo "## frontdesk vs bare relay ($(date -u +%Y-%m-%d), $(nproc) cores)"
"$BIN/frontdesk-loadgen" compare "$RESULTS"
echo
echo "raw results: $RESULTS"
