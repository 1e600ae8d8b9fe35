#!/usr/bin/env bash
# The native stack: the same processes and configuration files the containers run (Gunicorn,
# Daphne, the relay and flusher workers, nginx, Prometheus, Alertmanager and the exporters),
# managed by supervisord, against the local PostgreSQL and Redis. Everything it writes lives in
# .stack/ (or $STACK_DIR): rendered configuration, certificates, the secret key, logs, pids,
# Prometheus data and the multiprocess metrics folder.
#
#   stack.sh up        start everything (a no-op when everything already runs)
#   stack.sh down      stop everything; nothing of the stack keeps running
#   stack.sh status    supervisord's view and every endpoint's answer (exit 1 if any is down)
#   stack.sh logs      the last lines of each log (SERVICE=name for one, FOLLOW=1 to follow)
#   stack.sh reload    re-render the configuration and reload gracefully (nginx, Prometheus,
#                      Alertmanager, Gunicorn)
#   stack.sh certs     make the development CA and TLS certificate if missing or expiring
#   stack.sh render-nginx DIR   render the nginx configuration into DIR and run nginx -t on it
#
# Application settings (THROTTLE_RATE_*, GUNICORN_*, DB_POOL_*, LOG_LEVEL, ...) set in the
# caller's environment are passed through to the processes; see PASSTHROUGH below.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK_DIR="${STACK_DIR:-$ROOT/.stack}"
VENV="$ROOT/.venv"
PYTHON="$VENV/bin/python"
SUPERVISORCTL=("$VENV/bin/supervisorctl" -c "$STACK_DIR/supervisor/supervisord.conf")

# Ports (docs/local-stack.md lists them). All listen on 127.0.0.1 only.
API_PORT=8010
REALTIME_PORT=8011
NGINX_HTTP_PORT=8080
NGINX_STATUS_PORT=8081
NGINX_HTTPS_PORT=8443
PROMETHEUS_PORT=9090
ALERTMANAGER_PORT=9093
NODE_EXPORTER_PORT=9100
POSTGRES_EXPORTER_PORT=9187
REDIS_EXPORTER_PORT=9121
NGINX_EXPORTER_PORT=9113
RELAY_METRICS_PORT=9201
FLUSHER_METRICS_PORT=9202
STACK_PORTS=(
  "$API_PORT" "$REALTIME_PORT" "$NGINX_HTTP_PORT" "$NGINX_STATUS_PORT" "$NGINX_HTTPS_PORT"
  "$PROMETHEUS_PORT" "$ALERTMANAGER_PORT" "$NODE_EXPORTER_PORT" "$POSTGRES_EXPORTER_PORT"
  "$REDIS_EXPORTER_PORT" "$NGINX_EXPORTER_PORT" "$RELAY_METRICS_PORT" "$FLUSHER_METRICS_PORT"
)

POSTGRES_HOST=127.0.0.1
POSTGRES_PORT=5432
DATABASE_NAME=taskboard
DATABASE_URL="postgres://postgres@$POSTGRES_HOST:$POSTGRES_PORT/$DATABASE_NAME"
REDIS_URL="redis://127.0.0.1:6379/0"

# Caller variables handed to the processes when set (names or prefixes ending in *).
PASSTHROUGH=(
  "THROTTLE_RATE_*" "GUNICORN_*" "DB_POOL_MIN_SIZE" "DB_POOL_MAX_SIZE" "CACHE_DEFAULT_TIMEOUT"
  "DB_POOL_TIMEOUT" "DB_CIRCUIT_OPEN_SECONDS"
  "CACHE_ENABLED" "CACHE_TIMEOUT_*"
  "LOG_LEVEL" "LOG_FORMAT" "CORS_ALLOWED_ORIGINS" "DJANGO_CSRF_TRUSTED_ORIGINS"
)

PROGRAMS=(
  node-exporter postgres-exporter redis-exporter prometheus alertmanager
  api realtime relay flusher nginx nginx-exporter
)

say() { printf 'stack: %s\n' "$*"; }
fail() { printf 'stack: %s\n' "$*" >&2; exit 1; }

