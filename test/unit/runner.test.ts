// Many hosts through the real runner and host sessions over fake connections: forks, one bad
// host never stopping the others, rolling batches (serial) and max_fail_percentage, and what the
// recap, the JSON report and the exit code say about every host.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exitCodeOf } from '../../src/cli.ts';
import type { Rollout } from '../../src/engine/batches.ts';
import { RecordingDisplay } from '../../src/engine/events.ts';
import type { HostPlan } from '../../src/engine/plan.ts';
import { formatRecap, toJsonReport } from '../../src/engine/recap.ts';
import { runPlans, type RunReport } from '../../src/engine/runner.ts';
import type { OpenConnection } from '../../src/engine/session.ts';
import { defineTask, differs, inSync } from '../../src/engine/task.ts';
import { read } from '../../src/engine/read.ts';
import { sh } from '../../src/remote/command.ts';
import { UnreachableError } from '../../src/remote/connection.ts';
import { FakeConnection } from '../fakes/fake-connection.ts';

const STATE = read(sh`cat /srv/state`, (r) => r.stdout.trim());

/** Wants /srv/state to say "good"; apply writes it. */
const stateTask = defineTask({
  name: 'state',
  reads: { state: STATE },
  check: (_ctx, { state }) => (state === 'good' ? inSync('state is good') : differs(`state is ${state}`)),
  apply: async (ctx) => {
    await ctx.$`write-state good`;
  },
});

function plansFor(names: string[]): HostPlan[] {
  return names.map((name) => ({
    name,
    connection: { name, address: '127.0.0.1', port: 22, user: 'deploy', become: true },
    roles: [{ name: 'r', tasks: [stateTask], handlers: [] }],
    secrets: [],
  }));
}

type Behaviour = 'ok' | 'drifted' | 'fails' | 'unreachable';

/** A fleet of fake hosts: each behaves as told; records when each was opened and closed. */
class Fleet {
  readonly opened: string[] = [];
  readonly log: string[] = [];
  active = 0;
  maxActive = 0;
  constructor(private readonly behaviour: Record<string, Behaviour>) {}

  readonly open: OpenConnection = async (spec) => {
    const name = spec.name;
    this.opened.push(name);
    this.log.push(`open ${name}`);
    await new Promise((r) => setTimeout(r, 15));
    const how = this.behaviour[name] ?? 'ok';
    if (how === 'unreachable') {
      this.log.push(`close ${name}`);
      throw new UnreachableError(name, `cannot connect to deploy@${spec.address}:22: connect ECONNREFUSED`);
    }
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const conn = new FakeConnection(
      [
        { match: 'cat /srv/state', stdout: how === 'ok' ? 'good\n' : 'bad\n' },
        { match: 'write-state', exitCode: how === 'fails' ? 1 : 0, stderr: how === 'fails' ? 'disk full' : '' },
      ],
      { name },
    );
    const close = conn.close.bind(conn);
    conn.close = () => {
      close();
      this.active--;
      this.log.push(`close ${name}`);
    };
    // A host's run takes a little while, so hosts overlap when they may.
    const readMany = conn.readMany.bind(conn);
    conn.readMany = async (cmds, gate) => {
      await new Promise((r) => setTimeout(r, 15));
      return readMany(cmds, gate);
    };
    return conn;
  };
}

async function run(behaviour: Record<string, Behaviour>, opts: { forks?: number; rollout?: Rollout; check?: boolean } = {}) {
  const fleet = new Fleet(behaviour);
  const display = new RecordingDisplay();
  const report = await runPlans(plansFor(Object.keys(behaviour)), { check: opts.check ?? false, forks: opts.forks ?? 5, display, open: fleet.open, rollout: opts.rollout });
  return { report, fleet, display, json: toJsonReport(report) as { batches?: number; stopped?: string; hosts: Record<string, Record<string, unknown>> }, recap: formatRecap(report) };
}

const recapLine = (recap: string, host: string) => recap.split('\n').find((l) => l.startsWith(`${host} `)) ?? '';

