#!/usr/bin/env bash
# Runs a command against the native stack with the throttle rates it needs, starting the stack
# when it does not run and stopping it afterwards only if this script started it.
#
#   loadtests/with-stack.sh raised     -- CMD...   load tests: throttle rates raised (capacity)
#   loadtests/with-stack.sh configured -- CMD...   the limiter check: the configured rates
#
# A stack already running with the other rates is left alone and the command refused, unless
# RESTART=1: then it is restarted with the rates needed and, afterwards, restarted again with the
# settings it had. With TARGET set to a host that is not this machine, CMD runs as it is.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_DIR="${STACK_DIR:-$ROOT/.stack}"
STACK="$ROOT/scripts/stack/stack.sh"
SUPERVISORCTL=("$ROOT/.venv/bin/supervisorctl" -c "$STACK_DIR/supervisor/supervisord.conf")
RATE="10000000/hour"
RATES=(THROTTLE_RATE_ANON THROTTLE_RATE_USER THROTTLE_RATE_STRICT THROTTLE_RATE_BURST THROTTLE_RATE_SUSTAINED)
# What stack.sh passes through to the processes (docs/local-stack.md), to restore after RESTART=1.
PASSTHROUGH_RE='^(THROTTLE_RATE_[A-Z]+|GUNICORN_[A-Z_]+|DB_POOL_MIN_SIZE|DB_POOL_MAX_SIZE|CACHE_DEFAULT_TIMEOUT|CACHE_ENABLED|CACHE_TIMEOUT_[A-Z_]+|LOG_LEVEL|LOG_FORMAT|CORS_ALLOWED_ORIGINS|DJANGO_CSRF_TRUSTED_ORIGINS)='

say() { printf 'loadtest: %s\n' "$*"; }

mode="${1:-}"
[ "$mode" = raised ] || [ "$mode" = configured ] || { echo "usage: $0 raised|configured -- CMD..." >&2; exit 2; }
shift
[ "${1:-}" = "--" ] && shift

case "${TARGET:-}" in
  "" | https://127.0.0.1:* | https://localhost:* | http://127.0.0.1:* | http://localhost:*) ;;
  *) exec "$@" ;;
esac

api_env() {  # the environment of the running api (empty when the stack does not run)
  local pid
  pid="$("${SUPERVISORCTL[@]}" pid api 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && [ "$pid" -gt 0 ] || return 0
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null || true
}

has_raised_rates() {
  local env var
  env="$(api_env)"
  for var in "${RATES[@]}"; do
    grep -qx "$var=$RATE" <<<"$env" || return 1
  done
}

has_configured_rates() {
  ! grep -q '^THROTTLE_RATE_' <<<"$(api_env)"
}

start_with_needed_rates() {
  if [ "$mode" = raised ]; then
    say "starting the stack with the throttle rates raised to $RATE (the load test measures capacity)"
    env "${RATES[@]/%/=$RATE}" "$STACK" up
  else
    say "starting the stack with its configured throttle rates"
    env "${RATES[@]/#/--unset=}" "$STACK" up
  fi
}

running() {  # stack.sh status exits 3 exactly when supervisord does not run
  local status=0
  "$STACK" status >/dev/null 2>&1 || status=$?
  [ "$status" -ne 3 ]
}

started=0
restarted=0
restore=""
if ! running; then
  start_with_needed_rates
  started=1
elif { [ "$mode" = raised ] && ! has_raised_rates; } || { [ "$mode" = configured ] && ! has_configured_rates; }; then
  if [ "${RESTART:-0}" != 1 ]; then
    if [ "$mode" = raised ]; then
      say "the running stack has its normal throttle rates: a load test would measure the limiter."
    else
      say "the running stack has its throttle rates changed: the limiter check needs the configured ones."
    fi
    say "stop it (make stack-down) and run this again, or add RESTART=1 to restart it for the run."
    exit 2
  fi
  restore="$(api_env | grep -E "$PASSTHROUGH_RE" || true)"
  restarted=1
  say "RESTART=1: restarting the stack for this run; it gets its settings back afterwards"
  "$STACK" down
  start_with_needed_rates
fi

finish() {
  local status=$?
  if [ "$started" = 1 ]; then
    say "stopping the stack this run started"
    "$STACK" down || true
  elif [ "$restarted" = 1 ]; then
    say "restarting the stack with the settings it had"
    "$STACK" down || true
    local saved=()
    [ -z "$restore" ] || mapfile -t saved <<<"$restore"
    env "${RATES[@]/#/--unset=}" "${saved[@]}" "$STACK" up || true
  fi
  exit "$status"
}
trap finish EXIT
"$@"
