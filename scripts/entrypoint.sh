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
  identity_server) prefix=IDP default_port=8000 ;;
  project_a) prefix=SHOP_A default_port=8001 ;;
  project_b) prefix=SHOP_B default_port=8002 ;;
  *) echo "entrypoint: unknown project '$project' (identity_server, project_a, project_b)" >&2; exit 2 ;;
esac

# Generated dev secrets fill in what the environment does not set.
export VAR_DIR=${VAR_DIR:-$repo/var}
if [ -f "$VAR_DIR/dev.env" ]; then
  while IFS='=' read -r key value; do
    [[ $key =~ ^[A-Z][A-Z0-9_]*$ ]] && [ -z "${!key+set}" ] && export "$key=$value"
  done <"$VAR_DIR/dev.env"
fi

# Public URLs follow the ports unless set on their own.
export IDP_URL=${IDP_URL:-http://localhost:${IDP_PORT:-8000}}
export SHOP_A_URL=${SHOP_A_URL:-http://localhost:${SHOP_A_PORT:-8001}}
export SHOP_B_URL=${SHOP_B_URL:-http://localhost:${SHOP_B_PORT:-8002}}

# Stack-wide names (SHOP_A_DATABASE_URL, ...) become this project's own (DATABASE_URL, ...).
own() { local stack="${prefix}_$1"; if [ -n "${!stack:-}" ]; then export "$2=${!stack}"; fi; }
own SECRET_KEY SECRET_KEY
own DATABASE_URL DATABASE_URL
own EMAIL_URL EMAIL_URL
own CACHE_URL CACHE_URL
if [ "$prefix" != IDP ]; then
  own CLIENT_ID SSO_CLIENT_ID
  own CLIENT_SECRET SSO_CLIENT_SECRET
fi
port_var="${prefix}_PORT"
export PORT=${!port_var:-$default_port}

python=$repo/.venv/bin/python
[ -x "$python" ] || python=python3
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
    exec "$python" -m gunicorn config.wsgi --bind "${BIND:-127.0.0.1}:$PORT" \
      --workers "${WEB_WORKERS:-2}" --threads "${WEB_THREADS:-8}" --timeout 30 --graceful-timeout 5 \
      --access-logfile - --no-control-socket "$@" ;;
  manage) exec "$python" manage.py "$@" ;;
  *) echo "entrypoint: unknown step '$step' (setup, seed, serve, manage)" >&2; exit 2 ;;
esac
