import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { executeHandler, executeTask, type ExecHooks } from '../../src/engine/execute.ts';
import { defineTask, differs, inSync, uncheckedTask } from '../../src/engine/task.ts';
import type { Task, TaskContext, TaskSpec } from '../../src/engine/types.ts';
import { Rendezvous } from '../../src/engine/rendezvous.ts';
import { Masker } from '../../src/remote/mask.ts';
import { DEBIAN13 } from '../fakes/fake-connection.ts';

const SECRET = 'hunter2-very-secret';

function fakeCtx(checkMode: boolean): { ctx: TaskContext; notified: string[]; hooks: ExecHooks; applies: () => number } {
  const masker = new Masker();
  masker.add(SECRET);
  const notified: string[] = [];
  let applies = 0;
  const noRemote = async () => {
    throw new Error('no remote commands in this test');
  };
  const ctx: TaskContext = {
    host: 'devvm',
    facts: DEBIAN13,
    checkMode,
    become: true,
    run: noRemote,
    $: noRemote,
    probe: noRemote,
    read: noRemote,
    upload: noRemote,
    reconnect: noRemote,
    notify: (h) => void notified.push(h),
    log: () => {},
    progress: () => {},
    note: () => {},
    mask: () => {},
    shared: new Rendezvous(['vm1']).boardFor('vm1'),
  };
  const hooks: ExecHooks = { onApply: () => void applies++, mask: (t) => masker.mask(t), clock: () => 0 };
  return { ctx, notified, hooks, applies: () => applies };
}

type Counted = Task & { applied: () => number };

/** A task whose check answers `changed` and which counts its applies. */
function task(changed: boolean, extra: Partial<TaskSpec<Record<never, never>, null>> = {}): Counted {
  let applied = 0;
  const t = defineTask({
    name: 'the task',
    check: async () => (changed ? differs('it differs', '-a\n+b') : inSync('in sync')),
    apply: async () => {
      applied++;
    },
    notify: ['restart docker'],
    ...extra,
  });
  return Object.assign(t, { applied: () => applied });
}

