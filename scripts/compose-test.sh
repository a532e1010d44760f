#!/usr/bin/env bash
# make test-compose: run the dev and the prod compose files for real, one after the other, and
# smoke-test each over HTTP(S) from this host (tests/compose/). Each stack gets its own compose
# project and free ports, so it never collides with `make run` or another run, and is removed
# with its volumes and networks when it ends, also on failure. The built image is kept, so the
# next run reuses its layers.
#
#   scripts/compose-test.sh [dev] [prod]        (both by default)
#
# Without a Docker engine it skips, saying so; with REQUIRE_COMPOSE=1 (CI) that is a failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
offline_images=$repo/../shared/tools/offline-images
python=$repo/.venv/bin/python
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(dev prod)
logs=$repo/test-output/compose
mkdir -p "$logs"
started=$SECONDS
step_started=$SECONDS
step() { printf '==> %-58s (%ss)\n' "$1" $((SECONDS - step_started)); step_started=$SECONDS; }

# 1. An engine: started by the offline-images tool when none answers; skipped only without one.
if ! docker info >/dev/null 2>&1 && [ -x "$offline_images" ]; then
  "$offline_images" engine || true
fi
if ! docker info >/dev/null 2>&1; then
  if [ "${REQUIRE_COMPOSE:-0}" = 1 ]; then
    echo "test-compose: FAILED, no Docker engine answers and none could be started (REQUIRE_COMPOSE=1)." >&2
    exit 1
  fi
  echo "test-compose: SKIPPED, no Docker engine answers and none could be started here." >&2
  exit 0
fi
if docker compose version >/dev/null 2>&1; then compose_cmd=(docker compose); else compose_cmd=(docker-compose); fi
step "engine: $(docker version --format '{{.Server.Version}}'), ${compose_cmd[*]}"

# 2. The base images: pulled from a registry, else built locally under the official names.
missing=()
for image in python:3.13-slim postgres:16 redis:7 nginx:stable; do
  docker image inspect "$image" >/dev/null 2>&1 || timeout 60 docker pull -q "$image" >/dev/null 2>&1 \
    || missing+=("$image")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ -x "$offline_images" ] || { echo "test-compose: cannot pull ${missing[*]}" >&2; exit 1; }
  "$offline_images" build "${missing[@]}"
fi
step "base images"

# 3. The project's image, once for both files (the host's network, for pip).
docker build --network host -q -t sso-shops:dev -t sso-shops:latest . >/dev/null
step "image sso-shops (cached layers reused)"

