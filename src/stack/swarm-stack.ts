// Pure: a compose project's file turned into what `docker stack deploy` can honour, from the same
// compose.yml and .env the compose path uses. Every setting Swarm rejects or ignores
// (docs/swarm-limits.md) is handled here, by name: translated (labels → deploy.labels, restart →
// deploy.restart_policy, container_name → a network alias, profiles resolved, variables filled
// in), left to the per-node compose project (services that need the host: pid, privileges,
// devices), or refused with what to do. Each translation is written as a note at the top of the
// generated file, so nothing is dropped without a word. Project files bind-mounted into a
// service become Swarm configs (secrets for compose secrets), named by their content's hash: a
// changed file is a new config, which rolls exactly the services that mount it.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parse, stringify } from 'yaml';
import { escapeDollars, interpolateAll } from './interpolate.ts';

export class StackFileError extends Error {}

/** A project file as the stack roles know it (static from files/<role>/, or generated). */
export interface ProjectFile {
  content: string;
  mode: string;
  owner?: string;
  group: string;
}

export interface StackFileInput {
  project: string;
  /** The compose.yml text (files/<role>/compose.yml). */
  compose: string;
  /** The project's .env values (what Compose would read beside compose.yml). */
  env: Readonly<Record<string, string>>;
  /** The project's files, relative path → file (for bind mounts and secrets). */
  files: ReadonlyMap<string, ProjectFile>;
  endpointMode: 'vip' | 'dnsrr';
  publishMode: 'ingress' | 'host';
  /** Services that stay in a compose project on every node (they need the host itself). */
  nodeAgents?: readonly string[];
  /** Node label a service keeping data in a named volume is pinned to (volumes are per node). */
  storesLabel: string;
  /** More placement constraints, per service (e.g. Traefik on a manager, whose socket sees the swarm). */
  constraints?: Readonly<Record<string, readonly string[]>>;
}

/** What a deployed service must look like: compared field by field with `docker service inspect`. */
export interface WantedService {
  /** Swarm's name: <project>_<service>. */
  name: string;
  image: string;
  /** KEY=value, sorted. */
  env: string[];
  replicas: number | 'global';
  /** deploy.labels, including provision's hash of the whole service definition. */
  labels: Record<string, string>;
  configs: string[];
  secrets: string[];
  endpointMode: string;
  /** Placement constraints. */
  constraints: string[];
}

export interface StackObject {
  kind: 'config' | 'secret';
  /** Swarm's name (with the content hash). */
  name: string;
  /** The project file it is made from. */
  rel: string;
}

export interface StackFile {
  project: string;
  /** The stack file's text (variables filled in: it may hold secrets, so it is written 0600). */
  text: string;
  services: WantedService[];
  objects: StackObject[];
  /** Services left to the per-node compose project. */
  agents: string[];
  notes: string[];
  /** The node label some service is pinned to, when one is (the deploy checks a node has it). */
  needsLabel?: string;
}

/** The label carrying a hash of the service's definition: any change to what we deploy shows in it. */
export const SPEC_LABEL = 'io.provision.spec';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Service keys a swarm service honours as they are. */
const PASSTHROUGH = new Set([
  'image', 'command', 'entrypoint', 'environment', 'healthcheck', 'logging', 'user', 'working_dir', 'stop_grace_period', 'stop_signal',
  'ulimits', 'sysctls', 'hostname', 'extra_hosts', 'tmpfs', 'init', 'read_only', 'cap_add', 'cap_drop', 'stdin_open', 'tty', 'dns',
]);

/** Settings a swarm service cannot have (stack deploy ignores or rejects them): the service must stay on each node. */
const HOST_ONLY: Record<string, string> = {
  pid: 'pid: host',
  privileged: 'privileged',
  devices: 'devices',
  network_mode: 'network_mode',
  ipc: 'ipc',
  userns_mode: 'userns_mode',
  cgroup_parent: 'cgroup_parent',
};

/** Swarm object names: at most 64 of [a-zA-Z0-9-_.], starting and ending alphanumeric. */
export function objectName(project: string, key: string, content: string): string {
  const hash = sha(content).slice(0, 12);
  const room = 64 - project.length - hash.length - 2;
  let k = key.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (k.length > room) k = k.slice(k.length - room).replace(/^[^A-Za-z0-9]+/, '');
  return `${project}_${k}-${hash}`;
}

