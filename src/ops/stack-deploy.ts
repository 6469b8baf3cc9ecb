// A swarm stack converged from the swarm's leader: the services as `docker service inspect` shows
// them are compared, field by field, with what the generated stack file wants (image,
// environment, replicas, labels with the definition's hash, configs, secrets, placement, endpoint
// mode); only when something differs does `docker stack deploy` run. So a rerun reads once and
// changes nothing, and a service scaled, edited or removed by hand is named and put back.
import { sh } from '../remote/command.ts';
import { dockerRead, type Read } from '../engine/read.ts';
import { change, defineTask, inSync } from '../engine/task.ts';
import type { Task, TaskContext } from '../engine/types.ts';
import type { StackFile, WantedService } from '../stack/swarm-stack.ts';
import { nodesRead, parseInspectList } from './swarm.ts';

/** A service as Swarm runs it: the very fields a generated stack wants, so the two compare field by field. */
export type ServiceState = WantedService;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const at = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** Pure: `docker service inspect` of the stack's services (a JSON array; nothing when none). */
export function parseServices(stdout: string): ServiceState[] {
  return parseInspectList(stdout, 'docker service inspect').map((s, i) => {
    const spec = at(s, 'Spec');
    const name = at(spec, 'Name');
    if (typeof name !== 'string') throw new Error(`unexpected answer from docker service inspect: service[${i}] has no Spec.Name`);
    const cs = at(spec, 'TaskTemplate', 'ContainerSpec');
    const replicas = at(spec, 'Mode', 'Replicated', 'Replicas');
    const labels = at(spec, 'Labels');
    return {
      name,
      image: String(at(cs, 'Image') ?? ''),
      env: strings(at(cs, 'Env')).sort(),
      replicas: at(spec, 'Mode', 'Global') !== undefined ? 'global' : typeof replicas === 'number' ? replicas : 0,
      labels: isObj(labels) ? Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])) : {},
      configs: (Array.isArray(at(cs, 'Configs')) ? (at(cs, 'Configs') as unknown[]) : []).map((c) => String(at(c, 'ConfigName'))).sort(),
      secrets: (Array.isArray(at(cs, 'Secrets')) ? (at(cs, 'Secrets') as unknown[]) : []).map((c) => String(at(c, 'SecretName'))).sort(),
      endpointMode: String(at(spec, 'EndpointSpec', 'Mode') ?? 'vip'),
      constraints: strings(at(spec, 'TaskTemplate', 'Placement', 'Constraints')).sort(),
    };
  });
}

const NOT_MANAGER = '__provision_not_a_swarm_manager__';

/** The stack's services, or undefined where this host is no swarm manager (yet). */
export function stackServicesRead(project: string): Read<ServiceState[] | undefined> {
  return dockerRead(
    sh`if [ "$(docker info --format '{{.Swarm.ControlAvailable}}')" != true ]; then echo ${NOT_MANAGER}; exit 0; fi
docker service ls -q --filter label=com.docker.stack.namespace=${project} | xargs -r docker service inspect`,
    (r) => (r.stdout.trim() === NOT_MANAGER ? undefined : parseServices(r.stdout)),
  );
}

