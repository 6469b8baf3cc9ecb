#!/usr/bin/env bash
# Builds the Docker images the e2e tests run inside the test VM, where no registry is reachable,
# and saves them all into one archive for `docker load`:
#   $CACHE/images.tar   docker save of every image (shared layers stored once)
#   $CACHE/images.txt   the image refs, one per line
# The last line printed is the archive path. CACHE=${PROVISION_IMAGES_CACHE:-/var/cache/provision-images}.
#
# Real programs from Debian 13 (trixie) packages, each laid out like its upstream image:
#   provision-test/{prometheus,alertmanager,node-exporter,redis-exporter,redis,postgres,adminer}:debian13
# Stand-ins (busybox httpd answering on the real ports, label io.provision.standin=true):
#   provision-test/<name>-standin:1
#
# Idempotent: everything is keyed by a hash of the recipe files in test/images (smoke.sh and
# docs excluded). Warm runs (same hash, archive present) take about a second; a change rebuilds the
# images (Docker's layer cache keeps unchanged steps) and re-saves the archive. The debootstrap
# rootfs of the base image is cached separately, keyed by base.sh (see base.sh).
# Env: PROVISION_IMAGES_CACHE, PROVISION_IMAGES_MIRROR (Debian mirror, default deb.debian.org),
#      PROVISION_IMAGES_BUILD_NETWORK (docker build --network; default: bridge if it reaches the
#      mirror, else host), PROVISION_IMAGES_FORCE=1 (rebuild even if up to date).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${PROVISION_IMAGES_CACHE:-/var/cache/provision-images}
MIRROR=${PROVISION_IMAGES_MIRROR:-http://deb.debian.org/debian}
export PROVISION_IMAGES_CACHE=$CACHE PROVISION_IMAGES_MIRROR=$MIRROR
BASE_IMAGE=provision-test/base:trixie
export BASE_IMAGE

# Real images: directory under test/images -> ref.
REAL=(prometheus alertmanager node-exporter redis-exporter redis postgres adminer)
# Stand-ins: name|ports|uid|command. The uid is the one the real image runs as by default; the
# command name (optional) answers `<command> healthcheck` as used in compose health checks.
STANDINS=(
  "grafana|3000|472|grafana"
  "loki|3100|10001|loki"
  "tempo|3200 4317 4318 9411 14268|10001|tempo"
  "promtail|9080|0|promtail"
  "alloy|12345|0|alloy"
  "traefik|80 8080|0|traefik"
  "portainer|9000|0|portainer"
  "homepage|3000|0|"
  "cadvisor|8080|0|cadvisor"
  "app|8000|1000|"
)

log() { printf '[images %4ss] %s\n' "$SECONDS" "$*" >&2; }

refs=()
for n in "${REAL[@]}"; do refs+=("provision-test/$n:debian13"); done
for s in "${STANDINS[@]}"; do refs+=("provision-test/${s%%|*}-standin:1"); done

recipe=$(cd "$here" && find . -type f ! -name smoke.sh ! -name '*.md' -print0 | LC_ALL=C sort -z \
  | xargs -0 sha256sum | sha256sum | cut -c1-16)

mkdir -p "$CACHE/logs"
# One build at a time per cache dir (CI and a developer may both call this).
exec 9>"$CACHE/.lock"
flock 9

archive=$CACHE/images.tar
if [ -z "${PROVISION_IMAGES_FORCE:-}" ] && [ -s "$archive" ] && [ -s "$CACHE/images.txt" ] \
   && [ "$(cat "$CACHE/images.stamp" 2>/dev/null)" = "$recipe" ]; then
  log "images are up to date (recipe $recipe): $(wc -l <"$CACHE/images.txt") images, $(du -h "$archive" | cut -f1)"
  echo "$archive"
  exit 0
fi

docker info >/dev/null 2>&1 || { echo "build.sh: docker is not reachable (is dockerd running?)" >&2; exit 1; }
log "building e2e images (recipe $recipe, logs in $CACHE/logs)"

bash "$here/base.sh" 2>&1 | sed 's/^/  /' >&2

# apt-get inside the build containers needs the mirror: use the default bridge if it gets there.
net=${PROVISION_IMAGES_BUILD_NETWORK:-}
if [ -z "$net" ]; then
  if docker run --rm "$BASE_IMAGE" busybox wget -q -T 10 -O /dev/null "$MIRROR/dists/trixie/Release" 2>/dev/null; then
    net=default
  else
    net=host
    log "the default bridge does not reach $MIRROR; building with --network host"
  fi
fi

up_to_date() {
  [ -z "${PROVISION_IMAGES_FORCE:-}" ] &&
    [ "$(docker image inspect "$1" --format '{{index .Config.Labels "io.provision.recipe"}}' 2>/dev/null)" = "$recipe" ]
}

# build REF CONTEXT [docker build args...]: logs to $CACHE/logs/<name>.log.
build() {
  local ref=$1 ctx=$2; shift 2
  local name=${ref#provision-test/}; name=${name%%:*}
  local t0=$SECONDS
  if up_to_date "$ref"; then log "  $ref: up to date"; return 0; fi
  if docker build --network "$net" --label "io.provision.recipe=$recipe" -t "$ref" "$@" "$ctx" \
       >"$CACHE/logs/$name.log" 2>&1; then
    log "  $ref: built in $((SECONDS - t0))s"
  else
    log "  $ref: FAILED, last lines of $CACHE/logs/$name.log:"
    tail -n 25 "$CACHE/logs/$name.log" | sed 's/^/    /' >&2
    return 1
  fi
}

# The real images are mostly apt downloads and unpacking: build them side by side.
log "real programs from Debian 13 packages (in parallel)"
pids=()
for n in "${REAL[@]}"; do
  build "provision-test/$n:debian13" "$here/$n" & pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
[ "$failed" = 0 ] || { log "some images failed to build"; exit 1; }

# Stand-ins one after the other, so all reuse the same cached layers (seconds each).
log "stand-ins"
for s in "${STANDINS[@]}"; do
  IFS='|' read -r name ports uid bin <<<"$s"
  build "provision-test/$name-standin:1" "$here/standin" --build-arg "STANDIN_NAME=$name" \
    --build-arg "STANDIN_PORTS=$ports" --build-arg "STANDIN_UID=$uid" --build-arg "STANDIN_BIN=$bin"
done

# Old builds of our images left untagged by the rebuild.
docker image prune -f --filter label=io.provision.recipe >/dev/null 2>&1 || true

log "saving ${#refs[@]} images to $archive"
rm -f "$CACHE/images.stamp"
docker save -o "$archive.tmp" "${refs[@]}"
chmod 644 "$archive.tmp"
mv "$archive.tmp" "$archive"
printf '%s\n' "${refs[@]}" >"$CACHE/images.txt"
echo "$recipe" >"$CACHE/images.stamp"

log "image sizes:"
for r in "${refs[@]}"; do
  printf '  %-44s %s\n' "$r" "$(docker image inspect "$r" --format '{{.Size}}' | awk '{printf "%.1f MB", $1/1e6}')" >&2
done
log "done: $archive ($(du -h "$archive" | cut -f1)), refs in $CACHE/images.txt"
echo "$archive"
