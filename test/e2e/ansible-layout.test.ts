// Issue 11, done-when: a converted copy of a typical Ansible layout runs with no edits. An INI
// inventory in a directory (with group_vars/ and host_vars/, a stray *.retry), group_vars beside
// the playbook, the vars.yml / vault.yml pair (vars.yml names "{{ vault_x }}", vault.yml is
// vault-encrypted and holds the secret), the vault password in a file named by
// --vault-password-file, and the user's ssh config reaching the target through a bastion
// (ProxyJump). apply, then a no-op rerun; the secret reaches the host, never the output.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { Vault } from 'ansible-vault';
import { changedTasks, hostReport, ROOT, runCli, type RunResult } from './vm.ts';

const BASTION = 'ans2-bastion';
const TARGET = 'ans2-target';
const NET = 'ans2-net';

function start(name: string, inventory: string, env: Record<string, string>): { port: number; key: string; vars: Record<string, unknown> } {
  execFileSync('bash', [join(ROOT, 'test/vm/start.sh'), name, inventory], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const inv = parse(readFileSync(inventory, 'utf8')) as { all: { hosts: Record<string, { ansible_port: number; ansible_ssh_private_key_file: string }>; vars: Record<string, unknown> } };
  const h = inv.all.hosts[name]!;
  return { port: h.ansible_port, key: h.ansible_ssh_private_key_file, vars: inv.all.vars };
}

function write(root: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
}

describe('an Ansible layout, unchanged: INI + group_vars/host_vars + Vault + ssh config with ProxyJump', { timeout: 10 * 60_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'ans2-layout-'));
  const layout = join(work, 'ops');
  const inventoryDir = join(layout, 'inventory/production');
  const playbook = join(layout, 'playbooks/docker-host.yml');
  const passFile = join(work, 'vault_pass.txt');
  const sshConfig = join(work, 'ssh_config');
  const knownHosts = join(work, 'known_hosts');
  // The secret: random, so finding it anywhere in the output can only mean a leak.
  const token = `vault-token-${randomBytes(12).toString('hex')}`;
  const label = `provision.test.token=${token}`;

  before(() => {
    const bastion = start(BASTION, join(work, 'bastion.yml'), { TESTVM_NETWORK: NET });
    const target = start(TARGET, join(work, 'target.yml'), { TESTVM_NETWORK: NET, TESTVM_PUBLISH: '0' });
    const password = randomBytes(16).toString('hex');
    writeFileSync(passFile, `${password}\n`, { mode: 0o600 });
    const vault = new Vault({ password });
    write(layout, {
      'ansible.cfg': '[defaults]\ninventory = inventory/production\nvault_password_file = ~/.vault_pass.txt\n',
      'inventory/production/hosts.ini': `# production\n[docker_hosts]\n${TARGET}\n\n[production:children]\ndocker_hosts\n`,
      'inventory/production/docker-host.retry': `${TARGET}\n`,
      // Ansible's best-practice pair: vars.yml names the variable, the vaulted vault.yml holds its value.
      'inventory/production/group_vars/all/vars.yml': `# shared by every host\n${Object.entries(target.vars).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n')}\ndocker:\n  daemon:\n    labels:\n      - "{{ vault_docker_label }}"\n    log-opts:\n      max-size: 20m\n`,
      'inventory/production/group_vars/all/vault.yml': vault.encryptSync(`vault_docker_label: ${label}\n`, ''),
      'inventory/production/group_vars/production.yml': 'ansible_become: true\n',
      'inventory/production/host_vars/ans2-target.yml': 'docker:\n  daemon:\n    log-level: warn\n',
      'playbooks/group_vars/docker_hosts.yml': 'docker:\n  daemon:\n    max-concurrent-downloads: 4\n',
    });
    copyFileSync(join(ROOT, 'playbooks/docker-host.yml'), playbook);
    // The user's ~/.ssh/config: the inventory names the host only.
    writeFileSync(
      sshConfig,
      `Host bastion\n  HostName 127.0.0.1\n  Port ${bastion.port}\n  User deploy\n  IdentityFile ${bastion.key}\n  StrictHostKeyChecking accept-new\n\n` +
        `Host ans2-*  !bastion\n  User deploy\n  IdentityFile ${bastion.key}\n  IdentitiesOnly yes\n  ProxyJump bastion\n`,
    );
  });
  after(() => {
    if (process.env.KEEP_VM) return;
    for (const n of [TARGET, BASTION]) execFileSync('bash', [join(ROOT, 'test/vm/stop.sh'), n]);
    execFileSync('docker', ['network', 'rm', NET], { stdio: 'ignore' });
  });

  const run = (args: string[]) =>
    runCli([...args, '-p', playbook, '--vault-password-file', passFile], inventoryDir, { PROVISION_SSH_CONFIG: sshConfig, PROVISION_KNOWN_HOSTS: knownHosts, SSH_AUTH_SOCK: '', ANSIBLE_VAULT_PASSWORD_FILE: '' });
  const noLeak = (r: RunResult, html?: string) => {
    const report = JSON.stringify(r.report ?? {});
    for (const [what, text] of [['stdout', r.stdout], ['stderr', r.stderr], ['JSON report', report], ['HTML report', html ?? '']] as const) {
      assert.ok(!text.includes(token), `the vaulted secret appears in the ${what}`);
    }
  };

  it('a wrong vault password: exit 2 naming the vaulted file, no host contacted', async () => {
    const wrong = join(work, 'wrong_pass.txt');
    writeFileSync(wrong, 'not the password\n');
    const r = await runCli(['apply', '-p', playbook, '--vault-password-file', wrong], inventoryDir, { PROVISION_SSH_CONFIG: sshConfig, PROVISION_KNOWN_HOSTS: knownHosts });
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /group_vars\/all\/vault\.yml: cannot decrypt: wrong vault password/);
    assert.equal(r.report, undefined);
  });

  it('apply through the bastion: vars merged from every level, the vaulted label on the host, masked in the diff', async () => {
    const html = join(work, 'run.html');
    const r = await run(['apply', '-D', '--html', html]);
    assert.equal(r.code, 0, `apply failed:\n${r.stdout}\n${r.stderr}`);
    const h = hostReport(r, TARGET);
    assert.equal(h.failed, 0);
    assert.ok(h.changed >= 5, `expected the install to change things, got ${h.changed}`);
    noLeak(r, readFileSync(html, 'utf8'));
    const daemon = h.tasks.find((t) => t.diff?.includes('daemon.json') || t.name.includes('daemon.json'));
    assert.ok(daemon?.diff, `no daemon.json diff in ${h.tasks.map((t) => t.name).join(', ')}`);
    assert.match(daemon.diff, /"\*\*\*"/, 'the vaulted label is shown masked in the diff');
    // On the host: the decrypted value, and the settings from the inventory, playbook and host levels.
    const onHost = JSON.parse(execFileSync('docker', ['exec', TARGET, 'cat', '/etc/docker/daemon.json'], { encoding: 'utf8' })) as Record<string, unknown>;
    assert.deepEqual(onHost.labels, [label]);
    assert.equal(onHost['log-level'], 'warn');
    assert.equal(onHost['max-concurrent-downloads'], 4);
    assert.equal((onHost['log-opts'] as Record<string, unknown>)['max-size'], '20m');
  });

  it('a rerun changes nothing and still leaks nothing', async () => {
    const r = await run(['apply', '-D']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(changedTasks(r, TARGET), []);
    noLeak(r);
  });
});
