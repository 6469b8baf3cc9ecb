import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.ts';
import { lookupSecret, readDotenv, resolveSecrets } from '../../src/config/secrets.ts';

describe('secrets', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'provision-secrets-'));
    writeFileSync(join(dir, '.env'), 'DB_PASSWORD=from-file-123\nAPI_TOKEN=file-token-456\nSHORT=abc\nBLANK=\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('readDotenv reads .env beside the inventory', () => {
    const src = readDotenv(dir);
    assert.equal(src.file, join(dir, '.env'));
    assert.equal(src.fromFile.DB_PASSWORD, 'from-file-123');
  });

  test('readDotenv without a .env file is empty', () => {
    assert.deepEqual(readDotenv(join(dir, 'nowhere')).fromFile, {});
  });

  test('environment wins over the .env file', () => {
    const src = readDotenv(dir);
    assert.deepEqual(
      resolveSecrets(src, [{ name: 'DB_PASSWORD', role: 'infra', hosts: ['vm1'] }, { name: 'API_TOKEN', role: 'infra', hosts: ['vm1'] }], {
        DB_PASSWORD: 'from-env-789',
      }),
      { DB_PASSWORD: 'from-env-789', API_TOKEN: 'file-token-456' },
    );
  });

  test('empty values count as missing', () => {
    assert.equal(lookupSecret(readDotenv(dir), 'BLANK', {}), undefined);
  });

  test('missing secret names the secret, the role and the hosts', () => {
    const src = readDotenv(dir);
    assert.throws(
      () => resolveSecrets(src, [{ name: 'SHIOAJI_API_KEY', role: 'shioaji', hosts: ['vm1', 'vm2'] }], {}),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.problems, [
          `${join(dir, '.env')}: missing secret SHIOAJI_API_KEY (needed by role shioaji on vm1, vm2); set it there or in the environment`,
        ]);
        return true;
      },
    );
  });

  test('short secret is rejected without showing it', () => {
    const src = readDotenv(dir);
    assert.throws(
      () => resolveSecrets(src, [{ name: 'SHORT', role: 'infra', hosts: ['vm1'] }], {}),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.problems.length, 1);
        assert.match(e.problems[0] ?? '', /secret SHORT is shorter than 6 characters/);
        assert.ok(!e.message.includes('abc'));
        return true;
      },
    );
  });

  test('every problem is collected before failing', () => {
    const src = readDotenv(dir);
    assert.throws(
      () =>
        resolveSecrets(
          src,
          [
            { name: 'NOPE_A', role: 'r1', hosts: ['h'] },
            { name: 'SHORT', role: 'r2', hosts: ['h'] },
            { name: 'DB_PASSWORD', role: 'r3', hosts: ['h'] },
          ],
          {},
        ),
      (e: unknown) => e instanceof ConfigError && e.problems.length === 2,
    );
  });
});
