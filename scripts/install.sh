#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 and install the locked dependencies and our three packages.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv=$repo/.venv
if [ -x "$venv/bin/python" ] && ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
  echo "==> $venv has $("$venv/bin/python" --version); recreating it with Python >= 3.12"
  rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
  python=${PYTHON:-$("$repo/scripts/find-python.sh")}
  echo "==> creating $venv with $python ($("$python" --version))"
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r "$repo/requirements.txt" -e "$repo/shared_settings" -e "$repo/shared_client" -e "$repo/project_a"
touch "$venv/.installed"
echo "==> dependencies installed in $venv"
