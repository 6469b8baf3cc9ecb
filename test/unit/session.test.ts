// The host session without SSH: unreachable hosts, failures and their handlers, check mode,
// prefetch invalidation, a lost connection, a host without docker.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sh } from '../../src/remote/command.ts';
import { UnreachableError } from '../../src/remote/connection.ts';
import { RecordingDisplay } from '../../src/engine/events.ts';
import { dockerRead, read } from '../../src/engine/read.ts';
import { runHostSession } from '../../src/engine/session.ts';
import { defineTask, differs, inSync } from '../../src/engine/task.ts';
import type { Handler, Task } from '../../src/engine/types.ts';
import { FakeConnection } from '../fakes/fake-connection.ts';
import { planOf, runTasks } from '../fakes/run-tasks.ts';

const STATE = read(sh`cat /srv/state`, (r) => r.stdout.trim());

/** A task that wants /srv/state to say `want`; apply writes it. */
function stateTask(name: string, want: string, notify: string[] = []): Task {
  return defineTask({
    name,
    notify,
    reads: { state: STATE },
    check: (_ctx, { state }) => (state === want ? inSync(`state is ${want}`) : differs(`state is ${state}, wanted ${want}`)),
    apply: async (ctx) => {
      await ctx.$`echo ${want} >/srv/state`;
    },
  });
}

const failing: Task = defineTask({
  name: 'breaks',
  check: () => differs('needs a change'),
  apply: async (ctx) => {
    await ctx.$`false-command`;
  },
});

const handler = (name: string, ran: string[]): Handler => ({ name, run: async () => void ran.push(name) });

