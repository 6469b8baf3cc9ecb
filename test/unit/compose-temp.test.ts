// A failed inspection leaves nothing behind: the wanted files staged for check mode live in a
// private temp directory that is removed on every path.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stagedHashesCmd, StackChanges } from '../../src/ops/compose.ts';
import { composeModel } from '../../src/ops/compose-model.ts';

test('a failing docker compose during a staged inspection leaves no temp files', () => {
  const root = mkdtempSync(join(tmpdir(), 'staged-'));
  const bin = join(root, 'bin');
  const tmp = join(root, 'tmp');
  const dir = join(root, 'stack');
  for (const d of [bin, tmp, dir]) mkdirSync(d);
  writeFileSync(join(bin, 'docker'), '#!/bin/sh\necho "compose: boom" >&2\nexit 1\n');
  chmodSync(join(bin, 'docker'), 0o755);
  const compose = 'services:\n  a:\n    image: x\n';
  const p = { project: 'demo', dir, model: composeModel(compose, 'demo'), wanted: { compose, env: "A='secret-value'\n" }, changes: new StackChanges(), replaceContainers: [] };
  const r = spawnSync('bash', ['--noprofile', '--norc', '-euo', 'pipefail', '-c', stagedHashesCmd(p, p.wanted).text], { env: { PATH: `${bin}:/usr/bin:/bin`, TMPDIR: tmp }, encoding: 'utf8' });
  assert.notEqual(r.status, 0, 'the inspection failed');
  assert.match(r.stderr, /compose: boom/);
  assert.deepEqual(readdirSync(tmp), [], 'the staged files (with the .env) were removed');
});
