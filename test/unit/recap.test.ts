import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatChanges, formatRecap, toJsonReport } from '../../src/engine/recap.ts';
import type { RunReport } from '../../src/engine/runner.ts';

function report(check: boolean): RunReport {
  return {
    durationMs: 4321,
    check,
    hosts: {
      devvm: {
        ok: 2,
        changed: 1,
        failed: 0,
        skipped: 1,
        unreachable: 0,
        durationMs: 1500,
        roundTrips: 12,
        tasks: [
          { role: 'docker', name: 'packages', status: 'ok', durationMs: 300, reason: 'installed: docker-ce' },
          { role: 'docker', name: 'daemon.json', status: check ? 'would-change' : 'changed', durationMs: 900, reason: '/etc/docker/daemon.json: content', diff: '--- a\n+++ b' },
          { role: 'docker', name: 'no check', status: 'skipped', durationMs: 0, reason: 'this task cannot be checked without running it' },
          { role: 'networks', name: 'docker network infra-network', status: 'ok', durationMs: 50 },
        ],
      },
      'vm-unreachable': {
        ok: 0,
        changed: 0,
        failed: 0,
        skipped: 0,
        unreachable: 1,
        durationMs: 15000,
        roundTrips: 0,
        error: 'cannot connect to deploy@10.0.0.9:22: ETIMEDOUT',
        tasks: [],
      },
    },
  };
}

describe('toJsonReport', () => {
  const j = toJsonReport(report(false)) as {
    durationMs: number;
    check: boolean;
    hosts: Record<string, Record<string, unknown> & { tasks: Record<string, unknown>[] }>;
  };

  test('top level keys', () => {
    assert.deepEqual(Object.keys(j), ['durationMs', 'check', 'hosts']);
    assert.equal(j.durationMs, 4321);
    assert.equal(j.check, false);
    assert.deepEqual(Object.keys(j.hosts), ['devvm', 'vm-unreachable']);
  });

  test('exact keys per host; error only when there is one', () => {
    assert.deepEqual(Object.keys(j.hosts.devvm!), ['ok', 'changed', 'failed', 'skipped', 'unreachable', 'durationMs', 'roundTrips', 'tasks']);
    assert.deepEqual(Object.keys(j.hosts['vm-unreachable']!), ['ok', 'changed', 'failed', 'skipped', 'unreachable', 'durationMs', 'roundTrips', 'error', 'tasks']);
    assert.equal(j.hosts['vm-unreachable']!.error, 'cannot connect to deploy@10.0.0.9:22: ETIMEDOUT');
  });

  test('exact keys per task; reason and diff only when present', () => {
    const tasks = j.hosts.devvm!.tasks;
    assert.deepEqual(Object.keys(tasks[0]!), ['role', 'name', 'status', 'durationMs', 'reason']);
    assert.deepEqual(Object.keys(tasks[1]!), ['role', 'name', 'status', 'durationMs', 'reason', 'diff']);
    assert.deepEqual(Object.keys(tasks[3]!), ['role', 'name', 'status', 'durationMs']);
    assert.deepEqual(tasks[1], { role: 'docker', name: 'daemon.json', status: 'changed', durationMs: 900, reason: '/etc/docker/daemon.json: content', diff: '--- a\n+++ b' });
  });

  test('is JSON-serialisable and round-trips', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(j)), j);
  });
});

describe('formatRecap', () => {
  test('per-host counts, times and round trips', () => {
    const lines = formatRecap(report(false)).split('\n');
    assert.equal(lines[0], `PLAY RECAP ${'*'.repeat(60)}`);
    assert.equal(lines[1], 'devvm          : ok=2    changed=1    failed=0   skipped=1   unreachable=0  time=1.50s round-trips=12');
    assert.equal(lines[2], 'vm-unreachable : ok=0    changed=0    failed=0   skipped=0   unreachable=1  time=15.00s round-trips=0');
    // The error goes under the counts, indented past "<name> : ".
    assert.equal(lines[3], `${' '.repeat('vm-unreachable'.length + 3)}cannot connect to deploy@10.0.0.9:22: ETIMEDOUT`);
  });

  test('check mode says would-change', () => {
    const text = formatRecap(report(true));
    assert.ok(text.startsWith(`CHECK RECAP ${'*'.repeat(60)}\n`));
    assert.match(text, /^devvm {10}: ok=2 {4}would-change=1 {4}failed=0/m);
    assert.doesNotMatch(text, / changed=/);
  });

  test('slowest tasks first, limited, then the total', () => {
    const text = formatRecap(report(false), 2);
    assert.ok(
      text.endsWith('\n\nSlowest tasks:\n  0.90s    devvm docker | daemon.json [changed]\n  0.30s    devvm docker | packages [ok]\n\nTotal: 4.32s'),
      text,
    );
  });
});

describe('formatChanges', () => {
  test('lists changed tasks with reasons; diffs only when asked, indented', () => {
    assert.equal(formatChanges(report(false), false), '--- devvm\n  [changed] docker | daemon.json: /etc/docker/daemon.json: content');
    assert.equal(
      formatChanges(report(false), true),
      '--- devvm\n  [changed] docker | daemon.json: /etc/docker/daemon.json: content\n      --- a\n      +++ b',
    );
  });
  test('nothing changed → empty', () => {
    const r = report(false);
    r.hosts.devvm!.tasks = r.hosts.devvm!.tasks.filter((t) => t.status === 'ok');
    assert.equal(formatChanges(r, true), '');
  });
});