describe('executeTask', () => {
  test('ok when check says unchanged; apply not called, nothing notified', async () => {
    const { ctx, notified, hooks } = fakeCtx(false);
    const t = task(false);
    const r = await executeTask(t, ctx, 'docker', hooks);
    assert.deepEqual({ ...r, durationMs: 0 }, { role: 'docker', name: 'the task', kind: 'task', status: 'ok', reason: 'in sync', startMs: 0, durationMs: 0 });
    assert.equal(t.applied(), 0);
    assert.deepEqual(notified, []);
  });

  test('would-change in check mode, with reason and diff; apply NOT called; its handler reported as would-run', async () => {
    const { ctx, notified, hooks } = fakeCtx(true);
    const t = task(true);
    const r = await executeTask(t, ctx, 'docker', hooks);
    assert.equal(r.status, 'would-change');
    assert.equal(r.reason, 'it differs');
    assert.equal(r.diff, '-a\n+b');
    assert.equal(t.applied(), 0);
    assert.deepEqual(notified, ['restart docker']);
    const h = await executeHandler({ name: 'restart docker', run: async () => assert.fail('a handler must not run in check mode') }, ctx, 'docker', hooks);
    assert.deepEqual([h.status, h.reason], ['would-change', 'would run restart docker: notified by a change']);
  });

  test('changed + notify when applied', async () => {
    const { ctx, notified, hooks } = fakeCtx(false);
    const t = task(true);
    const r = await executeTask(t, ctx, 'docker', hooks);
    assert.equal(r.status, 'changed');
    assert.equal(r.reason, 'it differs');
    assert.equal(r.diff, '-a\n+b');
    assert.equal(t.applied(), 1);
    assert.deepEqual(notified, ['restart docker']);
  });

  test('apply can refine reason and diff', async () => {
    const { ctx, hooks } = fakeCtx(false);
    const r = await executeTask(task(true, { apply: async () => ({ reason: 'created it', diff: '+x' }) }), ctx, 'docker', hooks);
    assert.equal(r.reason, 'created it');
    assert.equal(r.diff, '+x');
  });

  test('a task without check is skipped in check mode, saying it cannot be checked', async () => {
    const { ctx, notified, hooks } = fakeCtx(true);
    let applied = 0;
    const t = uncheckedTask({ name: 'the task', notify: ['restart docker'], why: 'it has no read', apply: async () => void applied++ });
    const r = await executeTask(t, ctx, 'docker', hooks);
    assert.equal(r.status, 'skipped');
    assert.match(r.reason ?? '', /cannot be checked/);
    assert.equal(applied, 0);
    assert.deepEqual(notified, []);
  });

  test('a task without check is changed in apply mode', async () => {
    const { ctx, notified, hooks } = fakeCtx(false);
    let applied = 0;
    const t = uncheckedTask({ name: 'the task', notify: ['restart docker'], why: 'it has no read', apply: async () => void applied++ });
    const r = await executeTask(t, ctx, 'docker', hooks);
    assert.equal(r.status, 'changed');
    assert.equal(applied, 1);
    assert.deepEqual(notified, ['restart docker']);
  });

  test('when returning a reason skips the task without checking', async () => {
    const { ctx, hooks } = fakeCtx(false);
    let checked = false;
    const t = task(true, {
      when: () => 'distro packages need no extra repository',
      check: async () => {
        checked = true;
        return { changed: false };
      },
    });
    const r = await executeTask(t, ctx, 'docker', hooks);
    assert.equal(r.status, 'skipped');
    assert.equal(r.reason, 'distro packages need no extra repository');
    assert.equal(checked, false);
    assert.equal(t.applied(), 0);
  });

  test(
    'an exception in when → failed, message masked (not a rejected promise)',
    async () => {
      const { ctx, hooks } = fakeCtx(false);
      const t = task(true, {
        when: () => {
          throw new Error(`unsupported OS ${SECRET}`);
        },
      });
      const r = await executeTask(t, ctx, 'docker', hooks);
      assert.deepEqual({ status: r.status, reason: r.reason }, { status: 'failed', reason: 'unsupported OS ***' });
    },
  );

  test('an exception in check → failed, message masked', async () => {
    const { ctx, hooks } = fakeCtx(false);
    const t = task(true, {
      check: async () => {
        throw new Error(`login failed with password ${SECRET} (twice: ${SECRET})`);
      },
    });
    const r = await executeTask(t, ctx, 'infra', hooks);
    assert.equal(r.status, 'failed');
    assert.equal(r.reason, 'login failed with password *** (twice: ***)');
    assert.equal(t.applied(), 0);
  });

  test('an exception in apply → failed, masked, nothing notified', async () => {
    const { ctx, notified, hooks } = fakeCtx(false);
    const t = task(true, {
      apply: async () => {
        throw new Error(`command failed: echo ${SECRET}`);
      },
    });
    const r = await executeTask(t, ctx, 'infra', hooks);
    assert.deepEqual({ status: r.status, reason: r.reason }, { status: 'failed', reason: 'command failed: echo ***' });
    assert.deepEqual(notified, []);
  });

  test('reasons and diffs of successful tasks are masked too', async () => {
    const { ctx, hooks } = fakeCtx(true);
    const t = task(true, { check: async () => differs(`pw ${SECRET}`, `+PW=${SECRET}`) });
    const r = await executeTask(t, ctx, 'infra', hooks);
    assert.equal(r.reason, 'pw ***');
    assert.equal(r.diff, '+PW=***');
  });

  test('apply is announced before it runs (the run marks its prefetched reads stale)', async () => {
    const { ctx, hooks, applies } = fakeCtx(false);
    await executeTask(task(true), ctx, 'docker', hooks);
    assert.equal(applies(), 1);
    await executeTask(task(false), ctx, 'docker', hooks);
    assert.equal(applies(), 1, 'an ok task changes nothing');
  });

  test('records role, name and a duration', async () => {
    const { ctx, hooks } = fakeCtx(false);
    const r = await executeTask(task(false, { name: 'named' }), ctx, 'networks', hooks);
    assert.equal(r.role, 'networks');
    assert.equal(r.name, 'named');
    assert.ok(Number.isInteger(r.durationMs) && r.durationMs >= 0);
  });
});

describe('executeHandler', () => {
  test('check mode: would-change without running', async () => {
    const { ctx, hooks } = fakeCtx(true);
    let ran = false;
    const r = await executeHandler({ name: 'restart docker', run: async () => void (ran = true) }, ctx, 'docker', hooks);
    assert.equal(r.status, 'would-change');
    assert.equal(r.name, 'handler: restart docker');
    assert.equal(ran, false);
  });
  test('apply mode: runs, changed; failures masked', async () => {
    const { ctx, hooks } = fakeCtx(false);
    assert.equal((await executeHandler({ name: 'h', run: async () => 'restarted' }, ctx, 'docker', hooks)).reason, 'restarted');
    const f = await executeHandler({ name: 'h', run: async () => { throw new Error(`bad ${SECRET}`); } }, ctx, 'docker', hooks);
    assert.deepEqual({ status: f.status, reason: f.reason }, { status: 'failed', reason: 'bad ***' });
  });
});
