// Hostile or broken YAML is a ConfigError with file and line, never a crash or a hang.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadYaml } from '../../src/config/errors.ts';

function file(content: string | Buffer): string {
  const f = join(mkdtempSync(join(tmpdir(), 'yaml-')), 'inv.yml');
  writeFileSync(f, content);
  return f;
}

async function problemsOf(f: string): Promise<string> {
  try {
    await loadYaml(f, 'inventory');
  } catch (e) {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${String(e)}`);
    return e.message;
  }
  return assert.fail('loaded without error');
}

describe('loadYaml refuses hostile input', () => {
  test('an alias bomb (billion laughs)', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const msg = await problemsOf(file(levels.join('\n') + '\n'));
    assert.match(msg, /expands aliases too many times/);
  });

  test('an alias cycle names its line', async () => {
    const f = file('all:\n  vars: &v\n    self: *v\n');
    const msg = await problemsOf(f);
    assert.match(msg, new RegExp(`${f}:3:\\d+: the alias \\*v refers to a node that contains it`));
    assert.ok(msg.length < 2000, 'no generated validator code in the message');
  });

  test('a !!binary value names its line, once', async () => {
    const f = file('all:\n  vars:\n    key: !!binary aGVsbG8gd29ybGQ=\n');
    const msg = await problemsOf(f);
    assert.equal(msg.split(`${f}:3:`).length - 1, 1, msg);
    assert.match(msg, /a !!binary value; only strings, numbers, booleans and null/);
  });

  test('a directory', async () => {
    const d = mkdtempSync(join(tmpdir(), 'yaml-'));
    mkdirSync(join(d, 'inv.yml'));
    assert.match(await problemsOf(join(d, 'inv.yml')), /must be a file, not a directory/);
  });

  test('a binary file', async () => {
    assert.match(await problemsOf(file(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]))), /NUL bytes/);
  });

  test('a huge file', async () => {
    assert.match(await problemsOf(file(Buffer.alloc(9 << 20, 0x61))), /bytes; more than/);
  });

  test('plain aliases still work', async () => {
    const f = file('base: &b { x: 1 }\nall:\n  vars: { a: *b, c: *b }\n');
    const y = await loadYaml(f, 'inventory');
    assert.deepEqual(y.data, { base: { x: 1 }, all: { vars: { a: { x: 1 }, c: { x: 1 } } } });
  });
});
