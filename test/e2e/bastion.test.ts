// Issue 11 end to end: a target VM with no port published on this machine, on a docker network
// only the bastion shares (its name resolves there alone), reached through an ssh config entry
// with ProxyJump: a full apply through the bastion, a no-op rerun, the same host through
// ansible_ssh_common_args -J, and a broken bastion named in the error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { changedTasks, hostReport, ROOT, runCli } from './vm.ts';

const BASTION = 'ssh-bastion';
const TARGET = 'ssh-target';
const NET = 'ssh-net';
const PLAYBOOK = ['-p', 'playbooks/docker-host.yml'];

function start(name: string, inventory: string, env: Record<string, string>): { port: number; key: string; vars: Record<string, unknown> } {
  execFileSync('bash', [join(ROOT, 'test/vm/start.sh'), name, inventory], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const inv = parse(readFileSync(inventory, 'utf8')) as { all: { hosts: Record<string, { ansible_port: number; ansible_ssh_private_key_file: string }>; vars: Record<string, unknown> } };
  const h = inv.all.hosts[name]!;
  return { port: h.ansible_port, key: h.ansible_ssh_private_key_file, vars: inv.all.vars };
}

function stopAll(): void {
  for (const n of [TARGET, BASTION]) execFileSync('bash', [join(ROOT, 'test/vm/stop.sh'), n]);
  execFileSync('docker', ['network', 'rm', NET], { stdio: 'ignore' });
}

async function closedPort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 1));
    });
  });
}

describe('a target reachable only through a bastion (ProxyJump)', { timeout: 10 * 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssh-bastion-'));
  const knownHosts = join(dir, 'known_hosts');
  const inventory = join(dir, 'inventory.yml');
  const sshConfig = join(dir, 'ssh_config');
  let bastion: { port: number; key: string };

  const config = (bastionPort: number, targetJump: boolean) => `# written by test/e2e/bastion.test.ts
Host bastion
  HostName 127.0.0.1
  Port ${bastionPort}
  User deploy
  IdentityFile ${bastion.key}
  StrictHostKeyChecking accept-new

Host ssh-*  !bastion
  User deploy
  IdentityFile ${bastion.key}
  IdentitiesOnly yes
${targetJump ? '  ProxyJump bastion\n' : ''}`;

  before(() => {
    bastion = start(BASTION, join(dir, 'bastion.yml'), { TESTVM_NETWORK: NET });
    const target = start(TARGET, join(dir, 'target.yml'), { TESTVM_NETWORK: NET, TESTVM_PUBLISH: '0' });
    // The inventory names the host only; user, key and the way in come from the ssh config.
    writeFileSync(inventory, stringify({ all: { hosts: { [TARGET]: { ansible_become: true } }, vars: target.vars } }));
    writeFileSync(sshConfig, config(bastion.port, true));
  });
  after(() => {
    if (!process.env.KEEP_VM) stopAll();
  });

  const run = (args: string[], inv = inventory, cfg = sshConfig) => runCli(args, inv, { PROVISION_SSH_CONFIG: cfg, PROVISION_KNOWN_HOSTS: knownHosts, SSH_AUTH_SOCK: '' });

  it('the target has no port published here and its name does not resolve here', () => {
    const ports = execFileSync('docker', ['port', TARGET], { encoding: 'utf8' });
    assert.equal(ports.trim(), '');
    assert.throws(() => execFileSync('getent', ['hosts', TARGET], { stdio: 'ignore' }));
  });

  it('apply through the bastion installs Docker and the networks; host keys of both are recorded', async () => {
    const r = await run(['apply', ...PLAYBOOK]);
    assert.equal(r.code, 0, `apply failed:\n${r.stdout}\n${r.stderr}`);
    const h = hostReport(r, TARGET);
    assert.equal(h.failed, 0);
    assert.ok(h.changed >= 5, `expected the install to change things, got ${h.changed}`);
    const known = readFileSync(knownHosts, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
    assert.deepEqual(known.sort(), [`[127.0.0.1]:${bastion.port}`, TARGET].sort());
  });

  it('a rerun through the bastion changes nothing (host keys now pinned)', async () => {
    const r = await run(['apply', ...PLAYBOOK]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(changedTasks(r, TARGET), []);
  });

  it('ansible_ssh_common_args: -J bastion reaches it too (check: in sync)', async () => {
    const cfg = join(dir, 'ssh_config_nojump');
    writeFileSync(cfg, config(bastion.port, false));
    const inv = join(dir, 'inventory-args.yml');
    const data = parse(readFileSync(inventory, 'utf8')) as { all: { hosts: Record<string, Record<string, unknown>> } };
    data.all.hosts[TARGET] = { ansible_become: true, ansible_ssh_common_args: '-o StrictHostKeyChecking=accept-new -J bastion' };
    writeFileSync(inv, stringify(data));
    const r = await run(['check', ...PLAYBOOK], inv, cfg);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(changedTasks(r, TARGET), []);
  });

  it('a bastion that refuses connections is named as the failing hop', async () => {
    const cfg = join(dir, 'ssh_config_bad');
    writeFileSync(cfg, config(await closedPort(), true));
    const r = await run(['check', ...PLAYBOOK], inventory, cfg);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    const h = hostReport(r, TARGET);
    assert.equal(h.unreachable, 1);
    assert.match(h.error ?? '', /jump host bastion \(deploy@127\.0\.0\.1:\d+\): connection refused/);
    assert.match(`${r.stdout}${r.stderr}`, /jump host bastion/);
  });
});
