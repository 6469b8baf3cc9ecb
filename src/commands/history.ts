// `provision history`: the last runs on a host, from its audit trail, as a table.
import type { Connection } from '../remote/connection.ts';
import { historyCmd, pairRecords, type RunRecord } from '../engine/host-state.ts';

function cell(v: unknown): string {
  return v === undefined || v === null ? '-' : String(v);
}

/** Pure: one line per run, oldest first. */
export function formatHistory(host: string, runs: RunRecord[]): string {
  if (!runs.length) return `${host}: no runs recorded`;
  const lines = runs.map((r) => {
    const s = r.start ?? {};
    const e = r.end;
    const result = e ? `${cell(e.outcome)}${Array.isArray(e.changed) && e.changed.length ? ` (${e.changed.length} changed)` : ''}` : 'unfinished (no end record: the run died or still runs)';
    const commit = s.commit ? `${String(s.commit).slice(0, 10)}${s.dirty ? '+dirty' : ''}` : 'no commit';
    const secs = e && typeof e.durationMs === 'number' ? `${(e.durationMs / 1000).toFixed(1)}s` : '';
    return `  ${cell(s.time)}  ${cell(s.mode).padEnd(5)}  ${result}  ${cell(s.user)}@${cell(s.control)}  ${commit}  ${cell(s.playbook)}  ${secs}`.trimEnd();
  });
  return [`${host}:`, ...lines].join('\n');
}

export async function historyFor(host: string, open: () => Promise<Connection>, n: number): Promise<{ text: string; ok: boolean }> {
  try {
    const conn = await open();
    try {
      // Each run writes two lines (start and end).
      const r = await conn.run(historyCmd(n * 2 + 2));
      return { text: formatHistory(host, pairRecords(r.stdout).slice(-n)), ok: true };
    } finally {
      conn.close();
    }
  } catch (e) {
    return { text: `${host}: ${(e as Error).message}`, ok: false };
  }
}
