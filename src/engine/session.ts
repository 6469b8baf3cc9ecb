// One host's run, start to end: connect → facts and every task's reads in one batch → each
// role's tasks, then its notified handlers → close. It returns the host's result and emits
// events as it goes; it knows nothing of how (or whether) they are shown.
import { sh, type Arg, type Cmd } from '../remote/command.ts';
import { BecomeError, ConnectionLostError, UnreachableError, type Connection, type ExecResult, type LogFn, type RunOptions } from '../remote/connection.ts';
import { Masker } from '../remote/mask.ts';
import type { ConnectionSpec } from '../remote/ssh.ts';
import type { RunEvent } from './events.ts';
import { executeHandler, executeTask, type ExecHooks } from './execute.ts';
import { FACTS, type Facts } from './facts.ts';
import type { HostPlan } from './plan.ts';
import { isDockerMissing, type Read } from './read.ts';
import { DockerMissingError } from './task.ts';
import type { HostResult, TaskContext, TaskResult } from './types.ts';

export type OpenConnection = (spec: ConnectionSpec, masker: Masker, log: LogFn) => Promise<Connection>;

export interface SessionOptions {
  check: boolean;
}

export interface SessionDeps {
  open: OpenConnection;
  emit: (e: RunEvent) => void;
  /** Asked between tasks: true stops this host's run there (an interrupt). */
  stopRequested?: () => boolean;
}

export function emptyResult(): HostResult {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, durationMs: 0, roundTrips: 0, tasks: [] };
}

function count(res: HostResult, t: TaskResult): void {
  res.tasks.push(t);
  if (t.status === 'ok') res.ok++;
  else if (t.status === 'changed' || t.status === 'would-change') res.changed++;
  else if (t.status === 'failed') res.failed++;
  else if (t.status === 'skipped') res.skipped++;
}

/** Transport failures end the host's run (after one reconnect for a lost connection). */
const isTransport = (e: unknown): boolean => e instanceof UnreachableError || e instanceof BecomeError;

/**
 * Read results, valid until the next change on the host: first the run's prefetch batch, then
 * whatever was read again after a change (so tasks sharing a read pay for it once per change).
 */
class ReadCache {
  constructor(private results: Map<string, ExecResult>) {}
  get(cmd: Cmd): ExecResult | undefined {
    return this.results.get(cmd.text);
  }
  set(cmd: Cmd, r: ExecResult): void {
    this.results.set(cmd.text, r);
  }
  invalidate(): void {
    if (this.results.size) this.results = new Map();
  }
}

