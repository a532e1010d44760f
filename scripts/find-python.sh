#!/usr/bin/env bash
# Print the path of a Python >= 3.12 (Django 6.1 needs it): PATH first, then pyenv's versions.
set -u
ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }

for name in python3 python3.13 python3.12 python; do
  path=$(command -v "$name" 2>/dev/null) && ok "$path" && { echo "$path"; exit 0; }
done

root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for path in $(ls -d "$root"/versions/3.1[3-9]*/bin/python3 "$root"/versions/3.12*/bin/python3 2>/dev/null | sort -rV); do
  ok "$path" && { echo "$path"; exit 0; }
done

cat >&2 <<MSG
No Python 3.12 or newer found (Django 6.1 needs it; python3 here is $(python3 --version 2>&1)).
Install one, then run the command again:
  Debian/Ubuntu:  sudo apt-get install python3.12 python3.12-venv   (or python3.13)
  pyenv:          pyenv install 3.13
  or set PYTHON=/path/to/python3.12 when calling make.
MSG
exit 1
