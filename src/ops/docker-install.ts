// Pure: how Docker Engine + Compose v2 get installed on this OS.
import type { Facts } from '../engine/facts.ts';

export type DockerSource = 'auto' | 'official' | 'distro';

export interface DockerRepo {
  keyUrl: string;
  keyPath: string;
  listPath: string;
  listContent: string;
}

export interface DockerInstallPlan {
  source: 'official' | 'distro';
  packages: string[];
  repo?: DockerRepo;
}

export const SUPPORTED = 'Ubuntu 22.04/24.04 (and later), Debian 12/13';

const OFFICIAL_PACKAGES = ['docker-ce', 'docker-ce-cli', 'containerd.io', 'docker-buildx-plugin', 'docker-compose-plugin'];

/** Every package any plan may install: read at once, before the OS is known. */
export const DOCKER_PACKAGE_CANDIDATES = [...OFFICIAL_PACKAGES, 'docker.io', 'docker-compose-v2', 'docker-cli', 'docker-compose'];

export function dockerInstallPlan(facts: Pick<Facts, 'os' | 'arch'>, wanted: DockerSource): DockerInstallPlan {
  const { id, versionId, codename } = facts.os;
  const major = Number(versionId.split('.')[0] ?? 0);
  const isUbuntu = id === 'ubuntu';
  const isDebian = id === 'debian';
  if (!(isUbuntu && major >= 22) && !(isDebian && major >= 12)) {
    throw new Error(`unsupported OS "${facts.os.prettyName || `${id} ${versionId}`}": this role supports ${SUPPORTED}`);
  }
  // auto: Docker's repository on Ubuntu and on Debian 12 (whose docker-compose is v1), the
  // distribution's packages on Debian 13+.
  const source = wanted === 'auto' ? (isUbuntu || major < 13 ? 'official' : 'distro') : wanted;
  if (source === 'official') {
    const base = `https://download.docker.com/linux/${id}`;
    return {
      source,
      packages: [...OFFICIAL_PACKAGES],
      repo: {
        keyUrl: `${base}/gpg`,
        keyPath: '/etc/apt/keyrings/docker.asc',
        listPath: '/etc/apt/sources.list.d/docker.list',
        listContent: `deb [arch=${facts.arch} signed-by=/etc/apt/keyrings/docker.asc] ${base} ${codename} stable\n`,
      },
    };
  }
  if (isUbuntu) return { source, packages: ['docker.io', 'docker-compose-v2'] };
  if (major < 13) {
    throw new Error(`docker.source "distro" has no Compose v2 on Debian ${versionId} (its docker-compose is v1): use docker.source "official"`);
  }
  // Debian 13 split the CLI out of docker.io (only a Recommends there).
  return { source, packages: ['docker.io', 'docker-cli', 'docker-compose'] };
}