export async function runHostSession(plan: HostPlan, opts: SessionOptions, deps: SessionDeps): Promise<HostResult> {
  const started = Date.now();
  const clock = () => Date.now() - started;
  const host = plan.name;
  const result = emptyResult();
  const masker = new Masker();
  masker.add(...plan.secrets);
  const emit = deps.emit;
  const log: LogFn = (line) => emit({ type: 'log', host, line: masker.mask(line) });
  const finish = (conn?: Connection): HostResult => {
    if (conn) {
      result.roundTrips = conn.roundTrips;
      conn.close();
    }
    result.durationMs = clock();
    emit({ type: 'host-end', host, result });
    return result;
  };
  const fail = (e: unknown, conn?: Connection): HostResult => {
    result.error = masker.mask((e as Error).message);
    if (e instanceof UnreachableError) result.unreachable = 1;
    else result.failed++;
    return finish(conn);
  };

  emit({ type: 'host-start', host });
  let conn: Connection;
  try {
    conn = await deps.open(plan.connection, masker, log);
  } catch (e) {
    if (e instanceof UnreachableError || e instanceof BecomeError) return fail(e);
    throw e;
  }

  // Facts and every task's reads, distinct commands once, in one round trip.
  const reads = new Map<string, Read<unknown>>([[FACTS.cmd.text, FACTS]]);
  for (const role of plan.roles) for (const t of role.tasks) for (const r of t.reads) reads.set(r.cmd.text, r);
  let facts: Facts;
  let prefetch: ReadCache;
  try {
    const cmds = [...reads.values()].map((r) => r.cmd);
    const answers = await conn.readMany(cmds);
    const factsAnswer = answers[0];
    if (!factsAnswer?.ok) throw new Error(`cannot read the host's facts: ${factsAnswer?.stderr.trim() || 'no answer'}`);
    facts = FACTS.parse(factsAnswer);
    prefetch = new ReadCache(new Map(cmds.map((c, i) => [c.text, answers[i] as ExecResult])));
  } catch (e) {
    return fail(e, conn);
  }
  emit({ type: 'host-ready', host, facts });

  const hooks: ExecHooks = { onApply: () => prefetch.invalidate(), mask: (t) => masker.mask(t), clock };
  const run = (cmd: Cmd, o?: RunOptions) => conn.run(cmd, o);
  let stopped: string | undefined;

  for (const [ri, role] of plan.roles.entries()) {
    if (stopped) break;
    const notified = new Set<string>();
    let item = -1;
    const ctx: TaskContext = {
      host,
      facts,
      checkMode: opts.check,
      become: conn.become,
      run,
      $: (s: TemplateStringsArray, ...v: Arg[]) => run(sh(s, ...v)),
      probe: (s: TemplateStringsArray, ...v: Arg[]) => run(sh(s, ...v), { nothrow: true }),
      read: async <T>(r: Read<T>): Promise<T> => {
        const hit = prefetch.get(r.cmd);
        const res = hit?.ok ? hit : await run(r.cmd, { nothrow: true });
        if (res !== hit && res.ok) prefetch.set(r.cmd, res);
        if (r.needsDocker && isDockerMissing(res)) throw new DockerMissingError();
        if (!res.ok) throw new Error(`reading the host failed (exit ${res.exitCode}): ${r.cmd.display ?? r.cmd.text.split('\n')[0]}${res.stderr.trim() ? `\n${res.stderr.trim()}` : ''}`);
        return r.parse(res);
      },
      upload: (p) => conn.upload(p),
      reconnect: async () => {
        prefetch.invalidate();
        await conn.reconnect();
      },
      notify: (h) => void notified.add(h),
      log,
      progress: (text) => emit({ type: 'task-progress', host, role: ri, item, text: masker.mask(text) }),
    };

    /** Runs one item; a lost connection is made again once and the item retried from its check. */
    const attempt = async (name: string, exec: () => Promise<TaskResult>): Promise<TaskResult | undefined> => {
      emit({ type: 'task-start', host, role: ri, item, name });
      for (let tries = 0; ; tries++) {
        try {
          const r = await exec();
          count(result, r);
          emit({ type: 'task-end', host, role: ri, item, result: r });
          return r;
        } catch (e) {
          if (e instanceof ConnectionLostError && tries === 0) {
            log(`connection lost (${masker.mask(e.message)}); reconnecting once`);
            prefetch.invalidate();
            try {
              await conn.reconnect();
              continue;
            } catch (again) {
              stopped = `unreachable: ${masker.mask((again as Error).message)}`;
            }
          }
          stopped ??= masker.mask((e as Error).message);
          result.unreachable = e instanceof UnreachableError ? 1 : result.unreachable;
          if (!(e instanceof UnreachableError)) result.failed++;
          result.error = `${stopped} (during ${role.name} | ${name}; what was done before is in the report)`;
          return undefined;
        }
      }
    };

    for (const task of role.tasks) {
      item++;
      if (deps.stopRequested?.()) {
        stopped = 'interrupted';
        break;
      }
      const r = await attempt(task.name, () => executeTask(task, ctx, role.name, hooks, isTransport));
      if (!r || r.status === 'failed') {
        stopped ??= 'a task failed';
        break;
      }
    }
    item = role.tasks.length - 1;
    for (const h of role.handlers) {
      item++;
      if (!notified.has(h.name)) continue;
      if (stopped) {
        // Not run after a failure (as Ansible does), but never silently forgotten.
        const r: TaskResult = { role: role.name, name: `handler: ${h.name}`, kind: 'handler', status: 'skipped', startMs: clock(), durationMs: 0, reason: `notified, but not run: ${stopped}` };
        count(result, r);
        emit({ type: 'task-end', host, role: ri, item, result: r });
        continue;
      }
      const r = await attempt(`handler: ${h.name}`, () => executeHandler(h, ctx, role.name, hooks, isTransport));
      if (!r || r.status === 'failed') stopped ??= 'a handler failed';
    }
  }
  return finish(conn);
}