free_ports() {  # free_ports N: N distinct free TCP ports on 127.0.0.1
  "$python" -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

project=""
compose() { "${compose_cmd[@]}" -p "$project" -f "$file" "$@"; }
cleanup() {
  local code=$?
  if [ -n "$project" ]; then
    compose logs --no-color >"$logs/$profile.log" 2>&1 || true
    [ "$code" -eq 0 ] || { echo "==> $profile stack failed: last log lines ($logs/$profile.log)"; tail -n 40 "$logs/$profile.log"; }
    compose down -v --remove-orphans >/dev/null 2>&1 || true
    project=""
  fi
  return "$code"
}
trap 'cleanup; exit' EXIT
trap 'exit 130' INT TERM

wait_healthy() {  # wait_healthy SERVICE...: docker's healthchecks, 180 s at most
  local deadline=$((SECONDS + 180)) service status
  for service in "$@"; do
    while status=$(docker inspect --format '{{.State.Health.Status}}' "$(compose ps -q "$service")"); [ "$status" != healthy ]; do
      [ $SECONDS -lt $deadline ] || { echo "test-compose: $service is $status after 180 s" >&2; return 1; }
      sleep 1
    done
  done
}

smoke() {  # smoke FILE...: the smoke tests over the running stack
  COMPOSE_SMOKE_PROFILE=$profile COMPOSE_SMOKE_COMMAND="${compose_cmd[*]} -p $project -f $file" \
    "$python" -m pytest -c tests/compose/pytest.ini -q "${@/#/tests/compose/}"
}

for profile in "${profiles[@]}"; do
  project=sso_test_${profile}_$$
  case $profile in
    dev)
      file=docker-compose.yml
      read -r IDP_PORT SHOP_A_PORT SHOP_B_PORT DB_PORT REDIS_PORT MAIL_PORT < <(free_ports 6)
      export IDP_PORT SHOP_A_PORT SHOP_B_PORT DB_PORT REDIS_PORT MAIL_PORT
      servers=(identity_server project_a project_b)
      export COMPOSE_SMOKE_IDP_URL=http://localhost:$IDP_PORT \
        COMPOSE_SMOKE_SHOP_A_URL=http://localhost:$SHOP_A_PORT \
        COMPOSE_SMOKE_SHOP_B_URL=http://localhost:$SHOP_B_PORT \
        COMPOSE_SMOKE_IDP_DIRECT=http://127.0.0.1:$IDP_PORT COMPOSE_SMOKE_IDP_PINNED= \
        COMPOSE_SMOKE_SHOPS_DIRECT=http://127.0.0.1:$SHOP_A_PORT,http://127.0.0.1:$SHOP_B_PORT \
        COMPOSE_SMOKE_IDP_SERVICES=identity_server COMPOSE_SMOKE_CA_FILE=
      tests=(smoke_flows.py smoke_faults.py smoke_metrics.py) ;;
    prod)
      file=docker-compose.prod.yml
      read -r IDP_HTTPS_PORT SHOP_A_HTTPS_PORT SHOP_B_HTTPS_PORT IDP_1_TLS_PORT IDP_2_TLS_PORT \
        IDP_1_PORT IDP_2_PORT SHOP_A_PORT SHOP_B_PORT DB_PORT REDIS_PORT < <(free_ports 11)
      export IDP_HTTPS_PORT SHOP_A_HTTPS_PORT SHOP_B_HTTPS_PORT IDP_1_TLS_PORT IDP_2_TLS_PORT \
        IDP_1_PORT IDP_2_PORT SHOP_A_PORT SHOP_B_PORT DB_PORT REDIS_PORT
      export POSTGRES_PASSWORD
      POSTGRES_PASSWORD=$("$python" -c 'import secrets; print(secrets.token_hex(16))')
      # Nothing is mailed by the smoke; a closed port stands in for the mail server.
      export IDP_EMAIL_URL=smtp://127.0.0.1:$(free_ports 1)
      servers=(identity_server_1 identity_server_2 project_a project_b)
      export COMPOSE_SMOKE_IDP_URL=https://localhost:$IDP_HTTPS_PORT \
        COMPOSE_SMOKE_SHOP_A_URL=https://localhost:$SHOP_A_HTTPS_PORT \
        COMPOSE_SMOKE_SHOP_B_URL=https://localhost:$SHOP_B_HTTPS_PORT \
        COMPOSE_SMOKE_IDP_DIRECT=http://127.0.0.1:$IDP_1_PORT,http://127.0.0.1:$IDP_2_PORT \
        COMPOSE_SMOKE_IDP_PINNED=https://localhost:$IDP_1_TLS_PORT,https://localhost:$IDP_2_TLS_PORT \
        COMPOSE_SMOKE_SHOPS_DIRECT=http://127.0.0.1:$SHOP_A_PORT,http://127.0.0.1:$SHOP_B_PORT \
        COMPOSE_SMOKE_IDP_SERVICES=identity_server_1,identity_server_2 \
        COMPOSE_SMOKE_CA_FILE=$logs/prod-ca.crt
      tests=(smoke_flows.py smoke_replicas.py smoke_faults.py smoke_metrics.py) ;;
    *) echo "test-compose: unknown profile '$profile' (dev, prod)" >&2; exit 2 ;;
  esac
  compose up -d --no-build >"$logs/$profile-up.log" 2>&1 || { cat "$logs/$profile-up.log" >&2; exit 1; }
  step "$profile: up (setup done)"
  wait_healthy "${servers[@]}"
  if [ "$profile" = prod ]; then
    docker cp "$(compose ps -q certs)":/certs/ca.crt "$COMPOSE_SMOKE_CA_FILE"
  fi
  step "$profile: servers ready"
  smoke "${tests[@]}"
  step "$profile: smoke"
  cleanup
  step "$profile: down -v"
done
echo "==> test-compose passed in $((SECONDS - started))s (${profiles[*]})"
