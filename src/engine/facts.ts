// Facts: what the host is, read once per run in the same round trip as every task's reads.
import { raw, sh } from '../remote/command.ts';
import { read } from './read.ts';

export interface Facts {
  hostname: string;
  os: { id: string; versionId: string; codename: string; idLike: string[]; prettyName: string };
  arch: string;
  kernel: string;
  /** The SSH login user (not root, even under become). */
  loginUser: string;
  systemd: boolean;
  memoryMb: number;
  cpus: number;
}

/** The SSH login user as the host's shell sees it (root's shell under sudo knows it as SUDO_USER). */
export const LOGIN_USER = raw('"${SUDO_USER:-$(id -un)}"');

const GATHER_CMD = sh`
. /etc/os-release 2>/dev/null || true
echo "os_id=\${ID:-}"
echo "os_version_id=\${VERSION_ID:-}"
echo "os_codename=\${VERSION_CODENAME:-}"
echo "os_id_like=\${ID_LIKE:-}"
echo "os_pretty=\${PRETTY_NAME:-}"
echo "hostname=$(hostname 2>/dev/null || cat /etc/hostname)"
echo "arch=$(dpkg --print-architecture 2>/dev/null || uname -m)"
echo "kernel=$(uname -r)"
echo "login_user=${LOGIN_USER}"
if [ -d /run/systemd/system ]; then echo systemd=1; else echo systemd=0; fi
echo "mem_kb=$(awk '/^MemTotal:/{print $2}' /proc/meminfo)"
echo "cpus=$(nproc)"
`;

export function parseFacts(text: string): Facts {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  const get = (k: string) => kv.get(k) ?? '';
  return {
    hostname: get('hostname'),
    os: {
      id: get('os_id'),
      versionId: get('os_version_id'),
      codename: get('os_codename'),
      idLike: get('os_id_like').split(/\s+/).filter(Boolean),
      prettyName: get('os_pretty'),
    },
    arch: get('arch'),
    kernel: get('kernel'),
    loginUser: get('login_user'),
    systemd: get('systemd') === '1',
    memoryMb: Math.round(Number(get('mem_kb') || 0) / 1024),
    cpus: Number(get('cpus') || 0),
  };
}

export const FACTS = read(GATHER_CMD, (r) => parseFacts(r.stdout));

/** The engine's version, for `provision facts` only (a daemon round trip every run could skip). */
export const DOCKER_VERSION = read(sh`docker version --format '{{.Server.Version}}' 2>/dev/null || true`, (r) => r.stdout.trim() || null);
