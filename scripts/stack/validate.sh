#!/usr/bin/env bash
# Static checks of the stack's configuration with the real tools (run by CI through
# `make validate-stack-config`): nginx -t on the rendered nginx configuration, promtool on the
# Prometheus configuration, rules and rule unit tests, amtool on the Alertmanager configuration
# and its routes, shellcheck on the stack scripts, and the dashboards and alert conventions
# (lint_monitoring.py, which also parses every dashboard query with a throwaway Prometheus).
# Needs no running stack and leaves nothing behind.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PROMETHEUS_DIR="$ROOT/monitoring/prometheus"
ALERTMANAGER_CONFIG="$ROOT/monitoring/alertmanager/alertmanager.yml"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "nginx -t (native rendering of nginx/)"
STACK_DIR="$work/stack" "$ROOT/scripts/stack/stack.sh" certs >/dev/null
# Renders with the native values into a throwaway stack folder, then runs nginx -t on it.
STACK_DIR="$work/stack" "$ROOT/scripts/stack/stack.sh" render-nginx "$work/stack/nginx"
# shellcheck disable=SC2016 # a literal ${NGINX_ left by envsubst
if grep -Hn '^[^#]*\${NGINX_' "$work/stack/nginx/conf/conf.d/"*.conf; then
  echo "unrendered template variables left in the nginx configuration" >&2
  exit 1
fi

step "promtool check config"
promtool check config "$PROMETHEUS_DIR/prometheus.yml"

step "promtool check rules"
promtool check rules "$PROMETHEUS_DIR"/rules/*.yml

step "promtool test rules"
promtool test rules "$PROMETHEUS_DIR"/tests/*.yml

step "amtool check-config"
amtool check-config "$ALERTMANAGER_CONFIG"

step "amtool config routes test"
route_test() {
  local expected="$1"
  shift
  amtool config routes test --config.file="$ALERTMANAGER_CONFIG" --verify.receivers="$expected" "$@" \
    2>/dev/null >/dev/null || { echo "labels $* do not route to $expected" >&2; exit 1; }
  echo "$* -> $expected"
}
route_test pager alertname=HttpErrorRateHigh severity=critical service=api
route_test pager alertname=TargetDown severity=critical job=api
route_test chat alertname=ApiLatencyP95High severity=warning service=api
route_test chat alertname=HostCpuHigh severity=warning
route_test default alertname=Watchdog

step "shellcheck scripts/stack"
shellcheck "$ROOT"/scripts/stack/*.sh

step "dashboards and alert conventions"
"$ROOT/.venv/bin/python" "$ROOT/scripts/stack/lint_monitoring.py"

printf '\nstack configuration: all checks passed\n'
