// The ansible_* key policy (issue 10): unknown keys are errors with a suggestion, keys that
// change behaviour are honoured or refused with the place named, keys that do not matter here
// are accepted with one note per run, and values Ansible accepts are accepted (in YAML and INI).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ansibleBool, ignoredKeyNotes } from '../../src/config/ansible-keys.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { connectionOf, loadInventory, roleVarsOf, type Inventory } from '../../src/config/inventory.ts';
import { main } from '../../src/cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ROLE_VARS = { level: { type: 'string' } };

function write(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ansible-keys-')), name);
  writeFileSync(file, text);
  return file;
}

async function problems(name: string, text: string): Promise<string[]> {
  const file = write(name, text);
  try {
    await loadInventory(file, ROLE_VARS);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems.map((p) => p.replace(file, name));
  }
  assert.fail('the inventory was accepted');
}

async function conn(name: string, text: string, host = 'vm1') {
  const inv: Inventory = await loadInventory(write(name, text), ROLE_VARS);
  const h = inv.byName.get(host);
  assert.ok(h);
  return connectionOf(inv, h);
}

describe('ansibleBool: as Ansible reads booleans', () => {
  test('true and false forms, any case', () => {
    for (const t of [true, 1, 'yes', 'Yes', 'YES', 'y', 'on', 'true', 'True', 't', '1']) assert.equal(ansibleBool(t), true, String(t));
    for (const f of [false, 0, 'no', 'No', 'n', 'off', 'false', 'False', 'f', '0']) assert.equal(ansibleBool(f), false, String(f));
  });
  test('anything else is no boolean at all (never "truthy")', () => {
    for (const x of ['maybe', '', 'yess', 2, null, undefined, {}]) assert.equal(ansibleBool(x), undefined, String(x));
  });
});

describe('unknown ansible_* keys are errors with a suggestion', () => {
  test('YAML: ansible_hots on its line, did you mean ansible_host', async () => {
    const p = await problems('hosts.yml', 'all:\n  hosts:\n    vm1:\n      ansible_hots: 10.0.0.1\n');
    assert.deepEqual(p, ['hosts.yml:4: all/hosts/vm1/ansible_hots: unknown key (did you mean "ansible_host"?)']);
  });
  test('YAML: an ansible_* key Ansible does not have either', async () => {
    const p = await problems('hosts.yml', 'all:\n  vars:\n    ansible_frobnicate: 1\n  hosts:\n    vm1:\n');
    assert.deepEqual(p, ['hosts.yml:3: all/vars/ansible_frobnicate: unknown key']);
  });
  test('INI: host line and [group:vars] name file:line with the suggestion', async () => {
    const p = await problems('hosts.ini', '[web]\nvm1 ansible_hots=10.0.0.1\n[web:vars]\nansible_usr=deploy\n');
    assert.deepEqual(p.sort(), [
      'hosts.ini:2: ansible_hots: unknown key (did you mean "ansible_host"?)',
      'hosts.ini:4: ansible_usr: unknown key (did you mean "ansible_user"?)',
    ]);
  });
});

describe('values Ansible accepts', () => {
  test('YAML: ansible_port "22", ansible_become "yes" / "no" / "True" / 1 / 0', async () => {
    const c = await conn('hosts.yml', 'all:\n  hosts:\n    vm1:\n      ansible_port: "2222"\n      ansible_become: "yes"\n');
    assert.equal(c.port, 2222);
    assert.equal(c.become, true);
    for (const [v, want] of [['"no"', false], ['"True"', true], ['1', true], ['0', false], ['no', false], ['off', false], ['on', true]] as const) {
      const b = await conn('hosts.yml', `all:\n  hosts:\n    vm1:\n      ansible_become: ${v}\n`);
      assert.equal(b.become, want, `ansible_become: ${v}`);
    }
  });
  test('INI: ansible_become=no is false, =yes and =True are true; ansible_port=22 a number', async () => {
    assert.equal((await conn('h.ini', '[web]\nvm1 ansible_become=no\n')).become, false);
    assert.equal((await conn('h.ini', '[web]\nvm1 ansible_become=yes\n')).become, true);
    assert.equal((await conn('h.ini', '[web]\nvm1 ansible_become=True ansible_port=2201\n')).become, true);
    assert.equal((await conn('h.ini', '[web]\nvm1\n[web:vars]\nansible_become=false\nansible_port="2202"\n')).port, 2202);
  });
  test('native become takes the same forms', async () => {
    assert.equal((await conn('hosts.yml', 'all:\n  hosts:\n    vm1: { become: "no" }\n')).become, false);
    assert.equal((await conn('hosts.yml', 'all:\n  hosts:\n    vm1: { become: "yes" }\n')).become, true);
  });
  test('a port out of range or a boolean Ansible does not know is still refused, on its line', async () => {
    const p = await problems('hosts.yml', 'all:\n  hosts:\n    vm1:\n      ansible_port: "70000"\n      ansible_become: "maybe"\n');
    assert.deepEqual(p, [
      'hosts.yml:4: all/hosts/vm1/ansible_port: must be a port number from 1 to 65535 (22 or "22")',
      'hosts.yml:5: all/hosts/vm1/ansible_become: must be a boolean (true/false, yes/no, on/off or 1/0)',
    ]);
  });
});

