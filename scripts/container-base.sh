#!/usr/bin/env bash
# Build a local stand-in for docker.io/library/python:3.11-slim when no registry is reachable.
#
# Why: this machine has podman but no container registry. A Debian bookworm root file system made with
# mmdebstrap (Python 3.11, pip, apt) and imported under the official image's name lets the unchanged
# Dockerfile (`FROM python:3.11-slim`) build with `podman build --pull=never`.
# It is cached: the image carries a label with a hash of this recipe, and is rebuilt only when it changes.
# Usage: scripts/container-base.sh [--force]
set -euo pipefail

IMAGE="docker.io/library/python:3.11-slim"
SUITE="bookworm"
PACKAGES="python3,python3-pip,python3-venv,python-is-python3,ca-certificates,netbase"
# This machine may reach the registries through a TLS-intercepting proxy whose CA only the host trusts;
# the stand-in trusts what the host trusts, as the official image on a normal network needs nothing extra.
EXTRA_CA_DIR="/usr/local/share/ca-certificates"

recipe_hash() {
  {
    cat "$0"
    ls -1 "$EXTRA_CA_DIR"/*.crt 2>/dev/null | xargs -r cat
  } | sha256sum | cut -c1-16
}

for tool in podman mmdebstrap; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "container-base: '$tool' is not installed (apt-get install podman runc mmdebstrap)" >&2
    exit 2
  fi
done

want="$(recipe_hash)"
if [ "${1:-}" != "--force" ] && podman image exists "$IMAGE"; then
  have="$(podman image inspect --format '{{ index .Labels "lok.base-recipe" }}' "$IMAGE" 2>/dev/null || true)"
  if [ "$have" = "$want" ]; then
    echo "container-base: $IMAGE is up to date ($want)"
    exit 0
  fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ca"
cp "$EXTRA_CA_DIR"/*.crt "$work/ca/" 2>/dev/null || true

# Like the official (debian slim based) image: no recommends, no docs/man pages/locales, no apt caches
# left in layers, and root may `pip install` system-wide (Debian's PEP 668 marker removed).
mmdebstrap --quiet --variant=apt --include="$PACKAGES" \
  --aptopt='APT::Install-Recommends "false"' \
  --aptopt='APT::Install-Suggests "false"' \
  --aptopt='Acquire::Languages "none"' \
  --aptopt='Dir::Cache::pkgcache ""' \
  --aptopt='Dir::Cache::srcpkgcache ""' \
  --aptopt='DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; }' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --customize-hook='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED' \
  --customize-hook="if ls $work/ca/*.crt >/dev/null 2>&1; then cp $work/ca/*.crt \"\$1/usr/local/share/ca-certificates/\" && chroot \"\$1\" update-ca-certificates >/dev/null; fi" \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
  "$SUITE" "$work/base.tar"

podman import \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  --change "LABEL lok.base-recipe=$want" \
  "$work/base.tar" "$IMAGE" >/dev/null
echo "container-base: imported $IMAGE ($want, $(du -h "$work/base.tar" | cut -f1) tar)"
