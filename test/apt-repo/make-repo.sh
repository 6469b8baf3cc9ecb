#!/usr/bin/env bash
# Builds a local apt repository laid out like Docker's (https://download.docker.com/linux/<os>):
#   <out>/linux/debian/gpg                                      the signing key (ASCII armored)
#   <out>/linux/debian/wrong.gpg                                another key, for the wrong-key test
#   <out>/linux/debian/dists/<codename>/{InRelease,Release,Release.gpg}
#   <out>/linux/debian/dists/<codename>/stable/binary-<arch>/Packages{,.gz}
#   <out>/linux/debian/dists/<codename>/pool/stable/<arch>/*.deb
# The packages carry the real engine: Debian 13's own docker.io, docker-cli, containerd,
# docker-buildx and docker-compose (Compose v2), renamed like Docker's (docker-ce, docker-ce-cli,
# containerd.io, docker-buildx-plugin, docker-compose-plugin). Only the control file changes: the
# name, a version in Docker's style, relations to the renamed packages, and no Conflicts/Breaks/
# Replaces (Debian's docker.io conflicts with docker-ce, its docker-cli with docker-ce-cli). The
# files and maintainer scripts stay as Debian built them, so installing the five gives a working
# Docker with `docker compose`; other dependencies (runc, tini, iptables) come from Debian's mirror.
# Debian's .debs are fetched with `apt-get download` in the Debian 13 base image of the test images
# and kept in $APT_REPO_DEBS. The keys are made here, each time, in a throwaway GNUPGHOME.
# Usage: make-repo.sh OUT_DIR [CODENAME]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OUT=$(realpath -m "${1:?usage: make-repo.sh OUT_DIR [CODENAME]}")
CODENAME=${2:-trixie}
BASE_IMAGE=${BASE_IMAGE:-provision-test/base:trixie}
DEBS=$(realpath -m "${APT_REPO_DEBS:-/var/cache/provision-testvm/debian-docker-debs}")
base="$OUT/linux/debian"
dist="$base/dists/$CODENAME"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Debian's name -> Docker's name (also applied to every relation between them).
declare -A rename=(
  [docker.io]=docker-ce [docker-cli]=docker-ce-cli [containerd]=containerd.io
  [docker-buildx]=docker-buildx-plugin [docker-compose]=docker-compose-plugin
)

have_all() {
  local p
  for p in "${!rename[@]}"; do compgen -G "$DEBS/${p}_*.deb" >/dev/null || return 1; done
}
mkdir -p "$DEBS"
# One download at a time per cache (parallel test runs share it).
exec 9>"$DEBS/.lock"
flock 9
if ! have_all; then
  docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || bash "$here/../images/base.sh" >&2
  rm -f "$DEBS"/*.deb
  echo "downloading Debian's ${!rename[*]} into $DEBS" >&2
  docker run --rm -v "$DEBS:/out" "$BASE_IMAGE" sh -c \
    'apt-get -qq update && cd /out && apt-get -qq -o APT::Sandbox::User=root download "$@"' sh "${!rename[@]}" >&2
  have_all || { echo "make-repo.sh: apt-get download did not fetch all of ${!rename[*]}" >&2; exit 1; }
fi
ARCH=$(dpkg-deb -f "$(compgen -G "$DEBS/docker.io_*.deb" | head -n1)" Architecture)
pool="$dist/pool/stable/$ARCH"
rm -rf "$base"
mkdir -p "$pool" "$dist/stable/binary-$ARCH"

# Docker's version style: <upstream>-1~debian.<release>~<codename>, epoch 5 for the engine and CLI.
release=$(docker run --rm "$BASE_IMAGE" sh -c '. /etc/os-release; echo "$VERSION_ID"')
for from in "${!rename[@]}"; do
  deb=$(compgen -G "$DEBS/${from}_*.deb" | head -n1)
  to=${rename[$from]}
  upstream=$(dpkg-deb -f "$deb" Version | sed -E 's/^[0-9]+://; s/[~+-].*$//')
  version="$upstream-1~debian.$release~$CODENAME"
  case $to in docker-ce | docker-ce-cli) version="5:$version" ;; esac
  d="$work/$to"
  mkdir -p "$d/control"
  (cd "$d" && ar x "$deb")
  control_tar=$(cd "$d" && ls control.tar.*)
  data_tar=$(cd "$d" && ls data.tar.*)
  tar -xf "$d/$control_tar" -C "$d/control"
  # Rewrite the control file: relations to renamed packages lose their version (the versions
  # differ now); Source, Conflicts, Breaks, Replaces and Provides go.
  RENAMES=$(for k in "${!rename[@]}"; do printf '%s=%s\n' "$k" "${rename[$k]}"; done) NAME=$to VERSION=$version \
    perl -0pi -e '
      my %r = map { split /=/ } split /\n/, $ENV{RENAMES};
      s/^Package: .*$/Package: $ENV{NAME}/m;
      s/^Version: .*$/Version: $ENV{VERSION}/m;
      s/^(?:Source|Conflicts|Breaks|Replaces|Provides): .*\n//mg;
      s{^((?:Pre-)?Depends|Recommends|Suggests): (.*)$}{
        my ($f, $v) = ($1, $2);
        $v =~ s{(^|[,|]\s*)([a-z0-9.+-]+)(\s*\([^)]*\))?}{exists $r{$2} ? "$1$r{$2}" : "$1$2" . ($3 // "")}ge;
        "$f: $v"
      }mge;' "$d/control/control"
  (cd "$d/control" && tar --owner=0 --group=0 --numeric-owner -cJf "../control.tar.xz" ./*)
  out="$pool/${to}_${version#*:}_${ARCH}.deb"
  # A .deb is an ar archive of exactly these three members, in this order; the data is kept as built.
  (cd "$d" && ar rcD "$out" debian-binary control.tar.xz "$data_tar")
  dpkg-deb -I "$out" >/dev/null
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
echo "apt repository for $CODENAME/$ARCH in $base (key $(gpg --batch --with-colons --list-keys repo@provision.test 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}'))"
