// Task-level tests as data (pyinfra's fixture style): each test/fixtures/ops/<op>/<case>.json
// gives the host's answers (facts, read outputs) and says what the task must decide and which
// commands it must run, in order. The task runs through the real session over a FakeConnection.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import type { Facts } from '../../src/engine/facts.ts';
import type { Task } from '../../src/engine/types.ts';
import { packagesTask } from '../../src/ops/apt.ts';
import { DOCKER_PACKAGE_CANDIDATES, dockerInstallPlan, type DockerSource } from '../../src/ops/docker-install.ts';
import { networkTask } from '../../src/ops/docker-network.ts';
import { directoriesTask, fileTask, type DirSpec, type FileSpec } from '../../src/ops/file.ts';
import { imageArchiveTask } from '../../src/ops/image-archive.ts';
import { serviceTask, userInGroupTask } from '../../src/ops/system.ts';
import { stackTasks } from '../../src/stack/stack-tasks.ts';
import { overlayHoldTask, overlayReleaseTask } from '../../src/ops/swarm-network.ts';
import { DEBIAN13, FakeConnection, type FakeResponse } from '../fakes/fake-connection.ts';
import { runTasks } from '../fakes/run-tasks.ts';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/ops');

interface Fixture {
  about: string;
  task: string;
  args: Record<string, unknown>;
  check_mode?: boolean;
  become?: boolean;
  docker?: boolean;
  facts?: Partial<Facts>;
  outputs?: (Omit<FakeResponse, 'match'> & { match: string })[];
  expect: { status?: string; reason?: string; diff?: string; tasks?: [string, string][]; commands: string[] };
}

/** {{sha256:TEXT}} and {{base64:TEXT}} in recorded outputs, so fixtures stay readable. */
function expand(text: string): string {
  return text
    .replace(/\{\{sha256:([\s\S]*?)\}\}/g, (_m, t: string) => createHash('sha256').update(t).digest('hex'))
    .replace(/\{\{base64:([\s\S]*?)\}\}/g, (_m, t: string) => Buffer.from(t).toString('base64'));
}

/** A minimal `docker save` archive: a tar holding only manifest.json. */
function archiveWith(images: string[]): string {
  const body = Buffer.from(JSON.stringify([{ RepoTags: images }]));
  const header = Buffer.alloc(512);
  header.write('manifest.json', 0);
  header.write(body.length.toString(8).padStart(11, '0'), 124);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  const path = join(mkdtempSync(join(tmpdir(), 'archive-')), 'images.tar');
  writeFileSync(path, Buffer.concat([header, body, pad, Buffer.alloc(1024)]));
  return path;
}

function stackDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'stack-'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

const BUILDERS: Record<string, (a: Record<string, unknown>) => Task[]> = {
  packages: (a) => [packagesTask('packages', a.packages as string[])],
  docker_packages: (a) => [packagesTask('docker packages', { candidates: DOCKER_PACKAGE_CANDIDATES, pick: (f) => dockerInstallPlan(f, a.source as DockerSource).packages })],
  file: (a) => [fileTask(a as unknown as FileSpec)],
  directories: (a) => [directoriesTask('directories', a.dirs as DirSpec[])],
  service: (a) => [serviceTask(a.unit as string)],
  user_in_group: (a) => [userInGroupTask(a.group as string)],
  network: (a) => [networkTask({ name: a.name as string, driver: a.driver as string })],
  image_archive: (a) => [imageArchiveTask(archiveWith(a.images as string[]))],
  overlay_hold: (a) => [overlayHoldTask('p', a.networks as string[], () => a.image as string), overlayReleaseTask('p')],
  stack: (a) => stackTasks({ project: a.project as string, filesDir: stackDir(a.files as Record<string, string>), hostDir: `/opt/stacks/${a.project as string}`, env: a.env as string, replaceContainers: (a.replace_containers as string[] | undefined) ?? [] }),
};

for (const op of readdirSync(FIXTURES).sort()) {
  describe(`op ${op}`, () => {
    for (const file of readdirSync(join(FIXTURES, op)).filter((f) => f.endsWith('.json')).sort()) {
      const fx = JSON.parse(readFileSync(join(FIXTURES, op, file), 'utf8')) as Fixture;
      test(`${file.replace(/\.json$/, '')}: ${fx.about}`, async () => {
        const build = BUILDERS[fx.task];
        assert.ok(build, `unknown task kind ${fx.task}`);
        const outputs = (fx.outputs ?? []).map((o) => ({ ...o, stdout: o.stdout === undefined ? undefined : expand(o.stdout) }));
        const conn = new FakeConnection(outputs, { become: fx.become, docker: fx.docker, facts: { ...DEBIAN13, ...fx.facts } });
        const { result } = await runTasks(conn, [{ name: op, tasks: build(fx.args) }], { check: fx.check_mode });
        const last = result.tasks.at(-1);
        if (fx.expect.tasks) assert.deepEqual(result.tasks.map((t) => [t.name, t.status]), fx.expect.tasks);
        if (fx.expect.status) assert.equal(last?.status, fx.expect.status, last?.reason);
        if (fx.expect.reason) assert.match(last?.reason ?? '', new RegExp(fx.expect.reason));
        if (fx.expect.diff) assert.match(last?.diff ?? '', new RegExp(fx.expect.diff));
        assert.equal(conn.commands.length, fx.expect.commands.length, `commands run:\n${conn.commands.join('\n---\n')}`);
        fx.expect.commands.forEach((re, i) => assert.match(conn.commands[i] ?? '', new RegExp(re), `command ${i}`));
      });
    }
  });
}
