#!/usr/bin/env bash
# The desktop app's way back after a day offline, end to end (server + engine + cache): the
# operator signs in, closes the app; N conversations (default 10,000) change on the server;
# then the app's engine starts from its stored cursor and brings its cache up to date. The
# engine runs as `frontdesk-client` (the same engine the window uses, without the window).
#
#   bench/desktop-catchup.sh [CONVERSATIONS]      (needs the sqlite3 command to check the copy)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}

cargo build --release -p frontdesk-server -p frontdesk-loadgen -p frontdesk-client
BIN=$PWD/target/release
WORK=$(mktemp -d -t frontdesk-desktop-catchup.XXXXXX)
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

# The app's data directory; no keyring here, so the token goes to the 0600 file.
export FRONTDESK_DESKTOP_DATA="$WORK/app"
FRONTDESK_PASSWORD="$PASSWORD" "$BIN/frontdesk-client" --server "$BASE" \
    sign-in admin@frontdesk.local >/dev/null
"$BIN/frontdesk-loadgen" catchup --target "$BASE" --admin-password "$PASSWORD" \
    --conversations "$N" --history-only

cpu() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
CPU0=$(cpu)
T0=$(date +%s%N)
"$BIN/frontdesk-client" inbox closed >"$WORK/inbox.json"
T1=$(date +%s%N)
CPU1=$(cpu)

# The copy must be complete: every conversation and every message the server holds.
CACHE="$WORK/app/cache.sqlite"
STATE=$(grep -m1 '"state"' "$WORK/inbox.json" | tr -d ' ",' | cut -d: -f2)
CLOSED=$(sqlite3 "$CACHE" "SELECT COUNT(*) FROM conversations WHERE folder = 'closed'")
HELD=$(sqlite3 "$CACHE" "SELECT COUNT(*) FROM messages")
EXPECTED=$(sqlite3 "$CACHE" "SELECT COALESCE(SUM(message_count), 0) FROM conversations")
SECONDS_TAKEN=$(awk "BEGIN {print ($T1 - $T0) / 1e9}")
SERVER_CPU=$(awk "BEGIN {print ($CPU1 - $CPU0) / $(getconf CLK_TCK)}")
printf 'engine catch-up: %d closed conversations, %d of %d messages, state %s: %.2f s wall, server CPU %.2f s\n' \
    "$CLOSED" "$HELD" "$EXPECTED" "$STATE" "$SECONDS_TAKEN" "$SERVER_CPU"
if [ "$CLOSED" -lt "$N" ] || [ "$HELD" -ne "$EXPECTED" ] || [ "$STATE" != live ]; then
    echo "the copy is incomplete" >&2
    exit 1
fi
printf 'RESULT {"conversations":%d,"messages":%d,"seconds":%.3f,"server_cpu_seconds":%.3f}\n' \
    "$CLOSED" "$HELD" "$SECONDS_TAKEN" "$SERVER_CPU"
echo "work directory: $WORK"
