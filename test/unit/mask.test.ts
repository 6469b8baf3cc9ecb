import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Masker } from '../../src/remote/mask.ts';

describe('Masker', () => {
  test('masks every occurrence', () => {
    const m = new Masker();
    m.add('hunter22');
    assert.equal(m.mask('pw=hunter22; again hunter22!'), 'pw=***; again ***!');
  });
  test('longest first: a secret containing another is masked whole', () => {
    const m = new Masker();
    m.add('abcd', 'abcdefgh');
    assert.equal(m.mask('x abcdefgh y abcd'), 'x *** y ***');
  });
  test('longest first regardless of insertion order', () => {
    const m = new Masker();
    m.add('abcdefgh');
    m.add('abcd');
    assert.equal(m.mask('abcdefgh'), '***');
  });
  test('ignores values shorter than 4', () => {
    const m = new Masker();
    m.add('abc', 'on', '1', '');
    assert.equal(m.size, 0);
    assert.equal(m.mask('abc on 1'), 'abc on 1');
  });
  test('a value of exactly 4 characters is masked', () => {
    const m = new Masker();
    m.add('wxyz');
    assert.equal(m.size, 1);
    assert.equal(m.mask('wxyz!'), '***!');
  });
  test('duplicates count once', () => {
    const m = new Masker();
    m.add('same-secret', 'same-secret');
    assert.equal(m.size, 1);
  });
  test('regex metacharacters in secrets are literal', () => {
    const m = new Masker();
    m.add('a.b*c$');
    assert.equal(m.mask('aXbbc a.b*c$'), 'aXbbc ***');
  });
  test('text without secrets is unchanged', () => {
    assert.equal(new Masker().mask('nothing here'), 'nothing here');
  });
});

describe('Masker: the forms tools print a secret in', () => {
  const secret = 'p@ss "w0rd"/:%&\\ x';
  const m = new Masker();
  m.add(secret);
  const cases: [string, string][] = [
    ['JSON-escaped (docker inspect, a JSON error)', JSON.stringify({ password: secret })],
    ['Go %q (a Go program\'s error)', `error: invalid value "${secret.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`],
    ['URL-encoded in a DSN', `postgres://u:${encodeURIComponent(secret)}@db/x`],
    ['form-encoded', `password=${encodeURIComponent(secret).replace(/%20/g, '+')}`],
    ['lower-case percent escapes', `x=${encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())}`],
    ['base64 alone', Buffer.from(secret).toString('base64')],
    ['base64 inside user:password (offset 1)', Buffer.from(`a:${secret}`).toString('base64')],
    ['base64 inside user:password (offset 2)', Buffer.from(`ab:${secret}`).toString('base64')],
    ['base64 inside user:password (offset 0)', Buffer.from(`abc:${secret}`).toString('base64')],
    ['base64url', Buffer.from(`ab:${secret}`).toString('base64url')],
  ];
  for (const [what, printed] of cases) {
    test(what, () => {
      const out = m.mask(printed);
      assert.ok(out.includes('***'), `${printed} → ${out}`);
      // What remains cannot be decoded back to the secret.
      assert.ok(!out.includes(secret) && !Buffer.from(out.replace(/\*/g, ''), 'base64').toString().includes(secret.slice(0, 8)), out);
    });
  }

  test('the become password is masked whatever its length', () => {
    const b = new Masker();
    b.addAlways('pw1');
    assert.equal(b.mask('sudo said pw1'), 'sudo said ***');
  });

  test('ordinary base64 text is left alone', () => {
    const text = Buffer.from('nothing secret in here, just logs').toString('base64');
    assert.equal(m.mask(text), text);
  });
});
