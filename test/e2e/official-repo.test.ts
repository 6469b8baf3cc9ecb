// docker.source "official" end to end, against a local apt repository laid out like Docker's
// (test/apt-repo/make-repo.sh: signed InRelease, a key made for the test, thin packages named
// like Docker's that depend on Debian's docker.io and docker-compose), served over HTTP by a
// test host "apt-repo" on the Docker network the test VM is on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedTasks, hostReport, ROOT, runCli, startVm, withVars, type Vm } from './vm.ts';

const VM = 'apt-vm1';
const REPO_HOST = 'apt-repo';
const BASE_IMAGE = 'provision-test/base:trixie';
const PLAYBOOK = ['-p', 'playbooks/docker-host.yml'];
const PACKAGES = ['containerd.io', 'docker-buildx-plugin', 'docker-ce', 'docker-ce-cli', 'docker-compose-plugin'];

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

describe('docker.source official from a local mirror of Docker’s repository', { timeout: 10 * 60_000 }, () => {
  let vm: Vm;
  let dir: string;
  let repoUrl: string;
  let inventory: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'apt-repo-'));
    execFileSync('bash', [join(ROOT, 'test/apt-repo/make-repo.sh'), dir, 'trixie', 'amd64'], { stdio: ['ignore', 'inherit', 'inherit'] });
    // The base of the test images has busybox's httpd: the repository host needs nothing more.
    try {
      docker('image', 'inspect', BASE_IMAGE);
    } catch {
      execFileSync('bash', [join(ROOT, 'test/images/base.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
    }
    execFileSync('docker', ['rm', '-f', REPO_HOST], { stdio: 'ignore' });
    docker('run', '-d', '--name', REPO_HOST, '-v', `${dir}:/srv:ro`, BASE_IMAGE, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/srv');
    const ip = docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', REPO_HOST);
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/, `no address for ${REPO_HOST}`);
    repoUrl = `http://${ip}/linux/debian`;
    vm = startVm(VM);
    inventory = withVars(vm, 'official.yml', { docker: { source: 'official', official_repo: repoUrl } });
  });
  after(() => {
    vm?.stop();
    execFileSync('docker', ['rm', '-f', REPO_HOST], { stdio: 'ignore' });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a fresh VM: key, sources entry with signed-by, arch and codename, the five packages, docker compose v2', { todo: 'thin docker-ce/docker-ce-cli conflict with Debian docker.io/docker-cli (Conflicts:); the packages must carry the engine themselves' }, async () => {
    assert.equal((await vm.sh('command -v docker || echo none')).stdout.trim(), 'none', 'the fresh VM must not have docker');
    const r = await runCli(['apply', ...PLAYBOOK], inventory);
    assert.equal(r.code, 0, `apply failed:\n${r.stdout}\n${r.stderr}`);
    const changed = changedTasks(r, VM);
    for (const t of ["docker | Docker's apt signing key", "docker | Docker's apt repository", "docker | apt's package lists include Docker's repository", 'docker | Docker Engine and Compose v2 packages']) {
      assert.ok(changed.includes(t), `${t} should have changed: ${changed.join(', ')}`);
    }

    // The keyring is the key the repository serves, 0644, root's.
    const key = await vm.sh('stat -c "%a %U %G" /etc/apt/keyrings/docker.asc && sha256sum </etc/apt/keyrings/docker.asc');
    const [attrs, sum] = key.stdout.trim().split('\n');
    assert.equal(attrs, '644 root root');
    const served = execFileSync('sha256sum', [join(dir, 'linux/debian/gpg')], { encoding: 'utf8' }).split(' ')[0];
    assert.equal(sum?.split(' ')[0], served);

    // The sources entry: the VM's own architecture and codename, signed-by the keyring.
    const facts = (await vm.sh('dpkg --print-architecture; . /etc/os-release; echo "$VERSION_CODENAME"')).stdout.trim().split('\n');
    assert.deepEqual(facts, ['amd64', 'trixie']);
    const list = (await vm.sh('cat /etc/apt/sources.list.d/docker.list')).stdout;
    assert.equal(list, `deb [arch=${facts[0]} signed-by=/etc/apt/keyrings/docker.asc] ${repoUrl} ${facts[1]} stable\n`);

    // Installed, from that repository (the version only it has).
    const installed = (await vm.sh(`dpkg-query -W -f='\${Package} \${Version} \${db:Status-Status}\\n' ${PACKAGES.join(' ')}`)).stdout.trim().split('\n');
    assert.deepEqual(installed, PACKAGES.map((p) => `${p} 5:28.5.1-1~debian.13~trixie installed`));
    assert.match((await vm.sh('apt-cache policy docker-ce')).stdout, new RegExp(`\\*\\*\\* 5:28\\.5\\.1-1~debian\\.13~trixie 500\\n\\s+500 ${repoUrl.replace(/[.]/g, '\\.')} trixie/stable amd64 Packages`));
    const v = (await vm.sh('docker version --format "{{.Server.Version}}" && docker compose version --short')).stdout.trim().split('\n');
    assert.match(v[0] ?? '', /^\d+\.\d+/);
    assert.match(v[1] ?? '', /^v?2\./);
  });

  it('a rerun is a no-op: every task ok', { todo: 'thin docker-ce/docker-ce-cli conflict with Debian docker.io/docker-cli (Conflicts:); the packages must carry the engine themselves' }, async () => {
    const r = await runCli(['apply', ...PLAYBOOK], inventory);
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(changedTasks(r, VM), []);
    const h = hostReport(r, VM);
    assert.equal(h.failed, 0);
    const lists = h.tasks.find((t) => t.name === "apt's package lists include Docker's repository");
    assert.equal(lists?.status, 'ok');
    assert.match(lists?.reason ?? '', new RegExp(`docker-ce 5:28\\.5\\.1-1~debian\\.13~trixie from ${repoUrl.replace(/[.]/g, '\\.')} trixie`));
  });

  it('a key that does not sign the repository: exit 1 naming the repository; the right key again repairs it', { todo: 'thin docker-ce/docker-ce-cli conflict with Debian docker.io/docker-cli (Conflicts:); the packages must carry the engine themselves' }, async () => {
    const wrong = withVars(vm, 'wrong-key.yml', { docker: { source: 'official', official_repo: repoUrl, official_key_url: `${repoUrl}/wrong.gpg` } });
    const r = await runCli(['apply', ...PLAYBOOK], wrong);
    assert.equal(r.code, 1, r.stdout);
    const h = hostReport(r, VM);
    assert.equal(h.failed, 1);
    const failed = h.tasks.find((t) => t.status === 'failed');
    assert.equal(failed?.name, "apt's package lists include Docker's repository");
    const said = `${failed?.reason ?? ''}\n${h.error ?? ''}\n${r.stdout}`;
    assert.ok(said.includes(`apt could not verify the signature of the repository ${repoUrl} (trixie)`), said);
    assert.ok(said.includes(`${repoUrl}/wrong.gpg`), 'the error names the key URL');
    assert.match(said, /check docker\.official_key_url/);

    // Back to the right key: fetched again, lists re-read, then a no-op.
    const fixed = await runCli(['apply', ...PLAYBOOK], inventory);
    assert.equal(fixed.code, 0, fixed.stdout);
    assert.deepEqual(changedTasks(fixed, VM), ["docker | Docker's apt signing key", "docker | apt's package lists include Docker's repository"]);
    const served = execFileSync('sha256sum', [join(dir, 'linux/debian/gpg')], { encoding: 'utf8' }).split(' ')[0];
    assert.equal((await vm.sh('sha256sum </etc/apt/keyrings/docker.asc')).stdout.split(' ')[0], served);
    assert.deepEqual(changedTasks(await runCli(['apply', ...PLAYBOOK], inventory), VM), []);
  });

  it('a repository URL that is not http(s) is refused before connecting (exit 2, naming the key)', async () => {
    const bad = withVars(vm, 'bad-url.yml', { docker: { source: 'official', official_repo: 'ftp://mirror.example/docker' } });
    const r = await runCli(['check', ...PLAYBOOK], bad);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /docker\/official_repo/);
  });
});
