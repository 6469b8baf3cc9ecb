// defineTask: a task spec (typed reads → check → typed change → apply) becomes the Task the
// engine runs. The types of what was read and found stay inside the closure, so apply gets
// exactly what check found, with no cast. Where docker is not installed yet, a task that reads
// docker state is answered here, once, for every such task.
import type { Read } from './read.ts';
import type { ApplyOutcome, Change, Finding, InSync, Reads, ReadValues, Task, TaskContext, TaskSpec } from './types.ts';

/** Thrown by ctx.read for a docker read on a host without docker. */
export class DockerMissingError extends Error {
  constructor() {
    super('docker is not installed on this host (the docker role installs it)');
  }
}

export function defineTask<R extends Reads = Record<never, never>, D = null>(spec: TaskSpec<R, D>): Task {
  const entries = Object.entries(spec.reads ?? {}) as [keyof R & string, Read<unknown>][];
  return {
    name: spec.name,
    tags: spec.tags ?? [],
    notify: spec.notify ?? [],
    reads: entries.map(([, r]) => r),
    when: (ctx) => spec.when?.(ctx) ?? true,
    async check(ctx: TaskContext): Promise<Finding> {
      const found: Partial<Record<keyof R, unknown>> = {};
      try {
        for (const [k, r] of entries) found[k] = await ctx.read(r);
      } catch (e) {
        if (!(e instanceof DockerMissingError) || !ctx.checkMode) throw e;
        // Check mode on a host where the docker role has not run yet: nothing to compare with.
        return {
          changed: true,
          reason: 'docker is not installed yet: would run once the docker role has installed it',
          checked: true,
          apply: () => Promise.reject(e),
        };
      }
      const verdict = await spec.check(ctx, found as ReadValues<R>);
      if (!verdict.changed) return verdict;
      return { changed: true, reason: verdict.reason, diff: verdict.diff, checked: true, apply: () => spec.apply(ctx, verdict) };
    },
  };
}

/** A task that cannot be checked without running it: never ok; skipped in check mode, saying so. */
export function uncheckedTask(spec: { name: string; tags?: string[]; notify?: string[]; why: string; apply: (ctx: TaskContext) => Promise<ApplyOutcome | void> }): Task {
  return {
    name: spec.name,
    tags: spec.tags ?? [],
    notify: spec.notify ?? [],
    reads: [],
    when: () => true,
    check: async (ctx) => ({ changed: true, reason: `cannot be checked without running it: ${spec.why}`, checked: false, apply: () => spec.apply(ctx) }),
  };
}

export function inSync(reason?: string): InSync {
  return reason === undefined ? { changed: false } : { changed: false, reason };
}

export function change<D>(reason: string, data: D, diff?: string): Change<D> {
  return diff === undefined ? { changed: true, reason, data } : { changed: true, reason, data, diff };
}

/** A change that needs no data beyond its reason. */
export function differs(reason: string, diff?: string): Change<null> {
  return change(reason, null, diff);
}

/** The same task with other settings (e.g. a `when` or tags added by the role). */
export function withTask(task: Task, extra: { when?: (ctx: TaskContext) => true | string; tags?: readonly string[] }): Task {
  return {
    ...task,
    tags: [...task.tags, ...(extra.tags ?? [])],
    when: (ctx) => {
      const own = extra.when?.(ctx) ?? true;
      return own === true ? task.when(ctx) : own;
    },
  };
}
