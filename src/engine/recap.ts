// The end of a run: a recap table per host (like Ansible's PLAY RECAP, with times), the
// slowest tasks, and the reasons and diffs of what changed or would change.
import type { RunReport } from './runner.ts';

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

export function formatRecap(report: RunReport, slowest = 5): string {
  const lines: string[] = [];
  const names = Object.keys(report.hosts);
  const w = Math.max(4, ...names.map((n) => n.length));
  const changedWord = report.check ? 'would-change' : 'changed';
  lines.push(`${report.check ? 'CHECK' : 'PLAY'} RECAP ${'*'.repeat(60)}`);
  for (const [name, r] of Object.entries(report.hosts)) {
    const batch = r.batch !== undefined && report.batches ? ` batch=${r.batch}/${report.batches}` : '';
    if (r.notRun) {
      lines.push(`${pad(name, w)} : not run${batch}: ${r.notRun}`);
      continue;
    }
    lines.push(
      `${pad(name, w)} : ok=${pad(String(r.ok), 4)} ${changedWord}=${pad(String(r.changed), 4)} failed=${pad(String(r.failed), 3)} ` +
        `skipped=${pad(String(r.skipped), 3)} unreachable=${pad(String(r.unreachable), 2)} time=${secs(r.durationMs)} round-trips=${r.roundTrips}${batch}`,
    );
    if (r.error) lines.push(`${' '.repeat(w)}   ${r.error}`);
    for (const n of r.notes ?? []) lines.push(`${' '.repeat(w)}   note: ${n}`);
  }
  const all = Object.entries(report.hosts).flatMap(([h, r]) => r.tasks.map((t) => ({ h, t })));
  const slow = [...all].sort((a, b) => b.t.durationMs - a.t.durationMs).slice(0, slowest);
  if (slow.length) {
    lines.push('', 'Slowest tasks:');
    for (const { h, t } of slow) lines.push(`  ${pad(secs(t.durationMs), 8)} ${h} ${t.role} | ${t.name} [${t.status}]`);
  }
  if (report.stopped) lines.push('', `Later batches not started: ${report.stopped}`);
  lines.push('', `Total: ${secs(report.durationMs)}`);
  return lines.join('\n');
}

/** What changed (or would), why, and the diffs: printed after the tree. */
export function formatChanges(report: RunReport, withDiff: boolean): string {
  const out: string[] = [];
  for (const [host, r] of Object.entries(report.hosts)) {
    const tasks = r.tasks.filter((t) => t.status === 'changed' || t.status === 'would-change' || t.status === 'failed');
    if (!tasks.length) continue;
    out.push(`--- ${host}`);
    for (const t of tasks) {
      out.push(`  [${t.status}] ${t.role} | ${t.name}${t.reason ? `: ${t.reason}` : ''}`);
      if (withDiff && t.diff) out.push(t.diff.replace(/^/gm, '      '));
    }
  }
  return out.join('\n');
}

/** The JSON report users and tests script against: keep this shape stable. */
export function toJsonReport(report: RunReport): object {
  return {
    durationMs: report.durationMs,
    check: report.check,
    ...(report.batches ? { batches: report.batches } : {}),
    ...(report.stopped ? { stopped: report.stopped } : {}),
    hosts: Object.fromEntries(
      Object.entries(report.hosts).map(([name, r]) => [
        name,
        {
          ok: r.ok,
          changed: r.changed,
          failed: r.failed,
          skipped: r.skipped,
          unreachable: r.unreachable,
          durationMs: r.durationMs,
          roundTrips: r.roundTrips,
          ...(r.error ? { error: r.error } : {}),
          ...(r.notes?.length ? { notes: r.notes } : {}),
          ...(r.batch !== undefined ? { batch: r.batch } : {}),
          ...(r.notRun ? { notRun: r.notRun } : {}),
          tasks: r.tasks.map((t) => ({
            role: t.role,
            name: t.name,
            status: t.status,
            durationMs: t.durationMs,
            ...(t.startMs !== undefined ? { startMs: t.startMs } : {}),
            ...(t.kind ? { kind: t.kind } : {}),
            ...(t.reason !== undefined ? { reason: t.reason } : {}),
            ...(t.diff !== undefined ? { diff: t.diff } : {}),
          })),
        },
      ]),
    ),
  };
}
