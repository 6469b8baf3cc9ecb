// Pure: what a compose file says about each service (container name, networks, bind-mounted
// config directories, reload signal), and what differs from the containers on the host.
import { parse } from 'yaml';

export interface ServiceModel {
  name: string;
  containerName: string;
  /** Network names as Docker knows them (after `name:` mapping). */
  networks: string[];
  /** Bind-mount sources relative to the project directory, without "./". */
  binds: string[];
  /** Signal that makes the program reread its config (x-provision-reload), else restart. */
  reload?: string;
  profiles: string[];
  /** The `image:` as written (usually ${X_IMAGE:?…}, filled from the project's .env). */
  image?: string;
}

export interface ComposeModel {
  project: string;
  services: Map<string, ServiceModel>;
}

type RawService = {
  image?: string;
  container_name?: string;
  networks?: string[] | Record<string, unknown>;
  volumes?: (string | { type?: string; source?: string })[];
  secrets?: (string | { source?: string })[];
  profiles?: string[];
  'x-provision-reload'?: string;
};
type RawCompose = {
  name?: string;
  services?: Record<string, RawService>;
  networks?: Record<string, { name?: string; external?: boolean } | null>;
  secrets?: Record<string, { file?: string } | null>;
};

export function composeModel(text: string, project: string): ComposeModel {
  const raw = (parse(text) ?? {}) as RawCompose;
  // Compose prefixes network keys with the project name unless the network is external or named.
  const netName = (key: string) => {
    const n = raw.networks?.[key];
    return n?.name ?? (n?.external ? key : `${project}_${key}`);
  };
  const services = new Map<string, ServiceModel>();
  for (const [name, s] of Object.entries(raw.services ?? {})) {
    if ((s as { env_file?: unknown }).env_file !== undefined) {
      // Compose 2.26 labels such containers with a hash that `config --hash` never reproduces,
      // so drift could not be told from no drift. Variables go in `environment:` (from .env).
      throw new Error(`compose project ${project}: service ${name} uses env_file, which is not supported; use environment: with values from the project's .env`);
    }
    const keys = Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? { default: null });
    const binds: string[] = [];
    for (const v of s.volumes ?? []) {
      const src = typeof v === 'string' ? v.split(':')[0] : v.type === 'bind' ? v.source : undefined;
      if (src && src.startsWith('./')) binds.push(src.slice(2).replace(/\/+$/, ''));
    }
    // A file-based compose secret is a bind mount too: a new content needs a restart.
    for (const sec of s.secrets ?? []) {
      const file = raw.secrets?.[typeof sec === 'string' ? sec : (sec.source ?? '')]?.file;
      if (file?.startsWith('./')) binds.push(file.slice(2));
    }
    services.set(name, {
      name,
      containerName: s.container_name ?? `${project}-${name}-1`,
      networks: keys.map(netName),
      binds,
      reload: s['x-provision-reload'],
      profiles: s.profiles ?? [],
      image: s.image,
    });
  }
  return { project, services };
}

/** Services whose bind mounts contain one of the changed paths (relative to the project dir). */
export function servicesMounting(model: ComposeModel, changedPaths: readonly string[]): ServiceModel[] {
  return [...model.services.values()].filter((s) =>
    changedPaths.some((p) => s.binds.some((b) => p === b || p.startsWith(`${b}/`))),
  );
}

export interface ContainerRow {
  name: string;
  project: string;
  service: string;
  hash: string;
  state: string;
  id: string;
  networks: string[];
  image: string;
}

export const PS_FORMAT =
  '{{.Names}}|{{.Label "com.docker.compose.project"}}|{{.Label "com.docker.compose.service"}}|' +
  '{{.Label "com.docker.compose.config-hash"}}|{{.State}}|{{.ID}}|{{.Networks}}|{{.Image}}';

export function parsePs(stdout: string): ContainerRow[] {
  return stdout
    .split('\n')
    .filter((l) => l.includes('|'))
    .map((l) => {
      const [name = '', project = '', service = '', hash = '', state = '', id = '', nets = '', image = ''] = l.split('|');
      return { name, project, service, hash, state, id, networks: nets ? nets.split(',') : [], image };
    });
}

/** `docker compose config --hash '*'` output: "service hash" per line. */
export function parseHashes(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [svc, hash] = line.trim().split(/\s+/);
    if (svc && hash) out.set(svc, hash);
  }
  return out;
}

export type ServiceAction =
  | { kind: 'create'; service: string; why: string }
  | { kind: 'recreate'; service: string; why: string }
  | { kind: 'reconnect'; service: string; container: string; networks: string[]; why: string }
  | { kind: 'start'; service: string; why: string }
  | { kind: 'replace-foreign'; service: string; container: string; why: string }
  | { kind: 'remove'; container: string; why: string };

/** Pure: the actions that bring the project's containers to the wanted hashes and networks. */
export function planProject(model: ComposeModel, wanted: Map<string, string>, rows: ContainerRow[]): ServiceAction[] {
  const actions: ServiceAction[] = [];
  const mine = rows.filter((r) => r.project === model.project);
  for (const [service, hash] of wanted) {
    const svc = model.services.get(service);
    const c = mine.find((r) => r.service === service);
    const foreign = rows.find((r) => r.name === svc?.containerName && r.project !== model.project);
    if (foreign) {
      const owner = foreign.project ? `compose project ${foreign.project}` : 'no compose project';
      actions.push({ kind: 'replace-foreign', service, container: foreign.name, why: `container ${foreign.name} was not created by compose project ${model.project} (image ${foreign.image}, ${owner})` });
      continue;
    }
    if (!c) {
      actions.push({ kind: 'create', service, why: `${svc?.containerName ?? service} is missing` });
      continue;
    }
    if (c.hash !== hash) {
      actions.push({ kind: 'recreate', service, why: `${c.name}: configuration changed (image, env, mounts or labels)` });
      continue;
    }
    const lost = (svc?.networks ?? []).filter((n) => !c.networks.includes(n));
    if (lost.length) {
      actions.push({ kind: 'reconnect', service, container: c.name, networks: lost, why: `${c.name} is not attached to ${lost.join(', ')}` });
      if (c.state === 'running') continue;
    }
    if (c.state !== 'running') actions.push({ kind: 'start', service, why: `${c.name} is ${c.state || 'not running'}` });
  }
  for (const c of mine) {
    if (!wanted.has(c.service)) actions.push({ kind: 'remove', container: c.name, why: `${c.name} (service ${c.service}) is no longer wanted` });
  }
  return actions;
}

/** Pure: why a container's config differs from the wanted service, for the report. Env values
 * are never shown (they may be secrets), only the names of variables that differ. */
export function explainDifference(
  want: { image?: string; environment?: Record<string, string | null> },
  have: { image: string; env: string[] },
): string {
  const parts: string[] = [];
  if (want.image && want.image !== have.image) parts.push(`image changed from ${have.image} to ${want.image}`);
  const haveEnv = new Map(have.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const changed = Object.entries(want.environment ?? {})
    .filter(([k, v]) => v !== null && haveEnv.get(k) !== v)
    .map(([k]) => k);
  if (changed.length) parts.push(`environment differs: ${changed.sort().join(', ')}`);
  return parts.length ? parts.join('; ') : 'configuration changed (mounts, ports, labels or other settings)';
}
