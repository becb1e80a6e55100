#!/usr/bin/env bash
# The system packages the desktop app needs to build and run on Debian/Ubuntu (WebKitGTK 4.1,
# the tray library, SVG icons). `--install` installs what is missing (as root, or with sudo);
# without it, prints what is missing and the command that installs it, and fails.
set -euo pipefail
BUILD=(build-essential pkg-config file libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libssl-dev libxdo-dev)
missing=()
for p in "${BUILD[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "${1:-}" = "--install" ]; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  echo "installing the desktop app's system packages: ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
  exit 0
fi
echo "The desktop app needs these system packages: ${missing[*]}" >&2
echo "Install them with:  sudo apt-get install ${missing[*]}" >&2
exit 1
