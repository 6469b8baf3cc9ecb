import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { sh } from '../../src/remote/command.ts';
import { batchCmd, parseBatch } from '../../src/engine/prefetch.ts';

test('batched reads run concurrently and come back in order with their exit codes', () => {
  const cmds = [sh`sleep 0.3; echo first`, sh`printf '%s\\n' ${"it's two"} line2`, sh`echo err >&2; exit 4`, sh`sleep 0.3; echo last`];
  const sep = '__sep_test';
  const started = Date.now();
  const out = execFileSync('bash', ['--noprofile', '--norc', '-c', batchCmd(cmds, sep).text], { encoding: 'utf8' });
  const took = Date.now() - started;
  const res = parseBatch(out, sep, cmds.length);
  assert.deepEqual(res.map((r) => r?.stdout), ['first\n', "it's two\nline2\n", '', 'last\n']);
  assert.deepEqual(res.map((r) => r?.exitCode), [0, 0, 4, 0]);
  assert.deepEqual(res.map((r) => r?.ok), [true, true, false, true]);
  assert.ok(took < 550, `two 0.3 s sleeps should overlap (took ${took} ms)`);
});

test('a missing chunk stays undefined (the task then runs its own read)', () => {
  assert.deepEqual(parseBatch('\n__s 1 0\nonly-second\n', '__s', 2), [undefined, { ok: true, exitCode: 0, stdout: 'only-second\n', stderr: '', durationMs: 0 }]);
});
