import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { main } from '../../src/cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIX = join(ROOT, 'test/fixtures/cli');
const INV = join(FIX, 'hosts.yml');
const SITE = join(ROOT, 'playbooks/site.yml');
/** docker + networks only: no secrets, no app images; stable while other roles change. */
const BOOK = join(FIX, 'docker-host.yml');

/** Runs main() with console.log/console.error captured. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.map(String).join(' '));
  console.error = (...a: unknown[]) => void err.push(a.map(String).join(' '));
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('cli main', () => {
  test('unknown command → 2 with usage', async () => {
    const r = await cli('frobnicate');
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command "frobnicate"/);
    assert.match(r.err, /usage: provision <command>/);
  });

  test('--forks 0 → 2', async () => {
    const r = await cli('validate', '--forks', '0', '-i', INV, '-p', BOOK);
    assert.equal(r.code, 2);
    assert.match(r.err, /--forks must be a whole number ≥ 1, not 0/);
  });

  test('unknown option → 2', async () => {
    assert.equal((await cli('validate', '--no-such-option')).code, 2);
  });

  test('extra positional argument → 2', async () => {
    const r = await cli('validate', 'extra');
    assert.equal(r.code, 2);
    assert.match(r.err, /unexpected argument: extra/);
  });

  test('help → 0', async () => {
    const r = await cli('--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /^usage: provision/);
  });

  test('validate on a broken inventory → 2 naming the file', async () => {
    const r = await cli('validate', '-i', join(FIX, 'broken.yml'), '-p', BOOK);
    assert.equal(r.code, 2);
    assert.ok(r.err.includes(`provision: ${join(FIX, 'broken.yml')}: invalid inventory`), r.err);
  });

  test('validate on a broken inventory (one problem) prints file, line and path', async () => {
    const r = await cli('validate', '-i', join(FIX, 'broken.yml'), '-p', BOOK);
    assert.ok(r.err.includes(`${join(FIX, 'broken.yml')}:6: all/hosts/devvm/bogus: unknown key`), r.err);
  });

  test('validate on an inventory with two problems → 2 printing file, line and path of each', async () => {
    const r = await cli('validate', '-i', join(ROOT, 'test/fixtures/inventory/wrong-type.yml'), '-p', BOOK);
    assert.equal(r.code, 2);
    const file = join(ROOT, 'test/fixtures/inventory/wrong-type.yml');
    assert.ok(r.err.includes(`${file}:4: all/hosts/devvm/ansible_port: must be a port number from 1 to 65535`), r.err);
    assert.ok(r.err.includes(`${file}:5: all/hosts/devvm/ansible_become: must be a boolean (true/false, yes/no, on/off or 1/0)`), r.err);
  });

  test('validate on a missing inventory → 2', async () => {
    const r = await cli('validate', '-i', join(FIX, 'nope.yml'), '-p', BOOK);
    assert.equal(r.code, 2);
    assert.match(r.err, /nope\.yml: cannot read inventory/);
  });

  test('validate with a good inventory and playbooks/site.yml → 0, without connecting', async () => {
    const saved = { g: process.env.GRAFANA_ADMIN_PASSWORD, p: process.env.POSTGRES_PASSWORD };
    process.env.GRAFANA_ADMIN_PASSWORD = 'grafana-test-password';
    process.env.POSTGRES_PASSWORD = 'postgres-test-password';
    try {
      const r = await cli('validate', '-i', INV, '-p', SITE);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^devvm: deploy@127\.0\.0\.1:1 roles=docker,swarm,networks,\S+ tasks=\d+$/m);
      assert.ok(r.out.endsWith(`valid: ${INV}, ${SITE} (1 host)`), r.out);
      assert.equal(r.err, '');
    } finally {
      for (const [k, v] of [['GRAFANA_ADMIN_PASSWORD', saved.g], ['POSTGRES_PASSWORD', saved.p]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  test('validate with the docker host playbook → 0 and the exact plan line', async () => {
    const r = await cli('validate', '-i', INV, '-p', BOOK);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `devvm: deploy@127.0.0.1:1 roles=docker,networks tasks=11\nvalid: ${INV}, ${BOOK} (1 host)`);
  });

  test('swarm inventory: the docker host playbook plans the swarm role; site.yml plans the stacks on the leader and the agents on every node', async () => {
    const SWARM = join(FIX, 'swarm.yml');
    const DH = join(ROOT, 'playbooks/docker-host.yml');
    const r = await cli('validate', '-i', SWARM, '-p', DH);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^m1: deploy@127\.0\.0\.1:1 roles=docker,swarm,networks tasks=\d+$/m);
    // With the app images and the secrets given, site.yml serves a swarm as it serves one VM.
    const dir = mkdtempSync(join(tmpdir(), 'cli-swarm-site-'));
    const apps = ['shioaji_gateway', 'shioaji_backend', 'shioaji_frontend', 'force_recorder', 'ibapi_web', 'ibapi_api'];
    writeFileSync(join(dir, 'swarm.yml'), readFileSync(SWARM, 'utf8').replace('  vars:\n', `  vars:\n    images: { ${apps.map((a) => `${a}: 'r.example/${a}:1'`).join(', ')} }\n`));
    writeFileSync(join(dir, '.env'), 'POSTGRES_PASSWORD=a-long-password-1\nGRAFANA_ADMIN_PASSWORD=another-one-2\n', { mode: 0o600 });
    const s = await cli('validate', '-i', join(dir, 'swarm.yml'), '-p', SITE);
    assert.equal(s.code, 0, s.err);
    const tasks = (h: string) => Number(new RegExp(`^${h}: .* tasks=(\\d+)$`, 'm').exec(s.out)?.[1]);
    // The leader carries the three stacks' files and deploys them; a worker runs the agents only.
    assert.ok(tasks('m1') > tasks('w1') + 20, s.out);
    assert.equal(tasks('w1'), tasks('w2'));
    assert.match(s.out, /^w1: deploy@127\.0\.0\.1:1 roles=docker,swarm,networks,images,infra,shioaji,ibapi tasks=\d+$/m);
  });

  test('swarm inventory: a host in no swarm group, or a bad mode value → 2 naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-swarm-'));
    const src = readFileSync(join(FIX, 'swarm.yml'), 'utf8');
    const DH = join(ROOT, 'playbooks/docker-host.yml');
    writeFileSync(join(dir, 'a.yml'), src.replace('    w2: {}\n', '    w2: {}\n    x9: {}\n'));
    const a = await cli('validate', '-i', join(dir, 'a.yml'), '-p', DH);
    assert.equal(a.code, 2);
    assert.match(a.err, /deploy: swarm, but host x9 is in neither swarm_managers nor swarm_workers/);
    writeFileSync(join(dir, 'b.yml'), src.replace('swarm_endpoint_mode: dnsrr', 'swarm_endpoint_mode: roundrobin'));
    const b = await cli('validate', '-i', join(dir, 'b.yml'), '-p', DH);
    assert.equal(b.code, 2);
    assert.match(b.err, /swarm_endpoint_mode/);
  });

  test('validate opens no connection (a listening server sees none)', async () => {
    let connections = 0;
    const server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const dir = mkdtempSync(join(tmpdir(), 'provision-cli-'));
    try {
      const port = (server.address() as AddressInfo).port;
      const inv = join(dir, 'hosts.yml');
      writeFileSync(inv, `all:\n  hosts:\n    h1:\n      ansible_host: 127.0.0.1\n      ansible_port: ${port}\n      ansible_user: deploy\n`);
      const r = await cli('validate', '-i', inv, '-p', BOOK);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`^h1: deploy@127\\.0\\.0\\.1:${port} `, 'm'));
      await new Promise((ok) => setTimeout(ok, 50));
      assert.equal(connections, 0);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a playbook with an unknown role → 2', async () => {
    const r = await cli('validate', '-i', INV, '-p', join(FIX, 'unknown-role.yml'));
    assert.equal(r.code, 2);
    assert.match(r.err, /^provision: invalid input; nothing was changed/);
  });

  test('a playbook with an unknown role names the role', async () => {
    const r = await cli('validate', '-i', INV, '-p', join(FIX, 'unknown-role.yml'));
    assert.ok(r.err.includes(`${join(FIX, 'unknown-role.yml')}: 0/roles/1: unknown role "nosuchrole"`), r.err);
  });

  test('unknown role and unknown tag together → 2 naming both', async () => {
    const r = await cli('validate', '-i', INV, '-p', join(FIX, 'unknown-role.yml'), '--tags', 'nosuchtag');
    assert.equal(r.code, 2);
    assert.ok(r.err.includes(`${join(FIX, 'unknown-role.yml')}: 0/roles/1: unknown role "nosuchrole"`), r.err);
    assert.match(r.err, /--tags nosuchtag: no task has this tag/);
  });

  test('a play whose hosts match nothing → 2', async () => {
    const r = await cli('validate', '-i', INV, '-p', join(FIX, 'unmatched-hosts.yml'));
    assert.equal(r.code, 2);
  });

  test('--tags nosuchtag → 2', async () => {
    const r = await cli('validate', '-i', INV, '-p', BOOK, '--tags', 'nosuchtag');
    assert.equal(r.code, 2);
  });

  test('--tags nosuchtag names the tag', async () => {
    const r = await cli('validate', '-i', INV, '-p', BOOK, '--tags', 'nosuchtag');
    assert.match(r.err, /--tags nosuchtag: no task has this tag/);
  });

  test('--skip-tags nosuchtag → 2', async () => {
    const r = await cli('validate', '-i', INV, '-p', BOOK, '--skip-tags', 'nosuchtag');
    assert.equal(r.code, 2);
  });

  test('--tags with a role name narrows the tasks', async () => {
    const r = await cli('validate', '-i', INV, '-p', BOOK, '--tags', 'networks');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^devvm: .* tasks=1$/m);
  });

  test('--skip-tags with a role name drops its tasks', async () => {
    const r = await cli('validate', '-i', INV, '-p', BOOK, '--skip-tags', 'networks');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^devvm: .* tasks=10$/m);
  });

  test('--limit matching nothing → 2', async () => {
    const r = await cli('validate', '-i', INV, '-p', BOOK, '--limit', 'nosuchhost');
    assert.equal(r.code, 2);
  });
});

describe('cli validate: stacks', () => {
  test('site.yml with the trading app images unset → 2, naming each missing image and the missing secrets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-apps-'));
    const inv = join(dir, 'hosts.yml');
    writeFileSync(inv, 'all:\n  hosts:\n    devvm:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\n');
    const saved = { g: process.env.GRAFANA_ADMIN_PASSWORD, p: process.env.POSTGRES_PASSWORD };
    delete process.env.GRAFANA_ADMIN_PASSWORD;
    delete process.env.POSTGRES_PASSWORD;
    try {
      const r = await cli('validate', '-i', inv, '-p', SITE);
      assert.equal(r.code, 2);
      assert.match(r.err, /missing secret GRAFANA_ADMIN_PASSWORD \(needed by role infra on devvm\)/);
      assert.match(r.err, /missing secret POSTGRES_PASSWORD \(needed by role ibapi on devvm\)/);
      process.env.GRAFANA_ADMIN_PASSWORD = 'grafana-pw-123';
      process.env.POSTGRES_PASSWORD = 'postgres-pw-1234';
      const r2 = await cli('validate', '-i', inv, '-p', SITE);
      assert.equal(r2.code, 2);
      assert.match(r2.err, /role shioaji: images\.shioaji_gateway: no image given for SHIOAJI_GATEWAY_IMAGE .*\(host devvm\)/);
      assert.match(r2.err, /role ibapi: images\.ibapi_web: no image given for IBAPI_WEB_IMAGE .*\(host devvm\)/);
    } finally {
      for (const [k, v] of [['GRAFANA_ADMIN_PASSWORD', saved.g], ['POSTGRES_PASSWORD', saved.p]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cli reports', () => {
  // Runs that connect draw nothing here (the tree would go to the test's stdout).
  process.env.PROVISION_RENDERER = 'silent';
  /** A host nobody answers on: a run that connects ends "unreachable" (exit 1) at once. */
  function deadHost(): { dir: string; inv: string } {
    const dir = mkdtempSync(join(tmpdir(), 'cli-report-'));
    const inv = join(dir, 'hosts.yml');
    writeFileSync(inv, 'all:\n  hosts:\n    deadvm:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\n      host_key_checking: "off"\n');
    return { dir, inv };
  }

  test('--json into a directory that does not exist → 2 before any host is contacted', async () => {
    const { dir, inv } = deadHost();
    const r = await cli('check', '-i', inv, '-p', BOOK, '--json', join(dir, 'no/such/dir/report.json'));
    assert.equal(r.code, 2, r.out);
    assert.match(r.err, /--json .*report\.json: cannot write the report there \(no such directory\)/);
    assert.doesNotMatch(r.out, /RECAP/, 'nothing was run');
  });

  test('--json naming a directory → 2', async () => {
    const { dir, inv } = deadHost();
    const r = await cli('check', '-i', inv, '-p', BOOK, '--json', dir);
    assert.equal(r.code, 2);
    assert.match(r.err, /is a directory/);
  });

  test('the JSON report is written 0600, also over an existing world-readable file', async () => {
    const { dir, inv } = deadHost();
    const out = join(dir, 'report.json');
    writeFileSync(out, 'old', { mode: 0o644 });
    const r = await cli('check', '-i', inv, '-p', BOOK, '--json', out);
    assert.equal(r.code, 1, 'unreachable');
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { hosts: Record<string, { unreachable: number }> };
    assert.equal(report.hosts.deadvm?.unreachable, 1);
  });

  test('--html into a directory that does not exist → 2 before any host is contacted', async () => {
    const { dir, inv } = deadHost();
    const r = await cli('check', '-i', inv, '-p', BOOK, '--html', join(dir, 'no/such/dir/report.html'));
    assert.equal(r.code, 2, r.out);
    assert.match(r.err, /--html .*report\.html: cannot write the report there \(no such directory\)/);
    assert.doesNotMatch(r.out, /RECAP/, 'nothing was run');
  });

  test('--html and --json naming the same file → 2', async () => {
    const { dir, inv } = deadHost();
    const r = await cli('check', '-i', inv, '-p', BOOK, '--html', join(dir, 'r'), '--json', join(dir, '.', 'r'));
    assert.equal(r.code, 2);
    assert.match(r.err, /--json and --html name the same file/);
  });

  test('the HTML report is written 0600, also over an existing world-readable file', async () => {
    const { dir, inv } = deadHost();
    const out = join(dir, 'report.html');
    writeFileSync(out, 'old', { mode: 0o644 });
    const r = await cli('check', '-i', inv, '-p', BOOK, '--html', out);
    assert.equal(r.code, 1, 'unreachable');
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const page = readFileSync(out, 'utf8');
    assert.match(page, /^<!DOCTYPE html>/);
    assert.match(page, /<section class="host bad" id="h0" data-host="deadvm" data-state="unreachable">/);
  });
});

