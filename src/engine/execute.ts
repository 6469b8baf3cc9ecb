// Runs one task: when → check → ok | would-change (check mode) | apply → changed. A task without
// a check is never reported as ok: in check mode it is skipped with that reason. Every reason
// and diff leaving here is masked.
import type { Handler, Task, TaskContext, TaskResult } from './types.ts';

export interface ExecHooks {
  /** Called right before anything is changed on the host (prefetched reads are stale from then on). */
  onApply(): void;
  mask(text: string): string;
  /** ms since the host's run started, for the result's startMs. */
  clock(): number;
}

export async function executeTask(task: Task, ctx: TaskContext, role: string, hooks: ExecHooks, rethrow: (e: unknown) => boolean = () => false): Promise<TaskResult> {
  const startMs = hooks.clock();
  const done = (r: Pick<TaskResult, 'status' | 'reason' | 'diff'>): TaskResult => ({
    role,
    name: task.name,
    kind: 'task',
    status: r.status,
    startMs,
    durationMs: hooks.clock() - startMs,
    ...(r.reason !== undefined ? { reason: hooks.mask(r.reason) } : {}),
    ...(r.diff !== undefined ? { diff: hooks.mask(r.diff) } : {}),
  });
  try {
    const when = task.when(ctx);
    if (when !== true) return done({ status: 'skipped', reason: when });
    const found = await task.check(ctx);
    if (!found.changed) return done({ status: 'ok', reason: found.reason });
    if (ctx.checkMode) {
      if (!found.checked) return done({ status: 'skipped', reason: found.reason });
      // Say which handlers the change would run, too.
      for (const h of task.notify) ctx.notify(h);
      return done({ status: 'would-change', reason: found.reason, diff: found.diff });
    }
    hooks.onApply();
    const outcome = (await found.apply()) ?? {};
    for (const h of task.notify) ctx.notify(h);
    return done({ status: 'changed', reason: outcome.reason ?? found.reason, diff: outcome.diff ?? found.diff });
  } catch (e) {
    if (rethrow(e)) throw e;
    return done({ status: 'failed', reason: (e as Error).message });
  }
}

export async function executeHandler(handler: Handler, ctx: TaskContext, role: string, hooks: ExecHooks, rethrow: (e: unknown) => boolean = () => false): Promise<TaskResult> {
  const startMs = hooks.clock();
  const base = { role, name: `handler: ${handler.name}`, kind: 'handler' as const, startMs };
  if (ctx.checkMode) return { ...base, status: 'would-change', durationMs: 0, reason: `would run ${handler.name}: notified by a change` };
  try {
    hooks.onApply();
    const reason = (await handler.run(ctx)) ?? 'notified by a change';
    return { ...base, status: 'changed', durationMs: hooks.clock() - startMs, reason: hooks.mask(reason) };
  } catch (e) {
    if (rethrow(e)) throw e;
    return { ...base, status: 'failed', durationMs: hooks.clock() - startMs, reason: hooks.mask((e as Error).message) };
  }
}
