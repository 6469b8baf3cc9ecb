// One host's run, start to end: connect → take the host's lock, read the facts and every task's
// reads in one batch → handlers an earlier run left pending → each role's tasks, then its
// notified handlers → the audit record, handlers left pending, the lock released → close.
// It returns the host's result and emits events as it goes; it knows nothing of how (or
// whether) they are shown.
import { sh, type Arg, type Cmd } from '../remote/command.ts';
import { BecomeError, ConnectionLostError, UnreachableError, type Connection, type ExecResult, type LogFn, type RunOptions } from '../remote/connection.ts';
import { Masker } from '../remote/mask.ts';
import type { ConnectionSpec } from '../remote/ssh.ts';
import type { RunEvent } from './events.ts';
import { executeHandler, executeTask, type ExecHooks } from './execute.ts';
import { FACTS, type Facts } from './facts.ts';
import { finishCmd, lockGateCmd, parseGate, waitLockCmd, type PendingHandler, type RunInfo, type RunOutcome } from './host-state.ts';
import type { HostPlan, PlannedRole } from './plan.ts';
import { isDockerMissing, type Read } from './read.ts';
import { Rendezvous } from './rendezvous.ts';
import { DockerMissingError } from './task.ts';
import type { Handler, HostResult, TaskContext, TaskResult } from './types.ts';

export type OpenConnection = (spec: ConnectionSpec, masker: Masker, log: LogFn) => Promise<Connection>;

export interface SessionOptions {
  check: boolean;
  /** Who runs what: with it the run takes the host's lock and writes its audit trail. */
  info?: RunInfo;
  /** How long to wait for another run's lock (default 5 minutes). */
  lockTimeoutMs?: number;
}

