import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.ts';
import { connectionOf, loadInventory, roleVarsOf, type Inventory } from '../../src/config/inventory.ts';

const FIX = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/inventory');
const ROLE_VARS = { level: { type: 'string' }, app: { type: 'object' } };
const load = (name: string) => loadInventory(join(FIX, name), ROLE_VARS);

async function configError(name: string): Promise<ConfigError> {
  try {
    await load(name);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail(`${name} loaded without error`);
}

function host(inv: Inventory, name: string) {
  const h = inv.byName.get(name);
  assert.ok(h, `host ${name} in inventory`);
  return h;
}

describe('loadInventory: Ansible layout', () => {
  test('hosts, in file order, including a host with a null value', async () => {
    const inv = await load('ansible.yml');
    assert.deepEqual(inv.hosts, ['devvm', 'bare', 'broker1', 'broker2']);
    assert.equal(inv.file, join(FIX, 'ansible.yml'));
    assert.equal(inv.dir, FIX);
  });

  test('groups index: all, parents contain their children’s hosts', async () => {
    const inv = await load('ansible.yml');
    assert.deepEqual(Object.fromEntries(inv.groups), {
      all: ['devvm', 'bare', 'broker1', 'broker2'],
      trading: ['broker1', 'broker2'],
      brokers: ['broker1', 'broker2'],
    });
    assert.deepEqual(host(inv, 'broker1').groups, ['all', 'trading', 'brokers']);
  });

  test('group vars precedence: all < parent < child < host, objects merged deep', async () => {
    const inv = await load('ansible.yml');
    assert.deepEqual(host(inv, 'broker1').vars.app, { a: 'all', b: 'parent', c: 'child', d: 'host' });
    assert.equal(host(inv, 'broker1').vars.level, 'child');
    assert.equal(host(inv, 'broker2').vars.level, 'host');
    assert.equal(host(inv, 'devvm').vars.level, 'all');
  });

  test('the null host gets the group vars only', async () => {
    const inv = await load('ansible.yml');
    assert.deepEqual(host(inv, 'bare').vars, {
      ansible_user: 'deploy',
      ansible_python_interpreter: '/usr/bin/python3',
      level: 'all',
      app: { a: 'all', b: 'all', c: 'all', d: 'all' },
    });
  });

  test('connectionOf reads ansible_* keys and resolves a relative key path against the inventory dir', async () => {
    const inv = await load('ansible.yml');
    assert.deepEqual(connectionOf(inv, host(inv, 'devvm')), {
      name: 'devvm',
      address: '10.0.0.5',
      port: 2222,
      user: 'deploy',
      identityFile: join(FIX, 'keys/id_ed25519'),
      become: true,
      becomePassword: undefined,
      hostKeyChecking: 'accept-new',
    });
  });

  test('connectionOf defaults: address = name, port 22, become false, no key', async () => {
    const inv = await load('ansible.yml');
    const c = connectionOf(inv, host(inv, 'bare'), 'from-env-file');
    assert.equal(c.address, 'bare');
    assert.equal(c.port, 22);
    assert.equal(c.user, 'deploy');
    assert.equal(c.become, false);
    assert.equal(c.identityFile, undefined);
    assert.equal(c.becomePassword, 'from-env-file');
  });

  test('connectionOf: ~/ key path is under the home directory; inventory become password wins', async () => {
    const inv = await load('ansible.yml');
    const c = connectionOf(inv, host(inv, 'broker1'), 'from-env-file');
    assert.equal(c.identityFile, join(homedir(), '.ssh/id_broker'));
    assert.equal(c.becomePassword, 'from-inventory');
  });

  test('connectionOf: absolute key path is kept', async () => {
    const inv = await load('ansible.yml');
    assert.equal(connectionOf(inv, host(inv, 'broker2')).identityFile, '/abs/key');
  });

  test('roleVarsOf drops connection and ansible_* keys', async () => {
    const inv = await load('ansible.yml');
    assert.deepEqual(roleVarsOf(host(inv, 'broker1')), { level: 'child', app: { a: 'all', b: 'parent', c: 'child', d: 'host' } });
  });
});

describe('loadInventory: native keys', () => {
  test('host/port/user/identityFile/become', async () => {
    const inv = await load('native.yml');
    assert.deepEqual(connectionOf(inv, host(inv, 'vm1')), {
      name: 'vm1',
      address: '192.168.56.10',
      port: 2200,
      user: 'ops',
      identityFile: resolve(FIX, '../keys/vm1'),
      become: false,
      becomePassword: undefined,
      hostKeyChecking: 'accept-new',
    });
    const c2 = connectionOf(inv, host(inv, 'vm2'));
    assert.equal(c2.address, 'vm2.example.test');
    assert.equal(c2.port, 22);
    assert.equal(c2.user, 'root');
    assert.equal(c2.become, true);
  });
  test('native connection keys are not role vars', async () => {
    const inv = await load('native.yml');
    assert.deepEqual(roleVarsOf(host(inv, 'vm1')), {});
  });
});

describe('loadInventory: errors name the file and the path', () => {
  test('unknown key', async () => {
    const e = await configError('unknown-key.yml');
    assert.deepEqual(e.problems, [`${join(FIX, 'unknown-key.yml')}:5: all/hosts/devvm/bogus: unknown key`]);
    assert.match(e.message, /unknown-key\.yml: invalid inventory/);
  });

  test('wrong types', async () => {
    const e = await configError('wrong-type.yml');
    assert.deepEqual(e.problems, [
      `${join(FIX, 'wrong-type.yml')}:4: all/hosts/devvm/ansible_port: must be a port number from 1 to 65535 (22 or "22")`,
      `${join(FIX, 'wrong-type.yml')}:5: all/hosts/devvm/ansible_become: must be a boolean (true/false, yes/no, on/off or 1/0)`,
    ]);
  });

  test('bad YAML names the file', async () => {
    const e = await configError('bad-yaml.yml');
    assert.match(e.message, /bad-yaml\.yml: invalid YAML in inventory/);
    assert.equal(e.problems.length, 1);
    assert.ok(e.problems[0]?.startsWith(join(FIX, 'bad-yaml.yml')));
    assert.match(e.problems[0] ?? '', /Map keys must be unique$/);
  });

  test(
    'bad YAML names file:line:col',
    async () => {
      const e = await configError('bad-yaml.yml');
      assert.deepEqual(e.problems, [`${join(FIX, 'bad-yaml.yml')}:5:7: Map keys must be unique`]);
    },
  );

  test('missing file', async () => {
    const e = await configError('no-such-file.yml');
    assert.match(e.message, /no-such-file\.yml: cannot read inventory: ENOENT/);
  });

  test('no hosts', async () => {
    const e = await configError('empty-hosts.yml');
    assert.match(e.message, /empty-hosts\.yml: the inventory has no hosts/);
  });
});

describe('loadInventory: Ansible semantics', () => {
  test(
    'all.vars apply to hosts of a top-level group beside all',
    async () => {
      const inv = await load('top-level-group.yml');
      assert.equal(host(inv, 'w1').vars.level, 'all');
    },
  );

  test(
    'a deeper (child) group wins over a shallower one, whatever the file order',
    async () => {
      const inv = await load('depth-precedence.yml');
      assert.equal(host(inv, 'h1').vars.level, 'deep');
    },
  );
});

describe('host_key_checking', () => {
  test('native key wins; ansible_host_key_checking: false means off; default accept-new', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'hkc-'));
    const file = join(dir, 'inv.yml');
    writeFileSync(file, 'all:\n  hosts:\n    a: { host_key_checking: strict }\n    b: { ansible_host_key_checking: false }\n    c:\n');
    const inv = await loadInventory(file, {});
    const policy = (h: string) => connectionOf(inv, inv.byName.get(h)!).hostKeyChecking;
    assert.deepEqual([policy('a'), policy('b'), policy('c')], ['strict', 'off', 'accept-new']);
  });
});
