#!/usr/bin/env bash
# Starts a fresh throwaway test VM (a systemd container, see test/vm/README.md) and writes an
# inventory for it, with test/vm/vars.yml as its variables and a .env of fresh random secrets
# beside it. Usage: test/vm/start.sh [NAME] [INVENTORY_OUT]
# Prints the inventory path. Any previous VM of the same name is destroyed first.
# TESTVM_NETWORK=NET joins the docker network NET (created if missing; other VMs on it reach this
# one by its name). TESTVM_PUBLISH=0 publishes no port on this machine: the VM is then reachable
# only from the other containers on that network (the inventory names it, port 22).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
NAME=${1:-provision-testvm}
INV=${2:-$here/../../.testvm/inventory.yml}
IMAGE=${TESTVM_IMAGE:-provision-testvm:trixie}
CACHE=${TESTVM_CACHE:-/var/cache/provision-testvm}

bash "$here/build-image.sh" >&2
"$here/stop.sh" "$NAME" >&2 || true

PUBLISH=${TESTVM_PUBLISH:-1}
net_args=()
if [ -n "${TESTVM_NETWORK:-}" ]; then
  docker network inspect "$TESTVM_NETWORK" >/dev/null 2>&1 || docker network create "$TESTVM_NETWORK" >/dev/null
  net_args=(--network "$TESTVM_NETWORK")
fi
publish_args=(-p 127.0.0.1::22)
[ "$PUBLISH" = 0 ] && publish_args=()

docker volume create "$NAME-docker" >/dev/null
docker run -d --name "$NAME" --hostname "$NAME" "${net_args[@]}" "${publish_args[@]}" \
  --cap-add=ALL --cap-drop=SYS_RESOURCE \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
  --security-opt systempaths=unconfined \
  --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
  -v "$NAME-docker:/var/lib/docker" \
  --tmpfs /run --tmpfs /run/lock \
  "$IMAGE" /sbin/init >/dev/null

key="$CACHE/ssh/id_ed25519"
if [ "$PUBLISH" = 0 ]; then
  # Nothing to ssh to from here: wait until sshd listens inside, and name the VM as its network does.
  for _ in $(seq 1 60); do
    docker exec "$NAME" sh -c 'ss -ltn 2>/dev/null | grep -q ":22 "' && break
    sleep 1
  done
  docker exec "$NAME" sh -c 'ss -ltn | grep -q ":22 "' || { echo "test VM $NAME: sshd did not come up" >&2; exit 1; }
  addr=$NAME port=22
else
port=$(docker port "$NAME" 22/tcp | head -n1 | sed 's/.*://')
addr=127.0.0.1

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
fi

mkdir -p "$(dirname "$INV")"
cat >"$INV" <<EOF
# Written by test/vm/start.sh for the throwaway test VM "$NAME". Safe to delete.
all:
  hosts:
    $NAME:
      ansible_host: $addr
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