/** "root" or a number, as Swarm's uid/gid strings. */
function numericId(v: string | undefined, what: string): string {
  if (v === undefined || v === 'root') return '0';
  if (/^\d+$/.test(v)) return v;
  throw new StackFileError(`${what}: owner ${v} must be numeric for a Swarm config`);
}

/** compose's restart → Swarm's restart_policy. */
function restartPolicy(restart: string, where: string): Obj {
  if (restart === 'no') return { condition: 'none' };
  if (restart === 'always' || restart === 'unless-stopped') return { condition: 'any' };
  const m = /^on-failure(?::(\d+))?$/.exec(restart);
  if (m) return m[1] ? { condition: 'on-failure', max_attempts: Number(m[1]) } : { condition: 'on-failure' };
  throw new StackFileError(`${where}.restart: ${JSON.stringify(restart)} is not a restart policy`);
}

function labelMap(v: unknown, where: string): Record<string, string> {
  if (Array.isArray(v)) {
    return Object.fromEntries(v.map((l) => {
      const s = String(l);
      const i = s.indexOf('=');
      return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
    }));
  }
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null ? '' : String(x)]));
  throw new StackFileError(`${where}: labels must be a map or a list`);
}

function envMap(v: unknown, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  const entries: [string, unknown][] = Array.isArray(v)
    ? v.map((e) => {
        const s = String(e);
        const i = s.indexOf('=');
        return i < 0 ? [s, null] : [s.slice(0, i), s.slice(i + 1)];
      })
    : isObj(v) ? Object.entries(v) : [];
  for (const [k, x] of entries) {
    // Compose would take it from the deploying shell's environment: a stack must not depend on that.
    if (x === null || x === undefined) throw new StackFileError(`${where}.environment.${k}: no value; give it one (from the project's .env) for a swarm stack`);
    out[k] = typeof x === 'string' ? x : String(x);
  }
  return out;
}

/** "[ip:]published:target[/proto]" or a long form, as Swarm's long form in `mode`. */
function portOf(p: unknown, mode: string, where: string): Obj {
  if (isObj(p)) return { ...p, mode };
  const s = String(p);
  const m = /^(?:(?:\d+\.\d+\.\d+\.\d+):)?(?:(\d+):)?(\d+)(?:\/(tcp|udp))?$/.exec(s);
  if (!m) throw new StackFileError(`${where}: port ${JSON.stringify(s)} is not [published:]target[/protocol] (ranges are not supported on a swarm here)`);
  if (/^\d+\.\d+\.\d+\.\d+:/.test(s)) throw new StackFileError(`${where}: port ${s}: a swarm service cannot bind one host address`);
  return { target: Number(m[2]), ...(m[1] ? { published: Number(m[1]) } : {}), protocol: m[3] ?? 'tcp', mode };
}

