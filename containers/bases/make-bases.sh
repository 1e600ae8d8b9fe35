#!/usr/bin/env bash
# The mmdebstrap hooks are single-quoted on purpose: mmdebstrap runs them with the new root
# filesystem as $1.
# shellcheck disable=SC2016
#
# Make the local base images compose.yaml and services/api/Dockerfile use on machines that reach
# no image registry (docs/deploy-compose.md): Debian bookworm root filesystems made with
# mmdebstrap from Debian's packages, imported into podman. Each stands in for one public image
# and keeps the part of its contract compose.yaml relies on (entry point, user, paths):
#
#   python      python:3.11-slim-bookworm     python3.11 at /usr/local/bin, pip
#   postgres    postgres:16-bookworm          POSTGRES_* initialisation (Debian's PostgreSQL 15)
#   redis       redis:7-bookworm              /data owned by UID 999
#   nginx       nginx:1.28-bookworm           templates/ rendered by envsubst (Debian's nginx 1.22)
#   monitoring  prom/prometheus, prom/alertmanager and the exporters, one image per entry point
#
# Grafana has no Debian package: there is no local base for it.
#
# The machine's own extra CA certificates (/usr/local/share/ca-certificates/*.crt, as behind a
# TLS-inspecting proxy) are installed into every base, so pip and uv inside builds trust them.
#
# usage: make-bases.sh [--force] [NAME...]    (default: every base; present ones are kept)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${LOCAL_BASE_PREFIX:-localhost/taskboard-base}
TAG=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
PODMAN=(podman)
[ -n "${CONTAINERS_CONF:-}" ] || export CONTAINERS_CONF="$HERE/../podman/containers.conf"

force=0
names=()
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    python | postgres | redis | nginx | monitoring) names+=("$arg") ;;
    *) echo "make-bases: unknown base $arg" >&2; exit 2 ;;
  esac
done
[ "${#names[@]}" -gt 0 ] || names=(python postgres redis nginx monitoring)

have() { "${PODMAN[@]}" image exists "$PREFIX/$1:$TAG"; }

