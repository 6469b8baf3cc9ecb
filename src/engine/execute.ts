// Runs one task: check → ok | would-change (check mode) | apply → changed. A task without a
// check is never reported as ok: in check mode it is skipped with that reason.
import { sh, type Arg } from '../remote/command.ts';
import type { RemoteHost } from '../remote/host.ts';
import type { ExecResult } from '../remote/shell.ts';
import type { Facts } from './facts.ts';
import type { PlannedRole } from './plan.ts';
import type { Handler, Task, TaskContext, TaskResult } from './types.ts';

export interface Prefetched {
  results: Map<string, ExecResult>;
  /** False once anything changed on the host in this run. */
  valid: () => boolean;
}

export function makeContext(host: RemoteHost, facts: Facts, pr: PlannedRole, checkMode: boolean, state: Map<string, unknown>, notified: Set<string>, log: (l: string) => void, pre?: Prefetched): TaskContext {
  return {
    host,
    facts,
    vars: pr.vars,
    checkMode,
    roleDir: pr.role.dir,
    filesDir: pr.role.filesDir,
    secrets: pr.secrets,
    $: (s: TemplateStringsArray, ...v: Arg[]) => host.run(sh(s, ...v)),
    probe: (s: TemplateStringsArray, ...v: Arg[]) => host.run(sh(s, ...v), { nothrow: true }),
    read: async (cmd) => {
      const hit = pre?.valid() ? pre.results.get(cmd.text) : undefined;
      return hit ?? host.run(cmd);
    },
    state,
    notify: (h: string) => notified.add(h),
    log,
  };
}

/** `onApply` runs before anything is changed (prefetched reads are stale from then on). */
export async function executeTask(task: Task, ctx: TaskContext, role: string, onApply: () => void = () => {}): Promise<TaskResult> {
  const started = Date.now();
  const done = (r: Omit<TaskResult, 'role' | 'name' | 'durationMs'>): TaskResult => ({
    role,
    name: task.name,
    durationMs: Date.now() - started,
    ...r,
    ...(r.reason !== undefined ? { reason: ctx.host.masker.mask(r.reason) } : {}),
    ...(r.diff !== undefined ? { diff: ctx.host.masker.mask(r.diff) } : {}),
  });
  try {
    const when = task.when?.(ctx) ?? true;
    if (when !== true) return done({ status: 'skipped', reason: when });
    const found = task.check ? await task.check(ctx) : { changed: true as const, reason: 'this task cannot be checked without running it' };
    if (!found.changed) return done({ status: 'ok', reason: found.reason });
    if (ctx.checkMode) {
      // Say which handlers the change would run, too.
      if (task.check) for (const h of task.notify ?? []) ctx.notify(h);
      return task.check ? done({ status: 'would-change', reason: found.reason, diff: found.diff }) : done({ status: 'skipped', reason: found.reason });
    }
    onApply();
    const outcome = (await task.apply(ctx, found)) ?? {};
    for (const h of task.notify ?? []) ctx.notify(h);
    return done({ status: 'changed', reason: outcome.reason ?? found.reason, diff: outcome.diff ?? found.diff });
  } catch (e) {
    return done({ status: 'failed', reason: (e as Error).message });
  }
}

export async function executeHandler(handler: Handler, ctx: TaskContext, role: string, onApply: () => void = () => {}): Promise<TaskResult> {
  const started = Date.now();
  const base = { role, name: `handler: ${handler.name}` };
  if (ctx.checkMode) return { ...base, status: 'would-change', durationMs: 0, reason: `would run ${handler.name}: notified by a change` };
  try {
    onApply();
    const reason = (await handler.run(ctx)) ?? 'notified by a change';
    return { ...base, status: 'changed', durationMs: Date.now() - started, reason: ctx.host.masker.mask(reason) };
  } catch (e) {
    return { ...base, status: 'failed', durationMs: Date.now() - started, reason: ctx.host.masker.mask((e as Error).message) };
  }
}
