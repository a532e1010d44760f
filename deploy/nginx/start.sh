#!/bin/sh
# nginx of docker-compose.prod.yml: fill in the ports of sso.conf.template, then run in the
# foreground. sed, not envsubst: only the names below are replaced, nginx's $variables stay.
set -eu
names="IDP_HTTPS_PORT SHOP_A_HTTPS_PORT SHOP_B_HTTPS_PORT IDP_1_PORT IDP_2_PORT SHOP_A_PORT
SHOP_B_PORT IDP_1_TLS_PORT IDP_2_TLS_PORT TLS_HOSTNAME"
script=""
for name in $names; do
  value=$(printenv "$name") || { echo "nginx start: $name is not set" >&2; exit 1; }
  script="$script s|\${$name}|$value|g;"
done
sed "$script" /etc/nginx/sso/sso.conf.template >/etc/nginx/conf.d/sso.conf
nginx -t -q
exec nginx -g "daemon off;"
