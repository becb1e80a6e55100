#!/usr/bin/env bash
# The desktop app end to end: a virtual display (Xvfb), a private D-Bus session with a
# notification server (dunst, started by D-Bus on the first notification), tauri-driver with
# Debian's WebKitWebDriver, the real app and the real server. Builds what it needs first.
#   tests/desktop/run.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

for tool in Xvfb dbus-run-session dbus-monitor gdbus WebKitWebDriver import dunst; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run .ci/run or see README (desktop packages)" >&2; exit 1; }
done
if ! tauri-driver --help 2>/dev/null | grep -q native-driver; then
  cargo install tauri-driver --version 2.1.0 --locked
fi
[ -f ui/dist/index.html ] || { npm --prefix ui ci --no-audit --no-fund && npm --prefix ui run build; }
cargo build --locked -p frontdesk-server -p frontdesk-desktop

display=:$((90 + RANDOM % 9))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done
export DISPLAY=$display
# Stable window geometry without a window manager: the app opens at 0,0 at its default size.
dbus-run-session -- node --test --test-concurrency=1 --test-reporter=spec "$here"/*.test.mjs
