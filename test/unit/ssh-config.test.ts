import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionOf, type Inventory, type InventoryHost } from '../../src/config/inventory.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { loadSshConfig, parseHop, parseSshArgs, parseSshConfig, proxyCommandHop, resolveSsh } from '../../src/remote/ssh-config.ts';

// Never the real ~/.ssh: every config here is text or a temp file, with a fake home.
const HOME = '/home/tester';
const CONFIG = parseSshConfig(
  `
Host bastion
  HostName 203.0.113.10
  User jump
  Port 2222
  IdentityFile ~/.ssh/jump_key

Host inner-bastion
  HostName 10.9.0.1
  ProxyJump bastion

Host db-* !db-public
  User dbadmin
  ProxyJump bastion
  IdentityFile ~/.ssh/%h_%r
  IdentityFile ~/.ssh/common
  IdentitiesOnly yes
  UserKnownHostsFile ~/.ssh/known_db /etc/ssh/extra_known

Host web1
  HostName %h.example.org
  StrictHostKeyChecking yes

Host deep
  ProxyJump inner-bastion,ops@gw.example.org:2200

Host legacy
  ProxyCommand ssh -W %h:%p bastion

Host *
  User fallback
  StrictHostKeyChecking no
`,
  'test_ssh_config',
  HOME,
  'localme',
);
const inv = (destination: string, extra: Partial<Parameters<typeof resolveSsh>[0]> = {}) => ({ label: destination, destination, args: {}, ...extra });

describe('ssh_config resolution', () => {
  test('Host wildcards and negation, first value wins, %h/%r and ~ in IdentityFile', () => {
    const r = resolveSsh(inv('db-1'), CONFIG, {});
    assert.equal(r.target.user, 'dbadmin');
    assert.equal(r.target.address, 'db-1');
    assert.deepEqual(r.target.identityFiles, [`${HOME}/.ssh/db-1_dbadmin`, `${HOME}/.ssh/common`]);
    assert.equal(r.target.identitiesOnly, true);
    assert.deepEqual(r.target.knownHostsFiles, [`${HOME}/.ssh/known_db`, '/etc/ssh/extra_known']);
    assert.equal(r.target.hostKeyChecking, 'off'); // from Host *
    // The negated name falls through to Host * only.
    const pub = resolveSsh(inv('db-public'), CONFIG, {});
    assert.equal(pub.target.user, 'fallback');
    assert.deepEqual(pub.jumps, []);
  });

  test('ProxyJump: the hop resolved through the config (HostName, User, Port, IdentityFile)', () => {
    const r = resolveSsh(inv('db-1'), CONFIG, {});
    assert.equal(r.jumps.length, 1);
    assert.deepEqual(r.jumps[0], {
      label: 'bastion',
      address: '203.0.113.10',
      port: 2222,
      user: 'jump',
      identityFiles: [`${HOME}/.ssh/jump_key`],
      identitiesOnly: false,
      hostKeyChecking: 'off',
    });
  });

  test('several hops, user@host:port forms, and a hop reached through its own ProxyJump', () => {
    const r = resolveSsh(inv('deep'), CONFIG, {});
    assert.deepEqual(
      r.jumps.map((j) => `${j.label}=${j.user}@${j.address}:${j.port}`),
      ['bastion=jump@203.0.113.10:2222', 'inner-bastion=fallback@10.9.0.1:22', 'ops@gw.example.org:2200=ops@gw.example.org:2200'],
    );
  });

  test('HostName with %h; StrictHostKeyChecking yes is strict; inventory values win', () => {
    const r = resolveSsh(inv('web1', { user: 'deploy', port: 2201, hostKeyChecking: 'accept-new' }), CONFIG, {});
    assert.equal(r.target.address, 'web1.example.org');
    assert.equal(r.target.user, 'deploy');
    assert.equal(r.target.port, 2201);
    assert.equal(r.target.hostKeyChecking, 'accept-new');
    assert.equal(resolveSsh(inv('web1'), CONFIG, {}).target.hostKeyChecking, 'strict');
  });

  test('ansible_ssh_common_args: -o Key=Value, -o Key Value and -J, before the config', () => {
    const args = parseSshArgs(`-o ProxyJump=ops@gw:2200 -o 'User admin' -o ControlMaster=auto -i /k/extra`, 'inv');
    assert.deepEqual(args, { proxyjump: 'ops@gw:2200', user: 'admin', identityfile: ['/k/extra'] });
    assert.deepEqual(parseSshArgs('-J bastion -p 2022', 'inv'), { proxyjump: 'bastion', port: '2022' });
    const r = resolveSsh(inv('db-1', { args: parseSshArgs('-J ops@gw:2200', 'inv') }), CONFIG, {});
    assert.deepEqual(r.jumps.map((j) => j.label), ['ops@gw:2200']);
    assert.throws(() => parseSshArgs('-o', 'inv: host x: ansible_ssh_common_args'), /ansible_ssh_common_args: -o needs a value/);
  });

  test('hops: forms and bad input', () => {
    assert.deepEqual(parseHop('ssh://u@h:22', 'f'), { user: 'u', host: 'h', port: 22 });
    assert.deepEqual(parseHop('[2001:db8::1]:2222', 'f'), { host: '2001:db8::1', port: 2222 });
    assert.throws(() => parseHop('a b', 'f'), ConfigError);
  });

  test('ProxyCommand "ssh -W %h:%p host" is a jump host; any other ProxyCommand is refused clearly (never connected around it)', () => {
    const r = resolveSsh(inv('legacy'), CONFIG, {});
    assert.deepEqual(r.jumps.map((j) => `${j.label}=${j.user}@${j.address}:${j.port}`), ['bastion=jump@203.0.113.10:2222']);
    const args = parseSshArgs(`-o ProxyCommand="ssh -q -i ~/.ssh/b -p 2201 -W %h:%p ops@gw.example.org"`, 'inv');
    const a = resolveSsh(inv('db-public', { args }), CONFIG, {});
    assert.deepEqual(a.jumps.map((j) => [j.user, j.address, j.port, j.identityFiles]), [['ops', 'gw.example.org', 2201, [`${HOME}/.ssh/b`]]]);
    const odd = parseSshConfig('Host x\n  ProxyCommand nc -X 5 -x proxy:1080 %h %p\n', 'odd_config', HOME, 'me');
    assert.throws(() => resolveSsh(inv('x'), odd, {}), /odd_config \(host x\): ProxyCommand is not supported \(only "ssh -W %h:%p \[user@\]host"\); write the jump host as ProxyJump/);
    assert.equal(proxyCommandHop('ssh -o StrictHostKeyChecking=no -W %h:%p gw'), undefined);
  });

  test('$PROVISION_KNOWN_HOSTS wins over UserKnownHostsFile', () => {
    const r = resolveSsh(inv('db-1'), CONFIG, { PROVISION_KNOWN_HOSTS: '/tmp/kh' });
    assert.deepEqual(r.target.knownHostsFiles, ['/tmp/kh']);
  });

  test('Match host/all blocks apply; Match exec is never run', () => {
    const m = parseSshConfig('Match host 10.1.*\n  User matched\nMatch exec "touch /tmp/should-not-exist-ssh-test"\n  Port 2\nMatch all\n  Port 2022\n', 'match_config', HOME, 'me');
    const r = resolveSsh(inv('10.1.2.3'), m, {});
    assert.deepEqual([r.target.user, r.target.port], ['matched', 2022]);
    assert.equal(resolveSsh(inv('10.2.0.1'), m, { USER: 'envuser' }).target.user, 'envuser');
  });

  test('a ProxyJump loop is an error, not a hang', () => {
    const loop = parseSshConfig('Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n', 'loop_config', HOME, 'me');
    assert.throws(() => resolveSsh(inv('a'), loop, {}), /more than 10 hops/);
  });
});