# --- state ---------------------------------------------------------------------------------

supervisord_pid() {
  local pidfile="$STACK_DIR/supervisor/supervisord.pid" pid
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A recycled pid belongs to another program: only a supervisord counts.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q supervisord || return 1
  echo "$pid"
}

is_running() { supervisord_pid >/dev/null; }

# Programs supervisord does not report as RUNNING (empty when all run).
programs_not_running() {
  "${SUPERVISORCTL[@]}" status 2>/dev/null | awk '$2 != "RUNNING" {print $1}' || true
}

port_owner() {
  # Prints "pid/program" of the process listening on 127.0.0.1:PORT (or any address), if any.
  ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*"\),pid=\([0-9]*\).*/\2\/\1/p' | head -n1
}

# --- preparation -----------------------------------------------------------------------------

ensure_dirs() {
  umask 022
  mkdir -p "$STACK_DIR"/{logs,run/metrics/api,supervisor,certs,static,alertmanager} \
    "$STACK_DIR"/prometheus/{data,targets} "$STACK_DIR"/nginx/{conf,tmp}
}

# A development certificate authority and a server certificate it signs for localhost and
# 127.0.0.1. Clients trust ca.crt (curl --cacert, requests verify=, a browser's authorities);
# nginx serves tls.crt. Each is made again when missing or within a week of expiry; the CA lives
# 825 days, so a browser that imported it keeps trusting the yearly server certificates.
valid_for_a_week() {
  [ -s "$1" ] && openssl x509 -checkend 604800 -noout -in "$1" >/dev/null 2>&1
}

ensure_certs() {
  local dir="$STACK_DIR/certs" work
  mkdir -p "$dir"
  if valid_for_a_week "$dir/ca.crt" && [ -s "$dir/ca.key" ] \
    && valid_for_a_week "$dir/tls.crt" && [ -s "$dir/tls.key" ] \
    && openssl verify -CAfile "$dir/ca.crt" "$dir/tls.crt" >/dev/null 2>&1; then
    return 0
  fi
  work="$(mktemp -d "$dir/.new.XXXXXX")"
  (
    umask 077
    cd "$work"
    if valid_for_a_week "$dir/ca.crt" && [ -s "$dir/ca.key" ]; then
      cp "$dir/ca.crt" "$dir/ca.key" .
    else
      say "making a development certificate authority (.stack/certs/ca.crt)"
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
        -subj "/O=Taskboard development/CN=Taskboard development CA" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout ca.key -out ca.crt 2>/dev/null
    fi
    say "making a TLS certificate for localhost and 127.0.0.1"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/O=Taskboard development/CN=localhost" -keyout tls.key -out tls.csr 2>/dev/null
    printf '%s\n' \
      "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" \
      "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      "subjectKeyIdentifier=hash" \
      "authorityKeyIdentifier=keyid:always" >tls.ext
    openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 \
      -extfile tls.ext -out tls.crt 2>/dev/null
  )
  chmod 0644 "$work/ca.crt" "$work/tls.crt"
  mv "$work/ca.key" "$work/ca.crt" "$work/tls.key" "$work/tls.crt" "$dir/"
  rm -rf "$work"
  if is_running; then
    say "run 'make stack-reload' for nginx to serve the new certificate"
  fi
}

