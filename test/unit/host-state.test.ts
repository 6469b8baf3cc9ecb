// One run at a time and nothing forgotten, without SSH: the lock (free, busy, given up, taken
// over), the audit trail's end record, handlers left pending by a failed or interrupted run and
// run first in the next one.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sh } from '../../src/remote/command.ts';
import { RecordingDisplay } from '../../src/engine/events.ts';
import { pairRecords, type RunInfo } from '../../src/engine/host-state.ts';
import { read } from '../../src/engine/read.ts';
import { runHostSession, type SessionOptions } from '../../src/engine/session.ts';
import { defineTask, differs, inSync } from '../../src/engine/task.ts';
import type { Handler, Task } from '../../src/engine/types.ts';
import { formatHistory } from '../../src/commands/history.ts';
import { FakeConnection, type FakeResponse } from '../fakes/fake-connection.ts';
import { planOf } from '../fakes/run-tasks.ts';

const INFO: RunInfo = { id: 'run1', user: 'bob', control: 'laptop', command: 'provision apply -i inv.yml', inventory: 'inv.yml', playbook: 'site.yml', mode: 'apply', commit: 'abc123', dirty: false };
const OWNER = JSON.stringify({ id: 'other', user: 'alice', control: 'ci-runner', since: '2026-11-24T10:00:00.000Z', command: 'provision apply' });
const FREE: FakeResponse = { match: 'flock -n 8', stdout: 'acquired\npending []\n' };

const STATE = read(sh`cat /srv/state`, (r) => r.stdout.trim());
const stateTask = (name: string, want: string, notify: string[] = []): Task =>
  defineTask({
    name,
    notify,
    reads: { s: STATE },
    check: (_c, { s }) => (s === want ? inSync() : differs(`state ${s}`)),
    apply: async (ctx) => void (await ctx.$`echo ${want} >/srv/state`),
  });
const failing = defineTask({ name: 'breaks', check: () => differs('x'), apply: async (ctx) => void (await ctx.$`false-command`) });
const handler = (name: string, ran: string[]): Handler => ({ name, run: async () => void ran.push(name) });

async function session(conn: FakeConnection, roles: { name: string; tasks: Task[]; handlers?: Handler[] }[], opts: Partial<SessionOptions> = {}, stop?: () => boolean) {
  const display = new RecordingDisplay();
  const result = await runHostSession(planOf(roles), { check: false, info: INFO, ...opts }, { open: async () => conn, emit: (e) => display.event(e), stopRequested: stop });
  const notes = display.events.flatMap((e) => (e.type === 'host-note' ? [e.text] : []));
  return { result, notes };
}

/** The JSON records a command appends to the audit trail, and the pending-handlers file it writes. */
function decoded(cmd: string): unknown[] {
  return [...cmd.matchAll(/printf '%s' ([A-Za-z0-9+/=]{8,}) \| base64 -d/g)].map((m) => JSON.parse(Buffer.from(m[1] ?? '', 'base64').toString('utf8')) as unknown);
}