describe('connectionOf with an ssh config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sshcfg-'));
  const file = join(dir, 'config');
  writeFileSync(join(dir, 'extra.conf'), 'Host app\n  Port 2200\n');
  writeFileSync(file, `Include ${join(dir, '*.conf')}\nHost app\n  HostName 10.1.2.3\n  User cfguser\n  ProxyJump bastion\nHost bastion\n  HostName 192.0.2.1\n`);
  const src = loadSshConfig(file, HOME, 'me');
  const inventory: Inventory = { file: '/inv/inventory.yml', dir: '/inv', byName: new Map(), hosts: [], groups: new Map(), listed: new Map(), secrets: [] };
  const host = (vars: Record<string, unknown>): InventoryHost => ({ name: 'app', vars, groups: ['all'] });

  test('config fills what the inventory leaves out (Include read); inventory wins where set', () => {
    const c = connectionOf(inventory, host({ ansible_become: true }), undefined, { config: src, keyPassphrase: 'pp' });
    assert.equal(c.address, '10.1.2.3');
    assert.equal(c.port, 2200);
    assert.equal(c.user, 'cfguser');
    assert.equal(c.keyPassphrase, 'pp');
    assert.deepEqual(c.jumps?.map((j) => `${j.address}:${j.port}`), ['192.0.2.1:22']);
    const mine = connectionOf(inventory, host({ ansible_user: 'deploy', ansible_port: 22, ansible_ssh_private_key_file: 'keys/k' }), undefined, { config: src });
    assert.deepEqual([mine.user, mine.port, mine.identityFile], ['deploy', 22, '/inv/keys/k']);
  });

  test('no ssh config: the connection is what the inventory says (as before)', () => {
    const c = connectionOf(inventory, host({ ansible_host: '10.0.0.9' }));
    assert.equal(c.address, '10.0.0.9');
    assert.equal(c.jumps, undefined);
    assert.equal(c.hostKeyChecking, 'accept-new');
  });

  test('a missing config file is an empty config', () => {
    const c = connectionOf(inventory, host({}), undefined, { config: loadSshConfig(join(dir, 'nope'), HOME, 'me') });
    assert.equal(c.address, 'app');
  });
});