describe('keys that change behaviour: honoured', () => {
  test('the old ansible_ssh_host/port/user, ansible_private_key_file, the become password aliases, timeouts', async () => {
    const c = await conn(
      'hosts.yml',
      'all:\n  hosts:\n    vm1:\n      ansible_ssh_host: 10.1.2.3\n      ansible_ssh_port: 2200\n      ansible_ssh_user: ops\n      ansible_private_key_file: /abs/k\n      ansible_become_pass: pw-from-inventory\n      ansible_ssh_timeout: "30"\n',
    );
    assert.deepEqual([c.address, c.port, c.user, c.identityFile, c.becomePassword, c.connectTimeoutMs], ['10.1.2.3', 2200, 'ops', '/abs/k', 'pw-from-inventory', 30_000]);
  });
  test("ansible_ssh_args: Ansible's default value is harmless, a ProxyJump in it is honoured, common args come after it", async () => {
    const plain = await conn('hosts.yml', 'all:\n  hosts:\n    vm1: { ansible_ssh_args: "-C -o ControlMaster=auto -o ControlPersist=60s" }\n');
    assert.equal(plain.jumps, undefined);
    const c = await conn('hosts.yml', 'all:\n  hosts:\n    vm1:\n      ansible_ssh_args: "-o ProxyJump=ops@gw1"\n      ansible_ssh_common_args: "-o ProxyJump=ops@gw2"\n');
    assert.deepEqual(c.jumps?.map((j) => j.label), ['ops@gw1']);
  });
  test('the modern names win over the old ones', async () => {
    const c = await conn('hosts.yml', 'all:\n  hosts:\n    vm1:\n      ansible_host: 10.0.0.9\n      ansible_ssh_host: 10.1.2.3\n');
    assert.equal(c.address, '10.0.0.9');
  });
  test('ansible_become_user: root, ansible_become_method: sudo, ansible_connection: ssh/smart are what provision does', async () => {
    for (const extra of ['ansible_become_user: root', 'ansible_become_method: sudo', 'ansible_connection: ssh', 'ansible_connection: smart', 'ansible_become_flags: "-H -S -n"']) {
      const c = await conn('hosts.yml', `all:\n  hosts:\n    vm1:\n      ansible_become: true\n      ${extra}\n`);
      assert.equal(c.become, true, extra);
    }
  });
  test('ansible_host_key_checking: "False" (as INI and YAML 1.1 users write it) is off', async () => {
    assert.equal((await conn('h.ini', '[web]\nvm1 ansible_host_key_checking=False\n')).hostKeyChecking, 'off');
    assert.equal((await conn('hosts.yml', 'all:\n  hosts:\n    vm1: { ansible_host_key_checking: "no" }\n')).hostKeyChecking, 'off');
  });
  test('roles never see ansible_* keys', async () => {
    const inv = await loadInventory(write('hosts.yml', 'all:\n  hosts:\n    vm1: { ansible_ssh_timeout: 5, ansible_python_interpreter: /usr/bin/python3, level: x }\n'), ROLE_VARS);
    assert.deepEqual(roleVarsOf(inv.byName.get('vm1')!), { level: 'x' });
  });
});

