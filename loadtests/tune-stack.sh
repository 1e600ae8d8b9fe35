#!/usr/bin/env bash
# Compares settings of the native stack on the read mix: for each setting below it restarts the
# stack with that environment (and the throttle rates raised), runs the `read` phase of
# loadtests/run.py for READ_SECONDS, and prints one line; the stack is left as it was found
# (stopped, or restarted with the settings it had). The table goes into docs/load-testing.md by
# hand: this compares, it does not judge.
#
#   bash loadtests/tune-stack.sh            # every setting below
#   READ_SECONDS=60 bash loadtests/tune-stack.sh "GUNICORN_WORKERS=3" "GUNICORN_WORKER_CLASS=sync"
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK="$ROOT/scripts/stack/stack.sh"
PYTHON="$ROOT/.venv/bin/python"
READ_SECONDS="${READ_SECONDS:-30}"
RATE="10000000/hour"
RATES=(THROTTLE_RATE_ANON THROTTLE_RATE_USER THROTTLE_RATE_STRICT THROTTLE_RATE_BURST THROTTLE_RATE_SUSTAINED)

if [ "$#" -gt 0 ]; then
  settings=("$@")
else
  settings=(
    ""                                                    # the defaults: gthread, 2 x CPUs + 1 workers, 4 threads
    "GUNICORN_WORKER_CLASS=sync"                          # same worker count, one request at a time each
    "GUNICORN_WORKER_CLASS=sync GUNICORN_WORKERS=3"
    "GUNICORN_WORKERS=3"                                  # gthread, fewer workers
    "GUNICORN_WORKERS=8"                                  # gthread, more workers
    "LOG_LEVEL=WARNING"                                   # without the JSON request log line
    "DB_POOL_MIN_SIZE=4 DB_POOL_MAX_SIZE=4"               # a fixed, warm pool per worker
  )
fi

targets="$(mktemp)"
trap 'rm -f "$targets"' EXIT
sed "s/^read_seconds = .*/read_seconds = $READ_SECONDS/" "$ROOT/loadtests/targets.toml" >"$targets"

was_running=1
restore=""
status=0
"$STACK" status >/dev/null 2>&1 || status=$?
[ "$status" -ne 3 ] || was_running=0
if [ "$was_running" = 1 ]; then
  pid="$("$ROOT/.venv/bin/supervisorctl" -c "$ROOT/.stack/supervisor/supervisord.conf" pid api)"
  restore="$(tr '\0' '\n' <"/proc/$pid/environ" | grep -E '^(THROTTLE_RATE_[A-Z]+|GUNICORN_[A-Z_]+|DB_POOL_(MIN|MAX)_SIZE|LOG_LEVEL)=' || true)"
fi

printf '%-48s %9s %8s %8s %9s %11s %7s %s\n' setting "req/s" "p50 ms" "p95 ms" "hit rate" "CPU ms/req" load run
for setting in "${settings[@]}"; do
  "$STACK" down >/dev/null
  # shellcheck disable=SC2086 # each setting is a list of VAR=value words
  env "${RATES[@]/%/=$RATE}" $setting "$STACK" up >/dev/null
  "$PYTHON" "$ROOT/loadtests/run.py" --targets-file "$targets" --phases read >/dev/null 2>&1 || true
  "$PYTHON" - "$ROOT/loadtests/reports/latest/summary.json" "${setting:-(defaults)}" <<'EOF'
import json, sys
run = json.load(open(sys.argv[1]))
read = run["read"]["groups"]["read"]
hit = (run["read"].get("cache") or {}).get("hit_rate")
cpu = run["read"].get("gunicorn_cpu_ms_per_request") or 0
print(f"{sys.argv[2]:<48} {read['rps']:9.1f} {read['p50_ms']:8.0f} {read['p95_ms']:8.0f} "
      f"{(hit or 0) * 100:8.1f}% {cpu:11.2f} {run['machine']['load_average'][0]:7.2f} {run['run']}")
EOF
done

"$STACK" down >/dev/null
if [ "$was_running" = 1 ]; then
  saved=()
  [ -z "$restore" ] || mapfile -t saved <<<"$restore"
  env "${saved[@]}" "$STACK" up >/dev/null
fi
