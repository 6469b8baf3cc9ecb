// Runs host plans: up to `forks` hosts at once, each with its own connection, facts, state and
// masker; shown as a listr2 tree host → role → task. Results are recorded apart from the
// display, so reports do not depend on the renderer.
import { Listr, type ListrTask, type ListrTaskWrapper, type ListrRendererFactory } from 'listr2';
import { Masker } from '../remote/mask.ts';
import { BecomeError, RemoteHost, UnreachableError } from '../remote/host.ts';
import { executeHandler, executeTask, makeContext, type Prefetched } from './execute.ts';
import { prefetch } from './prefetch.ts';
import { gatherFacts, type Facts } from './facts.ts';
import type { HostPlan, PlannedRole } from './plan.ts';
import type { HostResult, TaskResult } from './types.ts';

export type RendererName = 'default' | 'simple' | 'verbose' | 'silent';

export interface RunOptions {
  check: boolean;
  forks: number;
  renderer: RendererName;
  verbose: boolean;
}

export interface RunReport {
  durationMs: number;
  check: boolean;
  hosts: Record<string, HostResult>;
}

type Wrapper = ListrTaskWrapper<unknown, ListrRendererFactory, ListrRendererFactory>;

function emptyResult(): HostResult {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, durationMs: 0, roundTrips: 0, tasks: [] };
}

function count(res: HostResult, t: TaskResult): void {
  res.tasks.push(t);
  if (t.status === 'ok') res.ok++;
  else if (t.status === 'changed' || t.status === 'would-change') res.changed++;
  else if (t.status === 'failed') res.failed++;
  else if (t.status === 'skipped') res.skipped++;
}

function title(t: TaskResult): string {
  const why = t.reason ? `: ${t.reason.split('\n')[0]}` : '';
  return `${t.name} [${t.status}${why}]`;
}

/** Marks a listr task with our result; failures throw so listr stops this host's list. */
function show(w: Wrapper, t: TaskResult): void {
  if (t.status === 'skipped') {
    w.skip(t.reason ?? 'skipped');
    return;
  }
  if (t.status === 'failed') throw new Error(t.reason ?? 'failed');
  w.title = title(t);
}

function roleTasks(plan: PlannedRole, env: HostEnv): ListrTask[] {
  const role = plan.role.module;
  const notified = new Set<string>();
  const ctx = makeContext(env.host, env.facts as Facts, plan, env.opts.check, env.state, notified, env.log, env.prefetched);
  const run = async (w: Wrapper, exec: (onApply: () => void) => Promise<TaskResult>) => {
    env.current = w;
    const r = await exec(() => env.changes++);
    count(env.result, r);
    env.result.durationMs = Date.now() - env.started;
    show(w, r);
  };
  const items: ListrTask[] = plan.tasks.map(({ task }) => ({
    title: task.name,
    task: (_c: unknown, w: Wrapper) => run(w, (onApply) => executeTask(task, ctx, role.name, onApply)),
  }));
  for (const h of role.handlers ?? []) {
    items.push({
      title: `handler: ${h.name}`,
      task: async (_c: unknown, w: Wrapper) => {
        if (!notified.has(h.name)) {
          w.skip('not notified');
          return;
        }
        await run(w, (onApply) => executeHandler(h, ctx, role.name, onApply));
      },
    });
  }
  return items;
}

interface HostEnv {
  host: RemoteHost;
  facts?: Facts;
  state: Map<string, unknown>;
  result: HostResult;
  opts: RunOptions;
  current?: Wrapper;
  started: number;
  /** Applies started on the host so far (prefetched reads are stale after the first). */
  changes: number;
  prefetched?: Prefetched;
  log: (line: string) => void;
}

export async function runPlans(plans: HostPlan[], opts: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const report: RunReport = { durationMs: 0, check: opts.check, hosts: {} };
  const envs: HostEnv[] = [];
  const hostTasks: ListrTask[] = plans.map((plan) => {
    const masker = new Masker();
    for (const pr of plan.roles) masker.add(...Object.values(pr.secrets));
    const result = emptyResult();
    report.hosts[plan.name] = result;
    const env: HostEnv = {
      host: undefined as unknown as RemoteHost,
      state: new Map(),
      started: Date.now(),
      changes: 0,
      result,
      opts,
      log: (line) => {
        if (opts.verbose && env.current) env.current.output = line;
      },
    };
    env.host = new RemoteHost(plan.connection, masker, env.log);
    envs.push(env);
    return {
      title: plan.name,
      task: async (_c: unknown, w: Wrapper) => {
        env.current = w;
        env.started = Date.now();
        try {
          await env.host.connect();
          env.facts = await gatherFacts(env.host);
          const facts = env.facts;
          const reads = plan.roles.flatMap((pr) =>
            pr.tasks.flatMap(({ task }) => {
              try {
                return typeof task.prefetch === 'function' ? task.prefetch(facts) : (task.prefetch ?? []);
              } catch {
                return []; // the task's own check will report the problem
              }
            }),
          );
          env.prefetched = { results: await prefetch(env.host, reads), valid: () => env.changes === 0 };
        } catch (e) {
          const msg = masker.mask((e as Error).message);
          result.error = msg;
          if (e instanceof UnreachableError) result.unreachable = 1;
          else result.failed++;
          result.durationMs = Date.now() - env.started;
          env.host.close();
          throw new Error(`${plan.name}: ${e instanceof BecomeError ? msg : e instanceof UnreachableError ? `unreachable: ${msg}` : msg}`);
        }
        w.title = `${plan.name} (${env.facts.os.prettyName || env.facts.os.id})`;
        return w.newListr(
          plan.roles.map((pr) => ({
            title: pr.role.module.name,
            task: (_c2: unknown, rw: Wrapper) => rw.newListr(roleTasks(pr, env), { concurrent: false, exitOnError: true }),
          })),
          { concurrent: false, exitOnError: true },
        );
      },
    };
  });

  const list = new Listr(hostTasks, {
    concurrent: Math.max(1, opts.forks),
    exitOnError: false,
    renderer: opts.renderer,
    fallbackRenderer: 'simple',
    fallbackRendererCondition: opts.renderer === 'default' ? () => !process.stdout.isTTY : false,
    rendererOptions: { collapseSubtasks: false, collapseSkips: false, showSkipMessage: true, showErrorMessage: true },
    registerSignalListeners: true,
  } as ConstructorParameters<typeof Listr>[1]);
  try {
    await list.run();
  } catch {
    // Per-host failures are recorded in the results; the list itself never aborts the run.
  }
  for (const env of envs) {
    env.result.roundTrips = env.host.roundTrips;
    env.host.close();
  }
  report.durationMs = Date.now() - started;
  return report;
}
