#!/usr/bin/env bash
# Install the npm packages of the interop tests (tests/interop/node: openid-client, oidc-client-ts)
# with `npm ci` when node_modules is missing or older than package-lock.json.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$repo/tests/interop/node

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "==> installing Debian's nodejs and npm for the interop tests"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
fi
# openid-client 6 needs Node.js 20 or newer (package.json "engines").
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "Node.js $(node --version) is too old for openid-client 6: install Node.js 20 or newer." >&2
  exit 1
fi

stamp=$dir/node_modules/.package-lock.json
if [ -f "$stamp" ] && [ ! "$dir/package-lock.json" -nt "$stamp" ]; then
  exit 0
fi
echo "==> npm ci in tests/interop/node"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
