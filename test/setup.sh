#!/usr/bin/env bash
# Everything the tests need on a fresh Debian 12/13 machine (run as root), idempotent:
# packages (Docker engine, debootstrap, ssh client, promtool/amtool/Compose v2 for the config
# tests, headless Chromium for the HTML report), a running dockerd (started by hand where there
# is no systemd), the test VM image and the test images archive. Safe to rerun: each step skips what is already there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "test/setup.sh: run as root (it installs packages and starts dockerd)" >&2
  exit 1
fi

need=()
for pair in dockerd:docker.io debootstrap:debootstrap ssh:openssh-client ssh-keygen:openssh-client /usr/bin/time:time; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

# Headless Chromium (Debian's package) loads the HTML report in test/e2e/html-report.test.ts.
if ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends chromium >/dev/null
fi
# As root it runs only without its sandbox; check it starts at all.
if ! timeout 60 chromium --headless --no-sandbox --disable-gpu --dump-dom 'data:text/html,<p>ok</p>' 2>/dev/null | grep -q '<p>ok</p>'; then
  echo "test/setup.sh: chromium is installed but does not run headless (chromium --headless --no-sandbox)" >&2
  exit 1
fi

bash "$here/config/install-tools.sh"

if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -n 30 /var/log/dockerd.log >&2; exit 1; }
fi

bash "$here/vm/build-image.sh"
bash "$here/images/build.sh" >/dev/null
echo "setup: ready"
