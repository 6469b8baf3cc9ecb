// group_vars/host_vars beside the inventory and the playbook, in Ansible's order; several -i
// sources and inventory directories; Vault in vars files and YAML inventories.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { Vault } from 'ansible-vault';
import { ConfigError } from '../../src/config/errors.ts';
import { loadInventory } from '../../src/config/inventory.ts';
import { VaultKeys } from '../../src/config/ansible/vault.ts';
import { findVarsFiles } from '../../src/config/ansible/vars-files.ts';
import { inventoryFiles } from '../../src/config/ansible/sources.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIX = join(ROOT, 'test/fixtures/ansible-precedence');
// Lowest first: level N sets lv<N> … lv12 to its own name, so each key must end with its level's name.
const LEVELS = ['ini_all', 'ini_parent', 'ini_child', 'inv_gv_all', 'pb_gv_all', 'inv_gv_parent', 'inv_gv_child', 'pb_gv_parent', 'pb_gv_child', 'ini_host', 'inv_hv', 'pb_hv'];
const key = (i: number) => `lv${String(i + 1).padStart(2, '0')}`;
const ROLE_VARS: Record<string, object> = {
  ...Object.fromEntries(LEVELS.map((_, i) => [key(i), { type: 'string' }])),
  level: { type: 'string' },
  db_password: { type: 'string' },
  http_port: { type: 'integer' },
};