describe('many hosts', () => {
  test('an unreachable host and a failing host never stop the others; every host is in the recap and JSON', async () => {
    const { report, json, recap } = await run({ a: 'drifted', dead: 'unreachable', broken: 'fails', d: 'ok' }, { forks: 4 });
    assert.deepEqual(Object.keys(report.hosts), ['a', 'dead', 'broken', 'd'], 'run order, whatever finished first');
    assert.equal(report.hosts.a?.changed, 1);
    assert.equal(report.hosts.d?.ok, 1);
    assert.equal(report.hosts.dead?.unreachable, 1);
    assert.equal(report.hosts.broken?.failed, 1);
    assert.deepEqual(Object.keys(json.hosts), ['a', 'dead', 'broken', 'd']);
    assert.match(String(json.hosts.dead?.error), /ECONNREFUSED/);
    assert.match(String(json.hosts.broken?.tasks && JSON.stringify(json.hosts.broken.tasks)), /disk full/);
    assert.match(recapLine(recap, 'a'), /ok=0 +changed=1 +failed=0 +skipped=0 +unreachable=0 /);
    assert.match(recapLine(recap, 'dead'), /unreachable=1/);
    assert.match(recapLine(recap, 'broken'), /failed=1/);
    assert.match(recapLine(recap, 'd'), /ok=1 /);
    assert.equal(exitCodeOf(report, false), 1);
    assert.equal(report.batches, undefined, 'no serial: no batches in the report');
    assert.ok(!('batch' in (json.hosts.a ?? {})));
  });

  test('at most --forks hosts at once, and every host runs', async () => {
    const { fleet, report } = await run({ h1: 'ok', h2: 'ok', h3: 'ok', h4: 'ok', h5: 'ok' }, { forks: 2 });
    assert.equal(fleet.maxActive, 2);
    assert.equal(Object.values(report.hosts).filter((h) => h.ok === 1).length, 5);
    assert.equal(exitCodeOf(report, false), 0);
  });

  test('forks 5 on 5 hosts: all at once', async () => {
    const { fleet } = await run({ h1: 'ok', h2: 'ok', h3: 'ok', h4: 'ok', h5: 'ok' }, { forks: 5 });
    assert.equal(fleet.maxActive, 5);
  });
});

