// Pure: how Docker Engine + Compose v2 get installed on this OS.
import type { Facts } from '../engine/facts.ts';

export type DockerSource = 'auto' | 'official' | 'distro';

export interface DockerRepo {
  /** The repository's base URL (what `deb` lines name), without a trailing slash. */
  url: string;
  suite: string;
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

/**
 * Where Docker's repository is: Docker's own by default, or a mirror (inventory
 * `docker.official_repo`, `docker.official_key_url`). "{os}" in either stands for the OS id
 * (ubuntu, debian), so one setting serves a group of mixed hosts.
 */
export interface DockerRepoOptions {
  official_repo?: string;
  official_key_url?: string;
}

export const DEFAULT_OFFICIAL_REPO = 'https://download.docker.com/linux/{os}';
export const DOCKER_KEY_PATH = '/etc/apt/keyrings/docker.asc';
export const DOCKER_LIST_PATH = '/etc/apt/sources.list.d/docker.list';

export function dockerInstallPlan(facts: Pick<Facts, 'os' | 'arch'>, wanted: DockerSource, opts: DockerRepoOptions = {}): DockerInstallPlan {
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
    if (!codename) throw new Error(`docker.source "official": /etc/os-release names no VERSION_CODENAME, so the repository suite is unknown`);
    // Docker's repository (and a mirror of it) is laid out per distribution: <base>/<id>.
    const base = (opts.official_repo ?? DEFAULT_OFFICIAL_REPO).replaceAll('{os}', id).replace(/\/+$/, '');
    return {
      source,
      packages: [...OFFICIAL_PACKAGES],
      repo: {
        url: base,
        suite: codename,
        keyUrl: opts.official_key_url?.replaceAll('{os}', id) ?? `${base}/gpg`,
        keyPath: DOCKER_KEY_PATH,
        listPath: DOCKER_LIST_PATH,
        listContent: `deb [arch=${facts.arch} signed-by=${DOCKER_KEY_PATH}] ${base} ${codename} stable\n`,
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
