import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sh } from '../../src/remote/command.ts';
import { batchCmd, parseBatch } from '../../src/engine/prefetch.ts';

test('batched reads run concurrently and come back in order with their exit codes', () => {
  // The first read only succeeds if the last one runs while it waits: proof of concurrency
  // without measuring time.
  const flag = join(mkdtempSync(join(tmpdir(), 'prefetch-')), 'flag');
  const cmds = [
    sh`for i in $(seq 1 50); do [ -e ${flag} ] && break; sleep 0.1; done; [ -e ${flag} ] && echo first`,
    sh`printf '%s\\n' ${"it's two"} line2`,
    sh`echo err >&2; exit 4`,
    sh`touch ${flag}; echo last`,
  ];
  const sep = '__sep_test';
  const out = execFileSync('bash', ['--noprofile', '--norc', '-c', batchCmd(cmds, sep).text], { encoding: 'utf8' });
  const res = parseBatch(out, sep, cmds.length);
  assert.deepEqual(res.map((r) => r?.stdout), ['first\n', "it's two\nline2\n", '', 'last\n']);
  assert.deepEqual(res.map((r) => r?.exitCode), [0, 0, 4, 0]);
  assert.deepEqual(res.map((r) => r?.ok), [true, true, false, true]);
});

test('a missing chunk stays undefined (the task then runs its own read)', () => {
  assert.deepEqual(parseBatch('\n__s 1 0\nonly-second\n', '__s', 2), [undefined, { ok: true, exitCode: 0, stdout: 'only-second\n', stderr: '', durationMs: 0 }]);
});