describe('the host lock', () => {
  test('free: taken in the same round trip as the reads; released at the end with the audit end record', async () => {
    const conn = new FakeConnection([FREE, { match: 'cat /srv/state', stdout: 'a\n' }]);
    const { result } = await session(conn, [{ name: 'r', tasks: [stateTask('t', 'a')] }]);
    assert.equal(result.ok, 1);
    assert.equal(conn.gates.length, 1);
    assert.match(conn.gates[0] ?? '', /flock -n 8/);
    const start = decoded(conn.gates[0] ?? '').find((x) => (x as { event?: string }).event === 'start') as Record<string, unknown>;
    assert.deepEqual([start.user, start.control, start.commit, start.mode, start.playbook], ['bob', 'laptop', 'abc123', 'apply', 'site.yml']);
    assert.equal(conn.commands.length, 1, 'one more command: the end of the run');
    const end = conn.commands[0] ?? '';
    assert.match(end, /flock -u 8/);
    assert.deepEqual(decoded(end)[0], { ...(decoded(end)[0] as object), event: 'end', id: 'run1', outcome: 'ok', changed: [] });
    assert.match(end, /rm -f "\$PROVISION_STATE\/pending-handlers.json"/, 'nothing pending');
  });

  test('busy: waits, saying who holds it, then runs', async () => {
    const conn = new FakeConnection([
      { match: 'flock -n 8', stdout: `busy\n${OWNER}\n`, exitCode: 75, times: 1 },
      { match: 'flock -w', stdout: `busy\n${OWNER}\n`, exitCode: 75, times: 1 },
      { match: 'flock -w', stdout: 'acquired\n' },
      FREE,
      { match: 'cat /srv/state', stdout: 'a\n' },
    ]);
    const { result, notes } = await session(conn, [{ name: 'r', tasks: [stateTask('t', 'a')] }]);
    assert.equal(result.ok, 1);
    assert.match(notes[0] ?? '', /waiting for the run of alice on ci-runner since 2026-11-24T10:00:00.000Z \(provision apply\) to finish/);
    assert.equal(conn.gates.length, 2, 'the reads ran again once the lock was ours');
  });

  test('busy past --lock-timeout: exit 1 with who holds it; nothing read, nothing changed', async () => {
    const conn = new FakeConnection([{ match: 'flock', stdout: `busy\n${OWNER}\n`, exitCode: 75 }]);
    const { result } = await session(conn, [{ name: 'r', tasks: [stateTask('t', 'a')] }], { lockTimeoutMs: 1 });
    assert.equal(result.failed, 1);
    assert.match(result.error ?? '', /another run holds the lock on this host: alice on ci-runner since 2026-11-24T10:00:00.000Z \(provision apply\); gave up after \d+ s \(--lock-timeout\)/);
    assert.deepEqual(conn.batched, []);
    assert.ok(!conn.commands.some((c) => c.includes('/srv/state')));
  });

  test('a lock left by a run that died is taken over, and the run says so', async () => {
    const conn = new FakeConnection([{ match: 'flock -n 8', stdout: `acquired\nstale ${OWNER}\npending []\n` }, { match: 'cat /srv/state', stdout: 'a\n' }]);
    const { notes } = await session(conn, [{ name: 'r', tasks: [stateTask('t', 'a')] }]);
    assert.match(notes.join('\n'), /took over the lock left by a run that ended without releasing it: alice on ci-runner/);
  });
});

