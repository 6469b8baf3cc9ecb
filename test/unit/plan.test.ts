// buildPlan: what a plan knows before any host is touched.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.ts';
import { loadInventory } from '../../src/config/inventory.ts';
import { loadPlaybook } from '../../src/config/playbook.ts';
import { buildPlan } from '../../src/engine/plan.ts';
import { loadRoleLibrary } from '../../src/engine/roles.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const APPS = { shioaji_gateway: 'me/gw:1', shioaji_backend: 'me/be:1', shioaji_frontend: 'me/fe:1', force_recorder: 'me/fr:1', ibapi_web: 'me/web:1', ibapi_api: 'me/api:1' };

async function plan(hosts: string, vars: Record<string, unknown>, opts: { limit?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'plan-'));
  writeFileSync(join(dir, 'hosts.yml'), `all:\n  hosts:\n${hosts}\n  vars: ${JSON.stringify({ images: APPS, ...vars })}\n`);
  writeFileSync(join(dir, '.env'), 'GRAFANA_ADMIN_PASSWORD=grafana-pw-123\nPOSTGRES_PASSWORD=postgres-pw-1234\n');
  const lib = await loadRoleLibrary(join(ROOT, 'roles'), join(ROOT, 'files'));
  const inv = await loadInventory(join(dir, 'hosts.yml'), lib.varsSchema);
  const book = await loadPlaybook(join(ROOT, 'playbooks/site.yml'), lib.varsSchema);
  return () => buildPlan(inv, book, lib, { file: join(dir, '.env'), fromFile: { GRAFANA_ADMIN_PASSWORD: 'grafana-pw-123', POSTGRES_PASSWORD: 'postgres-pw-1234' } }, opts);
}

describe('buildPlan', () => {
  test('values the roles call sensitive (alert webhook URLs, SMTP passwords) are masked like secrets', async () => {
    const [p] = (await plan('    vm1: { ansible_host: 10.0.0.1 }', { alertmanager: { global: { smtp_auth_password: 'smtp-secret-99' }, receivers: [{ name: 'ops', webhook_configs: [{ url: 'https://hooks.example/T0K3N' }] }] } }))();
    assert.ok(p);
    for (const v of ['https://hooks.example/T0K3N', 'smtp-secret-99', 'grafana-pw-123', 'postgres-pw-1234']) assert.ok(p.secrets.includes(v), v);
  });

  test('values decrypted from Ansible Vault are masked on every host', async () => {
    const { Vault } = await import('ansible-vault');
    const { VaultKeys } = await import('../../src/config/ansible/vault.ts');
    const dir = mkdtempSync(join(tmpdir(), 'plan-vault-'));
    writeFileSync(join(dir, 'hosts.ini'), '[web]\nvm1 ansible_host=10.0.0.1\nvm2 ansible_host=10.0.0.2\n');
    mkdirSync(join(dir, 'group_vars'));
    writeFileSync(join(dir, 'group_vars/all.yml'), new Vault({ password: 'pw-for-plan' }).encryptSync(`images: ${JSON.stringify(APPS)}\ndomain: vaulted.example\n`, ''));
    writeFileSync(join(dir, 'pw'), 'pw-for-plan\n');
    const lib = await loadRoleLibrary(join(ROOT, 'roles'), join(ROOT, 'files'));
    const inv = await loadInventory(join(dir, 'hosts.ini'), lib.varsSchema, { vault: new VaultKeys({ passwordFile: join(dir, 'pw') }) });
    const book = await loadPlaybook(join(ROOT, 'playbooks/site.yml'), lib.varsSchema);
    const plans = buildPlan(inv, book, lib, { file: join(dir, '.env'), fromFile: { GRAFANA_ADMIN_PASSWORD: 'grafana-pw-123', POSTGRES_PASSWORD: 'postgres-pw-1234' } });
    assert.deepEqual(plans.map((p) => p.name), ['vm1', 'vm2']);
    for (const p of plans) assert.ok(p.secrets.includes('vaulted.example'), p.name);
  });

  test('a problem many hosts share is listed once, with the hosts', async () => {
    const hosts = Array.from({ length: 8 }, (_, i) => `    vm${i}: { ansible_host: 10.0.0.${i + 1} }`).join('\n');
    const build = await plan(hosts, { app_metrics_targets: [{ job: '', targets: ['a:1'] }] });
    assert.throws(build, (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const lines = e.problems.filter((m) => m.includes('app_metrics_targets[0].job'));
      assert.equal(lines.length, 1, e.message);
      assert.match(lines[0] ?? '', /role infra: app_metrics_targets\[0\]\.job: must not be empty \(hosts vm0, vm1, vm2, vm3, vm4 and 3 more\)/);
      return true;
    });
  });

  const three = ['vm1', 'vm2', 'vm3'].map((h, i) => `    ${h}: { ansible_host: 10.0.0.${i + 1} }`).join('\n');

  test("--limit vm1,typo names the term that matched nothing, with a suggestion", async () => {
    const build = await plan(three, {}, { limit: 'vm1,vm4x' });
    assert.throws(build, (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /--limit vm1,vm4x: "vm4x" matches no host or group in .*hosts\.yml/);
      return true;
    });
    const typo = await plan(three, {}, { limit: '!vm22' });
    assert.throws(typo, /--limit !vm22: "vm22" matches no host or group .*\(did you mean "vm2"\?\)/);
  });

  test("--limit '!vm2' means every host but vm2", async () => {
    const plans = (await plan(three, {}, { limit: '!vm2' }))();
    assert.deepEqual(plans.map((p) => p.name), ['vm1', 'vm3']);
  });
});
