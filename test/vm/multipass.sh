#!/usr/bin/env bash
# A real Ubuntu 24.04 VM for the provisioning agent, with Canonical's multipass
# (https://multipass.run; snap install multipass, or the macOS/Windows installer).
#
#   test/vm/multipass.sh up   [NAME] [INVENTORY_OUT]   launch (or reuse) the VM, write inventory
#   test/vm/multipass.sh down [NAME] [INVENTORY_OUT]   delete + purge the VM, remove the inventory
#
# NAME defaults to provision-vm, INVENTORY_OUT to inventory/multipass.yml in the repo. `up` prints
# the inventory path as its last line, like start.sh. cloud-init creates the user "deploy" (sudo
# without password) with your SSH public key; the inventory points Ansible-style host vars at it.
# Env:
#   MULTIPASS_PUBKEY  public key to authorize (default ~/.ssh/id_ed25519.pub); the private key is
#                     the same path without .pub and goes into the inventory
#   MULTIPASS_IMAGE   image to launch (default 24.04)
#   MULTIPASS_CPUS / MULTIPASS_MEMORY / MULTIPASS_DISK   (default 2 / 4G / 20G)
#   MULTIPASS_VARS    optional YAML file of role variables to embed as all.vars, as start.sh does
#                     with test/vm/vars.yml (secrets go in a .env beside the inventory, or the env)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
NAME=${2:-provision-vm}
INV=${3:-$here/../../inventory/multipass.yml}
PUBKEY=${MULTIPASS_PUBKEY:-$HOME/.ssh/id_ed25519.pub}
VARS=${MULTIPASS_VARS:-}
IMAGE=${MULTIPASS_IMAGE:-24.04}
CPUS=${MULTIPASS_CPUS:-2}
MEMORY=${MULTIPASS_MEMORY:-4G}
DISK=${MULTIPASS_DISK:-20G}
USER_NAME=deploy

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }
need_multipass() {
  command -v multipass >/dev/null || { echo "multipass is not installed (https://multipass.run)" >&2; exit 1; }
}
exists() { multipass info "$NAME" >/dev/null 2>&1; }
ci=
trap 'rm -f "$ci"' EXIT
state() { multipass info "$NAME" 2>/dev/null | awk -F': *' '/^State/{print $2; exit}'; }
ipv4() { multipass info "$NAME" 2>/dev/null | awk -F': *' '/^IPv4/{print $2; exit}'; }

up() {
  need_multipass
  [ -r "$PUBKEY" ] || { echo "no SSH public key at $PUBKEY (set MULTIPASS_PUBKEY, or ssh-keygen -t ed25519)" >&2; exit 1; }
  local key=${PUBKEY%.pub}
  [ -r "$key" ] || { echo "no private key $key next to $PUBKEY" >&2; exit 1; }
  [ -z "$VARS" ] || [ -r "$VARS" ] || { echo "MULTIPASS_VARS: cannot read $VARS" >&2; exit 1; }

  if exists && [ "$(state)" = Deleted ]; then
    multipass purge >&2   # deleted but not purged: the name is still taken
  fi
  if exists; then
    echo "multipass VM $NAME exists ($(state)); reusing it" >&2
    [ "$(state)" = Running ] || multipass start "$NAME" >&2
  else
    ci=$(mktemp)
    # "default" keeps the image's ubuntu user, which `multipass shell` uses.
    cat >"$ci" <<EOF
#cloud-config
users:
  - default
  - name: $USER_NAME
    gecos: provisioning test user
    shell: /bin/bash
    groups: [sudo]
    sudo: ALL=(ALL) NOPASSWD:ALL
    lock_passwd: true
    ssh_authorized_keys:
      - "$(head -n1 "$PUBKEY")"
ssh_pwauth: false
# The agent under test installs and upgrades everything itself; keep first boot quick.
package_update: false
package_upgrade: false
EOF
    echo "launching multipass VM $NAME (Ubuntu $IMAGE, $CPUS CPUs, $MEMORY RAM, $DISK disk)" >&2
    multipass launch "$IMAGE" --name "$NAME" --cpus "$CPUS" --memory "$MEMORY" --disk "$DISK" \
      --cloud-init "$ci" --timeout 900 >&2
  fi

  # launch returns once the VM answers; wait until cloud-init has really finished (user + key).
  # Exit status 2 is "done, with recoverable warnings" (cloud-init >= 23.4): good enough.
  local rc=0
  multipass exec "$NAME" -- cloud-init status --wait >/dev/null 2>&1 || rc=$?
  if [ "$rc" != 0 ]; then
    multipass exec "$NAME" -- cloud-init status --long >&2 || true
    [ "$rc" = 2 ] || { echo "cloud-init failed in $NAME" >&2; exit 1; }
  fi

  local ip
  ip=$(ipv4)
  [ -n "$ip" ] || { echo "multipass VM $NAME has no IPv4 address" >&2; exit 1; }

  local ssh_opts=(-q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -i "$key")
  for _ in $(seq 1 60); do
    ssh "${ssh_opts[@]}" "$USER_NAME@$ip" true 2>/dev/null && break
    sleep 2
  done
  ssh "${ssh_opts[@]}" "$USER_NAME@$ip" sudo -n true || {
    echo "cannot ssh to $USER_NAME@$ip with $key (or sudo fails)" >&2; exit 1; }

  mkdir -p "$(dirname "$INV")"
  cat >"$INV" <<EOF
# Written by test/vm/multipass.sh for the multipass VM "$NAME". Safe to delete.
all:
  hosts:
    $NAME:
      ansible_host: $ip
      ansible_port: 22
      ansible_user: $USER_NAME
      ansible_ssh_private_key_file: $key
      ansible_become: true
EOF
  if [ -n "$VARS" ]; then
    { echo "  vars:"; sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' -e 's/^/    /' "$VARS"; } >>"$INV"
  fi
  echo "$INV"
}

down() {
  need_multipass
  if exists; then
    echo "deleting multipass VM $NAME" >&2
    multipass delete --purge "$NAME"
  else
    echo "no multipass VM $NAME" >&2
  fi
  # Only remove an inventory this script wrote.
  if [ -f "$INV" ] && head -n1 "$INV" | grep -q 'Written by test/vm/multipass.sh'; then
    rm -f "$INV"
  fi
}

case "$cmd" in
  up) up ;;
  down) down ;;
  *) usage ;;
esac
