// The run as one self-contained HTML page (--html): failures first, the recap, then per host a
// timeline of its tasks (a bar per task placed by when it started and how long it took, coloured
// by status; handlers and waits drawn apart) and what changed with its diff. A pure function of
// the run's report: everything in it was masked by the session already; here every text is
// escaped, and the page's CSP lets nothing load and no script run but its own.
import { createHash } from 'node:crypto';
import type { RunReport } from '../engine/runner.ts';
import type { HostResult, TaskResult } from '../engine/types.ts';
import { HTML_SCRIPT } from './html-script.ts';
import { HTML_STYLE } from './html-style.ts';

export interface HtmlOptions {
  /** When the report was made (ISO 8601), shown under the title; the caller's clock keeps this pure. */
  generatedAt?: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for element content and attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** A diff (or any text) this long is shown closed; the reader opens it. */
const OPEN_DIFF_LINES = 60;

const LOCK_WAIT_NOTE = 'waiting for the run of';
const APT_WAIT = /waited (\d+) s for the apt\/dpkg lock/;

type HostState = 'unreachable' | 'failed' | 'changed' | 'would-change' | 'ok';

function hostState(h: HostResult, check: boolean): HostState {
  if (h.unreachable) return 'unreachable';
  if (h.failed) return 'failed';
  if (h.changed) return check ? 'would-change' : 'changed';
  return 'ok';
}

const isBad = (h: HostResult): boolean => h.failed > 0 || h.unreachable > 0;

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

/** A percentage for a style attribute (a number we computed, never text from the run). */
function pct(part: number, whole: number): string {
  return `${Math.max(0, Math.min(100, (part / whole) * 100)).toFixed(3)}%`;
}

/** Axis ticks every 1, 2 or 5 × 10^k ms, about six across. */
function tickStep(scaleMs: number): number {
  const raw = scaleMs / 6;
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return ([1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow) || 1;
}

function tickLabel(ms: number, step: number): string {
  const digits = step >= 1000 ? 0 : step >= 100 ? 1 : step >= 10 ? 2 : 3;
  return `${(ms / 1000).toFixed(digits)}s`;
}

interface Placed {
  task: TaskResult;
  index: number;
  startMs: number;
}

/** Start times as recorded; a task without one (an older report) follows the one before it. */
function place(tasks: readonly TaskResult[]): Placed[] {
  let cursor = 0;
  return tasks.map((task, index) => {
    const startMs = task.startMs ?? cursor;
    cursor = startMs + task.durationMs;
    return { task, index, startMs };
  });
}

/** A host's timeline spans its own run (hosts run side by side; their times are in the recap). */
function timeScale(h: HostResult, placed: readonly Placed[]): number {
  return Math.max(1, h.durationMs, ...placed.map((p) => p.startMs + p.task.durationMs));
}

const hasDetails = (t: TaskResult): boolean => t.status === 'changed' || t.status === 'would-change' || t.status === 'failed';
const taskId = (hi: number, ti: number): string => `h${hi}-t${ti}`;
const hostId = (hi: number): string => `h${hi}`;

function statusBadge(status: string, text = status): string {
  return `<span class="badge st-${status}">${escapeHtml(text)}</span>`;
}

function row(opts: { status: string; kind: string; label: string; href?: string; title: string; left: string; width: string; inner?: string; dur: string }): string {
  const label = opts.href ? `<a class="label" href="#${opts.href}" title="${escapeHtml(opts.title)}">${opts.label}</a>` : `<span class="label" title="${escapeHtml(opts.title)}">${opts.label}</span>`;
  return (
    `<div class="row st-${opts.status} kind-${opts.kind}" data-status="${opts.status}" data-kind="${opts.kind}">` +
    label +
    `<div class="track"><span class="bar st-${opts.status} kind-${opts.kind}" style="left:${opts.left};width:${opts.width}" title="${escapeHtml(opts.title)}">${opts.inner ?? ''}</span></div>` +
    `<span class="dur">${escapeHtml(opts.dur)}</span></div>`
  );
}

function axis(scale: number): string {
  const step = tickStep(scale);
  const ticks: string[] = [];
  for (let ms = 0; ms <= scale; ms += step) ticks.push(`<span class="tick" style="left:${pct(ms, scale)}">${tickLabel(ms, step)}</span>`);
  return `<div class="axis"><span></span><div class="ticks">${ticks.join('')}</div><span></span></div>`;
}

/** The time before the first task: connecting, the host lock (a wait when another run held it), the read batch. */
function startRow(h: HostResult, placed: Placed[], scale: number): string {
  const first = placed.length ? Math.min(...placed.map((p) => p.startMs)) : h.durationMs;
  const waited = (h.notes ?? []).filter((n) => n.startsWith(LOCK_WAIT_NOTE));
  if (placed.length && first <= 0 && !waited.length) return '';
  const unreachable = h.unreachable > 0 && !placed.length;
  const kind = waited.length ? 'wait' : 'start';
  const status = unreachable || (h.error && !placed.length) ? 'failed' : 'ok';
  const label = waited.length ? 'waiting for the host lock, then connect and read' : unreachable ? 'connect (unreachable)' : 'connect, lock and read the host';
  const title = [label, ...waited, ...(unreachable && h.error ? [h.error] : [])].join('\n');
  return row({ status, kind, label: `<span class="badge kind-${kind}">${kind === 'wait' ? 'wait' : 'start'}</span> ${escapeHtml(label)}`, title, left: '0%', width: pct(first, scale), dur: secs(first) });
}

function taskRow(p: Placed, hi: number, scale: number): string {
  const t = p.task;
  const kind = t.kind ?? (t.name.startsWith('handler: ') ? 'handler' : 'task');
  const aptWait = APT_WAIT.exec(t.reason ?? '');
  const waitMs = aptWait ? Number(aptWait[1]) * 1000 : 0;
  const inner = waitMs > 0 && t.durationMs > 0 ? `<span class="wait-part" style="width:${pct(waitMs, t.durationMs)}"></span>` : '';
  const tags = (kind === 'handler' ? '<span class="badge kind-handler">handler</span> ' : '') + (waitMs > 0 ? '<span class="badge kind-wait">wait</span> ' : '');
  const title = `${t.role} | ${t.name} [${t.status}] ${secs(t.durationMs)}${t.reason ? `\n${t.reason}` : ''}`;
  return row({
    status: t.status,
    kind,
    label: `${tags}<span class="role">${escapeHtml(t.role)} |</span> ${escapeHtml(t.name)}`,
    ...(hasDetails(t) ? { href: taskId(hi, p.index) } : {}),
    title,
    left: pct(p.startMs, scale),
    width: pct(t.durationMs, scale),
    inner,
    dur: secs(t.durationMs),
  });
}

function diffBlock(diff: string): string {
  const lines = diff.split('\n').map((l) => {
    const cls = l.startsWith('+++') || l.startsWith('---') ? 'file' : l.startsWith('@@') ? 'hunk' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '';
    return cls && cls !== 'file' ? `<span class="${cls}">${escapeHtml(l)}</span>` : `${escapeHtml(l)}\n`;
  });
  return `<pre class="diff">${lines.join('')}</pre>`;
}

function changeEntry(p: Placed, hi: number): string {
  const t = p.task;
  const lines = (t.diff ?? '').split('\n').length + (t.reason ?? '').split('\n').length;
  const open = t.status === 'failed' || lines <= OPEN_DIFF_LINES ? ' open' : '';
  const kind = t.kind === 'handler' ? ' <span class="badge kind-handler">handler</span>' : '';
  return (
    `<details class="change st-${t.status}" id="${taskId(hi, p.index)}" data-status="${t.status}"${open}>` +
    `<summary>${statusBadge(t.status)}${kind} <span class="role">${escapeHtml(t.role)} |</span> <strong>${escapeHtml(t.name)}</strong> <span class="counts">${secs(t.durationMs)}</span></summary>` +
    (t.reason ? `<div class="reason">${escapeHtml(t.reason)}</div>` : '') +
    (t.diff ? diffBlock(t.diff) : '') +
    `</details>`
  );
}

function hostSection(name: string, h: HostResult, hi: number, check: boolean): string {
  const state = hostState(h, check);
  const placed = place(h.tasks);
  const scale = timeScale(h, placed);
  const changedWord = check ? 'would change' : 'changed';
  const counts = `ok=${h.ok} ${changedWord}=${h.changed} failed=${h.failed} skipped=${h.skipped} unreachable=${h.unreachable} · ${secs(h.durationMs)} · ${h.roundTrips} round trips`;
  const notes = h.notes?.length ? `<ul class="notes">${h.notes.map((n) => `<li${n.startsWith(LOCK_WAIT_NOTE) ? ' class="wait"' : ''}>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
  const rows = [startRow(h, placed, scale), ...placed.map((p) => taskRow(p, hi, scale))].filter(Boolean);
  // Failed first, then what changed in the order it ran.
  const details = placed.filter((p) => hasDetails(p.task)).sort((a, b) => Number(b.task.status === 'failed') - Number(a.task.status === 'failed'));
  return (
    `<section class="host${isBad(h) ? ' bad' : ''}" id="${hostId(hi)}" data-host="${escapeHtml(name)}" data-state="${state}">` +
    `<div class="host-head"><h2>${escapeHtml(name)}</h2>${statusBadge(state)}<span class="counts">${escapeHtml(counts)}</span></div>` +
    (h.error ? `<div class="error">${escapeHtml(h.error)}</div>` : '') +
    notes +
    `<div class="timeline">${rows.join('')}${axis(scale)}</div>` +
    `<div class="changes"><h3>${details.length ? `What ${check ? 'would change' : 'changed'}${h.failed ? ' and what failed' : ''}` : 'Nothing changed'}</h3>${details.map((p) => changeEntry(p, hi)).join('')}</div>` +
    `</section>`
  );
}

function failuresBox(hosts: [string, HostResult, number][]): string {
  const bad = hosts.filter(([, h]) => isBad(h));
  if (!bad.length) return '';
  const items = bad.map(([name, h, hi]) => {
    const failed = place(h.tasks).filter((p) => p.task.status === 'failed');
    const tasks = failed.map((p) => `<li><a href="#${taskId(hi, p.index)}">${escapeHtml(`${p.task.role} | ${p.task.name}`)}</a>${p.task.reason ? `: <span class="mono">${escapeHtml(p.task.reason.split('\n')[0] ?? '')}</span>` : ''}</li>`);
    const why = h.unreachable ? 'unreachable' : `${h.failed} failed`;
    return `<li><a href="#${hostId(hi)}"><strong>${escapeHtml(name)}</strong></a> ${statusBadge(h.unreachable ? 'unreachable' : 'failed', why)}${h.error ? ` <span class="mono">${escapeHtml(h.error)}</span>` : ''}${tasks.length ? `<ul>${tasks.join('')}</ul>` : ''}</li>`;
  });
  return `<div class="failures"><h2>Failures</h2><ul>${items.join('')}</ul></div>`;
}

function recapTable(hosts: [string, HostResult, number][], check: boolean): string {
  const cell = (n: number) => `<td${n === 0 ? ' class="zero"' : ''}>${n}</td>`;
  const rows = hosts.map(
    ([name, h, hi]) =>
      `<tr class="${isBad(h) ? 'bad' : ''}" data-host="${escapeHtml(name)}"><td><a href="#${hostId(hi)}">${escapeHtml(name)}</a></td>${cell(h.ok)}${cell(h.changed)}${cell(h.failed)}${cell(h.skipped)}${cell(h.unreachable)}<td>${secs(h.durationMs)}</td><td>${h.roundTrips}</td></tr>`,
  );
  return (
    `<table class="recap"><thead><tr><th>host</th><th>ok</th><th>${check ? 'would-change' : 'changed'}</th><th>failed</th><th>skipped</th><th>unreachable</th><th>time</th><th>round trips</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

function legend(check: boolean): string {
  const statuses = ['ok', check ? 'would-change' : 'changed', 'failed', 'skipped'];
  return (
    `<div class="legend">${statuses.map((s) => `<span>${statusBadge(s)}</span>`).join('')}` +
    `<span><span class="badge kind-handler">handler</span> outlined bar</span>` +
    `<span><span class="badge kind-wait">wait</span> hatched: waiting for another run's lock on the host, or for apt/dpkg's lock</span>` +
    `<span><span class="badge kind-start">start</span> grey: connecting and reading the host</span>` +
    `</div>` +
    // Shown by the script (useless without it).
    `<div class="filters" hidden>show: ${statuses.map((s) => `<label><input type="checkbox" data-status="${s}" checked> ${s}</label>`).join('')}` +
    `<button type="button" id="expand-all">open all changes</button> <button type="button" id="collapse-all">close all</button></div>`
  );
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('base64');

export function renderHtmlReport(report: RunReport, opts: HtmlOptions = {}): string {
  const check = report.check;
  const mode = check ? 'check' : 'apply';
  const indexed: [string, HostResult, number][] = Object.entries(report.hosts).map(([n, h], i) => [n, h, i]);
  // Hosts with failures first; otherwise inventory order.
  const hosts = [...indexed].sort((a, b) => Number(isBad(b[1])) - Number(isBad(a[1])));
  const total = Object.values(report.hosts).reduce(
    (a, h) => ({ ok: a.ok + h.ok, changed: a.changed + h.changed, failed: a.failed + h.failed, unreachable: a.unreachable + h.unreachable }),
    { ok: 0, changed: 0, failed: 0, unreachable: 0 },
  );
  const summary = `${hosts.length} host${hosts.length === 1 ? '' : 's'} · ${secs(report.durationMs)} · ok=${total.ok} ${check ? 'would-change' : 'changed'}=${total.changed} failed=${total.failed} unreachable=${total.unreachable}`;
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${sha256(HTML_SCRIPT)}'; img-src data:; base-uri 'none'; form-action 'none'`;
  const title = `provision ${mode}${opts.generatedAt ? ` ${opts.generatedAt}` : ''}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${HTML_STYLE}</style>`,
    '</head><body>',
    `<h1>provision ${mode} ${statusBadge(total.failed || total.unreachable ? 'failed' : total.changed ? (check ? 'would-change' : 'changed') : 'ok')}</h1>`,
    `<div class="meta">${escapeHtml(summary)}${opts.generatedAt ? ` · ${escapeHtml(opts.generatedAt)}` : ''}</div>`,
    failuresBox(hosts),
    '<h2>Recap</h2>',
    hosts.length ? recapTable(hosts, check) : '<p class="empty">No host was run.</p>',
    '<h2>Hosts</h2>',
    legend(check),
    hosts.map(([name, h, hi]) => hostSection(name, h, hi, check)).join('\n'),
    `<script>${HTML_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
