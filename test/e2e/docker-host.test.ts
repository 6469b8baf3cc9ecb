// Issue 2 end to end: a fresh VM becomes a Docker host with the three networks; a second run
// changes nothing; check mode agrees; bad connections fail clearly.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { changedTasks, hostReport, runCli, startVm, withVars, type Vm } from './vm.ts';

const NAME = 'provision-e2e-docker';
const PLAYBOOK = ['-p', 'playbooks/docker-host.yml'];

describe('docker host on a fresh VM', { timeout: 15 * 60_000 }, () => {
  let vm: Vm;
  before(() => {
    vm = startVm(NAME);
  });
  after(() => vm?.stop());

  it('fresh VM: apply installs Docker + Compose v2 and creates the networks', async () => {
    const before = await vm.sh('command -v docker || echo none');
    assert.equal(before.stdout.trim(), 'none', 'the fresh VM must not have docker');
    const r = await vm.provision('apply', ...PLAYBOOK);
    assert.equal(r.code, 0, `apply failed:\n${r.stdout}\n${r.stderr}`);
    const h = hostReport(r, NAME);
    assert.equal(h.failed, 0);
    assert.ok(h.changed >= 5, `expected the install to change things, got ${h.changed}`);
    for (const t of h.tasks) assert.match(t.status, /^(ok|changed|failed|skipped|would-change)$/);
    assert.ok(r.stdout.includes('PLAY RECAP'), 'recap printed');
  });

  it('docker and docker compose work; the login user runs docker without sudo (new session)', async () => {
    const v = await vm.sh('docker version --format "{{.Server.Version}}" && docker compose version --short');
    const [engine, compose] = v.stdout.trim().split('\n');
    assert.match(engine ?? '', /^\d+\.\d+/);
    assert.match(compose ?? '', /^v?2\./);
    const groups = await vm.sh('id -nG');
    assert.ok(groups.stdout.split(/\s+/).includes('docker'));
    const enabled = await vm.sh('systemctl is-enabled docker && systemctl is-active docker');
    assert.equal(enabled.stdout.trim(), 'enabled\nactive');
  });

  it('the three networks exist', async () => {
    const n = await vm.sh('docker network ls --format "{{.Name}}"');
    for (const net of ['infra-network', 'shioaji-network', 'ibapi-trading_default']) assert.ok(n.stdout.split('\n').includes(net), `${net} missing`);
  });

  it('daemon.json has json-file log rotation 10m x 3, and the engine uses it', async () => {
    const d = JSON.parse((await vm.sh('cat /etc/docker/daemon.json')).stdout) as { 'log-driver': string; 'log-opts': Record<string, string> };
    assert.deepEqual(d, { 'log-driver': 'json-file', 'log-opts': { 'max-size': '10m', 'max-file': '3' } });
    const drv = await vm.sh('docker info --format "{{.LoggingDriver}}"');
    assert.equal(drv.stdout.trim(), 'json-file');
  });

  it('a second apply changes nothing, and check exits 0', async () => {
    const r = await vm.provision('apply', ...PLAYBOOK);
    assert.equal(r.code, 0);
    assert.deepEqual(changedTasks(r, NAME), []);
    assert.equal(hostReport(r, NAME).failed, 0);
    const c = await vm.provision('check', ...PLAYBOOK);
    assert.equal(c.code, 0, `check: ${c.stdout}`);
    assert.deepEqual(changedTasks(c, NAME), []);
  });

  it("the user's daemon.json is merged, not replaced; the previous one is kept", async () => {
    const user = { 'live-restore': true, 'registry-mirrors': ['https://mirror.invalid'], 'log-opts': { 'max-size': '50m' } };
    await vm.sh(`echo '${JSON.stringify(user)}' | sudo tee /etc/docker/daemon.json >/dev/null && sudo systemctl restart docker`);
    const r = await vm.provision('apply', ...PLAYBOOK);
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(changedTasks(r, NAME), ['docker | /etc/docker/daemon.json (json-file log rotation, merged)', 'docker | handler: restart docker']);
    const d = JSON.parse((await vm.sh('cat /etc/docker/daemon.json')).stdout) as Record<string, unknown>;
    assert.deepEqual(d, { 'live-restore': true, 'registry-mirrors': ['https://mirror.invalid'], 'log-opts': { 'max-size': '10m', 'max-file': '3' }, 'log-driver': 'json-file' });
    assert.equal((await vm.sh('docker info --format "{{.LiveRestoreEnabled}}"')).stdout.trim(), 'true');
    assert.deepEqual(JSON.parse((await vm.sh('sudo cat /etc/docker/daemon.json.provision-previous')).stdout), user);
    assert.deepEqual(changedTasks(await vm.provision('apply', ...PLAYBOOK), NAME), []);
  });

  it('a daemon.json that dockerd refuses is never put in place', async () => {
    const inv = withVars(vm, 'bad-daemon.yml', { docker: { source: 'auto', daemon: { 'log-level': 'chatty' } } });
    const before = (await vm.sh('sha256sum /etc/docker/daemon.json')).stdout;
    const r = await runCli(['apply', ...PLAYBOOK], inv);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /refused by dockerd --validate; nothing was changed/);
    assert.equal((await vm.sh('sha256sum /etc/docker/daemon.json')).stdout, before);
    assert.equal((await vm.sh('systemctl is-active docker')).stdout.trim(), 'active');
  });

  it('docker not coming back with a new daemon.json: the previous file is restored and docker restarted', async () => {
    // Valid on its own, but the systemd unit already passes -H fd://: dockerd refuses to start.
    const inv = withVars(vm, 'conflict-daemon.yml', { docker: { source: 'auto', daemon: { hosts: ['unix:///run/docker-extra.sock'] } } });
    const before = (await vm.sh('cat /etc/docker/daemon.json')).stdout;
    const r = await runCli(['apply', ...PLAYBOOK], inv);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /docker did not come back after the daemon.json change\. The previous \/etc\/docker\/daemon.json was put back and docker restarted with it/);
    assert.equal((await vm.sh('cat /etc/docker/daemon.json')).stdout, before);
    assert.equal((await vm.sh('systemctl is-active docker')).stdout.trim(), 'active');
    assert.match((await vm.sh('sudo cat /etc/docker/daemon.json.provision-failed')).stdout, /docker-extra\.sock/);
  });

  it('check reports drift with exit 3 and changes nothing', async () => {
    await vm.sh('docker network rm shioaji-network');
    const c = await vm.provision('check', ...PLAYBOOK);
    assert.equal(c.code, 3);
    assert.deepEqual(changedTasks(c, NAME), ['networks | docker network shioaji-network']);
    const still = await vm.sh('docker network inspect shioaji-network >/dev/null 2>&1 && echo present || echo absent');
    assert.equal(still.stdout.trim(), 'absent', 'check must not create the network');
    const r = await vm.provision('apply', ...PLAYBOOK);
    assert.deepEqual(changedTasks(r, NAME), ['networks | docker network shioaji-network']);
    const again = await vm.provision('apply', ...PLAYBOOK);
    assert.deepEqual(changedTasks(again, NAME), []);
  });

  it('a user without sudo rights gets a clear become error and exit 1', async () => {
    await vm.sh(`sudo useradd -m -s /bin/bash nosudo && sudo install -d -m 700 -o nosudo -g nosudo /home/nosudo/.ssh && sudo cp ~/.ssh/authorized_keys /home/nosudo/.ssh/ && sudo chown nosudo:nosudo /home/nosudo/.ssh/authorized_keys`);
    const inv = join(vm.dir, 'nosudo.yml');
    writeFileSync(inv, `all:\n  hosts:\n    nosudo-host:\n      ansible_host: 127.0.0.1\n      ansible_port: ${vm.port}\n      ansible_user: nosudo\n      ansible_ssh_private_key_file: ${vm.key}\n      ansible_become: true\n`);
    const r = await runCli(['apply', ...PLAYBOOK], inv);
    assert.equal(r.code, 1);
    const h = hostReport(r, 'nosudo-host');
    assert.equal(h.failed, 1);
    assert.match(JSON.stringify(r.report), /sudo/);
    assert.match(r.stdout, /nosudo/);
  });

  it('password sudo: a password full of shell metacharacters works and nothing in it is run', async () => {
    // What must never happen: the password written to a root shell that runs it.
    const pw = `Pa'ss"wo$(touch /tmp/pwned-dollar)\`touch /tmp/pwned-tick\`;|&<>* rd\\`;
    const b64 = Buffer.from(pw).toString('base64');
    await vm.sh(
      `sudo useradd -m -s /bin/bash pwuser && echo ${b64} | base64 -d | sed 's/^/pwuser:/' | sudo chpasswd && ` +
        `echo 'pwuser ALL=(ALL) ALL' | sudo tee /etc/sudoers.d/pwuser >/dev/null && sudo install -d -m 700 -o pwuser -g pwuser /home/pwuser/.ssh && ` +
        `sudo cp ~/.ssh/authorized_keys /home/pwuser/.ssh/ && sudo chown pwuser:pwuser /home/pwuser/.ssh/authorized_keys`,
    );
    const inv = join(vm.dir, 'pwuser.yml');
    writeFileSync(inv, `all:\n  hosts:\n    pw-host:\n      ansible_host: 127.0.0.1\n      ansible_port: ${vm.port}\n      ansible_user: pwuser\n      ansible_ssh_private_key_file: ${vm.key}\n      ansible_become: true\n`);
    const started = Date.now();
    const r = await runCli(['apply', ...PLAYBOOK], inv, { PROVISION_BECOME_PASSWORD: pw });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.ok(Date.now() - started < 25_000, 'no 30 s hang at shell start');
    assert.deepEqual(changedTasks(r, 'pw-host'), ['docker | login user in group docker'], 'ran as root: only the new login user changed');
    for (const out of [r.stdout, r.stderr, JSON.stringify(r.report)]) assert.ok(!out.includes(pw), 'the password leaked into output');
    // A second run: sudo has cached the credential now; the password must still never be run.
    const again = await runCli(['apply', ...PLAYBOOK], inv, { PROVISION_BECOME_PASSWORD: pw });
    assert.equal(again.code, 0, again.stdout);
    const wrong = await runCli(['apply', ...PLAYBOOK], inv, { PROVISION_BECOME_PASSWORD: `${pw}-wrong` });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, /sudo refused the become password for pwuser/);
    const pwned = await vm.sh('ls /tmp/pwned-dollar /tmp/pwned-tick 2>/dev/null || true');
    assert.equal(pwned.stdout.trim(), '', 'a command inside the password was run');
  });

  it('host keys: a first key is recorded, a changed one refused with a clear error', async () => {
    const inv = join(vm.dir, 'hostkeys.yml');
    writeFileSync(inv, `all:\n  hosts:\n    keyed:\n      ansible_host: 127.0.0.1\n      ansible_port: ${vm.port}\n      ansible_user: deploy\n      ansible_ssh_private_key_file: ${vm.key}\n      ansible_become: true\n`);
    const known = join(vm.dir, 'known_hosts');
    const first = await runCli(['check', ...PLAYBOOK], inv, { PROVISION_KNOWN_HOSTS: known });
    assert.equal(first.code, 0, first.stdout);
    const line = readFileSync(known, 'utf8').trim();
    assert.match(line, new RegExp(`^\\[127\\.0\\.0\\.1\\]:${vm.port} ssh-ed25519 `));
    // Same host, another key: what a man in the middle (or a rebuilt VM) looks like.
    const other = execFileSync('bash', ['-c', `d=$(mktemp -d) && ssh-keygen -q -t ed25519 -N '' -f "$d/k" && cut -d' ' -f1,2 "$d/k.pub"`], { encoding: 'utf8' }).trim();
    writeFileSync(known, `[127.0.0.1]:${vm.port} ${other}\n`);
    const second = await runCli(['check', ...PLAYBOOK], inv, { PROVISION_KNOWN_HOSTS: known });
    assert.equal(second.code, 1);
    assert.equal(hostReport(second, 'keyed').unreachable, 1);
    assert.match(second.stdout, /host key .* does not match/);
  });

  it('an unreachable host is reported as unreachable with exit 1', async () => {
    const inv = join(vm.dir, 'unreachable.yml');
    writeFileSync(inv, `all:\n  hosts:\n    ghost:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\n      ansible_user: deploy\n      ansible_ssh_private_key_file: ${vm.key}\n`);
    const r = await runCli(['apply', ...PLAYBOOK], inv);
    assert.equal(r.code, 1);
    assert.equal(hostReport(r, 'ghost').unreachable, 1);
    assert.match(r.stdout, /ghost/);
  });
});
