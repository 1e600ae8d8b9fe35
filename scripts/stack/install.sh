#!/usr/bin/env bash
# Installs the Debian packages the native stack runs (and that validate-stack-config checks
# against), without letting their maintainer scripts start the system-wide instances: those would
# take the stack's ports (nginx :80, prometheus :9090, node exporter :9100, ...) and write their
# state outside .stack/. Safe to run again: it does nothing once every command is present.
set -euo pipefail

packages=(
  nginx
  prometheus
  prometheus-alertmanager
  prometheus-node-exporter
  prometheus-postgres-exporter
  prometheus-redis-exporter
  prometheus-nginx-exporter
  openssl
  gettext-base
  postgresql-client
  curl
  shellcheck
)
commands=(
  nginx prometheus promtool prometheus-alertmanager amtool prometheus-node-exporter
  prometheus-postgres-exporter prometheus-redis-exporter prometheus-nginx-exporter
  openssl envsubst psql curl shellcheck
)
# The system units each package may have started before policy-rc.d existed on this machine.
services=(
  nginx prometheus prometheus-alertmanager prometheus-node-exporter
  prometheus-postgres-exporter prometheus-redis-exporter prometheus-nginx-exporter
)

missing=()
for command in "${commands[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("$command")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "stack: installing Debian packages (missing: ${missing[*]})"

if [ "$(id -u)" -ne 0 ]; then
  echo "stack: installing packages needs root (apt-get); run as root or install: ${packages[*]}" >&2
  exit 1
fi

# policy-rc.d answering 101 tells invoke-rc.d and deb-systemd-invoke that no service may start.
# Keep an existing one (container images ship it); otherwise add ours and remove it on exit.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# Added by scripts/stack/install.sh while it installs packages.\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  added_policy=1
fi
cleanup() {
  if [ "$added_policy" -eq 1 ]; then
    rm -f "$policy"
  fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
timeout 300 apt-get update -qq
timeout 900 apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

# On a machine with systemd, also keep the units from starting at the next boot, and stop any
# instance that an earlier install (before this script) left running.
if [ -d /run/systemd/system ]; then
  for service in "${services[@]}"; do
    systemctl disable --now "$service" >/dev/null 2>&1 || true
  done
else
  for service in "${services[@]}"; do
    if [ -x "/etc/init.d/$service" ]; then
      timeout 30 "/etc/init.d/$service" stop >/dev/null 2>&1 || true
    fi
  done
fi

for command in "${commands[@]}"; do
  command -v "$command" >/dev/null 2>&1 || { echo "stack: $command still missing after install" >&2; exit 1; }
done
echo "stack: Debian packages installed"
