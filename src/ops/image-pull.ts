// Images of a compose project made present before `up` (which then never pulls): missing ones
// are pulled all at once in the background on the host, their progress polled into the task's
// progress line, network failures retried with backoff, and every failure explained in terms
// of what the user must fix.
import { sh } from '../remote/command.ts';
import { dockerRead, type Read } from '../engine/read.ts';
import { change, defineTask, inSync } from '../engine/task.ts';
import type { Task, TaskContext } from '../engine/types.ts';
import { IMAGES_FORMAT, isPresent, missingRefs, parseImageRows, pullName, type ImageRef, type ImageRow } from './image-ref.ts';
import { classifyPullError, registryAdvice, type PullFailure } from './registry-errors.ts';
import type { RegistryEntry } from './registry-login.ts';

/** Every image on the host with its digests: one listing shared by every project's pull task. */
export const imageRowsRead: Read<ImageRow[]> = dockerRead(sh`docker images --no-trunc --digests --format ${IMAGES_FORMAT}`, (r) => parseImageRows(r.stdout));

export interface PullProgress {
  done: number;
  total: number;
}

/** Pure: layers done of layers seen, from `docker pull` output without a terminal. */
export function pullProgress(log: string): PullProgress {
  const seen = new Set<string>();
  const done = new Set<string>();
  for (const line of log.split('\n')) {
    const m = /^([a-f0-9]{12,64}): (.+)$/.exec(line.trim());
    if (!m?.[1] || !m[2]) continue;
    seen.add(m[1]);
    if (m[2] === 'Pull complete' || m[2] === 'Already exists') done.add(m[1]);
  }
  return { done: done.size, total: seen.size };
}

/** The last meaningful line of a failed pull (docker's own words, for the error). */
function lastLine(log: string): string {
  return log.trim().split('\n').filter((l) => l.trim()).at(-1)?.trim() ?? '(no output)';
}

export function explainPullFailure(ref: ImageRef, kind: PullFailure, log: string, attempts: number, registries: readonly RegistryEntry[]): string {
  const said = lastLine(log);
  switch (kind) {
    case 'auth':
      return `${ref.text}: registry ${ref.registry} refused access (${said}). ${registryAdvice(ref.registry, registries)}`;
    case 'not-found':
      return `${ref.text}: image or tag not found in registry ${ref.registry} (${said}); check the image name and tag in the inventory's images`;
    case 'network':
      return `${ref.text}: registry ${ref.registry} unreachable after ${attempts} tries (${said})`;
    case 'tls':
      return `${ref.text}: the certificate of registry ${ref.registry} is not trusted (${said}); give its CA as ca_file in its registries entry`;
    default:
      return `${ref.text}: pull from ${ref.registry} failed: ${said}`;
  }
}

export interface PullOptions {
  /** Tries per image when the failure is a network one (the first included). */
  attempts: number;
  /** Wait before the second try; doubled for each further one. */
  backoffMs: number;
  /** How often the host is asked how the pulls are doing. */
  pollMs: number;
  /** A pull still running after this long is given up (its process keeps going on the host). */
  maxWaitMs: number;
}

export const DEFAULT_PULL: PullOptions = { attempts: 4, backoffMs: 2000, pollMs: 1000, maxWaitMs: 30 * 60_000 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  rc?: number;
  log: string;
}

/** Starts `docker pull` for every image at once, in the background; returns the work directory. */
async function startPulls(ctx: TaskContext, names: string[]): Promise<string> {
  const r = await ctx.run(sh`d=$(mktemp -d /tmp/provision-pull.XXXXXXXX)
i=0
for img in ${names}; do
  ( rc=0; docker pull "$img" >"$d/$i.log" 2>&1 || rc=$?; echo "$rc" >"$d/$i.rc.tmp"; mv "$d/$i.rc.tmp" "$d/$i.rc" ) </dev/null >/dev/null 2>&1 &
  i=$((i+1))
done
echo "$d"`);
  return r.stdout.trim();
}