export interface Drift {
  service: string;
  kind: 'missing' | 'differs' | 'unwanted';
  why: string;
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Pure: how the running services differ from the wanted ones. Environment values may be
 * secrets: only the names of variables that differ are said. */
export function planStack(wanted: readonly WantedService[], have: readonly ServiceState[]): Drift[] {
  const out: Drift[] = [];
  for (const w of wanted) {
    const h = have.find((s) => s.name === w.name);
    if (!h) {
      out.push({ service: w.name, kind: 'missing', why: `${w.name} is not deployed` });
      continue;
    }
    const why: string[] = [];
    // A digest pinned by `docker service update --image` or a resolving deploy is still the tag we want.
    const image = w.image.includes('@') ? h.image : h.image.replace(/@sha256:[0-9a-f]{64}$/, '');
    if (image !== w.image) why.push(`image ${h.image}, wanted ${w.image}`);
    if (h.replicas !== w.replicas) why.push(`replicas ${h.replicas}, wanted ${w.replicas}`);
    if (!same(h.env, w.env)) {
      const key = (e: string) => e.split('=')[0] ?? e;
      const names = [...new Set([...h.env.filter((e) => !w.env.includes(e)), ...w.env.filter((e) => !h.env.includes(e))].map(key))].sort();
      why.push(`environment differs: ${names.join(', ')}`);
    }
    const labels = Object.entries(w.labels).filter(([k, v]) => h.labels[k] !== v).map(([k]) => k);
    if (labels.length) why.push(labels.includes('io.provision.spec') ? 'its definition changed (provision\'s spec hash differs)' : `labels differ: ${labels.join(', ')}`);
    if (!same(h.configs, w.configs)) why.push(`configs ${h.configs.join(', ') || 'none'}, wanted ${w.configs.join(', ') || 'none'}`);
    if (!same(h.secrets, w.secrets)) why.push(`secrets ${h.secrets.join(', ') || 'none'}, wanted ${w.secrets.join(', ') || 'none'}`);
    if (h.endpointMode !== w.endpointMode) why.push(`endpoint mode ${h.endpointMode}, wanted ${w.endpointMode}`);
    if (!same(h.constraints, [...w.constraints].sort())) why.push(`placement ${h.constraints.join(', ') || 'anywhere'}, wanted ${w.constraints.join(', ')}`);
    if (why.length) out.push({ service: w.name, kind: 'differs', why: `${w.name}: ${why.join('; ')}` });
  }
  for (const h of have) {
    if (!wanted.some((w) => w.name === h.name)) out.push({ service: h.name, kind: 'unwanted', why: `${h.name} is no longer in the stack` });
  }
  return out;
}

function describe(drift: readonly Drift[], check: boolean): string {
  const verb = (k: Drift['kind']) => (k === 'missing' ? (check ? 'would create' : 'created') : k === 'unwanted' ? (check ? 'would remove' : 'removed') : check ? 'would update' : 'updated');
  return drift.map((d) => `${verb(d.kind)} ${d.service} (${d.why})`).join('; ');
}

export interface StackDeploy {
  project: string;
  /** The leader's directory holding stack.yml and the files its configs and secrets are made from. */
  dir: string;
  stack: StackFile;
}

export const STACK_FILE = 'stack.yml';

/** Config and secret versions the stack no longer uses: removed (one still used by a task that is
 * being replaced cannot be, and goes on a later run). */
async function removeStale(ctx: TaskContext, s: StackDeploy): Promise<void> {
  const keep = new Set(s.stack.objects.map((o) => o.name));
  for (const kind of ['config', 'secret'] as const) {
    const r = await ctx.$`docker ${kind} ls --filter label=com.docker.stack.namespace=${s.project} --format '{{.Name}}'`;
    const stale = r.stdout.split('\n').map((l) => l.trim()).filter((n) => n && !keep.has(n));
    if (stale.length) await ctx.run(sh`docker ${kind} rm ${stale}`, { nothrow: true });
  }
}

export function stackDeployTask(s: StackDeploy, tags?: string[]): Task {
  const read = stackServicesRead(s.project);
  return defineTask({
    name: `swarm stack ${s.project} up to date`,
    tags,
    reads: { have: read, nodes: nodesRead },
    check: (ctx, { have, nodes }) => {
      if (!have) {
        if (ctx.checkMode) return change(`would deploy stack ${s.project} once this host manages a swarm`, null);
        throw new Error(`${ctx.host} is not a manager of a swarm: stack ${s.project} is deployed from the swarm's leader`);
      }
      const label = s.stack.needsLabel;
      if (label && nodes.length && !nodes.some((n) => n.labels[label] === 'true')) {
        const pinned = s.stack.notes.filter((n) => n.includes(`labelled ${label}=true`)).map((n) => n.split(':')[0]);
        throw new Error(`${s.project}: ${pinned.join(', ')} keep${pinned.length === 1 ? 's' : ''} data in a named volume and run${pinned.length === 1 ? 's' : ''} only on a node labelled ${label}=true, but no node of the swarm carries that label: give the node that keeps the data swarm_labels: {${label}: 'true'} in the inventory`);
      }
      const drift = planStack(s.stack.services, have);
      if (!drift.length) return inSync(`${s.stack.services.length} service(s) as wanted`);
      return change(describe(drift, ctx.checkMode), drift);
    },
    apply: async (ctx, { data }) => {
      // --resolve-image never: the service runs the tag the inventory names, compared as written
      // (nodes pull it themselves, with the leader's registry logins passed along).
      await ctx.run(sh`cd ${s.dir} && docker stack deploy --with-registry-auth --resolve-image never --prune -c ${STACK_FILE} ${s.project}`, { timeoutMs: 10 * 60_000 });
      await removeStale(ctx, s);
      const after = await ctx.read(read);
      const left = after ? planStack(s.stack.services, after) : [];
      if (left.length) throw new Error(`stack ${s.project} did not converge: ${describe(left, true)}`);
      return { reason: data ? describe(data, false) : `deployed stack ${s.project}` };
    },
  });
}
