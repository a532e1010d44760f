#!/usr/bin/env bash
# Fail when a model change in any project has no migration.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
python=$repo/.venv/bin/python
export SECRET_KEY=check-migrations SSO_CLIENT_ID=check SSO_CLIENT_SECRET=check DEBUG=1
export VAR_DIR=$(mktemp -d)
trap 'rm -rf "$VAR_DIR"' EXIT
for project in identity_server project_a project_b; do
  (cd "$repo/$project" && "$python" manage.py makemigrations --check --dry-run >/dev/null) \
    || { echo "$project has model changes without a migration: run makemigrations" >&2; exit 1; }
done
(cd "$repo/shared_client" && DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH=. \
  "$python" -m django makemigrations --check --dry-run sso_client >/dev/null) \
  || { echo "sso_client has model changes without a migration" >&2; exit 1; }
echo "migrations are up to date"