ensure_secret_key() {
  local file="$STACK_DIR/secret-key"
  if [ ! -s "$file" ]; then
    (umask 077 && "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(64))' >"$file")
  fi
}

# The environment every process of the stack starts with (and nothing else).
app_env() {
  local name prefix
  cat <<EOF
PATH=$VENV/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOME=${HOME:-/root}
LANG=C.UTF-8
PYTHONPATH=$ROOT/services/api
PYTHONDONTWRITEBYTECODE=1
DJANGO_SETTINGS_MODULE=config.settings.production
DJANGO_SECRET_KEY=$(cat "$STACK_DIR/secret-key")
DJANGO_DEBUG=false
DJANGO_ALLOWED_HOSTS=localhost,127.0.0.1
DJANGO_CSRF_TRUSTED_ORIGINS=https://localhost:$NGINX_HTTPS_PORT,https://127.0.0.1:$NGINX_HTTPS_PORT
DATABASE_URL=$DATABASE_URL
REDIS_URL=$REDIS_URL
NUM_PROXIES=1
METRICS_ADDR=127.0.0.1
LOG_FORMAT=json
LOG_LEVEL=INFO
STATIC_ROOT=$STACK_DIR/static
EOF
  # Later lines win in env(1): the caller's settings override the defaults above.
  for name in "${PASSTHROUGH[@]}"; do
    if [[ "$name" == *"*" ]]; then
      prefix="${name%\*}"
      compgen -v "$prefix" | while read -r var; do printf '%s=%s\n' "$var" "${!var}"; done
    elif [ -n "${!name+x}" ]; then
      printf '%s=%s\n' "$name" "${!name}"
    fi
  done
}

# Runs a command with exactly the stack's environment.
with_app_env() {
  local -a env_args=()
  local line
  while IFS= read -r line; do env_args+=("$line"); done < <(app_env)
  env -i "${env_args[@]}" "$@"
}

check_backends() {
  timeout 10 pg_isready -q -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" \
    || fail "PostgreSQL does not answer on $POSTGRES_HOST:$POSTGRES_PORT (start it first)"
  local reply
  reply="$(timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379 && printf "PING\r\n" >&3 && head -c 5 <&3' 2>/dev/null || true)"
  [[ "$reply" == "+PONG"* ]] || fail "Redis does not answer on 127.0.0.1:6379 (start it first)"
}

ensure_database() {
  local exists
  exists="$(timeout 10 psql -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DATABASE_NAME'")"
  if [ "$exists" != "1" ]; then
    say "creating database $DATABASE_NAME"
    timeout 30 psql -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U postgres -d postgres -qc \
      "CREATE DATABASE $DATABASE_NAME" >/dev/null
  fi
}

check_ports_free() {
  local port owner busy=0
  for port in "${STACK_PORTS[@]}"; do
    owner="$(port_owner "$port")"
    if [ -n "$owner" ]; then
      printf 'stack: port %s is taken by %s\n' "$port" "$owner" >&2
      busy=1
    fi
  done
  [ "$busy" -eq 0 ] || fail "free these ports (a system service started by a package install?) and retry"
}

# --- rendering -------------------------------------------------------------------------------

# render_template TEMPLATE OUTPUT: envsubst limited to the variables the template names, each of
# which must be set, so that nginx's own $variables survive and a missing value is an error.
render_template() {
  local template="$1" output="$2" names var
  # shellcheck disable=SC2016 # the pattern matches a literal ${NAME}
  names="$(grep -o '\${[A-Z_][A-Z0-9_]*}' "$template" | sort -u | tr '\n' ' ')"
  for var in $names; do
    var="${var#\$\{}"
    var="${var%\}}"
    [ -n "${!var+x}" ] || fail "$template needs $var"
  done
  envsubst "$names" <"$template" >"$output.tmp"
  mv "$output.tmp" "$output"
}

