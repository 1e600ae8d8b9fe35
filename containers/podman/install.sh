#!/usr/bin/env bash
# Install what `make up` needs on a machine without a Docker engine: Debian's podman with runc,
# netavark and aardvark-dns (project networks with service names), iptables (netavark's
# firewall), fuse-overlayfs and slirp4netns (rootless use), and mmdebstrap for the local bases.
# podman-compose comes from PyPI through the lock file (uv group compose).
set -euo pipefail

packages=(podman runc conmon catatonit netavark aardvark-dns iptables fuse-overlayfs slirp4netns
  uidmap mmdebstrap)
missing=()
for package in "${packages[@]}"; do
  dpkg-query --show --showformat='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "podman: installing packages needs root; run as root or install: ${missing[*]}" >&2
  exit 1
fi
echo "podman: installing Debian packages: ${missing[*]}"
timeout 300 apt-get update -qq
DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