export interface SessionDeps {
  open: OpenConnection;
  emit: (e: RunEvent) => void;
  /** Asked between tasks: true stops this host's run there (an interrupt). */
  stopRequested?: () => boolean;
  /** What the hosts of the run tell each other; a host run alone gets a board of its own. */
  board?: Rendezvous;
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

const DEFAULT_LOCK_TIMEOUT_MS = 5 * 60_000;

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

function outcomeOf(r: HostResult, check: boolean, stopped: string | undefined): RunOutcome {
  if (stopped === 'interrupted') return 'interrupted';
  if (r.unreachable) return 'unreachable';
  if (r.failed) return 'failed';
  if (r.changed) return check ? 'would-change' : 'changed';
  return 'ok';
}

export async function runHostSession(plan: HostPlan, opts: SessionOptions, deps: SessionDeps): Promise<HostResult> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const clock = () => Date.now() - started;
  const host = plan.name;
  const result = emptyResult();
  const masker = new Masker();
  masker.add(...plan.secrets);
  const emit = deps.emit;
  const note = (text: string) => {
    const t = masker.mask(text);
    // A wait is said every few seconds; the report keeps the first and the last.
    const notes = (result.notes ??= []);
    if (t.startsWith('waiting for the run of') && notes.at(-1)?.startsWith('waiting for the run of') && notes.at(-2)?.startsWith('waiting for the run of')) notes[notes.length - 1] = t;
    else notes.push(t);
    emit({ type: 'host-note', host, text: t });
  };
  const log: LogFn = (line) => emit({ type: 'log', host, line: masker.mask(line) });
  const board = deps.board ?? new Rendezvous([host]);
  board.hostStarted(host);
  const finish = (conn?: Connection): HostResult => {
    const failedTask = result.tasks.find((t) => t.status === 'failed');
    board.hostEnded(host, result.error ?? (failedTask ? `${failedTask.role} | ${failedTask.name} failed: ${failedTask.reason ?? ''}` : undefined));
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

  // The lock first (check mode too: it must not read a half-applied host), then the facts and
  // every task's reads, distinct commands once: one round trip when nobody else holds the lock.
  const info = opts.info;
  const gate = info ? lockGateCmd(info, startedAt, (t) => masker.mask(t)) : undefined;
  const reads = new Map<string, Read<unknown>>([[FACTS.cmd.text, FACTS]]);
  for (const role of plan.roles) for (const t of role.tasks) for (const r of t.reads) reads.set(r.cmd.text, r);
  const cmds = [...reads.values()].map((r) => r.cmd);
  let facts: Facts;
  let prefetch: ReadCache;
  let pendingBefore: PendingHandler[] = [];
  try {
    let batch = await conn.readMany(cmds, gate);
    if (gate) {
      let g = parseGate(batch.gate ?? { ok: false, exitCode: -1, stdout: '', stderr: 'no answer', durationMs: 0 });
      if (!g.acquired) {
        await waitForLock(conn, g.holder, opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, note);
        batch = await conn.readMany(cmds, gate);
        g = parseGate(batch.gate ?? { ok: false, exitCode: -1, stdout: '', stderr: 'no answer', durationMs: 0 });
        if (!g.acquired) throw new Error(`another run took the lock first: ${g.holder}`);
      }
      if (g.takenOver) note(`took over the lock left by a run that ended without releasing it: ${g.takenOver}`);
      pendingBefore = g.pending;
    }
    const factsAnswer = batch.results[0];
    if (!factsAnswer?.ok) throw new Error(`cannot read the host's facts: ${factsAnswer?.stderr.trim() || 'no answer'}`);
    facts = FACTS.parse(factsAnswer);
    prefetch = new ReadCache(new Map(cmds.map((c, i) => [c.text, batch.results[i] as ExecResult])));
  } catch (e) {
    return fail(e, conn);
  }
  emit({ type: 'host-ready', host, facts });

  const hooks: ExecHooks = { onApply: () => prefetch.invalidate(), mask: (t) => masker.mask(t), clock };
  const run = (cmd: Cmd, o?: RunOptions) => conn.run(cmd, o);
  /** After a new SSH session the lock must be ours again (the old shell's lock died with it). */
  const reconnect = async () => {
    prefetch.invalidate();
    await conn.reconnect();
    if (!info) return;
    const g = parseGate(await conn.run(waitLockCmd(0), { nothrow: true }));
    if (!g.acquired) throw new UnreachableError(host, `after reconnecting, another run holds the lock: ${g.holder}`);
  };
  let stopped: string | undefined;
  const pendingAfter: PendingHandler[] = [];

  const contextFor = (ri: number, notified: Set<string>, current: () => number): TaskContext => ({
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
    reconnect,
    notify: (h) => void notified.add(h),
    log,
    progress: (text) => emit({ type: 'task-progress', host, role: ri, item: current(), text: masker.mask(text) }),
    note,
    mask: (secret) => masker.add(secret),
    shared: board.boardFor(host),
  });

  /** Runs one item; a lost connection is made again once and the item retried from its check. */
  const attempt = async (ri: number, item: number, roleName: string, name: string, exec: () => Promise<TaskResult>): Promise<TaskResult | undefined> => {
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
          try {
            await reconnect();
            continue;
          } catch (again) {
            stopped = `unreachable: ${masker.mask((again as Error).message)}`;
          }
        }
        stopped ??= masker.mask((e as Error).message);
        result.unreachable = e instanceof UnreachableError ? 1 : result.unreachable;
        if (!(e instanceof UnreachableError)) result.failed++;
        result.error = `${stopped} (during ${roleName} | ${name}; what was done before is in the report)`;
        return undefined;
      }
    }
  };

  // Handlers a failed or interrupted run could not run count as notified from the start: they
  // run at the end of their role (after its tasks: a "restart docker" left by a run interrupted
  // mid-install must not run before docker is installed again), before any later role.
  const carried = new Map<number, Map<string, PendingHandler>>();
  for (const p of pendingBefore) {
    const ri = plan.roles.findIndex((r) => r.name === p.role && r.handlers.some((h) => h.name === p.handler));
    if (ri < 0) {
      note(`handler ${p.role} | ${p.handler} is pending from the run of ${p.since}, but role ${p.role} is not part of this run: kept for a later one`);
      pendingAfter.push(p);
      continue;
    }
    const m = carried.get(ri) ?? new Map<string, PendingHandler>();
    m.set(p.handler, p);
    carried.set(ri, m);
    note(`handler ${p.role} | ${p.handler} is pending (${p.why}, in the run of ${p.since}): it runs at the end of role ${p.role}`);
  }

  for (const [ri, role] of plan.roles.entries()) {
    const fromBefore = carried.get(ri) ?? new Map<string, PendingHandler>();
    if (stopped) {
      pendingAfter.push(...fromBefore.values());
      continue;
    }
    const notified = new Set<string>(fromBefore.keys());
    let item = -1;
    const ctx = contextFor(ri, notified, () => item);
    for (const task of role.tasks) {
      item++;
      if (deps.stopRequested?.()) {
        stopped = 'interrupted';
        break;
      }
      const r = await attempt(ri, item, role.name, task.name, () => executeTask(task, ctx, role.name, hooks, isTransport));
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
        // Not run after a failure (as Ansible does), but never forgotten: recorded on the host and
        // run first thing in the next run.
        const why = stopped === 'interrupted' ? 'the run was interrupted' : 'the run stopped at a failure';
        const r: TaskResult = { role: role.name, name: `handler: ${h.name}`, kind: 'handler', status: 'skipped', startMs: clock(), durationMs: 0, reason: `notified, but not run: ${stopped}${opts.check ? '' : '; the next run runs it'}` };
        count(result, r);
        emit({ type: 'task-end', host, role: ri, item, result: r });
        if (!pendingAfter.some((p) => p.role === role.name && p.handler === h.name)) pendingAfter.push(fromBefore.get(h.name) ?? { role: role.name, handler: h.name, since: startedAt, why });
        continue;
      }
      const earlier = fromBefore.get(h.name);
      const name = earlier ? `handler: ${h.name} (pending: ${earlier.why}, in the run of ${earlier.since})` : `handler: ${h.name}`;
      const r = await attempt(ri, item, role.name, name, async () => ({ ...(await executeHandler(h, ctx, role.name, hooks, isTransport)), name }));
      if (!r || r.status === 'failed') {
        stopped ??= 'a handler failed';
        if (earlier) pendingAfter.push(earlier);
      }
    }
  }

  if (stopped === 'interrupted') result.error ??= 'interrupted: stopped between tasks';
  if (info && !result.unreachable) {
    const changed = result.tasks.filter((t) => t.status === 'changed' || t.status === 'would-change').map((t) => `${t.role} | ${t.name}`);
    const end = finishCmd(
      info,
      { outcome: outcomeOf(result, opts.check, stopped), durationMs: clock(), changed, ...(result.error ? { error: result.error } : {}) },
      // Check mode runs no handler, so it leaves the pending ones as they are.
      opts.check ? undefined : pendingAfter,
    );
    await conn.run(end, { nothrow: true }).catch((e: unknown) => log(`could not write the end of the run on the host: ${masker.mask((e as Error).message)}`));
  }
  return finish(conn);
}

/** Waits for another run's lock, saying who holds it; gives up after `timeoutMs`. */
async function waitForLock(conn: Connection, holder: string, timeoutMs: number, note: (t: string) => void): Promise<void> {
  const started = Date.now();
  let who = holder;
  for (;;) {
    const waited = Math.round((Date.now() - started) / 1000);
    const left = timeoutMs - (Date.now() - started);
    if (left <= 0) throw new Error(`another run holds the lock on this host: ${who}; gave up after ${waited} s (--lock-timeout)`);
    note(`waiting for the run of ${who} to finish (${waited} s so far, giving up after ${Math.round(timeoutMs / 1000)} s)`);
    const g = parseGate(await conn.run(waitLockCmd(Math.max(1, Math.min(5, Math.ceil(left / 1000)))), { nothrow: true }));
    if (g.acquired) return;
    who = g.holder;
  }
}
