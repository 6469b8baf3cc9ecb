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
