// The HTML report as a string, parsed back: what a run looks like (failures first, timelines
// with handlers and waits, diffs, the recap), that no text can become markup, that a secret
// given to the masker never reaches the page, and that the page can load nothing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { parse as parseHtml, type HTMLElement } from 'node-html-parser';
import type { RunReport } from '../../src/engine/runner.ts';
import { escapeHtml, renderHtmlReport } from '../../src/report/html.ts';
import { HOSTILE_NAME, SAMPLE_SECRET, sampleRun } from '../fakes/sample-run.ts';

/** <pre> parsed as elements (the diff's lines are spans); script and style as text. */
const parse = (html: string): HTMLElement => parseHtml(html, { blockTextElements: { script: true, style: true } });
const all = (root: HTMLElement, sel: string): HTMLElement[] => root.querySelectorAll(sel);
const one = (root: HTMLElement, sel: string): HTMLElement => {
  const el = root.querySelector(sel);
  assert.ok(el, `no ${sel}`);
  return el;
};
const host = (doc: HTMLElement, name: string): HTMLElement => {
  const el = all(doc, 'section.host').find((s) => s.getAttribute('data-host') === name);
  assert.ok(el, `no section for ${name}`);
  return el;
};
/** A bar's left and width, in percent. */
const geometry = (row: HTMLElement): [number, number] => {
  const m = /left:([\d.]+)%;width:([\d.]+)%/.exec(one(row, '.bar').getAttribute('style') ?? '');
  assert.ok(m, 'bar has a position');
  return [Number(m[1]), Number(m[2])];
};