describe('handlers are never forgotten', () => {
  test('a failed run records the handlers it could not run; the next run runs them at the end of their role, then clears them', async () => {
    const ran: string[] = [];
    const failed = new FakeConnection([FREE, { match: 'cat /srv/state', stdout: 'old\n' }, { match: 'false-command', exitCode: 1 }]);
    const roles = [{ name: 'docker', tasks: [stateTask('daemon.json', 'new', ['restart docker']), failing], handlers: [handler('restart docker', ran)] }];
    const first = await session(failed, roles);
    assert.equal(first.result.failed, 1);
    const end = failed.commands.at(-1) ?? '';
    const pending = decoded(end).find(Array.isArray) as { role: string; handler: string; why: string }[];
    assert.deepEqual(pending.map((p) => [p.role, p.handler, p.why]), [['docker', 'restart docker', 'the run stopped at a failure']]);
    assert.deepEqual(ran, []);

    const next = new FakeConnection([{ match: 'flock -n 8', stdout: `acquired\npending ${JSON.stringify(pending)}\n` }, { match: 'cat /srv/state', stdout: 'new\n' }]);
    const second = await session(next, [{ name: 'docker', tasks: [stateTask('daemon.json', 'new', ['restart docker'])], handlers: [handler('restart docker', ran)] }]);
    assert.deepEqual(ran, ['restart docker'], 'run, though nothing changed in this run');
    assert.deepEqual(second.result.tasks.map((t) => t.status), ['ok', 'changed'], "after the role's tasks");
    assert.match(second.result.tasks[1]?.name ?? '', /^handler: restart docker \(pending: the run stopped at a failure, in the run of /);
    assert.match(second.notes.join('\n'), /handler docker \| restart docker is pending \(the run stopped at a failure/);
    assert.match(next.commands.at(-1) ?? '', /rm -f "\$PROVISION_STATE\/pending-handlers.json"/);
  });

  test('check mode reports a pending handler as would-run and leaves it pending', async () => {
    const pending = [{ role: 'docker', handler: 'restart docker', since: 'then', why: 'the run was interrupted' }];
    const conn = new FakeConnection([{ match: 'flock -n 8', stdout: `acquired\npending ${JSON.stringify(pending)}\n` }, { match: 'cat /srv/state', stdout: 'a\n' }]);
    const { result } = await session(conn, [{ name: 'docker', tasks: [stateTask('t', 'a')], handlers: [handler('restart docker', [])] }], { check: true });
    assert.deepEqual(result.tasks.map((t) => t.status), ['ok', 'would-change']);
    assert.doesNotMatch(conn.commands.at(-1) ?? '', /pending-handlers/, 'left as it is');
  });

  test('a pending handler of a role this run does not include is kept for a later run', async () => {
    const pending = [{ role: 'docker', handler: 'restart docker', since: 'then', why: 'the run was interrupted' }];
    const conn = new FakeConnection([{ match: 'flock -n 8', stdout: `acquired\npending ${JSON.stringify(pending)}\n` }, { match: 'cat /srv/state', stdout: 'a\n' }]);
    const { notes } = await session(conn, [{ name: 'networks', tasks: [stateTask('t', 'a')] }]);
    assert.match(notes.join('\n'), /role docker is not part of this run: kept for a later one/);
    assert.deepEqual((decoded(conn.commands.at(-1) ?? '').find(Array.isArray) as unknown[]).length, 1);
  });

  test('an interrupt stops between tasks; the audit says interrupted; notified handlers stay pending', async () => {
    let done = 0;
    const conn = new FakeConnection([FREE, { match: 'cat /srv/state', stdout: 'old\n' }]);
    const counting = defineTask({ name: 'first', notify: ['reload'], check: () => differs('x'), apply: async () => void done++ });
    const { result } = await session(conn, [{ name: 'r', tasks: [counting, stateTask('second', 'new')], handlers: [handler('reload', [])] }], {}, () => done > 0);
    assert.deepEqual(result.tasks.map((t) => [t.name, t.status]), [['first', 'changed'], ['handler: reload', 'skipped']]);
    assert.match(result.error ?? '', /interrupted/);
    const recs = decoded(conn.commands.at(-1) ?? '');
    assert.equal((recs[0] as { outcome: string }).outcome, 'interrupted');
    assert.deepEqual((recs.find(Array.isArray) as { handler: string; why: string }[]).map((p) => [p.handler, p.why]), [['reload', 'the run was interrupted']]);
  });
});

describe('provision history', () => {
  test('start and end records are paired by run; an unfinished run says so', () => {
    const text = [
      JSON.stringify({ event: 'start', id: 'a', time: 'T1', mode: 'apply', user: 'bob', control: 'laptop', commit: 'abcdef1234567', dirty: true, playbook: 'site.yml' }),
      JSON.stringify({ event: 'start', id: 'b', time: 'T2', mode: 'check', user: 'ci', control: 'runner', playbook: 'site.yml' }),
      JSON.stringify({ event: 'end', id: 'a', outcome: 'changed', changed: ['r | t'], durationMs: 1234 }),
      'not json',
    ].join('\n');
    const out = formatHistory('vm1', pairRecords(text));
    assert.equal(out, ['vm1:', '  T1  apply  changed (1 changed)  bob@laptop  abcdef1234+dirty  site.yml  1.2s', '  T2  check  unfinished (no end record: the run died or still runs)  ci@runner  no commit  site.yml'].join('\n'));
  });
});