# Hooks run on the host with the new root filesystem as $1.
CA_HOOK='mkdir -p "$1/usr/local/share/ca-certificates"
for crt in /usr/local/share/ca-certificates/*.crt; do [ -e "$crt" ] && cp "$crt" "$1/usr/local/share/ca-certificates/"; done
chroot "$1" update-ca-certificates >/dev/null'
CLEAN_HOOK='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log "$1"/var/log/apt/*'

# rootfs NAME PACKAGES [mmdebstrap hook options...] | import: a bookworm minbase with PACKAGES.
rootfs() {
  local packages=$1
  shift
  mmdebstrap --quiet --variant=minbase --include="ca-certificates,$packages" \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --customize-hook="$CA_HOOK" "$@" --customize-hook="$CLEAN_HOOK" \
    bookworm - "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" \
    "deb $SECURITY bookworm-security main"
}

# import NAME CHANGE...: the tar on stdin becomes $PREFIX/NAME:$TAG.
import() {
  local name=$1
  shift
  local changes=()
  for change in "$@"; do changes+=(--change "$change"); done
  "${PODMAN[@]}" import --quiet "${changes[@]}" - "$PREFIX/$name:$TAG" >/dev/null
}

# derive NAME FROM INSTRUCTION...: a one-layer image over another base (no network, no RUN).
derive() {
  local name=$1 from=$2
  shift 2
  printf '%s\n' "FROM $PREFIX/$from:$TAG" "$@" |
    "${PODMAN[@]}" build --quiet --format docker --tag "$PREFIX/$name:$TAG" --file - . >/dev/null
}

COMMON_ENV=(
  'ENV LANG=C.UTF-8'
  'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'
  'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt'
)

make_python() {
  # pip is installed into /usr/local from Debian's pip wheel and the distribution's
  # EXTERNALLY-MANAGED marker removed: like the official image, the system interpreter is the
  # image's to install into, and pip can uninstall itself from the runtime stage.
  rootfs python3,python3-pip-whl \
    --customize-hook='chroot "$1" sh -ec "
      ln -sf /usr/bin/python3.11 /usr/local/bin/python3.11
      ln -sf python3.11 /usr/local/bin/python3
      ln -sf python3.11 /usr/local/bin/python
      rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED
      wheel=\$(ls /usr/share/python-wheels/pip-*.whl)
      PIP_ROOT_USER_ACTION=ignore python3 \$wheel/pip install --quiet --no-index --no-cache-dir \$wheel
      apt-get purge -y -qq python3-pip-whl >/dev/null"' |
    import python "${COMMON_ENV[@]}" 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
      'CMD ["python3"]'
}

make_postgres() {
  local version=15
  rootfs "postgresql-$version,postgresql-client-$version" \
    --customize-hook="rm -rf \"\$1\"/var/lib/postgresql/$version/main \"\$1\"/etc/postgresql/$version/main" \
    --customize-hook="install -m 0755 '$HERE/postgres-entrypoint.sh' \"\$1/usr/local/bin/docker-entrypoint.sh\"" \
    --customize-hook='install -d -o 0 -g 0 -m 0755 "$1/var/lib/postgresql/data"' |
    import postgres "${COMMON_ENV[@]}" \
      "ENV PATH=/usr/lib/postgresql/$version/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      'ENV PGDATA=/var/lib/postgresql/data' 'STOPSIGNAL SIGINT' 'EXPOSE 5432' \
      'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'CMD ["postgres"]'
}

make_redis() {
  # UID 999 owns /data as in the official image (compose.yaml runs redis as 999:999).
  rootfs redis-server,redis-tools \
    --customize-hook='install -d -o 999 -g 999 -m 0755 "$1/data"' |
    import redis "${COMMON_ENV[@]}" 'WORKDIR /data' 'EXPOSE 6379' 'CMD ["redis-server"]'
}

make_nginx() {
  # conf.d and the temp folder are tmpfs mounts in compose.yaml; podman fills a tmpfs with the
  # image's folder (tmpcopyup), mode included, so the folders are writable by any UID here.
  rootfs nginx-light,gettext-base,curl \
    --customize-hook="install -m 0755 '$HERE/nginx-entrypoint.sh' \"\$1/usr/local/bin/docker-entrypoint.sh\"" \
    --customize-hook='rm -f "$1"/etc/nginx/sites-enabled/* && install -d "$1/etc/nginx/templates"
      install -d -m 1777 "$1/var/cache/nginx" && chmod 1777 "$1/etc/nginx/conf.d"
      ln -sf /dev/stdout "$1/var/log/nginx/access.log" && ln -sf /dev/stderr "$1/var/log/nginx/error.log"' |
    import nginx "${COMMON_ENV[@]}" 'EXPOSE 80' 'STOPSIGNAL SIGQUIT' \
      'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'CMD ["nginx", "-g", "daemon off;"]'
}

make_monitoring() {
  # One root filesystem, one image per entry point: the names and flags compose.yaml gives the
  # official images (nginx-prometheus-exporter is Debian's prometheus-nginx-exporter).
  rootfs prometheus,prometheus-alertmanager,prometheus-postgres-exporter,prometheus-redis-exporter,prometheus-nginx-exporter,prometheus-node-exporter,wget \
    --customize-hook='ln -sf prometheus-nginx-exporter "$1/usr/bin/nginx-prometheus-exporter"
      install -d -o 65534 -g 65534 "$1/prometheus" "$1/alertmanager"' |
    import monitoring "${COMMON_ENV[@]}" 'USER 65534:65534'
  derive prometheus monitoring 'WORKDIR /prometheus' 'ENTRYPOINT ["/usr/bin/prometheus"]'
  derive alertmanager monitoring 'WORKDIR /alertmanager' 'ENTRYPOINT ["/usr/bin/prometheus-alertmanager"]'
  derive postgres-exporter monitoring 'ENTRYPOINT ["/usr/bin/prometheus-postgres-exporter"]'
  derive redis-exporter monitoring 'ENTRYPOINT ["/usr/bin/prometheus-redis-exporter"]'
  derive nginx-exporter monitoring 'ENTRYPOINT ["/usr/bin/prometheus-nginx-exporter"]'
  derive node-exporter monitoring 'ENTRYPOINT ["/usr/bin/prometheus-node-exporter"]'
}

for name in "${names[@]}"; do
  if [ "$force" -eq 0 ] && have "$name"; then
    echo "make-bases: $PREFIX/$name:$TAG present (--force remakes it)"
    continue
  fi
  started=$SECONDS
  "make_$name"
  echo "make-bases: $PREFIX/$name:$TAG made in $((SECONDS - started)) s"
done
