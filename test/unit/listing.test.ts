// --list-hosts, --list-tasks and --start-at-task: printed as ansible-playbook prints them,
// after --limit / --tags / --skip-tags, with no host contacted.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.ts';
import { loadInventory, type Inventory } from '../../src/config/inventory.ts';
import { loadPlaybook, type Playbook } from '../../src/config/playbook.ts';
import { formatListing, hostsPerPlay } from '../../src/engine/listing.ts';
import { buildPlan, taskMatches, type PlanOptions } from '../../src/engine/plan.ts';
import type { RoleLibrary } from '../../src/engine/roles.ts';
import { main } from '../../src/cli.ts';
import { echoRoles } from '../fakes/echo-roles.ts';
import { FakeConnection } from '../fakes/fake-connection.ts';
import { RecordingDisplay } from '../../src/engine/events.ts';
import { runPlans } from '../../src/engine/runner.ts';
import type { OpenConnection } from '../../src/engine/session.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let lib: RoleLibrary;
let inv: Inventory;
let book: Playbook;
let dir: string;
before(async () => {
  lib = await echoRoles();
  dir = mkdtempSync(join(tmpdir(), 'listing-'));
  writeFileSync(join(dir, 'hosts.yml'), 'all:\n  children:\n    web:\n      hosts:\n        vm1: { level: a }\n        vm2: { level: b }\n    db:\n      hosts:\n        vm3: { level: a }\n');
  writeFileSync(join(dir, 'book.yml'), '- name: Base\n  hosts: all\n  tags: [base]\n  roles: [base]\n- name: App\n  hosts: web\n  roles:\n    - { role: app, tags: [apps] }\n');
  inv = await loadInventory(join(dir, 'hosts.yml'), lib.varsSchema);
  book = await loadPlaybook(join(dir, 'book.yml'), lib.varsSchema);
});

const plans = (opts: PlanOptions = {}) => buildPlan(inv, book, lib, { file: '.env', fromFile: {} }, opts);
const listing = (opts: PlanOptions & { hosts?: boolean } = {}) =>
  formatListing(book, hostsPerPlay(inv, book, opts.limit), { hosts: opts.hosts ?? false, plans: plans(opts) }).replaceAll(dir, 'D');

describe('--list-hosts', () => {
  test('each play, its pattern and its hosts after --limit', () => {
    const text = formatListing(book, hostsPerPlay(inv, book, '!vm2'), { hosts: true }).replaceAll(dir, 'D');
    assert.equal(
      text,
      [
        '',
        'playbook: D/book.yml',
        '',
        '  play #1 (all): Base\tTAGS: [base]',
        "    pattern: ['all']",
        '    hosts (2):',
        '      vm1',
        '      vm3',
        '',
        '  play #2 (web): App\tTAGS: []',
        "    pattern: ['web']",
        '    hosts (1):',
        '      vm1',
      ].join('\n'),
    );
  });
  test('a --limit term matching nothing is an error, as in a run', () => {
    assert.throws(() => hostsPerPlay(inv, book, 'vm1,vm9'), (e: unknown) => e instanceof ConfigError && /--limit vm1,vm9: "vm9" matches no host or group/.test(e.message));
  });
});

