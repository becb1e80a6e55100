#!/usr/bin/env bash
# Browser tests of the website widget against the real server binary.
#   tests/e2e/run.sh            build the server, install what is missing, run every test
#   tests/e2e/run.sh FILE...    only these test files (relative to tests/e2e)
# Environment: FRONTDESK_SERVER_BIN (skip the build, use this binary), CHROMIUM_PATH,
# FRONTDESK_E2E_KEEP=1 (keep the servers' data directories and logs).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# Debian's Chromium (never a downloaded browser), and an emoji font for the screenshots.
missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

cd "$here"
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/ws ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

if [ -z "${FRONTDESK_SERVER_BIN:-}" ]; then
  (cd "$root" && cargo build -p frontdesk-server)
fi

if [ "$#" -gt 0 ]; then files=("$@"); else files=(*.test.mjs); fi
exec node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=spec "${files[@]}"
