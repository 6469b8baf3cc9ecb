// A compose project converged: containers created/recreated/started only where the config
// hash, state or networks differ, and services whose bind-mounted config changed reloaded
// (their x-provision-reload signal) or restarted, since Compose itself does not notice.
import { sh, type Cmd } from '../remote/command.ts';
import type { Task, TaskContext } from '../engine/types.ts';
import { PS_FORMAT, parseHashes, parsePs, planProject, servicesMounting, type ComposeModel, type ServiceAction } from './compose-model.ts';

export interface ComposeProject {
  project: string;
  dir: string;
  model: ComposeModel;
}

/** Files of a project written (or, in check mode, that would be) during this run. */
export function changedFilesKey(project: string): string {
  return `compose:${project}:changed`;
}

export function recordChanged(ctx: TaskContext, project: string, rel: string): void {
  const key = changedFilesKey(project);
  const set = (ctx.state.get(key) as Set<string> | undefined) ?? new Set<string>();
  set.add(rel);
  ctx.state.set(key, set);
}

function changedFiles(ctx: TaskContext, project: string): string[] {
  return [...((ctx.state.get(changedFilesKey(project)) as Set<string> | undefined) ?? [])];
}

const SEP = '=====provision-compose-separator=====';

export function inspectProjectCmd(p: ComposeProject): Cmd {
  return sh`command -v docker >/dev/null || { echo no-docker; exit 0; }
cd ${p.dir} 2>/dev/null || { echo not-deployed; exit 0; }
# Both at once: this runs on every no-op rerun.
ps=$(mktemp); trap 'rm -f "$ps"' EXIT
docker ps -a --no-trunc --format ${PS_FORMAT} >"$ps" &
docker compose -p ${p.project} config --hash '*'
wait $!
echo ${SEP}
cat "$ps"`;
}

interface Inspection {
  actions: ServiceAction[];
  reloads: { service: string; container: string; signal?: string; why: string }[];
}

async function inspect(ctx: TaskContext, p: ComposeProject): Promise<Inspection | string> {
  const out = (await ctx.host.run(inspectProjectCmd(p))).stdout;
  if (out.trim() === 'no-docker') return 'docker is not installed yet';
  if (out.trim() === 'not-deployed') return `${p.dir} is not deployed yet`;
  const [hashes = '', ps = ''] = out.split(`${SEP}\n`);
  const actions = planProject(p.model, parseHashes(hashes), parsePs(ps));
  const recreated = new Set(actions.map((a) => ('service' in a ? a.service : '')));
  const files = changedFiles(ctx, p.project);
  const reloads = servicesMounting(p.model, files)
    .filter((s) => parseHashes(hashes).has(s.name) && !recreated.has(s.name))
    .map((s) => ({
      service: s.name,
      container: s.containerName,
      signal: s.reload,
      why: `${s.binds.filter((b) => files.some((f) => f === b || f.startsWith(`${b}/`))).join(', ')} changed`,
    }));
  return { actions, reloads };
}

function describe(i: Inspection, check: boolean): string {
  const verb = (past: string, future: string) => (check ? `would ${future}` : past);
  const parts = i.actions.map((a) => {
    switch (a.kind) {
      case 'create': return `${verb('created', 'create')} ${a.service} (${a.why})`;
      case 'recreate': return `${verb('recreated', 'recreate')} ${a.service} (${a.why})`;
      case 'start': return `${verb('started', 'start')} ${a.service} (${a.why})`;
      case 'replace-foreign': return `${verb('replaced', 'replace')} ${a.service} (${a.why})`;
      case 'remove': return `${verb('removed', 'remove')} ${a.container} (${a.why})`;
    }
  });
  for (const r of i.reloads) parts.push(`${r.signal ? verb(`reloaded (${r.signal})`, `reload (${r.signal})`) : verb('restarted', 'restart')} ${r.service} (${r.why})`);
  return parts.join('; ');
}

export function composeTask(p: ComposeProject, tags?: string[]): Task {
  return {
    name: `compose project ${p.project} up to date`,
    tags,
    check: async (ctx) => {
      const i = await inspect(ctx, p);
      if (typeof i === 'string') return { changed: true, reason: `would deploy ${p.project}: ${i}` };
      const pending = changedFiles(ctx, p.project);
      if (ctx.checkMode && pending.length && !i.actions.length && !i.reloads.length) {
        return { changed: true, reason: `would apply changed files to ${p.project}: ${pending.join(', ')}` };
      }
      if (!i.actions.length && !i.reloads.length) return { changed: false, reason: `${p.project}: every container running with its current config` };
      return { changed: true, reason: describe(i, ctx.checkMode) };
    },
    apply: async (ctx) => {
      const i = await inspect(ctx, p);
      if (typeof i === 'string') throw new Error(`${p.project}: ${i}`);
      // A container holding a service's name but not made by this project would block `up`.
      const strays = i.actions.flatMap((a) => (a.kind === 'replace-foreign' || a.kind === 'remove' ? [a.container] : []));
      if (strays.length) await ctx.$`docker rm -f ${strays}`;
      await ctx.$`cd ${p.dir} && docker compose -p ${p.project} up -d --remove-orphans --quiet-pull`;
      // Compose recreates on a config-hash change but not on a lost network: force those.
      const netLost = i.actions.flatMap((a) => (a.kind === 'recreate' && a.cause === 'network' ? [a.service] : []));
      if (netLost.length) await ctx.$`cd ${p.dir} && docker compose -p ${p.project} up -d --force-recreate --no-deps ${netLost}`;
      for (const r of i.reloads) {
        if (r.signal) await ctx.$`docker kill --signal ${r.signal} ${r.container}`;
        else await ctx.$`docker restart ${r.container}`;
      }
      ctx.state.delete(changedFilesKey(p.project));
      const after = await inspect(ctx, p);
      if (typeof after !== 'string' && after.actions.length) {
        throw new Error(`${p.project} did not converge: ${describe(after, true)}`);
      }
      return { reason: describe(i, false) };
    },
  };
}
