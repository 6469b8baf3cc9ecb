// /etc/docker/daemon.json without losing what the user has there: our keys (log rotation and
// whatever the inventory's docker.daemon sets) are merged into the existing file, everything
// else is kept. A new file is checked with `dockerd --validate` before it replaces the old
// one, the old one is kept beside it, and the restart handler puts it back if Docker does not
// come up with the new one.
import { sh } from '../remote/command.ts';
import { read, type Read } from '../engine/read.ts';
import { change, defineTask, inSync } from '../engine/task.ts';
import type { Handler, Task } from '../engine/types.ts';
import { unifiedDiff } from './diff.ts';

export const DAEMON_JSON = '/etc/docker/daemon.json';
export const DAEMON_JSON_PREVIOUS = '/etc/docker/daemon.json.provision-previous';
export const DAEMON_JSON_FAILED = '/etc/docker/daemon.json.provision-failed';

/** What we always manage: json-file logs rotated at 10 MB × 3 (per container). */
export const LOG_ROTATION = { 'log-driver': 'json-file', 'log-opts': { 'max-size': '10m', 'max-file': '3' } };

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The keys we manage: log rotation, with the inventory's docker.daemon over it (log-opts merged). */
export function managedSettings(fromInventory: Json = {}): Json {
  const opts = isObject(fromInventory['log-opts']) ? fromInventory['log-opts'] : {};
  return { ...LOG_ROTATION, ...fromInventory, 'log-opts': { ...LOG_ROTATION['log-opts'], ...opts } };
}

/** Pure: the host's settings with ours over them; keys we do not manage are kept as they are. */
export function mergeDaemonJson(existing: Json, ours: Json): Json {
  const out: Json = { ...existing };
  for (const [k, v] of Object.entries(ours)) {
    const cur = out[k];
    // log-opts may carry options of the user's (e.g. labels): ours win key by key.
    out[k] = k === 'log-opts' && isObject(cur) && isObject(v) ? { ...cur, ...v } : v;
  }
  return out;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameJson(a[k], b[k]));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  return a === b;
}

/** Pure: "key: old → new" for each managed key that differs. */
export function describeChanges(existing: Json, merged: Json): string[] {
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  return Object.keys(merged)
    .filter((k) => !sameJson(existing[k], merged[k]))
    .map((k) => `${k}: ${show(existing[k])} → ${show(merged[k])}`);
}

export type DaemonFile = { exists: false } | { exists: true; text: string };

const MISSING = '__provision_missing__';

export const daemonJsonRead: Read<DaemonFile> = read(sh`if [ -e ${DAEMON_JSON} ]; then cat ${DAEMON_JSON}; else echo ${MISSING}; fi`, (r) =>
  r.stdout.trim() === MISSING ? { exists: false } : { exists: true, text: r.stdout },
);

/** Parses the host's file; one the user broke is never overwritten (their settings would be lost). */
export function parseDaemonFile(f: DaemonFile): Json {
  if (!f.exists || f.text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(f.text);
  } catch (e) {
    throw new Error(`${DAEMON_JSON} is not valid JSON (${(e as Error).message}): fix it by hand; provision does not overwrite settings it cannot read`);
  }
  if (!isObject(v)) throw new Error(`${DAEMON_JSON} does not hold a JSON object: fix it by hand`);
  return v;
}

export function daemonJsonTask(fromInventory: Json, notify: string[]): Task {
  const ours = managedSettings(fromInventory);
  return defineTask({
    name: `${DAEMON_JSON} (json-file log rotation, merged)`,
    notify,
    reads: { file: daemonJsonRead },
    check: (_ctx, { file }) => {
      const existing = parseDaemonFile(file);
      const merged = mergeDaemonJson(existing, ours);
      if (file.exists && sameJson(existing, merged)) return inSync('our settings are in place');
      const text = `${JSON.stringify(merged, null, 2)}\n`;
      const what = file.exists ? describeChanges(existing, merged).join('; ') : 'missing';
      return change(`${DAEMON_JSON}: ${what}`, text, unifiedDiff(file.exists ? file.text : '', text, DAEMON_JSON));
    },
    apply: async (ctx, { data: text }) => {
      const b64 = Buffer.from(text, 'utf8').toString('base64');
      // Written beside the old file, validated by the engine that will read it, then moved in.
      await ctx.$`install -d -m 0755 /etc/docker
tmp=$(mktemp /etc/docker/.daemon.json.XXXXXX); trap 'rm -f -- "$tmp"' EXIT
printf '%s' ${b64} | base64 -d >"$tmp"
chmod 0644 "$tmp"; chown root:root "$tmp"
if command -v dockerd >/dev/null 2>&1; then
  if out=$(dockerd --validate --config-file "$tmp" 2>&1); then :
  elif printf '%s' "$out" | grep -q 'unknown flag: --validate'; then echo "dockerd cannot validate (older than 23.0); not validated" >&2
  else printf 'the new %s was refused by dockerd --validate; nothing was changed:\\n%s\\n' ${DAEMON_JSON} "$out" >&2; exit 1; fi
fi
if [ -e ${DAEMON_JSON} ]; then cp -p ${DAEMON_JSON} ${DAEMON_JSON_PREVIOUS}; fi
mv -fT -- "$tmp" ${DAEMON_JSON}
trap - EXIT`;
    },
  });
}

