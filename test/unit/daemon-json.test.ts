// daemon.json is merged, never replaced: the user's settings survive, ours are put in place,
// a broken file is not overwritten, and a Docker that does not come back gets its old file back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DAEMON_JSON, daemonJsonTask, managedSettings, mergeDaemonJson, restartDockerHandler } from '../../src/ops/daemon-json.ts';
import { defineTask, differs } from '../../src/engine/task.ts';
import { FakeConnection } from '../fakes/fake-connection.ts';
import { runTasks } from '../fakes/run-tasks.ts';

const USER_FILE = JSON.stringify({ 'data-root': '/srv/docker', 'userns-remap': 'default', 'registry-mirrors': ['https://mirror.internal'], 'log-opts': { 'max-size': '50m', labels: 'team' } }, null, 4);

/** The content a write command puts in place (it carries the file as base64). */
function written(cmd: string): unknown {
  const b64 = /printf '%s' ([A-Za-z0-9+/=]+) \| base64 -d/.exec(cmd)?.[1];
  assert.ok(b64, `no content in:\n${cmd}`);
  return JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
}

describe('mergeDaemonJson', () => {
  test('keeps every key we do not manage; ours win for ours; log-opts merged key by key', () => {
    assert.deepEqual(mergeDaemonJson(JSON.parse(USER_FILE) as Record<string, unknown>, managedSettings()), {
      'data-root': '/srv/docker',
      'userns-remap': 'default',
      'registry-mirrors': ['https://mirror.internal'],
      'log-opts': { 'max-size': '10m', labels: 'team', 'max-file': '3' },
      'log-driver': 'json-file',
    });
  });
  test("the inventory's docker.daemon is managed too, over the defaults", () => {
    assert.deepEqual(managedSettings({ 'live-restore': true, 'log-opts': { 'max-file': '5' } }), { 'log-driver': 'json-file', 'live-restore': true, 'log-opts': { 'max-size': '10m', 'max-file': '5' } });
  });
});

describe('daemon.json task', () => {
  test("the user's data-root, userns-remap and mirrors survive; the change names only our key", async () => {
    const conn = new FakeConnection([{ match: `if [ -e ${DAEMON_JSON} ]`, stdout: USER_FILE }]);
    const { result } = await runTasks(conn, [{ name: 'docker', tasks: [daemonJsonTask({}, ['restart docker'])] }]);
    const t = result.tasks[0];
    assert.equal(t?.status, 'changed');
    assert.equal(t?.reason, `${DAEMON_JSON}: log-opts: {"max-size":"50m","labels":"team"} → {"max-size":"10m","labels":"team","max-file":"3"}; log-driver: (unset) → "json-file"`);
    assert.equal(conn.commands.length, 1);
    const cmd = conn.commands[0] ?? '';
    assert.deepEqual(written(cmd), mergeDaemonJson(JSON.parse(USER_FILE) as Record<string, unknown>, managedSettings()));
    // Validated before it replaces anything, the old file kept.
    assert.ok(cmd.indexOf('dockerd --validate --config-file "$tmp"') < cmd.indexOf(`cp -p ${DAEMON_JSON} ${DAEMON_JSON}.provision-previous`));
    assert.ok(cmd.indexOf(`cp -p ${DAEMON_JSON}`) < cmd.indexOf(`mv -fT -- "$tmp" ${DAEMON_JSON}`));
  });

  test('settings already in place (in any formatting): ok, the file is not rewritten', async () => {
    const mine = JSON.stringify({ 'log-opts': { 'max-file': '3', 'max-size': '10m' }, 'data-root': '/srv/docker', 'log-driver': 'json-file' });
    const conn = new FakeConnection([{ match: `if [ -e ${DAEMON_JSON} ]`, stdout: mine }]);
    const { result } = await runTasks(conn, [{ name: 'docker', tasks: [daemonJsonTask({}, [])] }]);
    assert.equal(result.tasks[0]?.status, 'ok');
    assert.deepEqual(conn.commands, []);
  });

  test('a file that is not JSON is never overwritten: the task fails and says so', async () => {
    const conn = new FakeConnection([{ match: `if [ -e ${DAEMON_JSON} ]`, stdout: '{ "data-root": "/srv/docker", }' }]);
    const { result } = await runTasks(conn, [{ name: 'docker', tasks: [daemonJsonTask({}, [])] }]);
    assert.equal(result.tasks[0]?.status, 'failed');
    assert.match(result.tasks[0]?.reason ?? '', /is not valid JSON .*fix it by hand/);
    assert.deepEqual(conn.commands, []);
  });

  test('a missing file is written whole (a fresh host)', async () => {
    const conn = new FakeConnection([{ match: `if [ -e ${DAEMON_JSON} ]`, stdout: '__provision_missing__\n' }]);
    const { result } = await runTasks(conn, [{ name: 'docker', tasks: [daemonJsonTask({ 'live-restore': true }, [])] }]);
    assert.equal(result.tasks[0]?.reason, `${DAEMON_JSON}: missing`);
    assert.deepEqual(written(conn.commands[0] ?? ''), { 'log-driver': 'json-file', 'log-opts': { 'max-size': '10m', 'max-file': '3' }, 'live-restore': true });
  });
});

describe('restart docker handler', () => {
  const notifier = defineTask({ name: 'changes daemon.json', notify: ['restart docker'], check: () => differs('changed'), apply: async () => {} });

  test('docker comes back: one restart, changed', async () => {
    const conn = new FakeConnection([{ match: 'systemctl restart docker\nfor i', exitCode: 0 }]);
    const { result } = await runTasks(conn, [{ name: 'docker', tasks: [notifier], handlers: [restartDockerHandler] }]);
    assert.deepEqual(result.tasks.map((t) => t.status), ['changed', 'changed']);
    assert.equal(conn.commands.length, 1);
  });

  test('docker does not come back: the previous file is put back, docker restarted, and the run fails saying so', async () => {
    const conn = new FakeConnection([
      { match: 'provision-previous || exit 3', exitCode: 0 },
      { match: 'systemctl restart docker\nfor i', exitCode: 1 },
      { match: 'journalctl', stdout: 'failed to start daemon: directives specified both as a flag and in the configuration file: hosts\n' },
    ]);
    const { result } = await runTasks(conn, [{ name: 'docker', tasks: [notifier], handlers: [restartDockerHandler] }]);
    const h = result.tasks[1];
    assert.equal(h?.status, 'failed');
    assert.match(h?.reason ?? '', /docker did not come back after the daemon.json change\. The previous \/etc\/docker\/daemon.json was put back and docker restarted with it; the refused one is in \/etc\/docker\/daemon.json.provision-failed\./);
    assert.match(h?.reason ?? '', /both as a flag and in the configuration file: hosts/);
    assert.match(conn.commands[2] ?? '', /cp -p \/etc\/docker\/daemon.json \/etc\/docker\/daemon.json.provision-failed\nmv -fT \/etc\/docker\/daemon.json.provision-previous \/etc\/docker\/daemon.json/);
  });
});
