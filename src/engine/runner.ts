// Runs host plans: up to `forks` host sessions at once, each with its own connection, facts and
// masker. One host failing or unreachable never stops the others. The display only listens.
import type { Display } from './events.ts';
import type { HostPlan } from './plan.ts';
import type { RunInfo } from './host-state.ts';
import { Rendezvous } from './rendezvous.ts';
import { runHostSession, type OpenConnection } from './session.ts';
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
}

export interface RunReport {
  durationMs: number;
  check: boolean;
  hosts: Record<string, HostResult>;
}

export async function runPlans(plans: readonly HostPlan[], opts: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const report: RunReport = { durationMs: 0, check: opts.check, hosts: {} };
  opts.display.start(plans);
  // Hosts others wait for start first (stable: inventory order otherwise), so a waiting host
  // never holds the fork slot the host it waits for needs.
  const queue = [...plans].sort((a, b) => Number(b.startFirst ?? false) - Number(a.startFirst ?? false));
  const board = new Rendezvous(plans.map((p) => p.name));
  const worker = async () => {
    for (let plan = queue.shift(); plan; plan = queue.shift()) {
      report.hosts[plan.name] = await runHostSession(
        plan,
        { check: opts.check, info: opts.info, lockTimeoutMs: opts.lockTimeoutMs },
        { open: opts.open, emit: (e) => opts.display.event(e), stopRequested: opts.stopRequested, board },
      );
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.forks, plans.length)) }, worker));
  await opts.display.finish();
  // Hosts in inventory order, whatever order they finished in.
  report.hosts = Object.fromEntries(plans.map((p) => [p.name, report.hosts[p.name] as HostResult]));
  report.durationMs = Date.now() - started;
  return report;
}