describe('serial and max_fail_percentage in a playbook', () => {
  /** A playbook (docker host roles) and an inventory of `hosts` hosts on a port nobody listens on. */
  function setup(book: string, hosts = 4) {
    const dir = mkdtempSync(join(tmpdir(), 'cli-serial-'));
    const inv = join(dir, 'hosts.yml');
    const lines = Array.from({ length: hosts }, (_, i) => `    h${i + 1}:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\n      host_key_checking: "off"`);
    writeFileSync(inv, `all:\n  hosts:\n${lines.join('\n')}\n`);
    const pb = join(dir, 'book.yml');
    writeFileSync(pb, book);
    return { dir, inv, pb };
  }
  const PLAY = '- name: Docker host\n  hosts: all\n  roles: [docker, networks]\n';

  test('validate shows the batches', async () => {
    const { inv, pb } = setup(`${PLAY}  serial: [1, "50%"]\n  max_fail_percentage: 25\n`);
    const r = await cli('validate', '-i', inv, '-p', pb);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^batches: 3 of 1, 2, 1 host\(s\); later batches stop when more than 25% of a batch fails$/m);
  });

  test('a bad serial → 2 naming file, line and key, before any host is contacted', async () => {
    const { inv, pb } = setup(`${PLAY}  serial: often\n`);
    const r = await cli('apply', '-i', inv, '-p', pb);
    assert.equal(r.code, 2);
    assert.ok(r.err.includes(`${pb}:4: 0/serial: must be a whole number ≥ 1, a percentage such as "30%" (0-100%), or a non-empty list of those; got "often"`), r.err);
    assert.doesNotMatch(r.out, /RECAP/);
  });

  test('a bad item in a serial list is named by its line', async () => {
    const { inv, pb } = setup(`${PLAY}  serial:\n    - 1\n    - 0\n`);
    const r = await cli('validate', '-i', inv, '-p', pb);
    assert.equal(r.code, 2);
    assert.ok(r.err.includes(`${pb}:6: 0/serial/1: must be a whole number ≥ 1`), r.err);
  });

  test('max_fail_percentage over 100 → 2 with its line', async () => {
    const { inv, pb } = setup(`${PLAY}  max_fail_percentage: 150\n`);
    const r = await cli('validate', '-i', inv, '-p', pb);
    assert.equal(r.code, 2);
    assert.ok(r.err.includes(`${pb}:4: 0/max_fail_percentage: must be <= 100`), r.err);
  });

  test('two plays with different serial → 2 (a run has one set of batches)', async () => {
    const { inv, pb } = setup(`${PLAY}  serial: 1\n${PLAY}  serial: 2\n`);
    const r = await cli('validate', '-i', inv, '-p', pb);
    assert.equal(r.code, 2);
    assert.ok(r.err.includes(`${pb}:8: 1/serial: differs from 0/serial`), r.err);
  });

  test('apply: a first batch that cannot be reached stops the rest; they are in the recap and JSON as not run; exit 1', async () => {
    const { dir, inv, pb } = setup(`${PLAY}  serial: 1\n`, 3);
    const out = join(dir, 'report.json');
    const r = await cli('apply', '-i', inv, '-p', pb, '--json', out);
    assert.equal(r.code, 1);
    const why = 'every host of batch 1 failed (1 of 1 host failed or unreachable)';
    assert.match(r.out, /^h1 +: ok=0 .*unreachable=1 .* batch=1\/3$/m);
    assert.match(r.out, new RegExp(`^h2 +: not run batch=2/3: ${why.replace(/[()]/g, '\\$&')}$`, 'm'));
    const report = JSON.parse(readFileSync(out, 'utf8')) as { batches: number; stopped: string; hosts: Record<string, { unreachable: number; batch: number; notRun?: string }> };
    assert.equal(report.batches, 3);
    assert.equal(report.stopped, why);
    assert.equal(report.hosts.h1?.unreachable, 1);
    assert.deepEqual([report.hosts.h2?.notRun, report.hosts.h3?.notRun, report.hosts.h3?.batch], [why, why, 3]);
  });
});