const tmp = mkdtempSync(join(tmpdir(), 'ans2-vars-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
/** A fresh directory with these files (path → text). */
function tree(files: Record<string, string>): string {
  const dir = join(tmp, `t${++n}`);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

async function problemsOf(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail('loaded without error');
}

describe('group_vars and host_vars: Ansible precedence', () => {
  test('a conflict at every level: each key ends with the value of its own level', async () => {
    const inv = await loadInventory(join(FIX, 'inventory/hosts.ini'), ROLE_VARS, { playbookDir: join(FIX, 'playbooks') });
    const vars = inv.byName.get('h1')?.vars ?? {};
    const got = Object.fromEntries(LEVELS.map((_, i) => [key(i), vars[key(i)]]));
    assert.deepEqual(got, Object.fromEntries(LEVELS.map((l, i) => [key(i), l])));
  });

  test('without the playbook directory, the inventory levels alone', async () => {
    const inv = await loadInventory(join(FIX, 'inventory/hosts.ini'), ROLE_VARS);
    const vars = inv.byName.get('h1')?.vars ?? {};
    assert.equal(vars.lv05, 'inv_gv_all');
    assert.equal(vars.lv09, 'inv_gv_child');
    assert.equal(vars.lv12, 'inv_hv');
  });

  test('vars files found as Ansible finds them: a directory (sorted, hidden, backups and other extensions skipped) or the first of NAME, .yml, .yaml, .json', () => {
    const gv = join(FIX, 'inventory/group_vars');
    assert.deepEqual(findVarsFiles(gv, 'child'), [join(gv, 'child/10-first.yml'), join(gv, 'child/20-second.yml')]);
    assert.deepEqual(findVarsFiles(gv, 'parent'), [join(gv, 'parent.yml')]);
    assert.deepEqual(findVarsFiles(join(FIX, 'playbooks/group_vars'), 'parent'), [join(FIX, 'playbooks/group_vars/parent.json')]);
    assert.deepEqual(findVarsFiles(gv, 'nosuchgroup'), []);
  });

  test('a group_vars or host_vars entry no group or host reads is named in a note (Ansible drops it silently)', async () => {
    const dir = tree({ 'hosts.ini': '[web]\nw1\n', 'group_vars/webservers.yml': 'level: x\n', 'group_vars/web/a.yml': 'level: y\n', 'host_vars/w2/main.yml': 'level: z\n' });
    const inv = await loadInventory(join(dir, 'hosts.ini'), ROLE_VARS);
    assert.deepEqual(inv.notes, [
      `${join(dir, 'group_vars/webservers.yml')}: no group of that name in ${join(dir, 'hosts.ini')}: not read`,
      `${join(dir, 'host_vars/w2')}: no host of that name in ${join(dir, 'hosts.ini')}: not read`,
    ]);
    const fixture = await loadInventory(join(FIX, 'inventory/hosts.ini'), ROLE_VARS, { playbookDir: join(FIX, 'playbooks') });
    assert.deepEqual(fixture.notes, []);
  });

  test('a playbook beside the inventory: its group_vars are read once, at the inventory rank', async () => {
    const dir = tree({ 'hosts.ini': '[web]\nw1\n', 'group_vars/web.yml': 'level: web\n', 'group_vars/all.yml': 'level: all\n' });
    const inv = await loadInventory(join(dir, 'hosts.ini'), ROLE_VARS, { playbookDir: dir });
    assert.equal(inv.byName.get('w1')?.vars.level, 'web');
  });
});

describe('group_vars and host_vars: every value schema-checked with file and line', () => {
  test('unknown key (with did-you-mean), wrong type, not a mapping: all reported at once', async () => {
    const dir = tree({
      'hosts.yml': 'all:\n  children:\n    web:\n      hosts:\n        w1:\n',
      'group_vars/web.yml': '# web\nlevel: ok\ndb_pasword: x\n',
      'host_vars/w1/ports.yml': 'http_port: eighty\n',
      'group_vars/all.yaml': '- a list\n',
    });
    const problems = await problemsOf(loadInventory(join(dir, 'hosts.yml'), ROLE_VARS));
    assert.ok(problems.includes(`${join(dir, 'group_vars/web.yml')}:3: db_pasword: unknown key (did you mean "db_password"?)`), problems.join('\n'));
    assert.ok(problems.includes(`${join(dir, 'host_vars/w1/ports.yml')}:1: http_port: must be integer`), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith(`${join(dir, 'group_vars/all.yaml')}: a vars file must be a mapping`)), problems.join('\n'));
  });

  test('an INI inventory line with a misspelt key gets a did-you-mean too', async () => {
    const dir = tree({ 'hosts.ini': '[web]\nw1 levle=x\n' });
    const problems = await problemsOf(loadInventory(join(dir, 'hosts.ini'), ROLE_VARS));
    assert.deepEqual(problems, [`${join(dir, 'hosts.ini')}:2: levle: unknown key (did you mean "level"?)`]);
  });

  test('invalid YAML in a vars file names file:line:col', async () => {
    const dir = tree({ 'hosts.ini': 'w1\n', 'host_vars/w1.yml': 'level: [unclosed\n' });
    const problems = await problemsOf(loadInventory(join(dir, 'hosts.ini'), ROLE_VARS));
    assert.ok(problems.some((p) => p.startsWith(`${join(dir, 'host_vars/w1.yml')}:`)), problems.join('\n'));
  });
});

describe('-i several times, or a directory', () => {
  test('a symlink looping back in a group_vars directory or an inventory directory is walked once', async () => {
    const dir = tree({ 'inv/hosts.ini': '[web]\nw1\n', 'inv/group_vars/web/a.yml': 'level: a\n' });
    symlinkSync('.', join(dir, 'inv/group_vars/web/loop'));
    symlinkSync('.', join(dir, 'inv/again'));
    const inv = await loadInventory(join(dir, 'inv'), ROLE_VARS);
    assert.equal(inv.byName.get('w1')?.vars.level, 'a');
    assert.deepEqual(inventoryFiles(join(dir, 'inv')).files, [join(dir, 'inv/hosts.ini')]);
  });

  test('a dangling symlink in an inventory directory is named', async () => {
    const dir = tree({ 'hosts.ini': 'w1\n' });
    symlinkSync(join(dir, 'gone'), join(dir, 'zz-link'));
    const problems = await problemsOf(loadInventory(dir, ROLE_VARS));
    assert.deepEqual(problems, [`${join(dir, 'zz-link')}: cannot read inventory: ENOENT`]);
  });
  test('several -i: merged, the later source wins, each source brings its group_vars', async () => {
    const a = tree({ 'hosts.ini': '[web]\nw1 level=a\n[web:vars]\nhttp_port=80\n' });
    const b = tree({ 'more.yml': 'all:\n  children:\n    web:\n      hosts:\n        w1: { level: b }\n        w2:\n', 'group_vars/web.yml': 'db_password: from-b\n' });
    const inv = await loadInventory([join(a, 'hosts.ini'), join(b, 'more.yml')], ROLE_VARS);
    assert.deepEqual(inv.hosts, ['w1', 'w2']);
    assert.deepEqual(inv.groups.get('web'), ['w1', 'w2']);
    assert.deepEqual(inv.byName.get('w1')?.vars, { level: 'b', http_port: 80, db_password: 'from-b' });
    assert.equal(inv.file, `${join(a, 'hosts.ini')}, ${join(b, 'more.yml')}`);
  });

  test('a directory: every inventory file in name order; hidden, backup, retry, docs and group_vars/host_vars skipped', async () => {
    const dir = tree({
      '10-web.ini': '[web]\nw1\n',
      '20-db.yml': 'all:\n  children:\n    db:\n      hosts:\n        d1:\n',
      'sub/30-more.ini': '[web]\nw2\n',
      'site.retry': 'junk\n',
      'old.ini~': 'junk\n',
      '.hidden.ini': 'junk\n',
      'README.md': '# not an inventory\n',
      'notes.txt': 'x\n',
      'ansible.cfg': '[defaults]\n',
      'group_vars/web.yml': 'level: web\n',
      'host_vars/d1.yml': 'level: d1\n',
    });
    assert.deepEqual(inventoryFiles(dir).files, ['10-web.ini', '20-db.yml', 'sub/30-more.ini'].map((f) => join(dir, f)));
    const inv = await loadInventory(dir, ROLE_VARS);
    assert.deepEqual(inv.hosts, ['w1', 'd1', 'w2']);
    assert.equal(inv.dir, dir);
    assert.deepEqual(['w1', 'w2', 'd1'].map((h) => inv.byName.get(h)?.vars.level), ['web', 'web', 'd1']);
  });

  test('-i "host1,host2:2222," is a host list, as in Ansible; merged with a file it gets that file\'s groups', async () => {
    const dir = tree({ 'hosts.ini': '[web]\nb.example\n', 'group_vars/web.yml': 'level: web\n' });
    const inv = await loadInventory(['a.example,b.example:2222,', join(dir, 'hosts.ini')], ROLE_VARS);
    assert.deepEqual(inv.hosts, ['a.example', 'b.example']);
    assert.deepEqual(inv.byName.get('b.example')?.vars, { ansible_port: 2222, level: 'web' });
    assert.deepEqual(inv.byName.get('a.example')?.groups, ['all', 'ungrouped']);
    const problems = await problemsOf(loadInventory('ok.example,bad host:99999,', ROLE_VARS));
    assert.deepEqual(problems, ['-i ok.example,bad host:99999,: "bad host:99999" is not a host name or host:port']);
  });

  test('a dynamic inventory script in the directory is refused by name', async () => {
    const dir = tree({ 'hosts.ini': 'w1\n', 'ec2.py': '#!/usr/bin/env python3\n' });
    chmodSync(join(dir, 'ec2.py'), 0o755);
    const problems = await problemsOf(loadInventory(dir, ROLE_VARS));
    assert.match(problems[0] ?? '', /ec2\.py: an executable file in the inventory directory: dynamic inventory scripts are not supported/);
  });

  test('an inventory plugin configuration is refused, not misread', async () => {
    const dir = tree({ 'aws_ec2.yml': 'plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n' });
    const problems = await problemsOf(loadInventory(join(dir, 'aws_ec2.yml'), ROLE_VARS));
    assert.match(problems[0] ?? '', /aws_ec2\.yml:1: an inventory plugin configuration \(plugin: amazon\.aws\.aws_ec2\)/);
  });
});

describe('Vault in group_vars, host_vars and YAML inventories', () => {
  const PW = 'correct horse battery';
  const vault = new Vault({ password: PW });
  const pwFile = join(tmp, 'vault-pass');
  writeFileSync(pwFile, `${PW}\n`);
  const wrongFile = join(tmp, 'vault-wrong');
  writeFileSync(wrongFile, 'not it\n');
  const encValue = (v: string) => `!vault |\n  ${vault.encryptSync(v, '').split('\n').join('\n  ')}`;

  const layout = () =>
    tree({
      'inventory/hosts.yml': `all:\n  hosts:\n    w1:\n      db_password: ${encValue('inventory-s3cret').replace(/\n/g, '\n      ')}\n    w2:\n`,
      'inventory/group_vars/all/vault.yml': vault.encryptSync('db_password: whole-file-s3cret\nhttp_port: 8443\n', ''),
      'inventory/host_vars/w2.yml': `level: ${encValue('host-s3cret')}\n`,
    });

  test('whole vaulted files and !vault values decrypt; the values are the inventory secrets', async () => {
    const dir = layout();
    const inv = await loadInventory(join(dir, 'inventory/hosts.yml'), ROLE_VARS, { vault: new VaultKeys({ passwordFile: pwFile }) });
    assert.deepEqual(inv.byName.get('w1')?.vars, { db_password: 'inventory-s3cret', http_port: 8443 });
    assert.deepEqual(inv.byName.get('w2')?.vars, { db_password: 'whole-file-s3cret', http_port: 8443, level: 'host-s3cret' });
    assert.deepEqual([...inv.secrets].sort(), ['8443', 'host-s3cret', 'inventory-s3cret', 'whole-file-s3cret']);
  });

  test('a decrypted file is schema-checked too, its lines named in the decrypted text', async () => {
    const dir = tree({ 'hosts.ini': 'w1\n', 'group_vars/all.yml': vault.encryptSync('level: ok\nhttp_port: high\n', '') });
    const problems = await problemsOf(loadInventory(join(dir, 'hosts.ini'), ROLE_VARS, { vault: new VaultKeys({ passwordFile: pwFile }) }));
    assert.deepEqual(problems, [`${join(dir, 'group_vars/all.yml')} (decrypted):2: http_port: must be integer`]);
  });

  test('wrong password: exit-2 error naming the vaulted file', async () => {
    const dir = layout();
    const problems = await problemsOf(loadInventory(join(dir, 'inventory/hosts.yml'), ROLE_VARS, { vault: new VaultKeys({ passwordFile: wrongFile }) }));
    assert.match(problems[0] ?? '', /inventory\/hosts\.yml:\d+: cannot decrypt: wrong vault password/);
  });

  test('a vaulted file and no password: says which file and how to give one', async () => {
    const dir = tree({ 'hosts.ini': 'w1\n', 'group_vars/all.yml': vault.encryptSync('level: x\n', '') });
    const problems = await problemsOf(loadInventory(join(dir, 'hosts.ini'), ROLE_VARS, { vault: new VaultKeys({ env: {} }) }));
    assert.equal(problems[0], `${join(dir, 'group_vars/all.yml')}: is encrypted with Ansible Vault, and no vault password was given: use --vault-password-file FILE (or --vault-id [label@]FILE) or set ANSIBLE_VAULT_PASSWORD_FILE`);
  });

  test('a whole vaulted INI inventory is read too', async () => {
    const dir = tree({ 'hosts': vault.encryptSync('[web]\nw1 level=from-ini-vault\n', '') });
    const inv = await loadInventory(join(dir, 'hosts'), ROLE_VARS, { vault: new VaultKeys({ passwordFile: pwFile }) });
    assert.equal(inv.byName.get('w1')?.vars.level, 'from-ini-vault');
    assert.ok(inv.secrets.includes('from-ini-vault'));
  });
});

describe('"{{ name }}" references: the vars.yml → vault.yml layout', () => {
  const PW = 'refs password';
  const vault = new Vault({ password: PW });
  const keys = () => new VaultKeys({ passwordFile: join(tmp, 'refs-pass') });
  writeFileSync(join(tmp, 'refs-pass'), `${PW}\n`);

  test('a value that is exactly "{{ name }}" takes that variable\'s value (chains, types, inventory_hostname)', async () => {
    const dir = tree({
      'hosts.ini': '[web]\nw1.example.com\n',
      'group_vars/all/vars.yml': 'db_password: "{{ vault_db_password }}"\nhttp_port: "{{ vault_port }}"\nlevel: "{{ inventory_hostname_short }}"\napp: { url: "{{ vault_url }}" }\n',
      'group_vars/all/vault.yml': vault.encryptSync('vault_db_password: "{{ vault_real_password }}"\nvault_real_password: r3al-s3cret\nvault_port: 8443\nvault_url: https://x.example/\n', ''),
    });
    const inv = await loadInventory(join(dir, 'hosts.ini'), { ...ROLE_VARS, app: { type: 'object' } }, { vault: keys() });
    const host = inv.byName.get('w1.example.com');
    assert.ok(host);
    assert.equal(host.vars.db_password, 'r3al-s3cret');
    assert.equal(host.vars.http_port, 8443);
    assert.equal(host.vars.level, 'w1');
    assert.deepEqual(host.vars.app, { url: 'https://x.example/' });
    assert.ok(inv.secrets.includes('r3al-s3cret'));
    const { roleVarsOf } = await import('../../src/config/inventory.ts');
    assert.deepEqual(Object.keys(roleVarsOf(host)).filter((k) => k.startsWith('vault_')), []);
  });

  test('other templates are kept as written (a Go template for the service, text around braces, filters)', async () => {
    const dir = tree({ 'hosts.ini': 'w1\n', 'host_vars/w1.yml': 'level: "{{ .Labels.alertname }}"\ndb_password: "pw-{{ x }}"\nlevels: ["{{ y | default(1) }}"]\n' });
    const inv = await loadInventory(join(dir, 'hosts.ini'), { ...ROLE_VARS, levels: { type: 'array' } });
    assert.deepEqual(inv.byName.get('w1')?.vars, { level: '{{ .Labels.alertname }}', db_password: 'pw-{{ x }}', levels: ['{{ y | default(1) }}'] });
  });

  test('undefined names, cycles and a resolved value of the wrong type are errors naming file:line', async () => {
    const dir = tree({
      'hosts.ini': 'w1\n',
      'group_vars/all.yml': '# refs\ndb_password: "{{ vault_db_pasword }}"\nlevel: "{{ vault_a }}"\nvault_a: "{{ level }}"\nhttp_port: "{{ vault_name }}"\nvault_name: eighty\n',
    });
    const problems = await problemsOf(loadInventory(join(dir, 'hosts.ini'), ROLE_VARS));
    const f = join(dir, 'group_vars/all.yml');
    assert.ok(problems.some((p) => p.startsWith(`${f}:2: db_password: "{{ vault_db_pasword }}" refers to vault_db_pasword, which host w1 does not define`)), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith(`${f}:4: vault_a: "{{ level }}" refers back to itself (level → vault_a → level)`)), problems.join('\n'));
    assert.ok(problems.includes(`${f}:5: http_port: must be integer (host w1, references resolved)`), problems.join('\n'));
  });
});

describe('YAML inventory keys remember their lines', () => {
  test('a reference problem in a YAML inventory names the line of its key', async () => {
    const dir = tree({ 'hosts.yml': 'all:\n  vars:\n    level: ok\n  children:\n    web:\n      hosts:\n        w1:\n          db_password: "{{ nope }}"\n' });
    const problems = await problemsOf(loadInventory(join(dir, 'hosts.yml'), ROLE_VARS));
    assert.ok(problems[0]?.startsWith(`${join(dir, 'hosts.yml')}:8: db_password: "{{ nope }}" refers to nope`), problems.join('\n'));
  });
});

describe('provision validate with a vaulted layout', () => {
  const PW = 'cli vault password';
  const vault = new Vault({ password: PW });
  const BOOK = join(ROOT, 'test/fixtures/cli/docker-host.yml');
  const dir = tree({
    'hosts.ini': '[web]\nw1 ansible_host=127.0.0.1 ansible_port=1\n',
    // A whole vaulted file: the login name it holds is a secret now, masked in what is printed.
    'group_vars/web/vault.yml': vault.encryptSync('ansible_user: vaultuser7\n', ''),
    'pass.txt': `${PW}\n`,
    'wrong.txt': 'nope\n',
  });

  async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const { log, error } = console;
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
    console.log = (...a: unknown[]) => void out.push(a.map(String).join(' '));
    console.error = (...a: unknown[]) => void err.push(a.map(String).join(' '));
    try {
      const { main } = await import('../../src/cli.ts');
      return { code: await main(args), out: out.join('\n'), err: err.join('\n') };
    } finally {
      console.log = log;
      console.error = error;
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }

  test('--vault-password-file: decrypted, and the secret is masked in the output', async () => {
    const r = await cli(['validate', '-i', join(dir, 'hosts.ini'), '-p', BOOK, '--vault-password-file', join(dir, 'pass.txt')], { ANSIBLE_VAULT_PASSWORD_FILE: undefined });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^w1: \*\*\*@127\.0\.0\.1:1 roles=docker,networks/m);
    assert.doesNotMatch(r.out + r.err, /vaultuser7/);
  });

  test('ANSIBLE_VAULT_PASSWORD_FILE: an executable file is a password script', async () => {
    const script = join(dir, 'pass.sh');
    writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' '${PW}'\n`);
    chmodSync(script, 0o700);
    const r = await cli(['validate', '-i', join(dir, 'hosts.ini'), '-p', BOOK], { ANSIBLE_VAULT_PASSWORD_FILE: script });
    assert.equal(r.code, 0, r.err);
  });

  test('--vault-id label@FILE works as Ansible users type it', async () => {
    const r = await cli(['validate', '-i', join(dir, 'hosts.ini'), '-p', BOOK, '--vault-id', `prod@${join(dir, 'pass.txt')}`], { ANSIBLE_VAULT_PASSWORD_FILE: undefined });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^w1: \*\*\*@127\.0\.0\.1:1/m);
  });

  test('wrong password: exit 2 naming the vaulted file', async () => {
    const r = await cli(['validate', '-i', join(dir, 'hosts.ini'), '-p', BOOK, '--vault-password-file', join(dir, 'wrong.txt')]);
    assert.equal(r.code, 2);
    assert.match(r.err, new RegExp(`${join(dir, 'group_vars/web/vault.yml').replace(/[.]/g, '\\.')}: cannot decrypt: wrong vault password`));
  });

  test('no password anywhere: exit 2 naming the vaulted file and both ways to give one', async () => {
    const r = await cli(['validate', '-i', join(dir, 'hosts.ini'), '-p', BOOK], { ANSIBLE_VAULT_PASSWORD_FILE: undefined });
    assert.equal(r.code, 2);
    assert.match(r.err, /group_vars\/web\/vault\.yml: is encrypted with Ansible Vault, and no vault password was given: use --vault-password-file FILE \(or --vault-id \[label@\]FILE\) or set ANSIBLE_VAULT_PASSWORD_FILE/);
  });

  test('a role refusing a vaulted value does not print the value', async () => {
    const apps = { shioaji_gateway: 'me/gw:1', shioaji_backend: 'me/be:1', shioaji_frontend: 'me/fe:1', force_recorder: 'me/fr:1', ibapi_web: 'me/web:1', ibapi_api: 'me/api:1' };
    const bad = tree({
      'hosts.ini': 'w1 ansible_host=127.0.0.1\n',
      'group_vars/all.yml': vault.encryptSync(`images: ${JSON.stringify(apps)}\ndomain: Secret_Domain.Example\n`, ''),
      '.env': 'GRAFANA_ADMIN_PASSWORD=grafana-pw-123\nPOSTGRES_PASSWORD=postgres-pw-1234\n',
    });
    const r = await cli(['validate', '-i', join(bad, 'hosts.ini'), '-p', join(ROOT, 'playbooks/site.yml'), '--vault-password-file', join(dir, 'pass.txt')]);
    assert.equal(r.code, 2, r.out);
    assert.match(r.err, /domain: "\*\*\*" is not a valid lowercase DNS name/);
    assert.doesNotMatch(r.err, /Secret_Domain/);
  });

  test('a --vault-password-file that does not exist fails up front, even when nothing is vaulted', async () => {
    const r = await cli(['validate', '-i', join(ROOT, 'test/fixtures/ansible-layout/cli.ini'), '-p', BOOK, '--vault-password-file', join(dir, 'missing.txt')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--vault-password-file .*missing\.txt: cannot read the vault password \(ENOENT\)/);
  });
});
