#!/usr/bin/env bash
# Builds a local apt repository laid out like Docker's (https://download.docker.com/linux/<os>):
#   <out>/linux/debian/gpg                                      the signing key (ASCII armored)
#   <out>/linux/debian/wrong.gpg                                another key, for the wrong-key test
#   <out>/linux/debian/dists/<codename>/{InRelease,Release,Release.gpg}
#   <out>/linux/debian/dists/<codename>/stable/binary-<arch>/Packages{,.gz}
#   <out>/linux/debian/dists/<codename>/pool/stable/<arch>/*.deb
# The packages are named like Docker's but thin: they only depend on Debian's docker.io,
# docker-cli, containerd and docker-compose (Compose v2 in Debian 13), so installing them from
# this repository gives a working Docker with `docker compose`. The keys are made here, each
# time, in a throwaway GNUPGHOME. Usage: make-repo.sh OUT_DIR [CODENAME] [ARCH]
set -euo pipefail
OUT=${1:?usage: make-repo.sh OUT_DIR [CODENAME] [ARCH]}
CODENAME=${2:-trixie}
ARCH=${3:-amd64}
VERSION="5:28.5.1-1~debian.13~${CODENAME}"
base="$OUT/linux/debian"
dist="$base/dists/$CODENAME"
pool="$dist/pool/stable/$ARCH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$base"
mkdir -p "$pool" "$dist/stable/binary-$ARCH"

# name|Depends|Description
packages=(
  "docker-ce|docker.io, docker-ce-cli, containerd.io|Docker: the open-source application container engine (test stand-in for Debian's docker.io)"
  "docker-ce-cli|docker-cli|Docker CLI: the open-source application container engine (test stand-in)"
  "containerd.io|containerd|An open and reliable container runtime (test stand-in for Debian's containerd)"
  "docker-buildx-plugin||Docker Buildx plugin (test stand-in, empty)"
  "docker-compose-plugin|docker-compose|Docker Compose v2 plugin (test stand-in for Debian's docker-compose)"
)
for spec in "${packages[@]}"; do
  IFS='|' read -r name depends description <<<"$spec"
  d="$work/$name"
  mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$name"
  printf 'Thin test package built by test/apt-repo/make-repo.sh.\n' >"$d/usr/share/doc/$name/README"
  {
    printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: provision tests <tests@provision.test>\n' "$name" "$VERSION" "$ARCH"
    [ -n "$depends" ] && printf 'Depends: %s\n' "$depends"
    printf 'Section: admin\nPriority: optional\nHomepage: https://www.docker.com\nDescription: %s\n' "$description"
  } >"$d/DEBIAN/control"
  dpkg-deb --root-owner-group -Zxz --build "$d" "$pool/${name}_${VERSION#*:}_${ARCH}.deb" >/dev/null
done

# Packages: each deb's control fields plus where it is and its checksums (what apt-ftparchive writes).
packages_file="$dist/stable/binary-$ARCH/Packages"
: >"$packages_file"
for deb in "$pool"/*.deb; do
  {
    dpkg-deb -f "$deb"
    printf 'Filename: %s\nSize: %s\nMD5sum: %s\nSHA256: %s\n\n' "${deb#"$base"/}" "$(stat -c %s "$deb")" "$(md5sum <"$deb" | cut -d' ' -f1)" "$(sha256sum <"$deb" | cut -d' ' -f1)"
  } >>"$packages_file"
done
gzip -9 -n -k "$packages_file"

{
  printf 'Origin: Docker\nLabel: Docker CE\nSuite: %s\nCodename: %s\nArchitectures: %s\nComponents: stable\n' "$CODENAME" "$CODENAME" "$ARCH"
  printf 'Description: Docker CE packages for Debian %s (test repository)\n' "$CODENAME"
  printf 'Date: %s\n' "$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')"
  printf 'MD5Sum:\n'
  for f in "stable/binary-$ARCH/Packages" "stable/binary-$ARCH/Packages.gz"; do printf ' %s %s %s\n' "$(md5sum <"$dist/$f" | cut -d' ' -f1)" "$(stat -c %s "$dist/$f")" "$f"; done
  printf 'SHA256:\n'
  for f in "stable/binary-$ARCH/Packages" "stable/binary-$ARCH/Packages.gz"; do printf ' %s %s %s\n' "$(sha256sum <"$dist/$f" | cut -d' ' -f1)" "$(stat -c %s "$dist/$f")" "$f"; done
} >"$dist/Release"

export GNUPGHOME="$work/gnupg"
install -d -m 0700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'Provision test repository <repo@provision.test>' ed25519 sign never 2>/dev/null
gpg --batch --quiet --passphrase '' --quick-gen-key 'Someone else <other@provision.test>' ed25519 sign never 2>/dev/null
gpg --batch --quiet --armor --export repo@provision.test >"$base/gpg"
gpg --batch --quiet --armor --export other@provision.test >"$base/wrong.gpg"
gpg --batch --quiet --local-user repo@provision.test --clearsign -o "$dist/InRelease" "$dist/Release"
gpg --batch --quiet --local-user repo@provision.test --armor --detach-sign -o "$dist/Release.gpg" "$dist/Release"
chmod -R a+rX "$OUT"
echo "apt repository for $CODENAME/$ARCH in $base (key $(gpg --batch --with-colons --list-keys repo@provision.test | awk -F: '/^fpr/ {print $10; exit}'))"