describe('host session', () => {
  test('an unreachable host: unreachable=1, its error, no task run', async () => {
    const display = new RecordingDisplay();
    const r = await runHostSession(planOf([{ name: 'r', tasks: [stateTask('t', 'a')] }]), { check: false }, {
      open: async () => {
        throw new UnreachableError('vm1', 'cannot connect to deploy@127.0.0.1:22: connect ECONNREFUSED');
      },
      emit: (e) => display.event(e),
    });
    assert.equal(r.unreachable, 1);
    assert.equal(r.tasks.length, 0);
    assert.match(r.error ?? '', /ECONNREFUSED/);
    assert.deepEqual(display.events.map((e) => e.type), ['host-start', 'host-end']);
  });

  test('one round trip reads the facts and every task, distinct commands once', async () => {
    const conn = new FakeConnection([{ match: 'cat /srv/state', stdout: 'a\n' }]);
    const { result } = await runTasks(conn, [{ name: 'r', tasks: [stateTask('t1', 'a'), stateTask('t2', 'a')] }]);
    assert.equal(result.ok, 2);
    assert.equal(conn.batched.length, 2, 'facts + the one shared read');
    assert.deepEqual(conn.commands, [], 'nothing run beyond the batch');
    assert.equal(result.roundTrips, 1);
  });

  test('a failing task stops the host; handlers notified before it are reported, not run', async () => {
    const ran: string[] = [];
    const conn = new FakeConnection([{ match: 'cat /srv/state', stdout: 'old\n' }, { match: 'false-command', exitCode: 127, stderr: 'false-command: not found' }]);
    const { result, display } = await runTasks(conn, [
      { name: 'r', tasks: [stateTask('first', 'new', ['restart it']), failing, stateTask('never', 'x')], handlers: [handler('restart it', ran), handler('other', ran)] },
    ]);
    assert.deepEqual(
      result.tasks.map((t) => [t.name, t.status]),
      [
        ['first', 'changed'],
        ['breaks', 'failed'],
        ['handler: restart it', 'skipped'],
      ],
    );
    assert.match(result.tasks[2]?.reason ?? '', /notified, but not run/);
    assert.match(result.tasks[1]?.reason ?? '', /exit 127/);
    assert.deepEqual(ran, []);
    assert.equal(result.failed, 1);
    assert.ok(!conn.commands.some((c) => c.includes('echo x')), 'the task after the failure never ran');
    assert.equal(display.events.at(-1)?.type, 'host-end');
  });

  test('check mode: would-change, nothing applied, the handler reported as would run', async () => {
    const ran: string[] = [];
    const conn = new FakeConnection([{ match: 'cat /srv/state', stdout: 'old\n' }]);
    const { result } = await runTasks(conn, [{ name: 'r', tasks: [stateTask('t', 'new', ['restart it'])], handlers: [handler('restart it', ran)] }], { check: true });
    assert.deepEqual(result.tasks.map((t) => [t.name, t.status]), [['t', 'would-change'], ['handler: restart it', 'would-change']]);
    assert.deepEqual(conn.commands, []);
    assert.deepEqual(ran, []);
    assert.equal(result.changed, 2);
  });

  test('after a change, reads go to the host again (the batch is stale)', async () => {
    const conn = new FakeConnection([{ match: 'cat /srv/state', stdout: 'old\n', times: 1 }, { match: 'cat /srv/state', stdout: 'new\n' }]);
    const { result } = await runTasks(conn, [{ name: 'r', tasks: [stateTask('writer', 'new'), stateTask('reader', 'new')] }]);
    assert.deepEqual(result.tasks.map((t) => t.status), ['changed', 'ok']);
    // The batch said "old" for both; the second task read again after the first changed the host.
    assert.deepEqual(conn.commands, ['echo new >/srv/state', 'cat /srv/state']);
  });

  test('without a change the batch answers every read (no second read)', async () => {
    const conn = new FakeConnection([{ match: 'cat /srv/state', stdout: 'new\n' }]);
    await runTasks(conn, [{ name: 'r', tasks: [stateTask('a', 'new'), stateTask('b', 'new')] }]);
    assert.deepEqual(conn.commands, []);
  });

  test('a lost connection is made again once and the task retried from its check', async () => {
    const conn = new FakeConnection([
      { match: 'cat /srv/state', stdout: 'old\n', times: 1 },
      { match: 'echo new', drop: true, times: 1 },
      { match: 'cat /srv/state', stdout: 'old\n' },
    ]);
    const { result } = await runTasks(conn, [{ name: 'r', tasks: [stateTask('t', 'new')] }]);
    assert.equal(conn.reconnects, 1);
    assert.deepEqual(result.tasks.map((t) => t.status), ['changed']);
    assert.deepEqual(conn.commands, ['echo new >/srv/state', 'reconnect', 'cat /srv/state', 'echo new >/srv/state']);
  });

  test('a connection lost twice: the host is unreachable, with what was done before', async () => {
    const conn = new FakeConnection([
      { match: 'cat /srv/state', stdout: 'old\n' },
      { match: 'echo first', stdout: '' },
      { match: 'echo new', drop: true },
    ]);
    const { result } = await runTasks(conn, [{ name: 'r', tasks: [stateTask('done before', 'first'), stateTask('t', 'new'), stateTask('after', 'x')] }]);
    assert.equal(result.unreachable, 1);
    assert.deepEqual(result.tasks.map((t) => [t.name, t.status]), [['done before', 'changed']]);
    assert.match(result.error ?? '', /connection was lost .*during r \| t/);
  });

  test('docker not installed: check mode says so once; apply fails clearly', async () => {
    const net = dockerRead(sh`docker network ls`, (r) => r.stdout);
    const t = defineTask({ name: 'net', reads: { net }, check: () => inSync(), apply: async () => {} });
    const check = await runTasks(new FakeConnection([], { docker: false }), [{ name: 'r', tasks: [t] }], { check: true });
    assert.equal(check.result.tasks[0]?.status, 'would-change');
    assert.match(check.result.tasks[0]?.reason ?? '', /docker is not installed yet/);
    const apply = await runTasks(new FakeConnection([], { docker: false }), [{ name: 'r', tasks: [t] }]);
    assert.equal(apply.result.tasks[0]?.status, 'failed');
    assert.match(apply.result.tasks[0]?.reason ?? '', /docker is not installed on this host/);
  });

  test('secrets of the plan are masked in reasons and errors', async () => {
    const secret = 's3cret-value-xyz';
    const t = defineTask({ name: 'leaky', check: () => differs(`value is ${secret}`), apply: async () => { throw new Error(`failed with ${secret}`); } });
    const { result } = await runTasks(new FakeConnection(), [{ name: 'r', tasks: [t] }], { secrets: [secret] });
    assert.equal(result.tasks[0]?.reason, 'failed with ***');
  });

  test('events: start, ready, each item start/end, end; in order', async () => {
    const conn = new FakeConnection([{ match: 'cat /srv/state', stdout: 'a\n' }]);
    const { display } = await runTasks(conn, [{ name: 'r', tasks: [stateTask('t', 'a')] }]);
    assert.deepEqual(display.events.map((e) => e.type), ['host-start', 'host-ready', 'task-start', 'task-end', 'host-end']);
  });
});
