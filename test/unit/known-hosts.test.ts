import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHostKey, HOST_KEY_ALGORITHMS, hostKeyAlgorithmOrder, hostName, keyType, knownKeyTypes, verifyHostKey } from '../../src/remote/known-hosts.ts';

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

describe('issue 8 item 4: known keys bind the host, @revoked, safe appends', () => {
  const rsa = (() => {
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(dir, 'r')]);
    const [type, b64] = readFileSync(join(dir, 'r.pub'), 'utf8').split(' ');
    return { blob: Buffer.from(b64 as string, 'base64'), line: `${type} ${b64}` };
  })();

  test('accept-new: a key of another type for a known host is refused, not added', () => {
    const file = join(dir, 'other_type');
    writeFileSync(file, `[h]:2200 ${rsa.line.trim()}\n`);
    const v = verifyHostKey('accept-new', file, '[h]:2200', a.blob);
    assert.equal(v.ok, false);
    assert.match(v.message ?? '', /does not match .*known key types: ssh-rsa/);
    assert.equal(readFileSync(file, 'utf8'), `[h]:2200 ${rsa.line.trim()}\n`);
  });

  test('the known key types are asked for first in the negotiation', () => {
    assert.deepEqual(knownKeyTypes(`[h]:2200 ${rsa.line.trim()}\nother ${a.line}`, '[h]:2200'), ['ssh-rsa']);
    assert.deepEqual(hostKeyAlgorithmOrder(['ssh-rsa']).slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    assert.equal(hostKeyAlgorithmOrder(['ssh-ed25519'])[0], 'ssh-ed25519');
    assert.equal(hostKeyAlgorithmOrder(['ecdsa-sha2-nistp256'])[0], 'ecdsa-sha2-nistp256');
    assert.equal(hostKeyAlgorithmOrder([]).length, HOST_KEY_ALGORITHMS.length);
  });

  test('@revoked keys are refused under every policy, whatever the pattern; @cert-authority lines are not host keys', () => {
    const file = join(dir, 'revoked');
    writeFileSync(file, `@revoked * ${a.line}\n`);
    for (const p of ['accept-new', 'strict', 'off'] as const) {
      const v = verifyHostKey(p, file, 'h9', a.blob);
      assert.equal(v.ok, false, p);
      assert.match(v.message ?? '', /@revoked/);
    }
    assert.equal(readFileSync(file, 'utf8'), `@revoked * ${a.line}\n`);
    // A CA line for the host neither matches a plain key nor binds the host.
    assert.equal(checkHostKey(`@cert-authority h9 ${b.line}\n`, 'h9', a.blob), 'unknown');
  });

  test('appending after a last line with no newline keeps that entry whole', () => {
    const file = join(dir, 'no_newline');
    writeFileSync(file, `old ${b.line.trim()}`, { mode: 0o644 });
    verifyHostKey('accept-new', file, 'new', a.blob);
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.deepEqual(lines, [`old ${b.line.trim()}`, `new ${a.line.trim()}`, '']);
    assert.equal(checkHostKey(readFileSync(file, 'utf8'), 'old', b.blob), 'match');
  });

  test('written atomically: a new file (rename), the mode kept, a symlink followed, no temp left', () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const real = join(sub, 'real_known_hosts');
    writeFileSync(real, `x ${b.line.trim()}\n`, { mode: 0o644 });
    chmodSync(real, 0o644);
    const link = join(sub, 'known_hosts');
    symlinkSync(real, link);
    const inodeBefore = statSync(real).ino;
    verifyHostKey('accept-new', link, 'y', a.blob);
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link is kept');
    assert.notEqual(statSync(real).ino, inodeBefore, 'replaced by rename, not rewritten in place');
    assert.equal(statSync(real).mode & 0o777, 0o644);
    assert.equal(readFileSync(real, 'utf8'), `x ${b.line.trim()}\ny ${a.line.trim()}\n`);
    assert.deepEqual(readdirSync(sub).sort(), ['known_hosts', 'real_known_hosts']);
  });

  test('several known_hosts files are read; a new key goes to the first', () => {
    const f1 = join(dir, 'kh1');
    const f2 = join(dir, 'kh2');
    writeFileSync(f2, `z ${b.line.trim()}\n`);
    assert.equal(verifyHostKey('accept-new', [f1, f2], 'z', a.blob).ok, false);
    assert.equal(verifyHostKey('accept-new', [f1, f2], 'z2', a.blob).ok, true);
    assert.equal(readFileSync(f1, 'utf8'), `z2 ${a.line.trim()}\n`);
  });
});