describe('keys that change behaviour: refused, naming the place and the key', () => {
  const cases: [string, string, RegExp][] = [
    ['ansible_become_user: deploy', 'all/hosts/vm1/ansible_become_user', /only root is supported/],
    ['ansible_become_method: su', 'all/hosts/vm1/ansible_become_method', /only sudo is supported/],
    ['ansible_become_flags: "-i"', 'all/hosts/vm1/ansible_become_flags', /other sudo flags are not supported/],
    ['ansible_become_exe: /usr/local/bin/sudo', 'all/hosts/vm1/ansible_become_exe', /another become executable is not supported/],
    ['ansible_connection: local', 'all/hosts/vm1/ansible_connection', /over SSH .*local and other connection types are not supported/],
    ['ansible_connection: winrm', 'all/hosts/vm1/ansible_connection', /not supported/],
  ];
  for (const [line, path, why] of cases) {
    test(line, async () => {
      const p = await problems('hosts.yml', `all:\n  hosts:\n    vm1:\n      ${line}\n`);
      assert.equal(p.length, 1, p.join('\n'));
      assert.ok(p[0]?.startsWith(`hosts.yml:4: ${path}: `), p[0]);
      assert.match(p[0] ?? '', why);
    });
  }
  test('SSH passwords: refused in YAML and INI, pointing to keys, the value never shown', async () => {
    for (const k of ['ansible_ssh_pass', 'ansible_password', 'ansible_ssh_password']) {
      const p = await problems('hosts.yml', `all:\n  vars:\n    ${k}: "S3cr3t-Pa55"\n  hosts:\n    vm1:\n`);
      assert.deepEqual(p, [`hosts.yml:3: all/vars/${k}: SSH passwords are not used (and never printed): log in with a key file (ansible_ssh_private_key_file) or a key in ssh-agent`]);
    }
    const p = await problems('hosts.ini', '[web]\nvm1 ansible_ssh_pass=S3cr3t-Pa55\n');
    assert.equal(p.length, 1);
    assert.match(p[0] ?? '', /^hosts\.ini:2: ansible_ssh_pass: SSH passwords are not used/);
    assert.doesNotMatch(p.join('\n'), /S3cr3t/);
  });
  test('a group var is named with its group', async () => {
    const p = await problems('hosts.yml', 'all:\n  children:\n    web:\n      vars:\n        ansible_become_user: postgres\n      hosts:\n        vm1:\n');
    assert.equal(p.length, 1);
    assert.match(p[0] ?? '', /^hosts\.yml:5: all\/children\/web\/vars\/ansible_become_user: only root/);
  });
});

describe('keys that do not matter here: one note per key per run', () => {
  test('ignoredKeyNotes: one line per key, the hosts that carry it, the reason', () => {
    const hosts = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, vars: { ansible_python_interpreter: '/usr/bin/python3', ansible_ssh_pipelining: true, level: 'x' } as Record<string, unknown> }));
    hosts.push({ name: 'f', vars: { ansible_perl_interpreter: '/usr/bin/perl' } });
    assert.deepEqual(ignoredKeyNotes(hosts), [
      'provision: note: ansible_python_interpreter is ignored (a, b, c and 2 more): provision runs no Python or other interpreter on hosts, only bash',
      'provision: note: ansible_ssh_pipelining is ignored (a, b, c and 2 more): provision speaks SSH itself, over one connection and one shell per host',
      'provision: note: ansible_perl_interpreter is ignored (f): provision runs no Python or other interpreter on hosts, only bash',
    ]);
  });
  test('provision validate prints each note once on stderr and still succeeds', async () => {
    const inv = write(
      'hosts.ini',
      '[docker_hosts]\nvm1 ansible_host=127.0.0.1 ansible_port=1 ansible_user=deploy ansible_shell_type=sh\nvm2 ansible_host=127.0.0.1 ansible_port=1 ansible_user=deploy\n[all:vars]\nansible_python_interpreter=/usr/bin/python3\nansible_ssh_pipelining=True\n',
    );
    const err: string[] = [];
    const { log, error } = console;
    console.log = () => undefined;
    console.error = (...a: unknown[]) => void err.push(a.map(String).join(' '));
    try {
      const code = await main(['validate', '-i', inv, '-p', join(ROOT, 'test/fixtures/cli/docker-host.yml')]);
      assert.equal(code, 0, err.join('\n'));
    } finally {
      console.log = log;
      console.error = error;
    }
    assert.deepEqual(err, [
      'provision: note: ansible_python_interpreter is ignored (vm1, vm2): provision runs no Python or other interpreter on hosts, only bash',
      'provision: note: ansible_ssh_pipelining is ignored (vm1, vm2): provision speaks SSH itself, over one connection and one shell per host',
      'provision: note: ansible_shell_type is ignored (vm1): provision always runs bash',
    ]);
  });
});
