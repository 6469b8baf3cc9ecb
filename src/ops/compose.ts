// A compose project converged: containers created/recreated/started only where the config
// hash, state or networks differ, and services whose bind-mounted config changed reloaded
// (their x-provision-reload signal) or restarted, since Compose itself does not notice.
import { raw, sh, withDisplay, type Cmd } from '../remote/command.ts';
import type { Task, TaskContext } from '../engine/types.ts';
import { explainDifference, PS_FORMAT, parseHashes, parsePs, planProject, servicesMounting, type ComposeModel, type ServiceAction } from './compose-model.ts';

export interface ComposeProject {
  project: string;
  dir: string;
  model: ComposeModel;
  /** The compose file and .env this run wants (check mode compares against these, not the host's). */
  wanted: (ctx: TaskContext) => { compose: string; env: string };
}

/** In check mode with compose.yml or .env about to change, hash the wanted files instead. */
type Staged = ReturnType<ComposeProject['wanted']>;

/** Files of a project written (or, in check mode, that would be) during this run. */
function changedFilesKey(project: string): string {
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

/** Shell text that stages wanted files in "$st" (a private temp dir) and the compose arguments to use. */
function composeInvocation(p: ComposeProject, staged?: Staged): { prelude: Cmd; args: Cmd } {
  if (!staged) return { prelude: sh`:`, args: sh`-p ${p.project}` };
  const b64 = (t: string) => Buffer.from(t, 'utf8').toString('base64');
  return {
    prelude: sh`st=$(mktemp -d); trap 'rm -rf "$st"' EXIT
printf '%s' ${b64(staged.compose)} | base64 -d >"$st/compose.yml"
printf '%s' ${b64(staged.env)} | base64 -d >"$st/.env"`,
    args: sh`-p ${p.project} --project-directory ${p.dir} -f ${raw('"$st/compose.yml"')} --env-file ${raw('"$st/.env"')}`,
  };
}

export function inspectProjectCmd(p: ComposeProject, staged?: Staged): Cmd {
  const { prelude, args } = composeInvocation(p, staged);
  const cmd = sh`command -v docker >/dev/null || { echo no-docker; exit 0; }
cd ${p.dir} 2>/dev/null || { echo not-deployed; exit 0; }
${prelude}
# Both at once: this runs on every no-op rerun.
ps=$(mktemp)
docker ps -a --no-trunc --format ${PS_FORMAT} >"$ps" &
docker compose ${args} config --hash '*'
wait $!
echo ${SEP}
cat "$ps"; rm -f "$ps"`;
  return staged ? withDisplay(cmd, `inspect compose project ${p.project} against the wanted files`) : cmd;
}

function stagedFor(ctx: TaskContext, p: ComposeProject): Staged | undefined {
  if (!ctx.checkMode) return undefined;
  const pending = changedFiles(ctx, p.project);
  return pending.includes('compose.yml') || pending.includes('.env') ? p.wanted(ctx) : undefined;
}

interface Inspection {
  /** Services of the active profiles. */
  wanted: string[];
  actions: ServiceAction[];
  reloads: { service: string; container: string; signal?: string; why: string }[];
}

async function inspect(ctx: TaskContext, p: ComposeProject): Promise<Inspection | string> {
  const staged = stagedFor(ctx, p);
  // The plain inspection may come from the prefetch batch; a staged one never does.
  const out = (await (staged ? ctx.host.run(inspectProjectCmd(p, staged)) : ctx.read(inspectProjectCmd(p)))).stdout;
  if (out.trim() === 'no-docker') return 'docker is not installed yet';
  if (out.trim() === 'not-deployed') return `${p.dir} is not deployed yet`;
  const [hashes = '', ps = ''] = out.split(`${SEP}\n`);
  const actions = planProject(p.model, parseHashes(hashes), parsePs(ps));
  await explainRecreates(ctx, p, actions, staged);
  const recreated = new Set(actions.flatMap((a) => (a.kind === 'create' || a.kind === 'recreate' || a.kind === 'replace-foreign' ? [a.service] : [])));
  const files = changedFiles(ctx, p.project);
  const reloads = servicesMounting(p.model, files)
    .filter((s) => parseHashes(hashes).has(s.name) && !recreated.has(s.name))
    .map((s) => ({
      service: s.name,
      container: s.containerName,
      signal: s.reload,
      why: `${s.binds.filter((b) => files.some((f) => f === b || f.startsWith(`${b}/`))).join(', ')} changed`,
    }));
  return { wanted: [...parseHashes(hashes).keys()], actions, reloads };
}

/** Replaces the generic "configuration changed" with what differs (only on the drift path). */
async function explainRecreates(ctx: TaskContext, p: ComposeProject, actions: ServiceAction[], staged?: Staged): Promise<void> {
  const targets = actions.flatMap((a) => (a.kind === 'recreate' ? [a] : []));
  if (!targets.length) return;
  const names = targets.map((a) => p.model.services.get(a.service)?.containerName ?? a.service);
  const { prelude, args } = composeInvocation(p, staged);
  const cmd = sh`cd ${p.dir}
${prelude}
docker compose ${args} config --format json
echo ${SEP}
docker inspect --format '{{json .Config}}' ${names}`;
  const r = await ctx.host.run(withDisplay(cmd, `explain changes of ${names.join(', ')}`), { nothrow: true });
  if (!r.ok) return;
  const [cfg = '{}', inspected = ''] = r.stdout.split(`${SEP}\n`);
  const services = (JSON.parse(cfg) as { services?: Record<string, { image?: string; environment?: Record<string, string | null> }> }).services ?? {};
  const configs = inspected.trim().split('\n').map((l) => JSON.parse(l) as { Image: string; Env: string[] | null });
  targets.forEach((a, i) => {
    const have = configs[i];
    if (have) a.why = `${names[i]}: ${explainDifference(services[a.service] ?? {}, { image: have.Image, env: have.Env ?? [] })}`;
  });
}

function describe(i: Inspection, check: boolean): string {
  const verb = (past: string, future: string) => (check ? `would ${future}` : past);
  const parts = i.actions.map((a) => {
    switch (a.kind) {
      case 'create': return `${verb('created', 'create')} ${a.service} (${a.why})`;
      case 'recreate': return `${verb('recreated', 'recreate')} ${a.service} (${a.why})`;
      case 'reconnect': return `${verb('reconnected', 'reconnect')} ${a.service} (${a.why})`;
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
    prefetch: [inspectProjectCmd(p)],
    check: async (ctx) => {
      const i = await inspect(ctx, p);
      if (typeof i === 'string') return { changed: true, reason: `would deploy ${p.project}: ${i}` };
      if (!i.actions.length && !i.reloads.length) return { changed: false, reason: `${p.project}: every container running with its current config` };
      return { changed: true, reason: describe(i, ctx.checkMode), data: i };
    },
    apply: async (ctx, found) => {
      // Check's inspection is still current (apply follows it at once); "not deployed yet" is
      // not, since the file tasks before this one have deployed the files meanwhile.
      const i = (found.data as Inspection | undefined) ?? (await inspect(ctx, p));
      if (typeof i === 'string') throw new Error(`${p.project}: ${i}`);
      // A container holding a service's name but not made by this project would block `up`.
      const strays = i.actions.flatMap((a) => (a.kind === 'replace-foreign' || a.kind === 'remove' ? [a.container] : []));
      if (strays.length) await ctx.$`docker rm -f ${strays}`;
      // Compose does not notice a container cut off a network: attach it again, with the
      // aliases compose gives (service and container name), without restarting it.
      for (const a of i.actions) {
        if (a.kind !== 'reconnect') continue;
        for (const net of a.networks) await ctx.$`docker network connect --alias ${a.service} --alias ${a.container} ${net} ${a.container}`;
      }
      const touched = [...new Set(i.actions.flatMap((a) => (a.kind === 'remove' || a.kind === 'reconnect' ? [] : [a.service])))];
      if (touched.length === i.wanted.length) {
        await ctx.$`cd ${p.dir} && docker compose -p ${p.project} up -d --remove-orphans --quiet-pull`;
      } else if (touched.length) {
        // Only what drifted: a project-wide `up` would also restart the dependents of a recreated service.
        await ctx.$`cd ${p.dir} && docker compose -p ${p.project} up -d --quiet-pull ${touched}`;
      }
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
