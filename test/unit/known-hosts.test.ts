import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHostKey, hostName, keyType, verifyHostKey } from '../../src/remote/known-hosts.ts';

const dir = mkdtempSync(join(tmpdir(), 'kh-'));
function newKey(name: string): { blob: Buffer; line: string } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
  const [type, b64] = readFileSync(join(dir, `${name}.pub`), 'utf8').split(' ');
  return { blob: Buffer.from(b64 as string, 'base64'), line: `${type} ${b64}` };
}
const a = newKey('a');
const b = newKey('b');

describe('known_hosts matching', () => {
  test('names: bare on port 22, [host]:port otherwise; key type read from the blob', () => {
    assert.equal(hostName('10.0.0.5', 22), '10.0.0.5');
    assert.equal(hostName('127.0.0.1', 2222), '[127.0.0.1]:2222');
    assert.equal(keyType(a.blob), 'ssh-ed25519');
  });
  test('plain entries, comma lists, globs and negation', () => {
    assert.equal(checkHostKey(`devvm,10.0.0.5 ${a.line}\n`, '10.0.0.5', a.blob), 'match');
    assert.equal(checkHostKey(`devvm,10.0.0.5 ${a.line}\n`, '10.0.0.5', b.blob), 'mismatch');
    assert.equal(checkHostKey(`other ${a.line}\n`, '10.0.0.5', a.blob), 'unknown');
    assert.equal(checkHostKey(`10.0.0.* ${a.line}\n`, '10.0.0.5', a.blob), 'match');
    assert.equal(checkHostKey(`10.0.0.*,!10.0.0.5 ${a.line}\n`, '10.0.0.5', a.blob), 'unknown');
    assert.equal(checkHostKey(`# comment\n@revoked 10.0.0.5 ${a.line}\n`, '10.0.0.5', a.blob), 'revoked');
  });
  test('hashed entries written by ssh-keygen -H are matched', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `[127.0.0.1]:2222 ${a.line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file]);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^\|1\|/);
    assert.equal(checkHostKey(text, '[127.0.0.1]:2222', a.blob), 'match');
    assert.equal(checkHostKey(text, '[127.0.0.1]:2222', b.blob), 'mismatch');
    assert.equal(checkHostKey(text, '[127.0.0.1]:2223', a.blob), 'unknown');
  });
});

describe('policies', () => {
  test('accept-new records a first key, then accepts it and refuses another', () => {
    const file = join(dir, 'sub', 'known_hosts');
    const first = verifyHostKey('accept-new', file, '[h]:2200', a.blob);
    assert.deepEqual([first.ok, /recorded/.test(first.message ?? '')], [true, true]);
    assert.equal(readFileSync(file, 'utf8'), `[h]:2200 ${a.line.trim()}\n`);
    assert.deepEqual(verifyHostKey('accept-new', file, '[h]:2200', a.blob), { ok: true });
    const changed = verifyHostKey('accept-new', file, '[h]:2200', b.blob);
    assert.equal(changed.ok, false);
    assert.match(changed.message ?? '', /does not match .*ssh-keygen -R/);
  });
  test('strict refuses unknown hosts and records nothing; off accepts anything', () => {
    const file = join(dir, 'strict_known_hosts');
    const v = verifyHostKey('strict', file, 'h2', a.blob);
    assert.equal(v.ok, false);
    assert.match(v.message ?? '', /not in .* strict/);
    assert.throws(() => readFileSync(file));
    assert.deepEqual(verifyHostKey('off', file, 'h2', b.blob), { ok: true });
  });
});
