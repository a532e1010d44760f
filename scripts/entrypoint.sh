#!/usr/bin/env bash
# Run one step of one project. The single entry point shared by `make run`, docker-compose and the
# end-to-end tests, so the three always start the servers the same way.
#
#   scripts/entrypoint.sh identity_server|project_a|project_b setup|seed|serve|manage [ARGS...]
#
# setup: migrate and collect static files; seed: demo data (idempotent; demo accounts on dev
# stacks only); serve: gunicorn on $BIND:$PORT; manage: any manage.py command.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { sed -n '5p' "$0" >&2; exit 2; }
project=$1 step=$2
shift 2

case $project in
  identity_server | project_a | project_b) ;;
  *) echo "entrypoint: unknown project '$project' (identity_server, project_a, project_b)" >&2; exit 2 ;;
esac

python=$repo/.venv/bin/python
[ -x "$python" ] || python=python3
# The project's environment (scripts/stack_env.py): the real environment wins over the repository's
# .env, which wins over the generated dev secrets of var/dev.env; public URLs follow the ports;
# stack-wide names (IDP_SECRET_KEY, SHOP_A_DATABASE_URL...) become the project's own (SECRET_KEY,
# DATABASE_URL...); PORT is the one it listens on.
exports=$("$python" "$repo/scripts/stack_env.py" "$project")
eval "$exports"
cd "$repo/$project"

case $step in
  setup)
    "$python" manage.py migrate --noinput
    # The database cache table of the embedded CACHE_URL default (nothing for Redis).
    "$python" manage.py createcachetable
    "$python" manage.py collectstatic --noinput --verbosity 0 ;;
  seed)
    # Demo accounts (published passwords) only on a dev stack, one that runs on the generated
    # secrets of var/dev.env (make run, docker compose, the e2e tests); SEED_DEMO_USERS=0 or 1
    # decides otherwise. The shops ignore it.
    if [ -z "${SEED_DEMO_USERS+set}" ] && [ -f "$VAR_DIR/dev.env" ]; then export SEED_DEMO_USERS=1; fi
    "$python" manage.py seed_demo ;;
  serve)
    # One glibc malloc arena, not one per thread each keeping argon2id's 19 MiB (docs/performance.md).
    export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-1}
    # The workers' metric files (prometheus_client's multiprocess mode): one folder per
    # server, emptied at start, so that a scrape adds up every worker of this server only
    # (docs/operations.md, "Metrics").
    export PROMETHEUS_MULTIPROC_DIR="$VAR_DIR/prometheus/${project}_${HOSTNAME:-local}_$PORT"
    rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    # Logging and the child_exit hook of the metrics: scripts/gunicorn_conf.py (GUNICORN_CONFIG
    # names another that builds on it: the bench's SQL counters).
    exec "$python" -m gunicorn config.wsgi --config "${GUNICORN_CONFIG:-$repo/scripts/gunicorn_conf.py}" \
      --bind "${BIND:-127.0.0.1}:$PORT" --workers "${WEB_WORKERS:-2}" --threads "${WEB_THREADS:-8}" \
      --timeout 30 --graceful-timeout 5 --no-control-socket "$@" ;;
  manage) exec "$python" manage.py "$@" ;;
  *) echo "entrypoint: unknown step '$step' (setup, seed, serve, manage)" >&2; exit 2 ;;
esac
