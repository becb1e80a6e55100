#!/usr/bin/env bash
# `make run`: the server on its embedded SQLite database in ./data (with the demo site), and
# the operator desktop app signed in to it. Quit the app (tray menu → Quit, or Ctrl+C here)
# to stop both.
set -euo pipefail
cd "$(dirname "$0")/.."
LISTEN=${FRONTDESK_LISTEN:-127.0.0.1:8080}
BASE="http://$LISTEN"

has_display() { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }

desktop=1
if ! has_display; then
  desktop=0
  echo "No graphical session here (DISPLAY is not set): starting the server only."
elif [ -r /etc/debian_version ] && command -v dpkg-query >/dev/null; then
  if ! bash scripts/desktop-packages.sh; then
    if [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; then
      bash scripts/desktop-packages.sh --install
    else
      echo "Starting the server only; install the packages above for the desktop app." >&2
      desktop=0
    fi
  fi
fi

if [ $desktop = 1 ]; then
  [ -f ui/dist/index.html ] && [ -z "$(find ui/src ui/index.html ui/package.json -newer ui/dist/index.html 2>/dev/null | head -1)" ] \
    || { npm --prefix ui ci --no-audit --no-fund && npm --prefix ui run build; }
  cargo build --release -p frontdesk-server -p frontdesk-desktop
else
  cargo build --release -p frontdesk-server
fi

out=$(mktemp)
mkdir -p data
# The JSON request log goes to data/server.log; the terminal keeps what a person reads.
target/release/frontdesk-server --listen "$LISTEN" --data data > >(tee "$out") 2>>data/server.log &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 300); do grep -q "listening on" "$out" && break; sleep 0.1; done
grep -q "listening on" "$out" || { echo "the server did not start (is $LISTEN in use? set FRONTDESK_LISTEN)" >&2; exit 1; }
password=$(sed -n 's/^ *password: *//p' "$out")

echo
echo "  Server log:                      data/server.log"
echo "  Demo site with the chat widget:  $BASE/demo  (answer \"Talk to a person\")"
if [ -n "$password" ]; then
  echo "  Sign in to the app:              admin@frontdesk.local / $password"
else
  echo "  Sign in to the app:              admin@frontdesk.local and the password of your first run"
  echo "                                   (lost it? target/release/frontdesk-server admin reset-password admin@frontdesk.local)"
fi
echo

if [ $desktop = 1 ]; then
  FRONTDESK_SERVER=$BASE target/release/frontdesk-desktop || true
else
  wait $server
fi
