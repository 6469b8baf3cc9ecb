// Unknown keys are errors at every depth, named with their line and a suggestion: a misspelt
// nested key (images.grafna, alertmanager.recievers) would otherwise silently keep a default.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.ts';
import { loadInventory } from '../../src/config/inventory.ts';
import { loadRoleLibrary, type RoleLibrary } from '../../src/engine/roles.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let lib: RoleLibrary;
before(async () => {
  lib = await loadRoleLibrary(join(ROOT, 'roles'), join(ROOT, 'files'));
});

async function problems(yaml: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'unknown-keys-'));
  const file = join(dir, 'hosts.yml');
  writeFileSync(file, yaml);
  try {
    await loadInventory(file, lib.varsSchema);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems.map((p) => p.replace(file, 'hosts.yml'));
  }
  return [];
}

describe('unknown keys at any depth', () => {
  test('images.grafna: named on its line, with the key it was meant to be', async () => {
    const p = await problems('all:\n  hosts:\n    vm1:\n  vars:\n    images:\n      grafna: grafana/grafana:12\n');
    assert.deepEqual(p, ['hosts.yml:6: all/vars/images/grafna: unknown key (did you mean "grafana"?)']);
  });

  test('alertmanager.recievers', async () => {
    const p = await problems('all:\n  hosts:\n    vm1:\n      alertmanager:\n        recievers:\n          - name: ops\n');
    assert.deepEqual(p, ['hosts.yml:5: all/hosts/vm1/alertmanager/recievers: unknown key (did you mean "receivers"?)']);
  });

  test('a misspelt receiver integration and route key', async () => {
    const p = await problems([
      'all:', '  hosts:', '    vm1:', '  vars:', '    alertmanager:', '      receivers:', '        - name: ops',
      '          webhok_configs: [{ url: "https://x" }]', '      route:', '        group_wiat: 30s', '',
    ].join('\n'));
    assert.deepEqual(p, [
      'hosts.yml:8: all/vars/alertmanager/receivers/0/webhok_configs: unknown key (did you mean "webhook_configs"?)',
      'hosts.yml:10: all/vars/alertmanager/route/group_wiat: unknown key (did you mean "group_wait"?)',
    ]);
  });

  test('a misspelt app target key', async () => {
    const p = await problems('all:\n  hosts:\n    vm1:\n  vars:\n    app_metrics_targets:\n      - job: a\n        targets: ["a:1"]\n        metrics_path: /m\n');
    assert.deepEqual(p, ['hosts.yml:8: all/vars/app_metrics_targets/0/metrics_path: unknown key (did you mean "metricsPath"?)']);
  });

  test('a misspelt top-level variable', async () => {
    const p = await problems('all:\n  hosts:\n    vm1:\n      stacks_dri: /srv\n');
    assert.deepEqual(p, ['hosts.yml:4: all/hosts/vm1/stacks_dri: unknown key (did you mean "stacks_dir"?)']);
  });

  test('valid nested values pass', async () => {
    const p = await problems([
      'all:', '  hosts:', '    vm1:', '  vars:', '    images: { grafana: "g/g:1", ibapi_api: "me/api:2" }',
      '    alertmanager:', '      global: { smtp_smarthost: "mx:25" }', '      receivers:', '        - name: ops',
      '          email_configs: [{ to: "a@b" }]', '      route:', '        receiver: ops', '        routes:',
      '          - matchers: ["severity=critical"]', '            routes: [{ receiver: ops, continue: true }]', '',
    ].join('\n'));
    assert.deepEqual(p, []);
  });

  for (const bad of ['/opt/../etc', '/opt/st\tacks', 'relative', '/opt/a b', '/opt/$(x)', '/..']) {
    test(`stacks_dir ${JSON.stringify(bad)} is refused`, async () => {
      const p = await problems(`all:\n  hosts:\n    vm1:\n      stacks_dir: ${JSON.stringify(bad)}\n`);
      assert.equal(p.length, 1, p.join('\n'));
      assert.match(p[0] ?? '', /^hosts\.yml:4: all\/hosts\/vm1\/stacks_dir: must match pattern/);
    });
  }
});
