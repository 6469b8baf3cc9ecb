// A compose project converged: containers created/recreated/started only where the config
// hash, state or networks differ, and services whose bind-mounted config changed reloaded
// (their x-provision-reload signal) or restarted, since Compose itself does not notice.
import { raw, sh, withDisplay, type Cmd } from '../remote/command.ts';
import type { ExecResult } from '../remote/connection.ts';
import { dockerRead, read, type Read } from '../engine/read.ts';
import { change, defineTask, inSync } from '../engine/task.ts';
import type { Task, TaskContext } from '../engine/types.ts';
import { explainDifference, PS_FORMAT, parseHashes, parsePs, planProject, servicesMounting, type ComposeModel, type ContainerRow, type ServiceAction } from './compose-model.ts';

/**
 * The files of one stack that were written in this run (or, in check mode, would be): the file
 * tasks record them, the project task reads them to reload or restart exactly the services
 * that mount them. One per stack and host run, made by stackTasks and given to both.
 */
export class StackChanges {
  private readonly files = new Set<string>();
  /** `rel` is relative to the project directory, e.g. "prometheus/prometheus.yml" or ".env". */
  record(rel: string): void {
    this.files.add(rel);
  }
  get changed(): string[] {
    return [...this.files];
  }
  clear(): void {
    this.files.clear();
  }
}

export interface ComposeProject {
  project: string;
  dir: string;
  model: ComposeModel;
  /** The compose file and .env this run writes (check mode compares against these, not the host's). */
  wanted: { compose: string; env: string };
  changes: StackChanges;
  /** Names of containers not made by this tool that it may remove to make way (the user's opt-in). */
  replaceContainers: readonly string[];
}

/**
 * A container holding a service's name but not made by this project is the user's: it is never
 * removed unless the inventory allows it by name. Throws with what to do otherwise.
 */
export function refuseForeign(p: ComposeProject, i: Inspection): void {
  const blocked = i.actions.flatMap((a) => (a.kind === 'replace-foreign' && !p.replaceContainers.includes(a.container) ? [a] : []));
  if (!blocked.length) return;
  const names = blocked.map((a) => a.container);
  throw new Error(
    `${p.project}: ${blocked.map((a) => a.why).join('; ')}. provision never removes a container it did not create, so ${p.project} was not deployed. ` +
      `Rename or remove ${names.length > 1 ? 'them' : 'it'} yourself (docker rename ${names[0]} ${names[0]}-old), or let provision replace ${names.length > 1 ? 'them' : 'it'}: ` +
      `add replace_containers: [${names.join(', ')}] to this host's variables (its data in volumes of its own is not touched, but it will no longer run).`,
  );
}

type Staged = ComposeProject['wanted'];

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

/** Where answers that only change with their inputs are kept: a cache, never state (delete it freely). */
export const HASH_CACHE_DIR = '/var/cache/provision';

/** Shell: path, mtime and size of the compose plugin binaries (their identity, for cache keys). */
const COMPOSE_PLUGIN_ID = raw(
  'stat -c "%n %Y %s" /usr/libexec/docker/cli-plugins/docker-compose /usr/lib/docker/cli-plugins/docker-compose /usr/local/lib/docker/cli-plugins/docker-compose /usr/local/libexec/docker/cli-plugins/docker-compose 2>/dev/null || true',
);

/**
 * `docker compose version --short`, which costs ~80 ms of plugin start-up: a v2 answer is
 * cached, keyed by the plugin binary's identity.
 */
export const composeVersionRead: Read<string> = read(
  sh`cache=${HASH_CACHE_DIR}/compose-version
id=$(${COMPOSE_PLUGIN_ID})
if [ -n "$id" ] && [ -f "$cache" ] && [ "$(head -n1 "$cache")" = "$id" ]; then tail -n +2 "$cache"; exit 0; fi
v=$(docker compose version --short 2>&1 || true)
printf '%s\n' "$v"
case "$v" in v2.*|2.*) { install -d -m 0700 ${HASH_CACHE_DIR} && printf '%s\n%s\n' "$id" "$v" >"$cache.tmp" && mv -f "$cache.tmp" "$cache"; } 2>/dev/null || true ;; esac`,
  (r) => r.stdout.trim(),
);

/** Every container on the host: one listing shared by all projects' tasks. */
export const containersRead: Read<ContainerRow[]> = dockerRead(sh`docker ps -a --no-trunc --format ${PS_FORMAT}`, (r) => parsePs(r.stdout));

/**
 * `docker compose config --hash` of the deployed files. This is the costly part of a no-op
 * rerun (~0.1 s of CPU per project), so it is cached on the host, keyed by the files' and the
 * compose plugin's identity.
 */
function hashesCmd(p: ComposeProject): Cmd {
  const cache = `${HASH_CACHE_DIR}/compose-${p.project}.hash`;
  return sh`cd ${p.dir} 2>/dev/null || { echo not-deployed; exit 0; }
key=$( { sha256sum compose.yml .env 2>/dev/null || true; ${COMPOSE_PLUGIN_ID}; } | sha256sum | cut -c1-64)
if [ -f ${cache} ] && [ "$(head -n1 ${cache})" = "$key" ]; then
  tail -n +2 ${cache}
else
  h=$(docker compose -p ${p.project} config --hash '*')
  printf '%s\n' "$h"
  { install -d -m 0700 ${HASH_CACHE_DIR} && printf '%s\n%s\n' "$key" "$h" >${cache}.tmp && mv -f ${cache}.tmp ${cache}; } 2>/dev/null || true
fi`;
}