describe('--list-tasks', () => {
  test('tasks per play with inherited tags; hosts whose tasks differ are listed apart', () => {
    assert.equal(
      listing({ limit: 'vm1,vm2' }),
      [
        '',
        'playbook: D/book.yml',
        '',
        '  play #1 (all): Base\tTAGS: [base]',
        '    tasks (vm1):',
        '      base : packages\tTAGS: [base, setup]',
        '      base : users\tTAGS: [base, setup]',
        '      base : level is a\tTAGS: [base, setup]',
        '    tasks (vm2):',
        '      base : packages\tTAGS: [base, setup]',
        '      base : users\tTAGS: [base, setup]',
        '      base : level is b\tTAGS: [base, setup]',
        '',
        '  play #2 (web): App\tTAGS: []',
        '    tasks:',
        '      app : config\tTAGS: [app, apps]',
        '      app : start\tTAGS: [app, apps, run]',
      ].join('\n'),
    );
  });
  test('after --tags and --skip-tags; with --list-hosts too', () => {
    const text = listing({ limit: 'vm3', tags: ['setup', 'run'], skipTags: ['base'], hosts: true });
    assert.match(text, /play #1 \(all\): Base\tTAGS: \[base\]\n {4}pattern: \['all'\]\n {4}hosts \(1\):\n {6}vm3\n {4}tasks:\n\n/);
    assert.match(text, /play #2 \(web\): App\tTAGS: \[\]\n {4}pattern: \['web'\]\n {4}hosts \(0\):\n {4}tasks: \(no host of this run is in this play\)$/);
    const run = listing({ tags: ['run'] });
    assert.match(run, / {4}tasks:\n {6}app : start\tTAGS: \[app, apps, run\]$/);
    assert.doesNotMatch(run, /app : config/);
  });
});

describe('--start-at-task', () => {
  const names = (opts: PlanOptions, host = 'vm1') => plans(opts).find((p) => p.name === host)?.roles.flatMap((r) => r.tasks.map((t) => `${r.name}:${t.name}`));
  test('taskMatches: the name, "role : name", or a glob of either', () => {
    assert.ok(taskMatches('users', 'base', 'users'));
    assert.ok(taskMatches('base : users', 'base', 'users'));
    assert.ok(taskMatches('us*', 'base', 'users'));
    assert.ok(taskMatches('base : u?ers', 'base', 'users'));
    assert.ok(!taskMatches('user', 'base', 'users'));
    assert.ok(!taskMatches('app : users', 'base', 'users'));
  });
  test('skips the tasks before the first match, across roles and plays', () => {
    assert.deepEqual(names({ startAt: 'users' }), ['base:users', 'base:level is a', 'app:config', 'app:start']);
    assert.deepEqual(names({ startAt: 'app : config' }), ['app:config', 'app:start']);
    assert.deepEqual(names({ startAt: 'st*' }), ['app:start']);
  });
  test('a later task with the same name does not stop the run again', () => {
    assert.deepEqual(names({ startAt: '*' }), ['base:packages', 'base:users', 'base:level is a', 'app:config', 'app:start']);
  });
  test('per host, as in Ansible: a host without the task runs none of its tasks', () => {
    assert.deepEqual(names({ startAt: 'level is a' }, 'vm1'), ['base:level is a', 'app:config', 'app:start']);
    assert.deepEqual(names({ startAt: 'level is a' }, 'vm2'), []);
  });
  test('with --tags, the start is found among all tasks and the tags filter what follows', () => {
    assert.deepEqual(names({ startAt: 'users', tags: ['run'] }), ['app:start']);
  });
  test('a name no task has is an error with a suggestion', () => {
    assert.throws(() => plans({ startAt: 'usres' }), (e: unknown) => e instanceof ConfigError && e.message.includes('--start-at-task "usres": no task of this run has that name (did you mean "users"?)'));
    assert.throws(() => plans({ startAt: 'app : confgi' }), /--start-at-task "app : confgi": no task of this run has that name \(did you mean "app : config"\?\)/);
    assert.throws(() => plans({ startAt: 'level is b', limit: 'vm1' }), /--start-at-task "level is b": no task of this run has that name \(did you mean "level is a"\?\)/);
  });
});

describe('--start-at-task in a run', () => {
  test('the host session runs only the tasks from the match on', async () => {
    const conns: FakeConnection[] = [];
    const open: OpenConnection = async (spec) => {
      const c = new FakeConnection([], { name: spec.name });
      conns.push(c);
      return c;
    };
    const report = await runPlans(plans({ startAt: 'base : level*', limit: 'vm1' }), { check: false, forks: 1, display: new RecordingDisplay(), open });
    assert.deepEqual(conns[0]?.commands.filter((c) => c.startsWith('ran ')), ["ran $'level is a'", 'ran config', 'ran start']);
    assert.equal(report.hosts.vm1?.changed, 3);
  });
});

describe('the CLI flags', () => {
  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const { log, error } = console;
    console.log = (...a: unknown[]) => void out.push(a.map(String).join(' '));
    console.error = (...a: unknown[]) => void err.push(a.map(String).join(' '));
    try {
      return { code: await main(args), out: out.join('\n'), err: err.join('\n') };
    } finally {
      console.log = log;
      console.error = error;
    }
  }
  test('apply --list-hosts needs no secrets or app images (the site playbook, no .env)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'listing-cli-'));
    writeFileSync(join(d, 'hosts.yml'), 'all:\n  hosts:\n    vm1: { ansible_host: 127.0.0.1, ansible_port: 1 }\n    vm2: { ansible_host: 127.0.0.1, ansible_port: 1 }\n');
    const r = await cli('apply', '-i', join(d, 'hosts.yml'), '-p', join(ROOT, 'playbooks/site.yml'), '--list-hosts', '-l', 'vm2');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /play #1 \(all\): .*\n {4}pattern: \['all'\]\n {4}hosts \(1\):\n {6}vm2/);
  });
  test('check --list-tasks --tags lists without connecting (the host is an unused port)', async () => {
    const r = await cli('check', '-i', join(ROOT, 'test/fixtures/ansible-layout/cli.ini'), '-p', join(ROOT, 'test/fixtures/cli/docker-host.yml'), '--list-tasks', '--tags', 'networks', '-l', 'web01');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, / {4}tasks:\n {6}networks : /);
    assert.doesNotMatch(r.out, /docker : /);
  });
  test('the listing flags are refused where they mean nothing, and --start-at-task needs a name', async () => {
    const r = await cli('facts', '--list-hosts');
    assert.equal(r.code, 2);
    assert.match(r.err, /--list-hosts is for apply, check and validate, not facts/);
    const s = await cli('apply', '--start-at-task', ' ');
    assert.equal(s.code, 2);
    assert.match(s.err, /--start-at-task needs the name of a task/);
  });
});
