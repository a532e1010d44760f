#!/usr/bin/env bash
# `make run`: set up everything that is missing, then run the identity server and both shops
# until Ctrl-C. Safe to run again: secrets, databases and demo data are reused.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
entry=$repo/scripts/entrypoint.sh
# The repository's .env (and var/dev.env once generated) under the real environment, for the
# ports, URLs and mail below; each server's own names are set by the entrypoint.
file_exports=$("$repo/.venv/bin/python" "$repo/scripts/stack_env.py" --files)
eval "$file_exports"
export VAR_DIR=${VAR_DIR:-$repo/var}
projects=(identity_server project_a project_b)

ports=("${IDP_PORT:-8000}" "${SHOP_A_PORT:-8001}" "${SHOP_B_PORT:-8002}")
for port in "${ports[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port is already in use: stop what listens there (an earlier make run?)," \
      "or choose other ports with IDP_PORT, SHOP_A_PORT and SHOP_B_PORT." >&2
    exit 1
  fi
done

"$repo/.venv/bin/python" "$repo/scripts/bootstrap.py" --var-dir "$VAR_DIR"
# The identity server's mail (verification, reset links) goes to files under $VAR_DIR/mail,
# unless IDP_EMAIL_URL is set in the environment, .env or dev.env.
if [ -z "${IDP_EMAIL_URL:-}" ]; then
  mail_dir=$(cd "$VAR_DIR" && pwd)/mail
  mkdir -p "$mail_dir"
  export IDP_EMAIL_URL="filemail://$mail_dir"
  mail_note="written to files in $mail_dir (one file per sending connection)"
else
  mail_note="sent through IDP_EMAIL_URL"
fi
# Logs a developer reads in a terminal; production keeps one JSON object per line.
export LOG_FORMAT=${LOG_FORMAT:-text}
for project in "${projects[@]}"; do
  echo "==> $project: migrate, static files, demo data"
  "$entry" "$project" setup
  "$entry" "$project" seed
done

pids=()
stop() {
  local code=${1:-0}
  trap - INT TERM
  echo; echo "==> stopping"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  exit "$code"
}
trap stop INT TERM
# Each server in its own session: Ctrl-C reaches this script only, which stops them in order.
for project in "${projects[@]}"; do
  setsid "$entry" "$project" serve > >(sed -u "s/^/[$project] /") 2>&1 &
  pids+=($!)
done
# The identity server's outbox worker: back-channel logout and account events to the shops, with
# retries; every 5 minutes it also ends the IdP sessions whose browser never came back and purges
# expired tokens, codes, old sessions and old deliveries (docs/events.md).
setsid "$entry" identity_server manage deliver_events > >(sed -u "s/^/[events] /") 2>&1 &
pids+=($!)

idp=${IDP_URL:-http://localhost:${IDP_PORT:-8000}}
shop_a=${SHOP_A_URL:-http://localhost:${SHOP_A_PORT:-8001}}
shop_b=${SHOP_B_URL:-http://localhost:${SHOP_B_PORT:-8002}}
"$repo/.venv/bin/python" "$repo/scripts/wait_ready.py" "$idp" "$shop_a" "$shop_b" || stop 1
# Every 5 minutes, delete the shops' expired sessions and seen tokens in small batches (the
# identity server's clean-up runs in its events worker).
(while sleep 300; do
  for shop in project_a project_b; do "$entry" "$shop" manage sso_purge >/dev/null || true; done
done) &
pids+=($!)
cat <<MSG

  Identity server  $idp   (admin: $idp/admin/)
  Shop A           $shop_a
  Shop B           $shop_b
  Mail             $mail_note

  Demo customer    alice@example.com / demo-alice-pass
  Demo admin       admin@example.com / demo-admin-pass   (staff at the identity server and both shops)

  Ctrl-C stops all three and the events worker.
MSG
# When one server exits on its own, stop the others rather than run half a stack.
wait -n "${pids[@]}" || true
echo "==> a server stopped (see its log above)" >&2
stop 1
