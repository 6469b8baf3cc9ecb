import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { Vault } from 'ansible-vault';
import { ConfigError } from '../../src/config/errors.ts';
import { VaultKeys } from '../../src/config/ansible/vault.ts';
import { loadVaultedYaml, parseVaultedYaml } from '../../src/config/ansible/vault-yaml.ts';

const FIX = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/ansible-layout/vault');

describe('Ansible Vault', () => {
  test('a value encrypted by Ansible itself decrypts; it is reported as a secret', async () => {
    const y = await loadVaultedYaml(join(FIX, 'ansible-vector.yml'), 'vars', new VaultKeys({ passwordFile: join(FIX, 'password.txt') }));
    assert.deepEqual(y.data, { vaulted_utf8_value: 'aöffü' });
    assert.deepEqual(y.secrets, ['aöffü']);
  });

  test('wrong password: an error naming the file and line', async () => {
    await assert.rejects(
      loadVaultedYaml(join(FIX, 'ansible-vector.yml'), 'vars', new VaultKeys({ passwordFile: join(FIX, 'wrong.txt') })),
      (e: unknown) => e instanceof ConfigError && e.message.includes(`${join(FIX, 'ansible-vector.yml')}:3: cannot decrypt: wrong vault password`),
    );
  });

  test('no password given: says how to give one', async () => {
    await assert.rejects(
      loadVaultedYaml(join(FIX, 'ansible-vector.yml'), 'vars', new VaultKeys({ env: {} })),
      /no vault password was given: use --vault-password-file FILE \(or --vault-id \[label@\]FILE\) or set ANSIBLE_VAULT_PASSWORD_FILE/,
    );
  });

  test('a whole encrypted file, password from an executable script named by the environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ans-vault-'));
    try {
      const script = join(dir, 'pass.sh');
      writeFileSync(script, '#!/bin/sh\necho s3cret-pw\n');
      chmodSync(script, 0o700);
      const text = new Vault({ password: 's3cret-pw' }).encryptSync('db_password: hunter22\nport: 5432\n', '');
      const y = await parseVaultedYaml(text, join(dir, 'all.yml'), 'vars', new VaultKeys({ env: { ANSIBLE_VAULT_PASSWORD_FILE: script } }));
      assert.equal(y.file, `${join(dir, 'all.yml')} (decrypted)`);
      assert.deepEqual(y.data, { db_password: 'hunter22', port: 5432 });
      assert.deepEqual(y.secrets.sort(), ['5432', 'hunter22']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('several vault ids', () => {
  test('a labelled text is opened by its own password, others by any that fits; a -client script is told the label', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ans-vault-ids-'));
    try {
      writeFileSync(join(dir, 'dev.txt'), 'dev-pw\n');
      const client = join(dir, 'keyring-client');
      // Prints a password only for the label it is asked for: proves it got "--vault-id prod".
      writeFileSync(client, '#!/bin/sh\n[ "$1" = --vault-id ] && [ "$2" = prod ] && echo prod-pw\n');
      chmodSync(client, 0o700);
      const keys = new VaultKeys({ ids: [`dev@${join(dir, 'dev.txt')}`, `prod@${client}`], env: {} });
      const prodText = new Vault({ password: 'prod-pw' }).encryptSync('a: prod\n', 'prod');
      const plainText = new Vault({ password: 'dev-pw' }).encryptSync('a: dev\n', '');
      const prod = await parseVaultedYaml(prodText, join(dir, 'prod.yml'), 'vars', keys);
      const dev = await parseVaultedYaml(plainText, join(dir, 'dev.yml'), 'vars', keys);
      assert.deepEqual([prod.data, dev.data], [{ a: 'prod' }, { a: 'dev' }]);
      const other = new Vault({ password: 'neither' }).encryptSync('a: x\n', 'prod');
      await assert.rejects(parseVaultedYaml(other, join(dir, 'x.yml'), 'vars', keys), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /x\.yml: cannot decrypt: wrong vault password \(--vault-id dev@.*dev\.txt, --vault-id prod@.*keyring-client\) for this value \(vault id "prod"\)/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--vault-id label@prompt is refused: nothing is asked on a terminal', async () => {
    await assert.rejects(new VaultKeys({ ids: ['prod@prompt'] }).unlock('x.yml'), /--vault-id prod@prompt: provision does not prompt for passwords/);
  });
});
