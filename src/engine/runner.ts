// Runs host plans: up to `forks` host sessions at once, each with its own connection, facts and
// masker. One host failing or unreachable never stops the others. With a rollout (`serial`),
// hosts run in batches, each to its end before the next; a batch that fails too much (see
// batches.ts) or an interrupt leaves the later batches not started, and they are reported so.
// The display only listens.
import { splitBatches, stopAfterBatch, type Rollout } from './batches.ts';
import type { Display } from './events.ts';
import type { HostPlan } from './plan.ts';
import type { RunInfo } from './host-state.ts';
import { Rendezvous } from './rendezvous.ts';
import { emptyResult, runHostSession, type OpenConnection } from './session.ts';
import type { HostResult } from './types.ts';

export interface RunOptions {
  check: boolean;
  forks: number;
  display: Display;
  /** How hosts are reached (SSH by default; a fake in tests). */
  open: OpenConnection;
  /** Asked between tasks on every host: true stops the runs there. */
  stopRequested?: () => boolean;
  /** Who runs what: with it each host's run takes the host's lock and writes its audit trail. */
  info?: RunInfo;
  lockTimeoutMs?: number;
  /** Batches (the playbook's serial / max_fail_percentage); without it, one batch of every host. */
  rollout?: Rollout;
}

export interface RunReport {
  durationMs: number;
  check: boolean;
  hosts: Record<string, HostResult>;
  /** How many batches the hosts were cut into (only when more than one). */
  batches?: number;
  /** Why later batches were not started. */
  stopped?: string;
}

export async function runPlans(plans: readonly HostPlan[], opts: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const report: RunReport = { durationMs: 0, check: opts.check, hosts: {} };
  // Hosts others wait for start first (stable: inventory order otherwise), so a waiting host never
  // holds the fork slot, or sits in an earlier batch than, the host it waits for.
  const ordered = [...plans].sort((a, b) => Number(b.startFirst ?? false) - Number(a.startFirst ?? false));
  const batches = splitBatches(ordered, opts.rollout?.serial ?? []);
  const batched = batches.length > 1;
  if (batched) report.batches = batches.length;
  opts.display.start(plans);
  // One board for the whole run: a host of a later batch still reads what an earlier one published.
  const board = new Rendezvous(plans.map((p) => p.name));
  const runOne = async (plan: HostPlan, batch: number): Promise<HostResult> => {
    const r = await runHostSession(
      plan,
      { check: opts.check, info: opts.info, lockTimeoutMs: opts.lockTimeoutMs },
      { open: opts.open, emit: (e) => opts.display.event(e), stopRequested: opts.stopRequested, board },
    );
    return batched ? { ...r, batch } : r;
  };

  for (const [bi, batch] of batches.entries()) {
    const n = bi + 1;
    if (report.stopped === undefined && opts.stopRequested?.()) report.stopped = 'the run was interrupted';
    if (report.stopped !== undefined) {
      // Never started: reported with why, so nobody mistakes them for hosts that are in sync.
      for (const plan of batch) {
        const r: HostResult = { ...emptyResult(), ...(batched ? { batch: n } : {}), notRun: report.stopped };
        report.hosts[plan.name] = r;
        opts.display.event({ type: 'host-end', host: plan.name, result: r });
      }
      continue;
    }
    if (batched) opts.display.event({ type: 'batch-start', batch: n, batches: batches.length, hosts: batch.map((p) => p.name) });
    const queue = [...batch];
    const worker = async () => {
      for (let plan = queue.shift(); plan; plan = queue.shift()) report.hosts[plan.name] = await runOne(plan, n);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.forks, batch.length)) }, worker));
    if (n < batches.length) {
      const failed = batch.filter((p) => {
        const r = report.hosts[p.name];
        return r !== undefined && (r.failed > 0 || r.unreachable > 0);
      }).length;
      report.stopped = stopAfterBatch(n, batch.length, failed, opts.rollout?.maxFailPercentage);
    }
  }
  await opts.display.finish();
  // Hosts in run order, whatever order they finished in.
  report.hosts = Object.fromEntries(plans.map((p) => [p.name, report.hosts[p.name] as HostResult]));
  report.durationMs = Date.now() - started;
  return report;
}
