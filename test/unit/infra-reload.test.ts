// The shipped infra stack's reload wiring: a changed config file reaches its service as the
// signal its compose entry names (x-provision-reload), or as a restart. Runs the real compose
// task over a FakeConnection against files/infra/compose.yml as shipped.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { composeModel, parsePs, PS_FORMAT } from '../../src/ops/compose-model.ts';
import { composeTask, inspectionOf, StackChanges, type ComposeProject } from '../../src/ops/compose.ts';
import { FakeConnection } from '../fakes/fake-connection.ts';
import { runTasks } from '../fakes/run-tasks.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const COMPOSE = readFileSync(resolve(ROOT, 'files/infra/compose.yml'), 'utf8');

/** The project with promtail's profile active (alloy's not), everything deployed and running. */
function deployed(changed: string[]): { project: ComposeProject; hashes: Map<string, string>; ps: string } {
  const model = composeModel(COMPOSE, 'infra');
  const services = [...model.services.values()].filter((s) => !s.profiles.length || s.profiles.includes('promtail'));
  const changes = new StackChanges();
  for (const f of changed) changes.record(f);
  const project: ComposeProject = { project: 'infra', dir: '/opt/stacks/infra', model, wanted: { compose: COMPOSE, env: '' }, changes, replaceContainers: [] };
  const hashes = new Map(services.map((s) => [s.name, `hash-${s.name}`]));
  // One `docker ps` row per container, as PS_FORMAT prints it.
  assert.equal(PS_FORMAT.split('|').length, 8);
  const ps = services.map((s) => [s.containerName, 'infra', s.name, `hash-${s.name}`, 'running', `id-${s.name}`, s.networks.join(','), 'img'].join('|')).join('\n');
  return { project, hashes, ps };
}

describe('infra: which services a changed config file reloads', () => {
  test('promtail/promtail.yml: promtail gets SIGHUP, nothing is restarted or recreated', () => {
    const { project, hashes, ps } = deployed(['promtail/promtail.yml']);
    const i = inspectionOf(project, { hashes, rows: parsePs(ps) }, project.changes.changed);
    assert.deepEqual(i.actions, []);
    assert.deepEqual(i.reloads, [{ service: 'promtail', container: 'promtail', signal: 'SIGHUP', why: 'promtail changed' }]);
  });

  test('the compose task sends `docker kill --signal SIGHUP promtail` for a promtail config change, and restarts loki for a loki one', async () => {
    for (const [file, wanted, unwanted] of [
      ['promtail/promtail.yml', /^docker kill --signal SIGHUP promtail$/, /^docker restart promtail$/],
      ['loki/loki.yml', /^docker restart loki$/, /^docker kill --signal \S+ loki$/],
    ] as const) {
      const { project, hashes, ps } = deployed([file]);
      const conn = new FakeConnection([
        { match: 'config --hash', stdout: [...hashes].map(([s, h]) => `${s} ${h}`).join('\n') },
        { match: 'docker ps -a', stdout: ps },
      ]);
      const { result } = await runTasks(conn, [{ name: 'infra', tasks: [composeTask(project)] }]);
      const task = result.tasks[0];
      assert.equal(task?.status, 'changed', `${file}: ${task?.reason}`);
      assert.ok(conn.commands.some((c) => wanted.test(c)), `${file}: ${conn.commands.join('\n')}`);
      assert.ok(!conn.commands.some((c) => unwanted.test(c) || /docker compose .* up /.test(c)), `${file}: ${conn.commands.join('\n')}`);
      assert.deepEqual(project.changes.changed, [], 'the recorded changes are consumed');
    }
  });
});
