// Issue 9 end to end: a real registry (Debian's docker-registry, TLS with a CA made here,
// htpasswd auth) on one test VM; a fresh VM with no image archives gets the whole site from it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { changedTasks, hostReport, ROOT, runCli, startVm, withVars, type RunResult, type Vm } from './vm.ts';

const REGISTRY = 'reg-registry';
const NAME = 'reg-vm1';
const PASSWORD = `reg-${Math.random().toString(36).slice(2)}-pw`;
const APPS = ['shioaji_gateway', 'shioaji_backend', 'shioaji_frontend', 'force_recorder', 'ibapi_web', 'ibapi_api'];

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, input, stdio: ['pipe', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
}

function allOutput(r: RunResult): string {
  return `${r.stdout}\n${r.stderr}\n${JSON.stringify(r.report ?? {})}`;
}

describe('images pulled from a private registry', { timeout: 20 * 60_000 }, () => {
  let reg: Vm;
  let vm: Vm;
  let addr = '';
  let certsDir = '';
  const work = mkdtempSync(join(tmpdir(), 'reg-e2e-'));
  const dockerConfig = join(work, 'docker-config');
  let images: Record<string, string> = {};
  let inventory = '';

  before(async () => {
    execFileSync('bash', [`${ROOT}/test/images/build.sh`], { stdio: ['ignore', 'ignore', 'inherit'] });
    reg = startVm(REGISTRY);
    vm = startVm(NAME);
    const ip = sh('docker', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', REGISTRY]).trim();
    addr = `${ip}:5000`;
    // A CA made for this run, and the registry's certificate for its address.
    const ca = join(work, 'ca');
    mkdirSync(ca);
    sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=provision test CA', '-keyout', join(ca, 'ca.key'), '-out', join(ca, 'ca.crt')]);
    sh('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${ip}`, '-keyout', join(ca, 'server.key'), '-out', join(ca, 'server.csr')]);
    writeFileSync(join(ca, 'ext.cnf'), `subjectAltName=IP:${ip}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
    sh('openssl', ['x509', '-req', '-in', join(ca, 'server.csr'), '-CA', join(ca, 'ca.crt'), '-CAkey', join(ca, 'ca.key'), '-CAcreateserial', '-days', '2', '-extfile', join(ca, 'ext.cnf'), '-out', join(ca, 'server.crt')]);
    const b64 = (f: string) => readFileSync(join(ca, f)).toString('base64');
    await reg.sh('sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry apache2-utils curl >/dev/null');
    const config = [
      'version: 0.1',
      'storage:',
      '  filesystem:',
      '    rootdirectory: /var/lib/docker-registry',
      'http:',
      '  addr: :5000',
      '  tls:',
      '    certificate: /etc/docker/registry/server.crt',
      '    key: /etc/docker/registry/server.key',
      'auth:',
      '  htpasswd:',
      '    realm: provision-test',
      '    path: /etc/docker/registry/htpasswd',
      '',
    ].join('\n');
    await reg.sh(
      `set -e; cd /etc/docker/registry
echo ${b64('server.crt')} | base64 -d | sudo tee server.crt >/dev/null
echo ${b64('server.key')} | base64 -d | sudo tee server.key >/dev/null
echo ${Buffer.from(config).toString('base64')} | base64 -d | sudo tee config.yml >/dev/null
printf '%s' ${Buffer.from(PASSWORD).toString('base64')} | base64 -d | htpasswd -niB ci | sudo tee htpasswd >/dev/null
sudo chown docker-registry server.key htpasswd && sudo chmod 0600 server.key
sudo systemctl restart docker-registry
for i in $(seq 1 30); do s=$(curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1:5000/v2/ || true); [ "$s" = 401 ] && exit 0; sleep 1; done; exit 1`,
    );
    // This machine's dockerd trusts the CA for the push; its login goes to a private config.
    certsDir = `/etc/docker/certs.d/${addr}`;
    mkdirSync(certsDir, { recursive: true });
    writeFileSync(join(certsDir, 'ca.crt'), readFileSync(join(ca, 'ca.crt')));
    writeFileSync(join(vm.dir, 'ca.crt'), readFileSync(join(ca, 'ca.crt')));
    const denv = { DOCKER_CONFIG: dockerConfig };
    sh('docker', ['login', '--username', 'ci', '--password-stdin', addr], denv, PASSWORD);
    const vars = parse(readFileSync(join(ROOT, 'test/vm/vars.yml'), 'utf8')) as { images: Record<string, string> };
    const pushed = new Map<string, string>();
    for (const [key, local] of Object.entries(vars.images)) {
      if (key === 'alloy') continue;
      const path = APPS.includes(key) ? `acme/${key.replace(/_/g, '-')}:1` : local.replace(/^provision-test\//, 'mirror/');
      const remote = `${addr}/${path}`;
      if (!pushed.has(remote)) {
        sh('docker', ['tag', local, remote]);
        sh('docker', ['push', '-q', remote], denv);
        pushed.set(remote, local);
      }
      images[key] = remote;
    }
    // A second tag of one app, pulled only by the registry-stopped case.
    sh('docker', ['tag', vars.images.shioaji_backend!, `${addr}/acme/shioaji-backend:2`]);
    sh('docker', ['push', '-q', `${addr}/acme/shioaji-backend:2`], denv);
    // One app by digest (name:tag@sha256:…), verified on the host.
    const digest = sh('docker', ['inspect', '-f', '{{range .RepoDigests}}{{println .}}{{end}}', `${addr}/acme/ibapi-api:1`]).split('\n').find((l) => l.startsWith(`${addr}/acme/ibapi-api@`));
    assert.ok(digest, 'pushed image has a digest');
    images.ibapi_api = `${addr}/acme/ibapi-api:1@${digest.split('@')[1]}`;
    appendFileSync(join(vm.dir, '.env'), `REG_PASSWORD=${PASSWORD}\n`);
    inventory = withVars(vm, 'registry.yml', {
      image_archives: [],
      images,
      registries: [{ host: addr, username: 'ci', password_secret: 'REG_PASSWORD', ca_file: 'ca.crt' }],
    });
  });

  after(() => {
    vm?.stop();
    reg?.stop();
    if (certsDir) rmSync(certsDir, { recursive: true, force: true });
    for (const remote of Object.values(images)) if (!remote.includes('@')) execFileSync('docker', ['rmi', '-f', remote], { stdio: 'ignore' });
    execFileSync('docker', ['rmi', '-f', `${addr}/acme/shioaji-backend:2`, `${addr}/acme/ibapi-api:1`], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  });

  it('the whole site comes from the registry, all 21 containers running', async () => {
    const r = await runCli(['apply'], inventory);
    assert.equal(r.code, 0, `apply failed:\n${r.stdout}\n${r.stderr}`);
    const pulls = hostReport(r, NAME).tasks.filter((t) => t.name.endsWith('images present'));
    assert.deepEqual(pulls.map((t) => t.status), ['changed', 'changed', 'changed']);
    assert.ok(!allOutput(r).includes(PASSWORD), 'the password is in no output');
    const ps = await vm.sh(`docker ps --filter status=running --format '{{.Names}}'`);
    assert.equal(ps.stdout.trim().split('\n').length, 21, ps.stdout);
    const mode = await vm.sh('sudo stat -c %a /root/.docker/config.json');
    assert.equal(mode.stdout.trim(), '600');
    const app = await vm.sh(`docker inspect -f '{{.Config.Image}}' shioaji-backend`);
    assert.equal(app.stdout.trim(), `${addr}/acme/shioaji-backend:1`);
  });

  it('a rerun is a no-op that pulls nothing', async () => {
    const r = await runCli(['apply'], inventory);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(changedTasks(r, NAME), []);
    const login = hostReport(r, NAME).tasks.find((t) => t.name === `logged in to registry ${addr}`);
    assert.equal(login?.status, 'ok');
  });

  it('a wrong password: exit 1 naming the registry, the password in no output', async () => {
    const wrong = `wrong-${PASSWORD}`;
    const r = await runCli(['apply'], inventory, { REG_PASSWORD: wrong });
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    const err = hostReport(r, NAME).tasks.find((t) => t.status === 'failed');
    assert.match(err?.reason ?? '', new RegExp(`registry ${addr.replace(/\./g, '\\.')} refused the login.*REG_PASSWORD`));
    assert.ok(!allOutput(r).includes(wrong) && !allOutput(r).includes(PASSWORD), 'no secret in stdout, stderr or the report');
  });

  it('an unknown tag: exit 1 naming the image', async () => {
    const bad = `${addr}/acme/shioaji-backend:nope`;
    const inv = withVars(vm, 'unknown-tag.yml', { ...parse(readFileSync(inventory, 'utf8')).all.vars, images: { ...images, shioaji_backend: bad } });
    const r = await runCli(['apply'], inv);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    const err = hostReport(r, NAME).tasks.find((t) => t.status === 'failed');
    assert.match(err?.reason ?? '', new RegExp(`${bad.replace(/\./g, '\\.')}: image or tag not found`));
  });

  it('the registry stopped: retried, then exit 1 naming the registry', async () => {
    await reg.sh('sudo systemctl stop docker-registry');
    const inv = withVars(vm, 'stopped.yml', { ...parse(readFileSync(inventory, 'utf8')).all.vars, images: { ...images, shioaji_backend: `${addr}/acme/shioaji-backend:2` } });
    const r = await runCli(['apply'], inv);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    const err = hostReport(r, NAME).tasks.find((t) => t.status === 'failed');
    assert.match(err?.reason ?? '', new RegExp(`registry ${addr.replace(/\./g, '\\.')} unreachable after 4 tries`));
  });
});