/** Each pull's log so far and, once it ended, its exit code. */
async function pollPulls(ctx: TaskContext, dir: string, count: number): Promise<Outcome[]> {
  const r = await ctx.run(sh`cd ${dir}
i=0
while [ "$i" -lt ${count} ]; do
  printf '\n@@provision-pull %s %s\n' "$i" "$(cat "$i.rc" 2>/dev/null || echo -)"
  cat "$i.log" 2>/dev/null || true
  i=$((i+1))
done`);
  const out: Outcome[] = Array.from({ length: count }, () => ({ log: '' }));
  for (const part of r.stdout.split('\n@@provision-pull ').slice(1)) {
    const nl = part.indexOf('\n');
    const [idx = '', rc = '-'] = (nl < 0 ? part : part.slice(0, nl)).split(' ');
    const o = out[Number(idx)];
    if (o) {
      o.log = nl < 0 ? '' : part.slice(nl + 1);
      if (rc !== '-') o.rc = Number(rc);
    }
  }
  return out;
}

/** Pulls `refs` (all at once), showing layer progress; returns per image the failure, if any. */
async function pullRound(ctx: TaskContext, refs: ImageRef[], opts: PullOptions): Promise<Map<ImageRef, string | undefined>> {
  const dir = await startPulls(ctx, refs.map(pullName));
  const deadline = Date.now() + opts.maxWaitMs;
  try {
    for (;;) {
      if (Date.now() > deadline) throw new Error(`pulls still running after ${opts.maxWaitMs / 60_000} min: ${refs.map((r) => r.text).join(', ')}`);
      await sleep(opts.pollMs);
      const outcomes = await pollPulls(ctx, dir, refs.length);
      const shown = refs.map((ref, i) => {
        const o = outcomes[i] ?? { log: '' };
        const p = pullProgress(o.log);
        const state = o.rc === undefined ? `${p.done}/${p.total || '?'} layers` : o.rc === 0 ? 'done' : 'failed';
        return `${ref.repository}: ${state}`;
      });
      const finished = outcomes.filter((o) => o.rc !== undefined).length;
      ctx.progress(`pulled ${finished}/${refs.length}; ${shown.join(', ')}`);
      if (finished === refs.length) return new Map(refs.map((ref, i) => [ref, outcomes[i]?.rc === 0 ? undefined : (outcomes[i]?.log ?? '')]));
    }
  } finally {
    await ctx.run(sh`rm -rf ${dir}`, { nothrow: true });
  }
}

/** Pulls with retries of network failures; throws one error naming every image that failed. */
export async function pullAll(ctx: TaskContext, refs: ImageRef[], registries: readonly RegistryEntry[], opts: PullOptions = DEFAULT_PULL): Promise<void> {
  let pending = refs;
  const errors: string[] = [];
  for (let attempt = 1; pending.length; attempt++) {
    const results = await pullRound(ctx, pending, opts);
    const retry: ImageRef[] = [];
    for (const [ref, log] of results) {
      if (log === undefined) continue;
      const kind = classifyPullError(log);
      if (kind === 'network' && attempt < opts.attempts) retry.push(ref);
      else errors.push(explainPullFailure(ref, kind, log, attempt, registries));
    }
    if (retry.length) {
      const wait = opts.backoffMs * 2 ** (attempt - 1);
      ctx.progress(`${retry.map((r) => r.registry).filter((v, i, a) => a.indexOf(v) === i).join(', ')} unreachable; try ${attempt + 1} of ${opts.attempts} in ${wait / 1000} s`);
      ctx.log(`pull: retrying ${retry.map((r) => r.text).join(', ')} in ${wait} ms`);
      await sleep(wait);
    }
    pending = retry;
  }
  if (errors.length) throw new Error(errors.join('\n'));
}

/** The project's images present (digests verified) before `up`, pulling those missing. */
export function pullTask(project: string, images: () => readonly string[], registries: readonly RegistryEntry[], tags?: string[], opts: PullOptions = DEFAULT_PULL): Task {
  return defineTask({
    name: `${project}: images present`,
    tags,
    reads: { rows: imageRowsRead },
    check: (_ctx, { rows }) => {
      const wanted = images();
      const missing = missingRefs(wanted, rows);
      if (!missing.length) return inSync(`${new Set(wanted).size} image(s) present`);
      return change(`would pull ${missing.map((r) => r.text).join(', ')}`, missing);
    },
    apply: async (ctx, found) => {
      await pullAll(ctx, found.data, registries, opts);
      // A digest reference is present only when the pulled image carries that digest.
      const rows = await ctx.read(imageRowsRead);
      const unverified = found.data.filter((r) => !isPresent(r, rows));
      if (unverified.length) throw new Error(`pulled but not present as asked (digest not among the image's digests): ${unverified.map((r) => r.text).join(', ')}`);
      return { reason: `pulled ${found.data.map((r) => r.text).join(', ')}` };
    },
  });
}
