#!/usr/bin/env bash
# Builds the throwaway test VM image: a Debian 13 (trixie) rootfs from debootstrap with systemd,
# openssh-server, sudo and a sudo user "deploy" with an SSH key, imported into the local Docker
# engine as $IMAGE. Idempotent: the image is rebuilt only when this recipe changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
IMAGE=${TESTVM_IMAGE:-provision-testvm:trixie}
MIRROR=${TESTVM_MIRROR:-http://deb.debian.org/debian}
CACHE=${TESTVM_CACHE:-/var/cache/provision-testvm}
recipe=$(sha256sum "$0" | cut -c1-16)

if docker image inspect "$IMAGE" --format '{{index .Config.Labels "recipe"}}' 2>/dev/null | grep -qx "$recipe"; then
  echo "test VM image $IMAGE is up to date (recipe $recipe)"
  exit 0
fi

mkdir -p "$CACHE"
rootfs="$CACHE/rootfs-$recipe"
rm -rf "$rootfs"
echo "debootstrap trixie into $rootfs (a few minutes)"
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,openssh-server,sudo,ca-certificates,iproute2,procps,curl,gnupg,less,cron,rsyslog \
  trixie "$rootfs" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 || { tail -n 30 "$CACHE/debootstrap.log"; exit 1; }

# The SSH key pair for the VM user lives beside the cache, never in the repo.
keydir="$CACHE/ssh"
mkdir -p "$keydir"; chmod 700 "$keydir"
[ -f "$keydir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C provision-testvm -f "$keydir/id_ed25519"

chroot "$rootfs" /bin/bash -euo pipefail <<'EOS'
useradd -m -s /bin/bash -G sudo deploy
echo 'deploy ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/deploy
chmod 0440 /etc/sudoers.d/deploy
install -d -m 700 -o deploy -g deploy /home/deploy/.ssh
echo provision-testvm >/etc/hostname
# A container has no console or kernel to manage: keep boot quick and quiet.
systemctl mask getty@tty1.service console-getty.service systemd-udevd.service systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount 2>/dev/null || true
systemctl enable ssh.service
rm -f /etc/ssh/ssh_host_*
# Host keys are made at first boot so every VM has its own.
cat >/etc/systemd/system/ssh-hostkeys.service <<'UNIT'
[Unit]
Description=Generate SSH host keys
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
[Install]
WantedBy=multi-user.target
UNIT
systemctl enable ssh-hostkeys.service
apt-get clean
rm -rf /var/lib/apt/lists/*
EOS
install -m 600 "$keydir/id_ed25519.pub" "$rootfs/home/deploy/.ssh/authorized_keys"
chroot "$rootfs" chown -R deploy:deploy /home/deploy/.ssh
printf 'deb %s trixie main\n' "$MIRROR" >"$rootfs/etc/apt/sources.list"

echo "importing $IMAGE"
tar -C "$rootfs" -c . | docker import \
  --change 'CMD ["/sbin/init"]' \
  --change "LABEL recipe=$recipe" - "$IMAGE" >/dev/null
rm -rf "$rootfs"
echo "test VM image $IMAGE built (recipe $recipe)"
