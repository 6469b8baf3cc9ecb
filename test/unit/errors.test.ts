import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.ts';

describe('ConfigError', () => {
  test('without problems: the message is the only problem', () => {
    const e = new ConfigError('x.yml: the inventory has no hosts');
    assert.equal(e.message, 'x.yml: the inventory has no hosts');
    assert.deepEqual(e.problems, ['x.yml: the inventory has no hosts']);
  });

  test('several problems are listed in the message', () => {
    const e = new ConfigError('x.yml: invalid inventory', ['x.yml:3: a: must be integer', 'x.yml:4: b: unknown key']);
    assert.equal(e.message, 'x.yml: invalid inventory\n  x.yml:3: a: must be integer\n  x.yml:4: b: unknown key');
  });

  test(
    'a single problem is listed in the message too',
    () => {
      const e = new ConfigError('x.yml: invalid inventory', ['x.yml:5: all/hosts/devvm/bogus: unknown key']);
      assert.ok(e.message.includes('all/hosts/devvm/bogus: unknown key'), e.message);
    },
  );
});
