#!/usr/bin/env bash
# Starts a fresh throwaway test VM (a systemd container, see test/vm/README.md) and writes an
# inventory for it, with test/vm/vars.yml as its variables and a .env of fresh random secrets
# beside it. Usage: test/vm/start.sh [NAME] [INVENTORY_OUT]
# Prints the inventory path. Any previous VM of the same name is destroyed first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
NAME=${1:-provision-testvm}
INV=${2:-$here/../../.testvm/inventory.yml}
IMAGE=${TESTVM_IMAGE:-provision-testvm:trixie}
CACHE=${TESTVM_CACHE:-/var/cache/provision-testvm}

bash "$here/build-image.sh" >&2
"$here/stop.sh" "$NAME" >&2 || true

docker volume create "$NAME-docker" >/dev/null
docker run -d --name "$NAME" --hostname "$NAME" \
  --cap-add=ALL --cap-drop=SYS_RESOURCE \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
  --security-opt systempaths=unconfined \
  --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
  -v "$NAME-docker:/var/lib/docker" \
  --tmpfs /run --tmpfs /run/lock \
  -p 127.0.0.1::22 \
  "$IMAGE" /sbin/init >/dev/null

port=$(docker port "$NAME" 22/tcp | head -n1 | sed 's/.*://')
key="$CACHE/ssh/id_ed25519"

# Wait for sshd to accept our key (systemd boot + host key generation).
for _ in $(seq 1 60); do
  if ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
       -o ConnectTimeout=2 -i "$key" -p "$port" deploy@127.0.0.1 true 2>/dev/null; then
    break
  fi
  sleep 1
done
ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -i "$key" -p "$port" deploy@127.0.0.1 true || { echo "test VM $NAME: sshd did not come up" >&2; docker logs "$NAME" 2>&1 | tail -n 20 >&2; exit 1; }

mkdir -p "$(dirname "$INV")"
cat >"$INV" <<EOF
# Written by test/vm/start.sh for the throwaway test VM "$NAME". Safe to delete.
all:
  hosts:
    $NAME:
      ansible_host: 127.0.0.1
      ansible_port: $port
      ansible_user: deploy
      ansible_ssh_private_key_file: $key
      ansible_become: true
      # Every throwaway VM has new host keys on a reused port: nothing to pin.
      host_key_checking: 'off'
  vars:
$(sed -e '/^#/d' -e 's/^/    /' "$here/vars.yml")
EOF
# Secrets for the test VM only: random each time, never committed.
env_file="$(dirname "$INV")/.env"
if [ ! -f "$env_file" ]; then
  ( umask 077
    printf 'GRAFANA_ADMIN_PASSWORD=%s\nPOSTGRES_PASSWORD=%s\n' \
      "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" >"$env_file" )
fi
echo "$INV"
