// A small fleet run through the real runner and host sessions over fake connections that take
// time to answer, for the report tests: a host that waits for another run's lock and for apt's
// lock, changes a file holding a secret and runs a handler; one that fails; one in sync; one
// unreachable. Task names, reasons and output carry markup and the secret, as a hostile or
// careless input would.
import { RecordingDisplay } from '../../src/engine/events.ts';
import type { RunInfo } from '../../src/engine/host-state.ts';
import type { HostPlan } from '../../src/engine/plan.ts';
import { read } from '../../src/engine/read.ts';
import { runPlans, type RunReport } from '../../src/engine/runner.ts';
import { defineTask, differs, inSync } from '../../src/engine/task.ts';
import type { Handler, Task } from '../../src/engine/types.ts';
import { packagesTask } from '../../src/ops/apt.ts';
import { unifiedDiff } from '../../src/ops/diff.ts';
import { sh, type Cmd } from '../../src/remote/command.ts';
import { UnreachableError, type ExecResult, type ReadBatch, type RunOptions } from '../../src/remote/connection.ts';
import { FakeConnection, type FakeResponse } from './fake-connection.ts';

/** Given to every host's masker; it is in a diff, a reason, a failure and an unreachable error. */
export const SAMPLE_SECRET = 'Pg&<S3cret>"pw-4711';
export const HOSTILE_NAME = '<script>alert("task")</script> & <b>bold</b>';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A fake host that takes `latencyMs` per round trip, so the timeline has real durations. */
class SlowConnection extends FakeConnection {
  constructor(
    responses: FakeResponse[],
    name: string,
    private readonly latencyMs: number,
  ) {
    super(responses, { name });
  }
  override async run(cmd: Cmd, opts?: RunOptions): Promise<ExecResult> {
    await sleep(this.latencyMs);
    return super.run(cmd, opts);
  }
  override async readMany(cmds: readonly Cmd[], gate?: Cmd): Promise<ReadBatch> {
    await sleep(this.latencyMs);
    return super.readMany(cmds, gate);
  }
}

const INFO: RunInfo = { id: 'sample', user: 'tester', control: 'laptop', command: 'provision apply', inventory: 'inv.yml', playbook: 'site.yml', mode: 'apply' };
const OWNER = JSON.stringify({ id: 'other', user: 'alice', control: 'ci-runner', since: '2026-11-24T10:00:00.000Z', command: 'provision apply' });
const FREE: FakeResponse = { match: 'flock -n 8', stdout: 'acquired\npending []\n' };

const CONFIG = read(sh`cat /srv/app/config.ini`, (r) => r.stdout);
const WANTED_CONFIG = `[db]\nhost = db1\npassword = ${SAMPLE_SECRET}\npool = 20\n`;

function configTask(): Task {
  return defineTask({
    name: 'app config /srv/app/config.ini',
    notify: ['restart app'],
    reads: { now: CONFIG },
    check: (_c, { now }) => (now === WANTED_CONFIG ? inSync() : differs(`differs from the wanted content (password ${SAMPLE_SECRET})`, unifiedDiff(now, WANTED_CONFIG, '/srv/app/config.ini'))),
    apply: async (ctx) => {
      await ctx.$`install -m 0600 /dev/stdin /srv/app/config.ini`;
    },
  });
}

function hostileTask(): Task {
  return defineTask({ name: HOSTILE_NAME, check: () => inSync('reason with <img src=x onerror=alert(1)>') , apply: async () => {} });
}

function slowTask(name: string, ms: number, state: 'ok' | 'change'): Task {
  return defineTask({
    name,
    check: async () => {
      await sleep(ms / 3);
      return state === 'ok' ? inSync('as wanted') : differs('not as wanted');
    },
    apply: async () => {
      await sleep(ms);
    },
  });
}

const failing: Task = defineTask({
  name: 'migrate database </pre><script>alert(2)</script>',
  notify: ['restart app'],
  check: () => differs('schema version 41, wanted 42'),
  apply: async (ctx) => {
    await ctx.$`run-migrations`;
  },
});

const restartApp: Handler = { name: 'restart app', run: async () => (await sleep(150), 'restarted app.service') };

function plan(name: string, roles: { name: string; tasks: Task[]; handlers?: Handler[] }[]): HostPlan {
  return {
    name,
    connection: { name, address: '10.0.0.1', port: 22, user: 'deploy', become: true },
    roles: roles.map((r) => ({ name: r.name, tasks: r.tasks, handlers: r.handlers ?? [] })),
    secrets: [SAMPLE_SECRET],
  };
}

const APT_HOLDER = '/var/lib/dpkg/lock-frontend 812 /usr/bin/python3 /usr/bin/unattended-upgrade\n';

export async function sampleRun(check: boolean): Promise<RunReport> {
  const apt = packagesTask('base packages', ['htop', 'curl'], undefined, { lockTimeoutMs: 60_000, backoffMs: [], sleep: () => sleep(600) });
  const plans = [
    plan('web1', [
      { name: 'base', tasks: [apt, slowTask('timezone', 60, 'ok'), hostileTask()] },
      { name: 'app', tasks: [configTask(), slowTask('app image', 300, 'change')], handlers: [restartApp] },
    ]),
    plan('cache1', [{ name: 'base', tasks: [slowTask('timezone', 60, 'ok'), slowTask('swap', 40, 'ok')] }]),
    plan('db1', [{ name: 'app', tasks: [configTask(), slowTask('postgres', 200, 'ok'), failing, slowTask('never reached', 10, 'ok')], handlers: [restartApp] }]),
    plan('down1', [{ name: 'base', tasks: [slowTask('timezone', 60, 'ok')] }]),
  ];
  const conns: Record<string, () => FakeConnection> = {
    web1: () =>
      new SlowConnection(
        [
          { match: 'flock -n 8', stdout: `busy\n${OWNER}\n`, exitCode: 75, times: 1 },
          { match: 'flock -w', stdout: 'acquired\n' },
          FREE,
          { match: 'dpkg-query', stdout: 'htop\tinstalled\n' },
          { match: '/proc/locks', stdout: APT_HOLDER, times: 2 },
          { match: 'cat /srv/app/config.ini', stdout: '[db]\nhost = db1\npassword = old\npool = 10\n' },
        ],
        'web1',
        120,
      ),
    cache1: () => new SlowConnection([FREE], 'cache1', 30),
    db1: () =>
      new SlowConnection(
        [FREE, { match: 'cat /srv/app/config.ini', stdout: '' }, { match: 'run-migrations', exitCode: 1, stderr: `ERROR: password authentication failed for "${SAMPLE_SECRET}" <script>alert(3)</script>` }],
        'db1',
        60,
      ),
  };
  return runPlans(plans, {
    check,
    forks: 4,
    display: new RecordingDisplay(),
    info: { ...INFO, mode: check ? 'check' : 'apply' },
    open: async (spec) => {
      const make = conns[spec.name];
      if (!make) {
        await sleep(250);
        throw new UnreachableError(spec.name, `cannot connect to deploy@10.0.0.1:22 (banner said ${SAMPLE_SECRET}): connect ETIMEDOUT`);
      }
      return make();
    },
  });
}