/** The same against files not on the host yet (check mode, compose.yml or .env about to change). */
export function stagedHashesCmd(p: ComposeProject, staged: Staged): Cmd {
  const { prelude, args } = composeInvocation(p, staged);
  return withDisplay(
    sh`cd ${p.dir} 2>/dev/null || { echo not-deployed; exit 0; }
${prelude}
docker compose ${args} config --hash '*'`,
    `hash compose project ${p.project} as the wanted files would make it`,
  );
}

/** Service → config hash of the project as deployed, or undefined when it is not deployed. */
export type Hashes = Map<string, string> | undefined;

export function parseHashesOutput(r: ExecResult): Hashes {
  return r.stdout.trim() === 'not-deployed' ? undefined : parseHashes(r.stdout);
}

export function hashesRead(p: ComposeProject): Read<Hashes> {
  return dockerRead(hashesCmd(p), parseHashesOutput);
}

export interface Reload {
  service: string;
  container: string;
  signal?: string;
  why: string;
}

export interface Inspection {
  /** Services of the active profiles. */
  wanted: string[];
  actions: ServiceAction[];
  reloads: Reload[];
}

/** Pure: the actions for the containers, and the reloads for the files that changed. */
export function inspectionOf(p: ComposeProject, st: { hashes: Map<string, string>; rows: readonly ContainerRow[] }, changedFiles: readonly string[]): Inspection {
  const actions = planProject(p.model, st.hashes, [...st.rows]);
  const recreated = new Set(actions.flatMap((a) => (a.kind === 'create' || a.kind === 'recreate' || a.kind === 'replace-foreign' ? [a.service] : [])));
  const reloads = servicesMounting(p.model, changedFiles)
    .filter((s) => st.hashes.has(s.name) && !recreated.has(s.name))
    .map((s) => ({
      service: s.name,
      container: s.containerName,
      signal: s.reload,
      why: `${s.binds.filter((b) => changedFiles.some((f) => f === b || f.startsWith(`${b}/`))).join(', ')} changed`,
    }));
  return { wanted: [...st.hashes.keys()], actions, reloads };
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
  const r = await ctx.run(withDisplay(cmd, `explain changes of ${names.join(', ')}`), { nothrow: true });
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
      case 'replace-foreign': return `${verb('replaced', 'replace')} ${a.service} (${a.why}; allowed by replace_containers)`;
      case 'remove': return `${verb('removed', 'remove')} ${a.container} (${a.why})`;
    }
  });
  for (const r of i.reloads) parts.push(`${r.signal ? verb(`reloaded (${r.signal})`, `reload (${r.signal})`) : verb('restarted', 'restart')} ${r.service} (${r.why})`);
  return parts.join('; ');
}

/** The project's state as it is now (after this run's file tasks), read live. */
async function inspectNow(ctx: TaskContext, p: ComposeProject): Promise<Inspection | undefined> {
  const hashes = await ctx.read(hashesRead(p));
  return hashes ? inspectionOf(p, { hashes, rows: await ctx.read(containersRead) }, p.changes.changed) : undefined;
}

export function composeTask(p: ComposeProject, tags?: string[]): Task {
  return defineTask({
    name: `compose project ${p.project} up to date`,
    tags,
    reads: { deployed: hashesRead(p), rows: containersRead },
    check: async (ctx, { deployed, rows }) => {
      const pending = p.changes.changed;
      // Check mode compares against the files this run would write, not the drifted ones.
      const staged = ctx.checkMode && (pending.includes('compose.yml') || pending.includes('.env')) ? p.wanted : undefined;
      const hashes = staged ? parseHashesOutput(await ctx.run(stagedHashesCmd(p, staged))) : deployed;
      if (!hashes) return change(`would deploy ${p.project}: ${p.dir} is not deployed yet`, null);
      const i = inspectionOf(p, { hashes, rows }, pending);
      if (!i.actions.length && !i.reloads.length) return inSync(`${p.project}: every container running with its current config`);
      refuseForeign(p, i);
      await explainRecreates(ctx, p, i.actions, staged);
      return change(describe(i, ctx.checkMode), i);
    },
    apply: async (ctx, found) => {
      // Check's inspection is still current (apply follows it at once); "not deployed yet" is
      // not, since the file tasks before this one have deployed the files meanwhile.
      const i = found.data ?? (await inspectNow(ctx, p));
      if (!i) throw new Error(`${p.project}: ${p.dir} is not deployed`);
      refuseForeign(p, i);
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
        await ctx.$`cd ${p.dir} && docker compose -p ${p.project} up -d --remove-orphans --pull never`;
      } else if (touched.length) {
        // Only what drifted: a project-wide `up` would also restart the dependents of a recreated service.
        await ctx.$`cd ${p.dir} && docker compose -p ${p.project} up -d --pull never ${touched}`;
      }
      for (const r of i.reloads) {
        if (r.signal) await ctx.$`docker kill --signal ${r.signal} ${r.container}`;
        else await ctx.$`docker restart ${r.container}`;
      }
      p.changes.clear();
      const after = await inspectNow(ctx, p);
      if (after?.actions.length) throw new Error(`${p.project} did not converge: ${describe(after, true)}`);
      return { reason: describe(i, false) };
    },
  });
}