describe('HTML report of a run', () => {
  let apply: RunReport;
  let html: string;
  let doc: HTMLElement;
  before(async () => {
    apply = await sampleRun(false);
    html = renderHtmlReport(apply, { generatedAt: '2026-12-05T03:00:00.000Z' });
    doc = parse(html);
  });

  test('hosts with failures come first, in inventory order otherwise; the recap in the same order, failures marked', () => {
    assert.deepEqual(all(doc, 'section.host').map((s) => [s.getAttribute('data-host'), s.getAttribute('data-state')]), [
      ['db1', 'failed'],
      ['down1', 'unreachable'],
      ['web1', 'changed'],
      ['cache1', 'ok'],
    ]);
    const rows = all(doc, 'table.recap tbody tr');
    assert.deepEqual(rows.map((r) => [r.getAttribute('data-host'), r.classList.contains('bad')]), [
      ['db1', true],
      ['down1', true],
      ['web1', false],
      ['cache1', false],
    ]);
    assert.deepEqual(all(rows[2] as HTMLElement, 'td').slice(1, 6).map((td) => Number(td.text)), [2, 4, 0, 0, 0], 'web1: ok changed failed skipped unreachable');
    assert.equal(one(doc, 'table.recap thead').text.includes('changed'), true);
  });

  test('the failures box names each failing host, its failed task and the unreachable error, linked to the details', () => {
    const box = one(doc, '.failures');
    assert.match(box.text, /db1/);
    assert.match(box.text, /down1.*unreachable.*connect ETIMEDOUT/s);
    const link = all(box, 'a').find((a) => a.text.includes('migrate database'));
    assert.ok(link);
    const target = one(doc, link.getAttribute('href') ?? '#none');
    assert.equal(target.tagName, 'DETAILS');
    assert.ok(target.classList.contains('st-failed'));
  });

  test('a bar per task placed by start and duration, coloured by status; handlers and waits drawn apart', () => {
    const web1 = host(doc, 'web1');
    const rows = all(web1, '.timeline .row');
    const result = apply.hosts.web1;
    assert.ok(result);
    assert.equal(rows.length, result.tasks.length + 1, 'a row per task, and the wait for the lock');
    assert.deepEqual(
      rows.slice(1).map((r) => r.getAttribute('data-status')),
      result.tasks.map((t) => t.status),
    );
    // The host lock was held by another run: the time before the first task is a wait.
    assert.equal(rows[0]?.getAttribute('data-kind'), 'wait');
    assert.match(rows[0]?.text ?? '', /waiting for the host lock/);
    assert.ok(one(web1, 'ul.notes li.wait').text.includes('waiting for the run of alice'));
    // apt's lock: a hatched part at the start of the install's bar.
    const apt = rows.find((r) => r.text.includes('base packages'));
    assert.ok(apt);
    assert.ok(apt.querySelector('.bar .wait-part'), 'the apt lock wait is drawn');
    const handler = rows.find((r) => r.getAttribute('data-kind') === 'handler');
    assert.ok(handler);
    assert.match(handler.text, /handler: restart app/);
    assert.ok(one(handler, '.bar').classList.contains('kind-handler'));
    assert.ok(one(handler, '.bar').classList.contains('st-changed'));
    // Bars follow each other in time: each starts where (or after) the one before started.
    const lefts = rows.slice(1).map((r) => geometry(r)[0]);
    assert.deepEqual(lefts, [...lefts].sort((a, b) => a - b));
    const [left, width] = geometry(rows.at(-1) as HTMLElement);
    assert.ok(left > 50 && left + width <= 100.001, `the handler runs last (left ${left}%, width ${width}%)`);
    // db1: the failed task is highlighted, the handler it left is skipped.
    const db1Rows = all(host(doc, 'db1'), '.timeline .row');
    assert.ok(db1Rows.some((r) => r.classList.contains('st-failed') && r.text.includes('migrate database')));
    assert.ok(db1Rows.some((r) => r.getAttribute('data-kind') === 'handler' && r.getAttribute('data-status') === 'skipped'));
  });

  test('an unreachable host shows its connection attempt as a failed bar and its error', () => {
    const down = host(doc, 'down1');
    const rows = all(down, '.timeline .row');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.getAttribute('data-status'), 'failed');
    assert.match(one(down, '.error').text, /connect ETIMEDOUT/);
  });

  test('what changed, with its diff (lines marked added/removed); failed first and open', () => {
    const db1 = all(host(doc, 'db1'), 'details.change');
    assert.deepEqual(db1.map((d) => d.getAttribute('data-status')), ['failed', 'changed']);
    assert.ok(db1[0]?.hasAttribute('open'));
    const web1 = host(doc, 'web1');
    const config = all(web1, 'details.change').find((d) => d.text.includes('app config'));
    assert.ok(config);
    assert.deepEqual(all(config, 'pre.diff .del').map((s) => s.text), ['-password = old', '-pool = 10']);
    assert.deepEqual(all(config, 'pre.diff .add').map((s) => s.text), ['+password = ***', '+pool = 20']);
    // Every changed bar links to its entry.
    for (const a of all(web1, '.timeline a.label')) assert.equal(one(doc, a.getAttribute('href') ?? '#none').tagName, 'DETAILS');
    assert.equal(all(web1, '.timeline a.label').length, apply.hosts.web1?.changed);
  });

  test('no text becomes markup: the only script and no element from a task name, reason or output', () => {
    assert.equal(all(doc, 'script').length, 1);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.equal(all(doc, 'img').length, 0);
    assert.equal(all(doc, 'b').length, 0);
    const names = all(doc, '.timeline .label').map((l) => l.text);
    assert.ok(names.some((n) => n.includes(HOSTILE_NAME)), 'the hostile name is shown as text');
    assert.ok(all(doc, 'details.change').some((d) => d.text.includes('<script>alert(3)</script>')));
    assert.ok(html.includes(escapeHtml(HOSTILE_NAME)));
  });

  test('a secret given to the masker never reaches the page, in any form', () => {
    assert.ok(JSON.stringify(apply).includes('***'), 'the sample put the secret where it would show');
    for (const form of [SAMPLE_SECRET, escapeHtml(SAMPLE_SECRET), JSON.stringify(SAMPLE_SECRET).slice(1, -1), encodeURIComponent(SAMPLE_SECRET), 'S3cret']) {
      assert.ok(!html.includes(form), `secret in the page as ${form}`);
    }
  });

  test('self-contained: nothing to load, and a CSP that lets only its own script run', () => {
    assert.doesNotMatch(html, /\b(src|href)="(?!#)/, 'no src/href but in-page anchors');
    assert.doesNotMatch(html, /@import|url\(/);
    const csp = one(doc, 'meta[http-equiv="Content-Security-Policy"]').getAttribute('content') ?? '';
    assert.match(csp, /default-src 'none'/);
    const script = one(doc, 'script').text;
    const hash = createHash('sha256').update(script, 'utf8').digest('base64');
    assert.ok(csp.includes(`script-src 'sha256-${hash}'`), 'the script is allowed by its hash');
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
  });
});

describe('HTML report details', () => {
  test('check mode says would-change, in the title, recap, bars and headings', async () => {
    const doc = parse(renderHtmlReport(await sampleRun(true)));
    assert.match(one(doc, 'title').text, /provision check/);
    assert.ok(one(doc, 'table.recap thead').text.includes('would-change'));
    const web1 = host(doc, 'web1');
    assert.equal(web1.getAttribute('data-state'), 'would-change');
    assert.ok(all(web1, '.bar.st-would-change').length >= 3);
    assert.ok(all(web1, '.row.kind-handler.st-would-change').length === 1, 'the handler it would run');
    assert.match(one(web1, '.changes h3').text, /What would change/);
  });

  test('bar geometry: start and duration as a share of the host run; a task without a start follows the one before', () => {
    const report: RunReport = {
      durationMs: 1000,
      check: false,
      hosts: {
        a: {
          ok: 2, changed: 0, failed: 0, skipped: 0, unreachable: 0, durationMs: 1000, roundTrips: 1,
          tasks: [
            { role: 'r', name: 'first', status: 'ok', startMs: 250, durationMs: 500 },
            { role: 'r', name: 'second', status: 'ok', durationMs: 100 },
          ],
        },
      },
    };
    const rows = all(host(parse(renderHtmlReport(report)), 'a'), '.timeline .row');
    assert.equal(rows.length, 3, 'the start (connect and read), then two tasks');
    assert.equal(rows[0]?.getAttribute('data-kind'), 'start');
    assert.deepEqual(geometry(rows[0] as HTMLElement), [0, 25]);
    assert.deepEqual(geometry(rows[1] as HTMLElement), [25, 50]);
    assert.deepEqual(geometry(rows[2] as HTMLElement), [75, 10]);
  });

  test('long diffs start closed; a run with no host says so', () => {
    const diff = Array.from({ length: 200 }, (_, i) => `+line ${i}`).join('\n');
    const report: RunReport = {
      durationMs: 5,
      check: false,
      hosts: { a: { ok: 0, changed: 1, failed: 0, skipped: 0, unreachable: 0, durationMs: 5, roundTrips: 1, tasks: [{ role: 'r', name: 'big file', status: 'changed', startMs: 0, durationMs: 5, diff }] } },
    };
    const d = one(parse(renderHtmlReport(report)), 'details.change');
    assert.equal(d.hasAttribute('open'), false);
    assert.equal(all(d, '.add').length, 200);
    assert.match(one(parse(renderHtmlReport({ durationMs: 0, check: false, hosts: {} })), '.empty').text, /No host was run/);
  });

  test('escapeHtml escapes the five characters that matter in content and attributes', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
