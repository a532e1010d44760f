#!/usr/bin/env bash
# Install Debian's chromium for the browser tests when it is missing (never a downloaded browser).
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
echo "==> installing Debian's chromium for the browser tests"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
