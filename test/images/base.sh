#!/usr/bin/env bash
# Builds the base image for the e2e test images: a minimal Debian 13 (trixie) rootfs from
# debootstrap, slimmed like Docker's debian:*-slim images, imported as $BASE_IMAGE.
# Called by build.sh; usable alone. Idempotent: the debootstrap rootfs is cached as a tarball in
# $CACHE, keyed by a hash of this file, and the image is re-imported only when that hash changes.
set -euo pipefail
BASE_IMAGE=${BASE_IMAGE:-provision-test/base:trixie}
MIRROR=${PROVISION_IMAGES_MIRROR:-http://deb.debian.org/debian}
CACHE=${PROVISION_IMAGES_CACHE:-/var/cache/provision-images}
recipe=$( (cat "$0"; echo "$MIRROR") | sha256sum | cut -c1-16)

if docker image inspect "$BASE_IMAGE" --format '{{index .Config.Labels "io.provision.recipe"}}' 2>/dev/null | grep -qx "$recipe"; then
  echo "base image $BASE_IMAGE is up to date (recipe $recipe)"
  exit 0
fi

mkdir -p "$CACHE"
tarball="$CACHE/rootfs-trixie-$recipe.tar"
if [ ! -s "$tarball" ]; then
  if ! command -v debootstrap >/dev/null; then
    # A fresh CI machine may not have it; it is a plain Debian package.
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
      echo "base.sh: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1
    fi
    echo "installing debootstrap"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; } >"$CACHE/apt.log" 2>&1 \
      || { tail -n 20 "$CACHE/apt.log" >&2; exit 1; }
  fi
  rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs" "$tarball.tmp"' EXIT
  echo "debootstrap trixie (minbase) into $rootfs, about 2 minutes; log: $CACHE/debootstrap.log"
  # busybox-static: one 2 MB binary that gives the images wget (health checks) and httpd
  # (the stand-ins) without pulling in libssl & co.
  debootstrap --variant=minbase --include=busybox-static \
    trixie "$rootfs" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -n 30 "$CACHE/debootstrap.log"; exit 1; }

  chroot "$rootfs" /bin/sh -eu <<EOS
# What Docker's official debian images do: never start services from maintainer scripts,
# never keep .debs or package lists, leave out docs, man pages and translations.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
cat >/etc/apt/apt.conf.d/docker-clean <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
EOF
cat >/etc/apt/apt.conf.d/docker-no-recommends <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
EOF
echo 'Acquire::Languages "none";' >/etc/apt/apt.conf.d/docker-no-languages
cat >/etc/dpkg/dpkg.cfg.d/docker-slim <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
find /usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
find /usr/share/doc -mindepth 1 -type d -empty -delete
rm -rf /usr/share/man/* /usr/share/info/* /usr/share/locale/*
printf 'deb $MIRROR trixie main\n' >/etc/apt/sources.list
rm -f /etc/apt/sources.list.d/*
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log /var/log/apt/* /var/cache/debconf/*-old /var/lib/dpkg/*-old
: >/etc/machine-id
EOS
  tar -C "$rootfs" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
    -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
  trap - EXIT
  # Older rootfs tarballs are dead weight.
  find "$CACHE" -maxdepth 1 -name 'rootfs-trixie-*.tar' ! -name "rootfs-trixie-$recipe.tar" -delete
else
  echo "using cached rootfs $tarball"
fi

echo "importing $BASE_IMAGE"
docker import \
  --change 'CMD ["bash"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "LABEL io.provision.recipe=$recipe" \
  "$tarball" "$BASE_IMAGE" >/dev/null
echo "base image $BASE_IMAGE built (recipe $recipe)"
