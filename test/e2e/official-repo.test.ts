// docker.source "official" end to end, against a local apt repository laid out like Docker's
// (test/apt-repo/make-repo.sh: signed InRelease, a key made for the test, Debian's own docker.io,
// docker-cli, containerd, docker-buildx and docker-compose renamed like Docker's packages), served
// over HTTP by a test host "apt2-repo" on the Docker network the test VM is on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedTasks, hostReport, ROOT, runCli, startVm, withVars, type Vm } from './vm.ts';

const VM = 'apt2-vm1';
const REPO_HOST = 'apt2-repo';
const BASE_IMAGE = 'provision-test/base:trixie';
const PLAYBOOK = ['-p', 'playbooks/docker-host.yml'];
// The repository carries this machine's architecture (make-repo.sh downloads Debian's packages
// natively), which is also the test VM's.
const ARCH = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
const PACKAGES = ['containerd.io', 'docker-buildx-plugin', 'docker-ce', 'docker-ce-cli', 'docker-compose-plugin'];

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

/** Package -> Version, as the repository's Packages index lists them. */
function served(packagesFile: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const stanza of readFileSync(packagesFile, 'utf8').split(/\n\n+/)) {
    const name = /^Package: (.+)$/m.exec(stanza)?.[1];
    const version = /^Version: (.+)$/m.exec(stanza)?.[1];
    if (name && version) out.set(name, version);
  }
  return out;
}

const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('docker.source official from a local mirror of Docker’s repository', { timeout: 10 * 60_000 }, () => {
  let vm: Vm;
  let dir: string;
  let repoUrl: string;
  let inventory: string;
  let versions: Map<string, string>;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'apt-repo-'));
    // The base of the test images has busybox's httpd (the repository host needs nothing more)
    // and apt (make-repo.sh downloads Debian's packages with it).
    try {
      docker('image', 'inspect', BASE_IMAGE);
    } catch {
      execFileSync('bash', [join(ROOT, 'test/images/base.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
    }
    execFileSync('bash', [join(ROOT, 'test/apt-repo/make-repo.sh'), dir, 'trixie'], { stdio: ['ignore', 'inherit', 'inherit'] });
    versions = served(join(dir, `linux/debian/dists/trixie/stable/binary-${ARCH}/Packages`));
    assert.deepEqual([...versions.keys()].sort(), PACKAGES);
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

  it('a fresh VM: key, sources entry with signed-by, arch and codename, the five packages, docker compose v2', async () => {
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
    assert.deepEqual(facts, [ARCH, 'trixie']);
    const list = (await vm.sh('cat /etc/apt/sources.list.d/docker.list')).stdout;
    assert.equal(list, `deb [arch=${facts[0]} signed-by=/etc/apt/keyrings/docker.asc] ${repoUrl} ${facts[1]} stable\n`);

    // Installed, from that repository (the version only it has).
    const installed = (await vm.sh(`dpkg-query -W -f='\${Package} \${Version} \${db:Status-Status}\\n' ${PACKAGES.join(' ')}`)).stdout.trim().split('\n');
    assert.deepEqual(installed, PACKAGES.map((p) => `${p} ${versions.get(p)} installed`));
    assert.match((await vm.sh('apt-cache policy docker-ce')).stdout, new RegExp(`\\*\\*\\* ${re(versions.get('docker-ce')!)} 500\\n\\s+500 ${re(repoUrl)} trixie/stable ${ARCH} Packages`));
    const v = (await vm.sh('docker version --format "{{.Server.Version}}" && docker compose version --short')).stdout.trim().split('\n');
    assert.match(v[0] ?? '', /^\d+\.\d+/);
    assert.match(v[1] ?? '', /^v?2\./);
    // The engine runs a container (containerd.io and runc underneath): an image made on the spot
    // from the static tini that docker-ce's docker-init points at, since nothing can be pulled.
    const ran = await vm.sh('tar -C "$(dirname "$(readlink -f /usr/bin/docker-init)")" -cf - "$(basename "$(readlink -f /usr/bin/docker-init)")" | docker import - apt2-tini:1 >/dev/null && docker run --rm --network none apt2-tini:1 "/$(basename "$(readlink -f /usr/bin/docker-init)")" --version');
    assert.match(ran.stdout, /^tini version \d+\.\d+/);
  });

  it('a rerun is a no-op: every task ok', async () => {
    const r = await runCli(['apply', ...PLAYBOOK], inventory);
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(changedTasks(r, VM), []);
    const h = hostReport(r, VM);
    assert.equal(h.failed, 0);
    const lists = h.tasks.find((t) => t.name === "apt's package lists include Docker's repository");
    assert.equal(lists?.status, 'ok');
    assert.equal(lists?.reason, `docker-ce ${versions.get('docker-ce')} from ${repoUrl} trixie`);
  });

  it('a key that does not sign the repository: exit 1 naming the repository; the right key again repairs it', async () => {
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