describe('serial', () => {
  test('batches run one after the other: no host of a batch opens before the previous batch closed', async () => {
    const { fleet, report, display, json, recap } = await run({ h1: 'ok', h2: 'drifted', h3: 'ok', h4: 'ok', h5: 'ok' }, { forks: 5, rollout: { serial: [1, '40%'] } });
    assert.equal(fleet.log.length, 10, fleet.log.join(', '));
    const at = (s: string) => fleet.log.indexOf(s);
    assert.ok(at('close h1') < at('open h2') && at('close h1') < at('open h3'));
    assert.ok(Math.max(at('close h2'), at('close h3')) < Math.min(at('open h4'), at('open h5')));
    assert.equal(report.batches, 3);
    assert.deepEqual(Object.values(report.hosts).map((h) => h.batch), [1, 2, 2, 3, 3]);
    assert.deepEqual(
      display.events.flatMap((e) => (e.type === 'batch-start' ? [`${e.batch}/${e.batches}: ${e.hosts.join(',')}`] : [])),
      ['1/3: h1', '2/3: h2,h3', '3/3: h4,h5'],
    );
    assert.equal(json.batches, 3);
    assert.equal(json.hosts.h4?.batch, 3);
    assert.match(recapLine(recap, 'h2'), /changed=1 .* batch=2\/3$/);
    assert.equal(exitCodeOf(report, false), 0);
  });

  test('max_fail_percentage exceeded: later batches never start, reported as not run; exit 1', async () => {
    const { fleet, report, json, recap, display } = await run(
      { h1: 'ok', h2: 'fails', h3: 'ok', h4: 'ok', h5: 'ok', h6: 'ok' },
      { forks: 5, rollout: { serial: [3], maxFailPercentage: 30 } },
    );
    assert.deepEqual(fleet.opened.sort(), ['h1', 'h2', 'h3'], 'batch 2 was never contacted');
    const why = 'max_fail_percentage exceeded in batch 1 (1 of 3 hosts failed or unreachable: 33.3% > 30%)';
    assert.equal(report.stopped, why);
    for (const h of ['h4', 'h5', 'h6']) {
      assert.equal(report.hosts[h]?.notRun, why);
      assert.equal(json.hosts[h]?.notRun, why);
      assert.equal(json.hosts[h]?.batch, 2);
      assert.equal(recapLine(recap, h), `${h}   : not run batch=2/2: ${why}`);
    }
    assert.equal(json.stopped, why);
    assert.equal(json.hosts.h1?.notRun, undefined);
    assert.match(recap, /Later batches not started: max_fail_percentage exceeded in batch 1/);
    assert.equal(exitCodeOf(report, false), 1);
    // The display hears of the hosts never started, so it can draw them as such.
    assert.ok(display.events.some((e) => e.type === 'host-end' && e.host === 'h6' && e.result.notRun === why));
  });

  test('an unreachable host counts as failed', async () => {
    const { report } = await run({ h1: 'unreachable', h2: 'ok', h3: 'ok', h4: 'ok' }, { rollout: { serial: ['50%'], maxFailPercentage: 49 } });
    assert.equal(report.hosts.h3?.notRun, 'max_fail_percentage exceeded in batch 1 (1 of 2 hosts failed or unreachable: 50% > 49%)');
  });

  test('a failed share equal to max_fail_percentage goes on', async () => {
    const { report, fleet } = await run({ h1: 'fails', h2: 'ok', h3: 'ok', h4: 'ok', h5: 'ok', h6: 'ok', h7: 'ok', h8: 'ok' }, { rollout: { serial: [4], maxFailPercentage: 25 } });
    assert.equal(fleet.opened.length, 8);
    assert.equal(report.stopped, undefined);
    assert.equal(report.hosts.h1?.failed, 1);
    assert.equal(exitCodeOf(report, false), 1, 'the failed host still fails the run');
  });

  test('without max_fail_percentage a batch whose every host failed stops the rest (as Ansible)', async () => {
    const { report, fleet } = await run({ h1: 'fails', h2: 'unreachable', h3: 'ok' }, { rollout: { serial: [2] } });
    assert.deepEqual(fleet.opened.sort(), ['h1', 'h2']);
    assert.equal(report.hosts.h3?.notRun, 'every host of batch 1 failed (2 of 2 hosts failed or unreachable)');
  });

  test('without max_fail_percentage a partly failed batch goes on', async () => {
    const { fleet } = await run({ h1: 'fails', h2: 'ok', h3: 'ok' }, { rollout: { serial: [2] } });
    assert.equal(fleet.opened.length, 3);
  });

  test('forks still limit a batch', async () => {
    const { fleet } = await run({ h1: 'ok', h2: 'ok', h3: 'ok', h4: 'ok' }, { forks: 1, rollout: { serial: [2] } });
    assert.equal(fleet.maxActive, 1);
  });

  test('check mode: a batch whose hosts would change goes on (would-change is not failure); exit 3', async () => {
    const { report, fleet } = await run({ h1: 'drifted', h2: 'drifted' }, { check: true, rollout: { serial: [1], maxFailPercentage: 0 } });
    assert.equal(fleet.opened.length, 2);
    assert.equal(exitCodeOf(report, false), 3);
  });

  test('an interrupt between batches leaves the later ones not run; exit 130', async () => {
    const fleet = new Fleet({ h1: 'ok', h2: 'ok', h3: 'ok' });
    let stop = false;
    const open: OpenConnection = async (spec, m, l) => {
      const c = await fleet.open(spec, m, l);
      stop = true; // Ctrl-C while the first batch runs
      return c;
    };
    const report: RunReport = await runPlans(plansFor(['h1', 'h2', 'h3']), { check: false, forks: 5, display: new RecordingDisplay(), open, rollout: { serial: [1] }, stopRequested: () => stop });
    assert.deepEqual(fleet.opened, ['h1']);
    assert.equal(report.hosts.h2?.notRun, 'the run was interrupted');
    assert.equal(report.hosts.h3?.notRun, 'the run was interrupted');
    assert.equal(exitCodeOf(report, true), 130);
  });
});
