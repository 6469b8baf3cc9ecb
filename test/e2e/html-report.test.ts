// The HTML report in a real browser: Debian's Chromium (installed by test/setup.sh) loads the
// page of a fake fleet's run headless, its script runs (allowed by the page's CSP), and the DOM
// it leaves has the hosts, bars, recap rows and diffs. A screenshot goes to reports/ (a CI
// artifact). Needs no VM: the run is the real runner over fake connections.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { parse, type HTMLElement } from 'node-html-parser';
import type { RunReport } from '../../src/engine/runner.ts';
import { renderHtmlReport } from '../../src/report/html.ts';
import { writePrivateFile } from '../../src/report/write-private.ts';
import { HOSTILE_NAME, SAMPLE_SECRET, sampleRun } from '../fakes/sample-run.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHOT = join(ROOT, 'reports/html-report.png');

function chromiumPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : undefined;
}

/** Debian offers the package here: then a missing chromium is a setup fault, not a reason to skip. */
function installable(): boolean {
  const r = spawnSync('apt-cache', ['policy', 'chromium'], { encoding: 'utf8' });
  return r.status === 0 && /Candidate: (?!\(none\))\S+/.test(r.stdout);
}

const CHROMIUM = chromiumPath();
const skip = !CHROMIUM && !installable() ? 'chromium is not installed and Debian offers no chromium package here: the HTML report is not checked in a browser' : false;

function chromium(args: string[]): string {
  // --no-sandbox: Chromium refuses to run as root with its sandbox (CI runs as root).
  return execFileSync(CHROMIUM as string, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', ...args], { encoding: 'utf8', timeout: 90_000, stdio: ['ignore', 'pipe', 'ignore'] });
}

describe('HTML report in headless Chromium', { skip }, () => {
  let dir: string;
  let file: string;
  let report: RunReport;
  let dom: HTMLElement;
  before(async () => {
    assert.ok(CHROMIUM, 'chromium is not installed: run test/setup.sh (it installs Debian\'s chromium)');
    dir = mkdtempSync(join(tmpdir(), 'html-report-'));
    file = join(dir, 'report.html');
    report = await sampleRun(false);
    await writePrivateFile(file, renderHtmlReport(report, { generatedAt: new Date().toISOString() }));
    dom = parse(chromium(['--dump-dom', pathToFileURL(file).href]), { blockTextElements: { script: true, style: true } });
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the page is private (0600)', () => {
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test('its own script ran under its CSP (the filters it shows) and nothing else did', () => {
    assert.equal(dom.querySelector('body')?.getAttribute('data-script'), 'ran');
    const filters = dom.querySelector('.filters');
    assert.ok(filters);
    assert.equal(filters.hasAttribute('hidden'), false, 'the script showed the filters');
    assert.equal(filters.querySelectorAll('input[data-status]').length, 4);
    assert.equal(dom.querySelectorAll('script').length, 1);
    assert.equal(dom.querySelectorAll('img').length, 0);
  });

  test('hosts (failures first), a bar per task, recap rows, diff blocks', () => {
    const hosts = dom.querySelectorAll('section.host');
    assert.deepEqual(hosts.map((h) => h.getAttribute('data-host')), ['db1', 'down1', 'web1', 'cache1']);
    for (const h of hosts) {
      const name = h.getAttribute('data-host') ?? '';
      const tasks = report.hosts[name]?.tasks ?? [];
      const bars = h.querySelectorAll('.timeline .row .bar');
      assert.ok(bars.length >= Math.max(1, tasks.length), `${name}: ${bars.length} bars for ${tasks.length} tasks`);
      for (const t of tasks) assert.ok(h.querySelectorAll(`.bar.st-${t.status}`).length > 0, `${name}: a ${t.status} bar`);
    }
    assert.equal(dom.querySelectorAll('table.recap tbody tr').length, 4);
    assert.equal(dom.querySelectorAll('table.recap tbody tr.bad').length, 2);
    assert.ok(dom.querySelectorAll('.row.kind-handler').length >= 2);
    assert.ok(dom.querySelectorAll('.row.kind-wait').length >= 1);
    assert.ok(dom.querySelector('.bar .wait-part'));
    const diffs = dom.querySelectorAll('details.change pre.diff');
    assert.ok(diffs.length >= 2);
    assert.ok(diffs.some((d) => d.querySelectorAll('.add').length > 0 && d.querySelectorAll('.del').length > 0));
    assert.ok(dom.querySelector('details.change.st-failed[open]'));
  });

  test('hostile text stays text in the browser, and the secret is nowhere', () => {
    assert.ok(dom.querySelectorAll('.timeline .label').some((l) => l.text.includes(HOSTILE_NAME)));
    assert.ok(!dom.toString().includes(SAMPLE_SECRET));
  });

  test('a screenshot for the CI artifacts', () => {
    mkdirSync(dirname(SHOT), { recursive: true });
    rmSync(SHOT, { force: true });
    chromium([`--screenshot=${SHOT}`, '--window-size=1280,2000', pathToFileURL(file).href]);
    assert.ok(statSync(SHOT).size > 10_000, 'a real picture');
    console.log(`HTML report screenshot: ${SHOT}`);
  });
});