# render_nginx DIR: the shared nginx configuration with the native values, laid out as in the
# images (nginx.conf, mime.types, snippets/, conf.d/) under DIR/conf.
render_nginx() {
  local prefix="$1" template
  mkdir -p "$prefix/conf/snippets" "$prefix/conf/conf.d" "$prefix/tmp" "$STACK_DIR/logs"
  rm -f "$prefix"/conf/snippets/*.conf "$prefix"/conf/conf.d/*.conf
  cp "$ROOT/nginx/nginx.conf" "$prefix/conf/nginx.conf"
  cp /etc/nginx/mime.types "$prefix/conf/mime.types"
  cp "$ROOT"/nginx/snippets/*.conf "$prefix/conf/snippets/"
  (
    export NGINX_API_UPSTREAM="127.0.0.1:$API_PORT"
    export NGINX_REALTIME_UPSTREAM="127.0.0.1:$REALTIME_PORT"
    export NGINX_HTTP_LISTEN="127.0.0.1:$NGINX_HTTP_PORT"
    export NGINX_HTTPS_LISTEN="127.0.0.1:$NGINX_HTTPS_PORT"
    export NGINX_STATUS_LISTEN="127.0.0.1:$NGINX_STATUS_PORT"
    export NGINX_HTTPS_PORT
    export NGINX_TLS_CERT="$STACK_DIR/certs/tls.crt"
    export NGINX_TLS_KEY="$STACK_DIR/certs/tls.key"
    export NGINX_STATIC_ROOT="$STACK_DIR/static"
    export NGINX_ACCESS_LOG="$STACK_DIR/logs/nginx-access.log"
    export NGINX_TEMP_DIR="$prefix/tmp"
    for template in "$ROOT"/nginx/templates/*.conf.template; do
      render_template "$template" "$prefix/conf/conf.d/$(basename "$template" .template)"
    done
  )
}

# nginx_test DIR [NGINX-OPTION...]: nginx -t on the configuration rendered into DIR.
nginx_test() {
  local prefix="$1"
  shift
  nginx -t "$@" -p "$prefix/" -c "$prefix/conf/nginx.conf" -e stderr -g "pid $prefix/nginx-test.pid;"
}

render_prometheus() {
  local dir="$STACK_DIR/prometheus" job target
  # Links, not copies: rules edited in the repository take effect on `stack.sh reload`.
  ln -sfn "$ROOT/monitoring/prometheus/prometheus.yml" "$dir/prometheus.yml"
  ln -sfn "$ROOT/monitoring/prometheus/rules" "$dir/rules"
  for target in \
    prometheus:$PROMETHEUS_PORT alertmanager:$ALERTMANAGER_PORT api:$API_PORT \
    realtime:$REALTIME_PORT relay:$RELAY_METRICS_PORT flusher:$FLUSHER_METRICS_PORT \
    nginx:$NGINX_EXPORTER_PORT postgres:$POSTGRES_EXPORTER_PORT redis:$REDIS_EXPORTER_PORT \
    node:$NODE_EXPORTER_PORT; do
    job="${target%%:*}"
    printf '# Rendered by scripts/stack/stack.sh: the native %s target.\n- targets: ["127.0.0.1:%s"]\n' \
      "$job" "${target#*:}" >"$dir/targets/$job.yml.tmp"
    mv "$dir/targets/$job.yml.tmp" "$dir/targets/$job.yml"
  done
}

render_supervisor() {
  (
    export ROOT STACK_DIR VENV API_PORT REALTIME_PORT RELAY_METRICS_PORT FLUSHER_METRICS_PORT
    export PROMETHEUS_PORT ALERTMANAGER_PORT NODE_EXPORTER_PORT POSTGRES_EXPORTER_PORT
    export REDIS_EXPORTER_PORT NGINX_EXPORTER_PORT NGINX_STATUS_PORT
    export POSTGRES_EXPORTER_DSN="postgresql://postgres@$POSTGRES_HOST:$POSTGRES_PORT/$DATABASE_NAME?sslmode=disable"
    export REDIS_EXPORTER_ADDR="redis://127.0.0.1:6379"
    render_template "$ROOT/scripts/stack/supervisord.conf.template" "$STACK_DIR/supervisor/supervisord.conf"
  )
}

render_all() {
  render_nginx "$STACK_DIR/nginx"
  nginx_test "$STACK_DIR/nginx" -q || fail "nginx rejects the rendered configuration"
  render_prometheus
  render_supervisor
}

# --- readiness -------------------------------------------------------------------------------

# probe URL: one HTTP request, 2xx expected.
probe() {
  curl -fsS -o /dev/null --max-time 3 --cacert "$STACK_DIR/certs/ca.crt" "$1" 2>/dev/null
}

# Endpoint of each program that proves it serves (not merely that its process exists).
endpoint_of() {
  case "$1" in
    api) echo "http://127.0.0.1:$API_PORT/readyz" ;;
    realtime) echo "http://127.0.0.1:$REALTIME_PORT/readyz" ;;
    relay) echo "http://127.0.0.1:$RELAY_METRICS_PORT/metrics" ;;
    flusher) echo "http://127.0.0.1:$FLUSHER_METRICS_PORT/metrics" ;;
    nginx) echo "https://127.0.0.1:$NGINX_HTTPS_PORT/readyz" ;;
    nginx-exporter) echo "http://127.0.0.1:$NGINX_EXPORTER_PORT/metrics" ;;
    prometheus) echo "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" ;;
    alertmanager) echo "http://127.0.0.1:$ALERTMANAGER_PORT/-/ready" ;;
    node-exporter) echo "http://127.0.0.1:$NODE_EXPORTER_PORT/metrics" ;;
    postgres-exporter) echo "http://127.0.0.1:$POSTGRES_EXPORTER_PORT/metrics" ;;
    redis-exporter) echo "http://127.0.0.1:$REDIS_EXPORTER_PORT/metrics" ;;
  esac
}

# Waits (at most $1 seconds) until every program is RUNNING and answers on its endpoint.
wait_ready() {
  local deadline=$((SECONDS + $1)) program pending fatal
  while :; do
    pending="$(programs_not_running)"
    for program in "${PROGRAMS[@]}"; do
      probe "$(endpoint_of "$program")" || pending+=" $program"
    done
    pending="$(echo "$pending" | tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ')"
    [ -z "$pending" ] && return 0
    # FATAL: supervisord gave up restarting it (it kept exiting at start); waiting cannot help.
    fatal="$("${SUPERVISORCTL[@]}" status 2>/dev/null | awk '$2 == "FATAL" {print $1}' | tr '\n' ' ' || true)"
    if [ -n "$fatal" ] || [ "$SECONDS" -ge "$deadline" ]; then
      if [ -n "$fatal" ]; then say "failed to start: $fatal"; else say "not ready after $1 s: $pending"; fi
      for program in $pending; do
        printf '\n--- last lines of %s ---\n' "$STACK_DIR/logs/$program.log" >&2
        tail -n 20 "$STACK_DIR/logs/$program.log" >&2 2>/dev/null || true
      done
      return 1
    fi
    sleep 1
  done
}

# --- commands --------------------------------------------------------------------------------

require_supervisor() {
  if [ ! -x "$VENV/bin/supervisord" ] || [ ! -x "$VENV/bin/supervisorctl" ]; then
    fail "supervisor is missing from $VENV: run 'make stack-install'"
  fi
}

cmd_up() {
  require_supervisor
  ensure_dirs
  if is_running; then
    local stopped
    stopped="$(programs_not_running)"
    if [ -z "$stopped" ]; then
      say "already running; nothing to do ('make stack-status' shows it)"
      return 0
    fi
    say "restarting stopped programs: $(echo "$stopped" | tr '\n' ' ')"
    # shellcheck disable=SC2086
    "${SUPERVISORCTL[@]}" start $stopped >/dev/null || true
    wait_ready 90 || fail "the stack is not healthy; see 'make stack-logs'"
    say "ready"
    return 0
  fi

  check_ports_free
  check_backends
  ensure_certs
  ensure_secret_key
  render_all
  ensure_database

  say "migrating the database"
  (cd "$ROOT/services/api" && with_app_env timeout 300 "$PYTHON" manage.py migrate --no-input) \
    >"$STACK_DIR/logs/migrate.log" 2>&1 || { tail -n 30 "$STACK_DIR/logs/migrate.log" >&2; fail "migrate failed"; }
  say "collecting static files"
  (cd "$ROOT/services/api" && with_app_env timeout 300 "$PYTHON" manage.py collectstatic --no-input --clear) \
    >"$STACK_DIR/logs/collectstatic.log" 2>&1 || { tail -n 30 "$STACK_DIR/logs/collectstatic.log" >&2; fail "collectstatic failed"; }

  say "starting supervisord"
  rm -f "$STACK_DIR/supervisor/supervisor.sock"
  with_app_env "$VENV/bin/supervisord" -c "$STACK_DIR/supervisor/supervisord.conf"
  wait_ready 120 || fail "the stack is not healthy; see 'make stack-logs' (stop it with 'make stack-down')"
  say "ready: https://localhost:$NGINX_HTTPS_PORT/api/v1/ (CA: $STACK_DIR/certs/ca.crt)," \
    "Prometheus http://127.0.0.1:$PROMETHEUS_PORT, Alertmanager http://127.0.0.1:$ALERTMANAGER_PORT"
}

cmd_down() {
  local pid deadline port owner leftover=0
  if pid="$(supervisord_pid)"; then
    say "stopping (graceful: in-flight requests finish)"
    # supervisord also stops its programs on TERM: the way left if supervisorctl is gone.
    "${SUPERVISORCTL[@]}" shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    # Gunicorn's graceful timeout (30 s) plus margin, then insist.
    deadline=$((SECONDS + 75))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "supervisord still running after 75 s; sending KILL to it and its process group"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      sleep 1
    fi
  else
    say "not running"
  fi
  rm -f "$STACK_DIR/supervisor/supervisor.sock" "$STACK_DIR/supervisor/supervisord.pid"
  for port in "${STACK_PORTS[@]}"; do
    owner="$(port_owner "$port")"
    if [ -n "$owner" ]; then
      printf 'stack: port %s is still held by %s\n' "$port" "$owner" >&2
      leftover=1
    fi
  done
  [ "$leftover" -eq 0 ] || fail "some ports are still in use (processes outside the stack's supervisor?)"
  say "stopped"
}

cmd_status() {
  local program state url answer status ok=0
  if ! is_running; then
    say "not running"
    return 3
  fi
  status="$("${SUPERVISORCTL[@]}" status 2>&1)" || true
  if ! grep -q '^[a-z-]* *[A-Z]' <<<"$status"; then
    say "supervisord does not answer: $status"
    return 1
  fi
  printf '%-18s %-9s %-8s %s\n' PROGRAM STATE ENDPOINT URL
  while read -r program state _; do
    url="$(endpoint_of "$program")"
    if probe "$url"; then answer=ok; else answer=FAIL; ok=1; fi
    [ "$state" = RUNNING ] || ok=1
    printf '%-18s %-9s %-8s %s\n' "$program" "$state" "$answer" "$url"
  done <<<"$status"
  return "$ok"
}

cmd_logs() {
  local lines="${LINES:-50}" files=()
  if [ -n "${SERVICE:-}" ]; then
    files=("$STACK_DIR/logs/$SERVICE.log")
    [ "$SERVICE" = nginx ] && files+=("$STACK_DIR/logs/nginx-access.log")
  else
    mapfile -t files < <(ls "$STACK_DIR"/logs/*.log 2>/dev/null)
  fi
  if [ "${#files[@]}" -eq 0 ] || [ ! -e "${files[0]}" ]; then
    fail "no logs in $STACK_DIR/logs"
  fi
  if [ "${FOLLOW:-0}" = 1 ]; then
    exec tail -n "$lines" -F "${files[@]}"
  fi
  tail -n "$lines" "${files[@]}"
}

cmd_reload() {
  is_running || fail "not running"
  render_all
  # supervisord restarts the programs whose definition changed (reread + update) ...
  "${SUPERVISORCTL[@]}" reread >/dev/null
  "${SUPERVISORCTL[@]}" update >/dev/null
  # ... and the servers reload in place: nginx re-reads its configuration and replaces its
  # workers, Prometheus and Alertmanager re-read theirs, Gunicorn replaces its workers
  # (configuration only: with preload_app, new code needs a restart).
  "${SUPERVISORCTL[@]}" signal HUP nginx prometheus alertmanager api >/dev/null
  wait_ready 60 || fail "not healthy after the reload"
  say "reloaded"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) require_supervisor && cmd_status ;;
  logs) cmd_logs ;;
  reload) require_supervisor && cmd_reload ;;
  certs) ensure_dirs && ensure_certs ;;
  render-nginx)
    [ -n "${2:-}" ] || fail "usage: stack.sh render-nginx DIR"
    render_nginx "$2" && nginx_test "$2"
    ;;
  *) fail "usage: stack.sh up|down|status|logs|reload|certs|render-nginx DIR" ;;
esac
