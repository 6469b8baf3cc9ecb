// The framed shell against a real local bash (as the SSH channel would run it): frames, exit
// codes, stderr, pipelining, and a timeout that ends the command on the host instead of
// leaving it running.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FramedShell, TIMED_OUT, type ShellChannel } from '../../src/remote/shell.ts';

const children: ChildProcessWithoutNullStreams[] = [];
after(() => children.forEach((c) => c.kill('SIGKILL')));

/** A local `bash` seen through the ShellChannel interface. */
function localShell(): FramedShell {
  const child = spawn('bash', ['--noprofile', '--norc'], { stdio: 'pipe' });
  children.push(child);
  const channel: ShellChannel = {
    on: (event: 'data' | 'close', fn: ((d: Buffer) => void) | (() => void)) => (event === 'data' ? child.stdout.on('data', fn) : child.on('close', fn as () => void)),
    stderr: { on: (_e: 'data', fn: (d: Buffer) => void) => child.stderr.on('data', fn) },
    write: (d: string | Buffer) => child.stdin.write(d),
    end: (d?: string) => child.stdin.end(d),
    close: () => child.kill('SIGTERM'),
  };
  const shell = new FramedShell(channel, 10_000);
  shell.start();
  return shell;
}

describe('framed shell', () => {
  test('runs scripts in order with their stdout, stderr and exit code; set -euo pipefail applies', async () => {
    const sh = localShell();
    await sh.ready;
    const a = await sh.run("printf 'one\\ntwo'", 10_000);
    assert.deepEqual([a.exitCode, a.stdout, a.stderr], [0, 'one\ntwo', '']);
    const b = await sh.run('echo to-err >&2; false; echo never', 10_000);
    assert.deepEqual([b.ok, b.exitCode, b.stdout, b.stderr], [false, 1, '', 'to-err\n']);
    const c = await sh.run('echo "$UNSET_VARIABLE_X"', 10_000);
    assert.equal(c.ok, false, 'set -u');
    sh.close();
  });

  test('the first command may be written before the shell said it is ready (pipelined)', async () => {
    const sh = localShell();
    const first = sh.runPipelined('echo early', 10_000);
    const r = await first;
    assert.equal(r.stdout, 'early\n');
    await sh.ready;
    sh.close();
  });

  test('a script larger than one argument can hold (128 KiB) runs', async () => {
    const sh = localShell();
    const big = `x='${'a'.repeat(300_000)}'\necho \${#x}`;
    assert.equal((await sh.run(big, 10_000)).stdout.trim(), '300000');
    sh.close();
  });

  test('a timeout ends the command and its children on the host; the shell stays usable', async () => {
    const sh = localShell();
    const flag = join(mkdtempSync(join(tmpdir(), 'shell-')), 'still-running');
    const r = await sh.run(`(sleep 3; touch ${flag}) & sleep 30`, 1000);
    assert.equal(r.exitCode, TIMED_OUT);
    assert.match(r.stderr, /ended on the host after 1 s \(timeout\)/);
    await new Promise((res) => setTimeout(res, 3500));
    assert.equal(existsSync(flag), false, 'the background child was ended too');
    assert.equal((await sh.run('echo alive', 10_000)).stdout, 'alive\n');
    sh.close();
  });
});
