// Facts: what the host is, gathered once per run in a single round trip.
import { sh } from '../remote/command.ts';
import type { RemoteHost } from '../remote/host.ts';

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
  /** Docker engine version when it answers (compose is checked by the docker role). */
  docker: { version: string | null };
}

const GATHER = sh`
. /etc/os-release 2>/dev/null || true
echo "os_id=\${ID:-}"
echo "os_version_id=\${VERSION_ID:-}"
echo "os_codename=\${VERSION_CODENAME:-}"
echo "os_id_like=\${ID_LIKE:-}"
echo "os_pretty=\${PRETTY_NAME:-}"
echo "hostname=$(hostname 2>/dev/null || cat /etc/hostname)"
echo "arch=$(dpkg --print-architecture 2>/dev/null || uname -m)"
echo "kernel=$(uname -r)"
echo "login_user=\${SUDO_USER:-$(id -un)}"
if [ -d /run/systemd/system ]; then echo systemd=1; else echo systemd=0; fi
echo "mem_kb=$(awk '/^MemTotal:/{print $2}' /proc/meminfo)"
echo "cpus=$(nproc)"
echo "docker=$(docker version --format '{{.Server.Version}}' 2>/dev/null || true)"
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
    docker: { version: get('docker') || null },
  };
}

export async function gatherFacts(host: RemoteHost): Promise<Facts> {
  const res = await host.run(GATHER);
  return parseFacts(res.stdout);
}