/** Restarts docker; if it does not come back, puts the previous daemon.json back and restarts again. */
export const restartDockerHandler: Handler = {
  name: 'restart docker',
  run: async (ctx) => {
    // reset-failed: Docker's unit allows 3 starts a minute; a restart just after another must not hit that.
    const r = await ctx.probe`systemctl reset-failed docker 2>/dev/null || true
systemctl restart docker
for i in $(seq 1 30); do docker info >/dev/null 2>&1 && exit 0; sleep 1; done
exit 1`;
    if (r.ok) return 'restarted docker: daemon.json changed';
    const log = (await ctx.probe`journalctl -u docker --no-pager -n 15 -o cat 2>/dev/null || systemctl status docker --no-pager 2>&1 | tail -n 15`).stdout.trim();
    const back = await ctx.probe`test -e ${DAEMON_JSON_PREVIOUS} || exit 3
cp -p ${DAEMON_JSON} ${DAEMON_JSON_FAILED}
mv -fT ${DAEMON_JSON_PREVIOUS} ${DAEMON_JSON}
systemctl reset-failed docker 2>/dev/null || true
systemctl restart docker
for i in $(seq 1 30); do docker info >/dev/null 2>&1 && exit 0; sleep 1; done
exit 1`;
    const restored =
      back.exitCode === 3
        ? 'There was no previous file to go back to.'
        : back.ok
          ? `The previous ${DAEMON_JSON} was put back and docker restarted with it; the refused one is in ${DAEMON_JSON_FAILED}.`
          : `The previous ${DAEMON_JSON} was put back, but docker did not start with it either.`;
    throw new Error(`docker did not come back after the daemon.json change. ${restored}\n${log}`);
  },
};

const str = { type: 'string' };
const bool = { type: 'boolean' };
const int = { type: 'integer' };
const strs = { type: 'array', items: { type: 'string' } };
const obj = { type: 'object' };

/**
 * daemon.json settings the inventory may set under docker.daemon (dockerd's documented keys;
 * dockerd itself refuses unknown ones, so a typo here is caught before any host is touched).
 */
export const DAEMON_SETTINGS_SCHEMA: Record<string, object> = {
  'authorization-plugins': strs, bip: str, bip6: str, bridge: str, builder: obj, 'cdi-spec-dirs': strs,
  'cgroup-parent': str, containerd: str, 'containerd-namespace': str, 'containerd-plugins-namespace': str,
  'data-root': str, debug: bool, 'default-address-pools': { type: 'array', items: obj }, 'default-cgroupns-mode': str,
  'default-gateway': str, 'default-gateway-v6': str, 'default-ipc-mode': str, 'default-network-opts': obj,
  'default-runtime': str, 'default-shm-size': str, 'default-ulimits': obj, dns: strs, 'dns-opts': strs,
  'dns-search': strs, 'exec-opts': strs, 'exec-root': str, experimental: bool, features: obj, 'fixed-cidr': str,
  'fixed-cidr-v6': str, group: str, 'host-gateway-ip': str, 'host-gateway-ips': strs, hosts: strs, icc: bool,
  init: bool, 'init-path': str, 'insecure-registries': strs, ip: str, 'ip-forward': bool, 'ip-forward-no-drop': bool,
  'ip-masq': bool, ip6tables: bool, iptables: bool, ipv6: bool, labels: strs, 'live-restore': bool,
  'log-driver': str, 'log-format': str, 'log-level': str, 'log-opts': { type: 'object', additionalProperties: str },
  'max-concurrent-downloads': int, 'max-concurrent-uploads': int, 'max-download-attempts': int, mtu: int,
  'no-new-privileges': bool, 'node-generic-resources': strs, 'oom-score-adjust': int, pidfile: str, proxies: obj,
  'raw-logs': bool, 'registry-mirrors': strs, runtimes: obj, 'seccomp-profile': str, 'selinux-enabled': bool,
  'shutdown-timeout': int, 'storage-driver': str, 'storage-opts': strs, 'swarm-default-advertise-addr': str,
  tls: bool, tlscacert: str, tlscert: str, tlskey: str, tlsverify: bool, 'userland-proxy': bool,
  'userland-proxy-path': str, 'userns-remap': str,
};
