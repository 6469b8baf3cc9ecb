import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sh } from '../../src/remote/command.ts';
import { batchCmd, parseBatch } from '../../src/remote/batch.ts';

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
  const res = parseBatch(out, sep, cmds.length).results;
  assert.deepEqual(res.map((r) => r.stdout), ['first\n', "it's two\nline2\n", '', 'last\n']);
  assert.deepEqual(res.map((r) => r.exitCode), [0, 0, 4, 0]);
  assert.deepEqual(res.map((r) => r.ok), [true, true, false, true]);
  // stderr comes back only for a failed command (base64 in the stream, so any bytes survive).
  assert.deepEqual(res.map((r) => r.stderr), ['', '', 'err\n', '']);
});

test('stderr with non-ASCII text and stdout without a final newline survive', () => {
  const cmds = [sh`printf 'naïve\n' >&2; printf 'no newline'; exit 2`, sh`printf 'ok'`];
  const sep = '__sep_utf8';
  const out = execFileSync('bash', ['--noprofile', '--norc', '-c', batchCmd(cmds, sep).text], { encoding: 'utf8' });
  const res = parseBatch(out, sep, cmds.length).results;
  assert.deepEqual(res.map((r) => [r.exitCode, r.stdout, r.stderr]), [[2, 'no newline', 'naïve\n'], [0, 'ok', '']]);
});

test('a missing chunk is a failed result saying so (the task then reads again)', () => {
  const res = parseBatch('\n__s 1 0\n\nonly-second\n', '__s', 2).results;
  assert.deepEqual(res[1], { ok: true, exitCode: 0, stdout: 'only-second\n', stderr: '', durationMs: 0 });
  assert.equal(res[0]?.ok, false);
  assert.match(res[0]?.stderr ?? '', /no answer/);
});

test('a gate runs first, alone; when it fails the reads are not run', () => {
  const flag = join(mkdtempSync(join(tmpdir(), 'gate-')), 'ran');
  const sep = '__sep_gate';
  const closed = execFileSync('bash', ['--noprofile', '--norc', '-c', batchCmd([sh`touch ${flag}`], sep, sh`echo busy; exit 75`).text], { encoding: 'utf8' });
  const b = parseBatch(closed, sep, 1);
  assert.deepEqual([b.gate?.exitCode, b.gate?.stdout], [75, 'busy\n']);
  assert.equal(b.results[0]?.ok, false);
  assert.equal(existsSync(flag), false, 'the read did not run');
  const open = parseBatch(execFileSync('bash', ['--noprofile', '--norc', '-c', batchCmd([sh`touch ${flag}; echo done`], sep, sh`echo mine`).text], { encoding: 'utf8' }), sep, 1);
  assert.deepEqual([open.gate?.stdout, open.results[0]?.stdout], ['mine\n', 'done\n']);
});
