import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.ts';
import { connectionOf, loadInventory } from '../../src/config/inventory.ts';
import { main } from '../../src/cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIX = join(ROOT, 'test/fixtures/ansible-layout');
const ROLE_VARS = { level: { type: 'string' } };

describe('INI inventory through loadInventory', () => {
  test('ranges, children, group vars by depth (all < parent < child < host)', async () => {
    const inv = await loadInventory(join(FIX, 'hosts.ini'), ROLE_VARS);
    assert.deepEqual(inv.hosts, ['web01', 'web02', 'db-a', 'db-b']);
    assert.deepEqual(inv.groups.get('prod'), ['web01', 'web02', 'db-a', 'db-b']);
    assert.equal(inv.byName.get('web01')?.vars.level, 'parent');
    assert.equal(inv.byName.get('db-a')?.vars.level, 'host');
    const web01 = inv.byName.get('web01');
    assert.ok(web01);
    const c = connectionOf(inv, web01);
    assert.deepEqual([c.address, c.port, c.user], ['127.0.0.1', 1, 'deploy']);
  });

  test('values are schema-checked with file:line', async () => {
    const file = join(FIX, 'bad.ini');
    await assert.rejects(loadInventory(file, ROLE_VARS), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.ok(e.problems.includes(`${file}:2: ansible_port: must be a port number from 1 to 65535 (22 or "22")`), e.message);
      assert.ok(e.problems.includes(`${file}:4: bogus_key: unknown key`), e.message);
      return true;
    });
  });

  test('provision validate -i <INI inventory> works', async () => {
    const out: string[] = [];
    const { log } = console;
    console.log = (...a: unknown[]) => void out.push(a.map(String).join(' '));
    try {
      const code = await main(['validate', '-i', join(FIX, 'cli.ini'), '-p', join(ROOT, 'test/fixtures/cli/docker-host.yml')]);
      assert.equal(code, 0, out.join('\n'));
    } finally {
      console.log = log;
    }
    assert.ok(out.some((l) => l.startsWith('db-b: deploy@127.0.0.1:1 roles=docker,networks')), out.join('\n'));
  });
});
