// What a run keeps on the host about runs: the lock (one run at a time, check mode included),
// who holds it, the audit trail (/var/log/provision/runs.jsonl, root only) and the handlers a
// failed run could not run. The remote shell keeps fd 8 open on $PROVISION_STATE/lock (see
// src/remote/shell.ts), so the lock lasts as long as the session, and dies with it.
import { sh, type Cmd } from '../remote/command.ts';
import type { ExecResult } from '../remote/connection.ts';

/** Who runs, from where, what: written to the host with the lock and the audit trail. */
export interface RunInfo {
  id: string;
  user: string;
  /** The control machine's host name. */
  control: string;
  command: string;
  inventory: string;
  playbook: string;
  mode: 'check' | 'apply';
  commit?: string;
  dirty?: boolean;
}

export interface PendingHandler {
  role: string;
  handler: string;
  /** When the run that notified it stopped, and why. */
  since: string;
  why: string;
}

export type RunOutcome = 'ok' | 'changed' | 'would-change' | 'failed' | 'unreachable' | 'interrupted';

/** Exit status of a gate that found the lock taken. */
const BUSY = 75;

const LOG_DIR = sh`if [ "$(id -u)" = 0 ]; then log=/var/log/provision; else log="$PROVISION_STATE"; fi`;

function appendRecord(record: object): Cmd {
  const b64 = Buffer.from(JSON.stringify(record), 'utf8').toString('base64');
  return sh`${LOG_DIR}
install -d -m 0700 "$log"
( umask 077; printf '%s' ${b64} | base64 -d >>"$log/runs.jsonl"; echo >>"$log/runs.jsonl" )`;
}

function ownerOf(info: RunInfo, startedAt: string, command: string): string {
  return JSON.stringify({ id: info.id, user: info.user, control: info.control, since: startedAt, command });
}

/**
 * Takes the lock without waiting; on success records the owner and the audit "start" line and
 * prints the handlers an earlier run left pending. The read batch runs behind it only when it
 * succeeds (so even check mode never reads a half-applied host).
 */
export function lockGateCmd(info: RunInfo, startedAt: string, masked: (s: string) => string): Cmd {
  const owner = Buffer.from(ownerOf(info, startedAt, masked(info.command)), 'utf8').toString('base64');
  const start = { event: 'start', time: startedAt, ...info, command: masked(info.command) };
  return sh`s="$PROVISION_STATE"
if ! flock -n 8; then echo busy; cat "$s/owner.json" 2>/dev/null || true; exit ${BUSY}; fi
echo acquired
if [ -s "$s/owner.json" ]; then printf 'stale '; tr -d '\\n' <"$s/owner.json"; echo; fi
printf '%s' ${owner} | base64 -d >"$s/owner.json"
printf 'pending '; if [ -s "$s/pending-handlers.json" ]; then tr -d '\\n' <"$s/pending-handlers.json"; else printf '[]'; fi; echo
${appendRecord(start)}`;
}

/** Waits up to `seconds` for the lock; the gate then runs again to record this run as its owner. */
export function waitLockCmd(seconds: number): Cmd {
  return sh`if flock -w ${seconds} 8; then echo acquired; else echo busy; cat "$PROVISION_STATE/owner.json" 2>/dev/null || true; exit ${BUSY}; fi`;
}

export type Gate =
  | { acquired: true; takenOver?: string; pending: PendingHandler[] }
  | { acquired: false; holder: string };

function describeOwner(json: string): string {
  try {
    const o = JSON.parse(json) as { user?: string; control?: string; since?: string; command?: string };
    return `${o.user ?? '?'} on ${o.control ?? '?'} since ${o.since ?? '?'} (${o.command ?? 'unknown command'})`;
  } catch {
    return json.trim() ? `unknown owner (${json.trim().slice(0, 200)})` : 'a run that did not say who it was';
  }
}

function isPending(v: unknown): v is PendingHandler {
  const p = v as Partial<PendingHandler> | null;
  return typeof p === 'object' && p !== null && typeof p.role === 'string' && typeof p.handler === 'string';
}

/** Pure: what the gate (or a wait) found. */
export function parseGate(r: ExecResult): Gate {
  const lines = r.stdout.split('\n');
  if (r.exitCode === BUSY || lines[0]?.trim() === 'busy') return { acquired: false, holder: describeOwner(lines.slice(1).join('\n')) };
  if (!r.ok) throw new Error(`cannot take the host's provision lock: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  const stale = lines.find((l) => l.startsWith('stale '));
  let pending: PendingHandler[] = [];
  const p = lines.find((l) => l.startsWith('pending '));
  if (p) {
    try {
      const v: unknown = JSON.parse(p.slice('pending '.length));
      pending = Array.isArray(v) ? v.filter(isPending) : [];
    } catch {
      pending = [];
    }
  }
  return { acquired: true, ...(stale ? { takenOver: describeOwner(stale.slice('stale '.length)) } : {}), pending };
}

export interface RunEnd {
  outcome: RunOutcome;
  durationMs: number;
  changed: string[];
  error?: string;
}

/**
 * The end of a run on the host: the audit "end" line, the handlers still pending (apply only:
 * check mode leaves them as they are), then the lock released.
 */
export function finishCmd(info: RunInfo, end: RunEnd, pending: PendingHandler[] | undefined): Cmd {
  const record = { event: 'end', time: new Date().toISOString(), id: info.id, mode: info.mode, ...end };
  const keep =
    pending === undefined
      ? sh`:`
      : pending.length
        ? sh`printf '%s' ${Buffer.from(JSON.stringify(pending), 'utf8').toString('base64')} | base64 -d >"$PROVISION_STATE/pending-handlers.json"`
        : sh`rm -f "$PROVISION_STATE/pending-handlers.json"`;
  return sh`${appendRecord(record)}
${keep}
rm -f "$PROVISION_STATE/owner.json"
flock -u 8 || true`;
}

/** The last `n` lines of the audit trail. */
export function historyCmd(n: number): Cmd {
  return sh`${LOG_DIR}
tail -n ${n} "$log/runs.jsonl" 2>/dev/null || true`;
}

export interface RunRecord {
  id: string;
  start?: Record<string, unknown>;
  end?: Record<string, unknown>;
}

/** Pure: start and end lines paired by run id, oldest first. */
export function pairRecords(text: string): RunRecord[] {
  const runs = new Map<string, RunRecord>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const id = String(rec.id ?? '');
    const run = runs.get(id) ?? { id };
    if (rec.event === 'start') run.start = rec;
    else if (rec.event === 'end') run.end = rec;
    runs.set(id, run);
  }
  return [...runs.values()];
}
