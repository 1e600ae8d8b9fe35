#!/bin/sh
# Entry point of the local nginx base: what the official image's does for compose.yaml. Before
# `nginx ...` it renders /etc/nginx/templates/*.template into /etc/nginx/conf.d/ with envsubst,
# substituting only the variables whose names match NGINX_ENVSUBST_FILTER, so nginx's own
# $variables are left alone.
set -eu

if [ "${1:-}" = nginx ] && [ -d /etc/nginx/templates ]; then
  filter=${NGINX_ENVSUBST_FILTER:-}
  names=$(env | cut -d= -f1 | grep -E "${filter:-.}" | sed 's/^/$/' | tr '\n' ' ')
  for template in /etc/nginx/templates/*.template; do
    [ -e "$template" ] || continue
    target=/etc/nginx/conf.d/$(basename "$template" .template)
    envsubst "$names" <"$template" >"$target"
  done
fi

exec "$@"
