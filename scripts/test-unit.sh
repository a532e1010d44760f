#!/usr/bin/env bash
# Run each project's unit tests in its own pytest process (each has its own `config` package).
# With TEST_POSTGRES_URL set (e.g. postgres://postgres@127.0.0.1:5432), they run on PostgreSQL:
# pytest-django creates and drops a test_<name> database per project.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
failed=()
for project in shared_settings identity_server shared_client project_a project_b bench; do
  echo "==> unit tests: $project"
  (
    cd "$repo/$project" || exit 1
    if [ -n "${TEST_POSTGRES_URL:-}" ]; then export DATABASE_URL="${TEST_POSTGRES_URL%/}/sso_unit_$project"; fi
    "$repo/.venv/bin/python" -m pytest -q -p no:cacheprovider
  ) || failed+=("$project")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "unit tests failed in: ${failed[*]}" >&2
  exit 1
fi