export function generateStackFile(input: StackFileInput): StackFile {
  const { project, env } = input;
  const where = `${project}/compose.yml`;
  const doc: unknown = parse(input.compose);
  if (!isObj(doc)) throw new StackFileError(`${where}: not a compose file`);
  const notes: string[] = [];
  const out: Obj = {};
  const objects: StackObject[] = [];
  const topObjects: Record<'configs' | 'secrets', Obj> = { configs: {}, secrets: {} };

  for (const key of Object.keys(doc)) {
    if (key === 'name') notes.push(`name: the stack is named ${project} on the command line (stack files may not carry a name)`);
    else if (key.startsWith('x-')) notes.push(`${key}: an extension block, already merged where it is used`);
    else if (!['services', 'networks', 'volumes', 'secrets', 'configs'].includes(key)) throw new StackFileError(`${where}: top-level ${key} is not handled for a swarm stack`);
  }

  // Networks: the shared ones are the swarm's overlay networks (the networks role makes them).
  const networks = isObj(doc.networks) ? (interpolateAll(doc.networks, env, `${where} networks`) as Obj) : {};
  for (const [k, n] of Object.entries(networks)) {
    if (isObj(n) && n.driver === 'bridge') throw new StackFileError(`${where}: network ${k} has driver bridge; a swarm stack needs overlay networks`);
  }
  if (Object.keys(networks).length) out.networks = networks;

  // Compose secrets and configs from project files: one Swarm object per content.
  for (const kind of ['secrets', 'configs'] as const) {
    const block = doc[kind];
    if (block === undefined) continue;
    if (!isObj(block)) throw new StackFileError(`${where}: ${kind} must be a map`);
    for (const [k, def] of Object.entries(block)) {
      if (!isObj(def)) throw new StackFileError(`${where}: ${kind}.${k} must be a map`);
      if (def.external) {
        topObjects[kind][k] = def;
        continue;
      }
      const file = typeof def.file === 'string' ? def.file : undefined;
      const rel = file?.startsWith('./') ? posix.normalize(file.slice(2)) : undefined;
      const f = rel === undefined ? undefined : input.files.get(rel);
      if (!rel || !f) throw new StackFileError(`${where}: ${kind}.${k}: only a file of the project (./path) can become a Swarm ${kind.slice(0, -1)}${file ? `; ${file} is not one` : ''}`);
      const name = objectName(project, k, f.content);
      topObjects[kind][k] = { name, file: `./${rel}` };
      objects.push({ kind: kind === 'secrets' ? 'secret' : 'config', name, rel });
    }
  }

  const profiles = new Set((env.COMPOSE_PROFILES ?? '').split(',').map((p) => p.trim()).filter(Boolean));
  const agents: string[] = [];
  const wanted: WantedService[] = [];
  const services: Obj = {};
  let needsLabel: string | undefined;
  const rawServices = doc.services;
  if (!isObj(rawServices)) throw new StackFileError(`${where}: no services`);

  for (const [name, rawSvc] of Object.entries(rawServices)) {
    const w = `${where} services.${name}`;
    if (!isObj(rawSvc)) throw new StackFileError(`${w}: must be a map`);
    const svcProfiles = Array.isArray(rawSvc.profiles) ? rawSvc.profiles.map(String) : [];
    if (svcProfiles.length && !svcProfiles.some((p) => profiles.has(p))) {
      notes.push(`${name}: profile ${svcProfiles.join(', ')} not selected (COMPOSE_PROFILES): not deployed, as with compose`);
      continue;
    }
    if (input.nodeAgents?.includes(name)) {
      agents.push(name);
      notes.push(`${name}: needs the node itself; runs in the per-node compose project on every node, not in this stack`);
      continue;
    }
    const svc = interpolateAll(rawSvc, env, w) as Obj;
    const hostOnly = Object.keys(HOST_ONLY).filter((k) => svc[k] !== undefined);
    if (hostOnly.length) {
      throw new StackFileError(`${w}: ${hostOnly.map((k) => HOST_ONLY[k]).join(', ')} cannot be honoured by a swarm service (docker stack deploy ignores or rejects it); such a service must run in the per-node compose project`);
    }
    const s: Obj = {};
    const deploy: Obj = isObj(svc.deploy) ? { ...svc.deploy } : {};
    const deployLabels: Record<string, string> = isObj(deploy.labels) || Array.isArray(deploy.labels) ? labelMap(deploy.labels, `${w}.deploy.labels`) : {};
    let alias: string | undefined;
    const mounts: unknown[] = [];
    const svcConfigs: Obj[] = [];
    let stateful = false;

    for (const [key, v] of Object.entries(svc)) {
      if (PASSTHROUGH.has(key)) {
        s[key] = v;
        continue;
      }
      switch (key) {
        case 'deploy':
        case 'profiles':
        case 'volumes':
        case 'networks':
          break;
        case 'container_name':
          if (v !== name) alias = String(v);
          notes.push(`${name}: container_name ${String(v)} → ${v !== name ? 'a network alias (Swarm names the containers)' : 'dropped: the service name resolves on its networks'}`);
          break;
        case 'restart':
          if (deploy.restart_policy === undefined) deploy.restart_policy = restartPolicy(String(v), w);
          notes.push(`${name}: restart ${String(v)} → deploy.restart_policy ${JSON.stringify(deploy.restart_policy)}`);
          break;
        case 'labels': {
          // Traefik's Swarm provider reads the service's labels, which are deploy.labels, and
          // its own traefik.swarm.* where the Docker provider reads traefik.docker.*.
          const renamed: string[] = [];
          for (const [k, x] of Object.entries(labelMap(v, `${w}.labels`))) {
            const key = k.startsWith('traefik.docker.') ? `traefik.swarm.${k.slice('traefik.docker.'.length)}` : k;
            if (key !== k) renamed.push(`${k} → ${key}`);
            deployLabels[key] ??= x;
          }
          notes.push(`${name}: labels → deploy.labels (on the service, where Traefik's Swarm provider reads them)${renamed.length ? `; ${renamed.join(', ')}` : ''}`);
          break;
        }
        case 'depends_on':
          notes.push(`${name}: depends_on dropped: Swarm starts services in no order; ${name} retries through its restart policy until what it needs answers`);
          break;
        case 'secrets':
          s.secrets = v;
          break;
        case 'ports':
          if (!Array.isArray(v)) throw new StackFileError(`${w}.ports: must be a list`);
          if (input.publishMode === 'ingress' && input.endpointMode === 'dnsrr') {
            throw new StackFileError(`${w}.ports: swarm_endpoint_mode dnsrr cannot publish through the ingress mesh; set swarm_publish_mode: host`);
          }
          s.ports = v.map((p, i) => portOf(p, input.publishMode, `${w}.ports[${i}]`));
          break;
        case 'x-provision-reload':
          notes.push(`${name}: x-provision-reload not used: a changed config file is a new Swarm config, which rolls the service`);
          break;
        default:
          if (key.startsWith('x-')) notes.push(`${name}: ${key} (an extension) left out`);
          else throw new StackFileError(`${w}: ${key} is not handled for a swarm stack (not deployed rather than dropped)`);
      }
    }

    // Volumes: project files become configs; named volumes pin the service to the stores node.
    for (const [i, v] of (Array.isArray(svc.volumes) ? svc.volumes : []).entries()) {
      const vw = `${w}.volumes[${i}]`;
      let source: string;
      let target: string;
      let type: string;
      if (typeof v === 'string') {
        const parts = v.split(':');
        source = parts[0] ?? '';
        target = parts[1] ?? '';
        type = source.startsWith('.') || source.startsWith('/') ? 'bind' : 'volume';
        if (!target) throw new StackFileError(`${vw}: an anonymous volume (${v}) has no place on a swarm: name it`);
      } else if (isObj(v)) {
        source = String(v.source ?? '');
        target = String(v.target ?? '');
        type = String(v.type ?? 'volume');
      } else throw new StackFileError(`${vw}: not a volume`);
      if (type === 'bind' && source.startsWith('./')) {
        const rel = posix.normalize(source.slice(2)).replace(/\/+$/, '');
        const under = [...input.files.keys()].filter((f) => f === rel || f.startsWith(`${rel}/`)).sort();
        if (!under.length) throw new StackFileError(`${vw}: ${source} is no file of the project; a swarm node has nothing to mount there`);
        for (const f of under) {
          const file = input.files.get(f)!;
          const key = f.replace(/[^A-Za-z0-9_.-]+/g, '_');
          const cname = objectName(project, f, file.content);
          topObjects.configs[key] = { name: cname, file: `./${f}` };
          if (!objects.some((o) => o.name === cname)) objects.push({ kind: 'config', name: cname, rel: f });
          // Readable as on the host: the file's group and read bits (a config is never writable).
          const mode = parseInt(file.mode, 8) & 0o444;
          svcConfigs.push({ source: key, target: f === rel ? target : posix.join(target, f.slice(rel.length + 1)), uid: numericId(file.owner, `${vw} ${f}`), gid: numericId(file.group, `${vw} ${f}`), mode });
        }
        continue;
      }
      if (type === 'bind') {
        notes.push(`${name}: bind mount ${source} must exist on every node that may run ${name}`);
      } else if (type === 'volume') {
        stateful = true;
      } else if (type !== 'tmpfs') throw new StackFileError(`${vw}: volume type ${type} is not handled for a swarm stack`);
      mounts.push(v);
    }
    if (svcConfigs.length) {
      s.configs = svcConfigs;
      notes.push(`${name}: project files it mounts → Swarm configs named by content hash (a changed file rolls ${name})`);
    }
    if (mounts.length) s.volumes = mounts;

    // Networks: as written, plus the old container name as an alias on each.
    const nets = svc.networks;
    if (alias) {
      const list = Array.isArray(nets) ? nets.map(String) : isObj(nets) ? Object.keys(nets) : ['default'];
      s.networks = Object.fromEntries(list.map((n) => {
        const given = isObj(nets) && isObj(nets[n]) ? (nets[n] as Obj) : {};
        const aliases = Array.isArray(given.aliases) ? given.aliases.map(String) : [];
        return [n, { ...given, aliases: [...aliases, alias] }];
      }));
    } else if (nets !== undefined) s.networks = nets;

    deploy.endpoint_mode = input.endpointMode;
    const extra = input.constraints?.[name] ?? [];
    if (extra.length) {
      const placement: Obj = isObj(deploy.placement) ? { ...deploy.placement } : {};
      const constraints = Array.isArray(placement.constraints) ? placement.constraints.map(String) : [];
      placement.constraints = [...constraints, ...extra.filter((c) => !constraints.includes(c))];
      deploy.placement = placement;
      notes.push(`${name}: placed by ${extra.join(', ')}`);
    }
    if (stateful) {
      const placement: Obj = isObj(deploy.placement) ? { ...deploy.placement } : {};
      const constraints = Array.isArray(placement.constraints) ? placement.constraints.map(String) : [];
      const pin = `node.labels.${input.storesLabel} == true`;
      if (!constraints.includes(pin)) constraints.push(pin);
      placement.constraints = constraints;
      deploy.placement = placement;
      needsLabel = input.storesLabel;
      notes.push(`${name}: keeps data in a named volume (per node) → placed on the node labelled ${input.storesLabel}=true`);
    }
    if (typeof s.image !== 'string' || !s.image) throw new StackFileError(`${w}: no image`);

    // The hash covers the whole definition, so any change to what we deploy shows in the label.
    deploy.labels = { ...deployLabels };
    s.deploy = deploy;
    const hash = sha(JSON.stringify(s)).slice(0, 16);
    deploy.labels = { ...deployLabels, [SPEC_LABEL]: hash };
    services[name] = s;

    const env2 = envMap(svc.environment ?? {}, w);
    const mode = isObj(deploy) && deploy.mode === 'global' ? 'global' : 'replicated';
    const refs = (list: unknown, kind: 'configs' | 'secrets') =>
      (Array.isArray(list) ? list : []).map((r) => {
        const src = isObj(r) ? String(r.source) : String(r);
        const def = topObjects[kind][src];
        if (!isObj(def)) throw new StackFileError(`${w}.${kind}: ${src} is not declared at the top level`);
        return typeof def.name === 'string' ? def.name : `${project}_${src}`;
      });
    const placement = isObj(deploy.placement) ? deploy.placement : {};
    wanted.push({
      name: `${project}_${name}`,
      image: s.image,
      env: Object.entries(env2).map(([k, x]) => `${k}=${x}`).sort(),
      replicas: mode === 'global' ? 'global' : typeof deploy.replicas === 'number' ? deploy.replicas : 1,
      labels: deploy.labels as Record<string, string>,
      configs: refs(s.configs, 'configs').sort(),
      secrets: refs(s.secrets, 'secrets').sort(),
      endpointMode: input.endpointMode,
      constraints: Array.isArray(placement.constraints) ? placement.constraints.map(String) : [],
    });
  }

  out.services = services;
  if (isObj(doc.volumes)) out.volumes = doc.volumes;
  if (Object.keys(topObjects.secrets).length) out.secrets = topObjects.secrets;
  if (Object.keys(topObjects.configs).length) out.configs = topObjects.configs;
  const header = [
    `# Generated by provision from files of compose project ${project} for docker stack deploy; local edits are overwritten.`,
    '# Variables are filled in from the project .env (the stack CLI does not read it); $$ is a literal $.',
    '# Translated for Swarm:',
    ...notes.map((n) => `#   ${n.replace(/\n/g, ' ')}`),
  ].join('\n');
  return { project, text: `${header}\n${stringify(escapeDollars(out), { version: '1.1' })}`, services: wanted, objects, agents, notes, ...(needsLabel ? { needsLabel } : {}) };
}

