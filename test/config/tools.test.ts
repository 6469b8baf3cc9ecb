/**
 * The config files checked by the real tools: promtool, amtool, docker compose v2.
 * Missing tools fail the test (install with test/config/install-tools.sh); nothing is skipped.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';

import { alertmanagerConfig } from '../../roles/infra/config/alertmanager.js';
import { renderDotenv } from '../../src/stack/dotenv.ts';
import { infraEnv } from '../../roles/infra/config/env.js';
import { IMAGE_ENV_VARS, type ProjectName } from '../../src/stack/images.ts';
import { appTargets, DEFAULT_APP_TARGETS } from '../../roles/infra/config/prometheus-targets.js';
import { ibapiEnv } from '../../roles/ibapi/config/env.js';
import { shioajiEnv } from '../../roles/shioaji/config/env.js';
import { COMPOSE_FILES, composeRun, repoPath, requireTool, run, tempDir } from './helpers.js';

const tmp = tempDir('config-tools');
after(() => tmp.cleanup());

describe('promtool', () => {
  let dir = '';
  before(() => {
    // prometheus.yml resolves rules/ and targets/ relative to itself: copy the directory and
    // add the targets file the role generates.
    dir = join(tmp.path, 'prometheus');
    cpSync(repoPath('files/infra/prometheus'), dir, { recursive: true });
    mkdirSync(join(dir, 'targets'), { recursive: true });
    writeFileSync(join(dir, 'targets', 'apps.yml'), stringify(appTargets(DEFAULT_APP_TARGETS)));
  });

  it('check config accepts prometheus.yml with its rules and a generated targets/apps.yml', () => {
    const r = run(requireTool('promtool'), ['check', 'config', join(dir, 'prometheus.yml')]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: 1 rule files found/);
  });

  it('check config rejects a malformed targets file (so the generated one is really checked)', () => {
    const bad = join(tmp.path, 'prometheus-bad');
    cpSync(dir, bad, { recursive: true });
    writeFileSync(join(bad, 'targets', 'apps.yml'), stringify([{ targetz: ['x:1'] }]));
    const r = run(requireTool('promtool'), ['check', 'config', join(bad, 'prometheus.yml')]);
    assert.notEqual(r.status, 0, 'promtool should reject the malformed SD file');
  });

  it('check rules accepts rules/alerts.yml (5 rules)', () => {
    const r = run(requireTool('promtool'), ['check', 'rules', join(dir, 'rules', 'alerts.yml')]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: 5 rules found/);
  });

  it('test rules: every alert fires above its threshold and stays quiet below it', () => {
    const testDir = join(tmp.path, 'rule-tests');
    mkdirSync(testDir, { recursive: true });
    copyFileSync(join(dir, 'rules', 'alerts.yml'), join(testDir, 'alerts.yml'));
    copyFileSync(repoPath('test/config/fixtures/alerts.promtool-test.yml'), join(testDir, 'alerts.promtool-test.yml'));
    const r = run(requireTool('promtool'), ['test', 'rules', 'alerts.promtool-test.yml'], { cwd: testDir });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /SUCCESS/);
  });
});

describe('amtool check-config on alertmanagerConfig()', () => {
  const cases: Array<[string, Parameters<typeof alertmanagerConfig>[0]]> = [
    ['default (no-op receiver)', undefined],
    ['webhook receiver', { receivers: [{ name: 'ops', webhook_configs: [{ url: 'http://hooks.example.test/alert', send_resolved: true }] }] }],
    [
      'email + webhook with a child route',
      {
        global: { smtp_smarthost: 'smtp.example.test:587', smtp_from: 'alerts@example.test' },
        receivers: [
          { name: 'mail', email_configs: [{ to: 'ops@example.test' }] },
          { name: 'pager', webhook_configs: [{ url: 'http://pager.example.test/' }] },
        ],
        route: { receiver: 'mail', repeat_interval: '12h', routes: [{ receiver: 'pager', matchers: ['severity="critical"'] }] },
      },
    ],
  ];
  for (const [title, opts] of cases) {
    it(`accepts: ${title}`, () => {
      const file = join(tmp.path, `alertmanager-${title.replace(/\W+/g, '-')}.yml`);
      writeFileSync(file, stringify(alertmanagerConfig(opts)));
      const r = run(requireTool('amtool'), ['check-config', file]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /SUCCESS/);
    });
  }

  it('amtool really validates (a route to an undefined receiver fails)', () => {
    const cfg = alertmanagerConfig();
    const file = join(tmp.path, 'alertmanager-bad.yml');
    writeFileSync(file, stringify({ ...cfg, route: { ...cfg.route, receiver: 'nobody' } }));
    const r = run(requireTool('amtool'), ['check-config', file]);
    assert.notEqual(r.status, 0);
  });
});

// ---- docker compose config ------------------------------------------------------------------

const APP_IMAGES = {
  shioaji_gateway: 'registry.example.test/shioaji/gateway:1.4.2',
  shioaji_backend: 'registry.example.test/shioaji/backend:1.4.2',
  shioaji_frontend: 'registry.example.test/shioaji/frontend:1.4.2',
  force_recorder: 'registry.example.test/shioaji/force-recorder:1.4.2',
  ibapi_web: 'registry.example.test/ibapi/web:0.9.0',
  ibapi_api: 'registry.example.test/ibapi/api:0.9.0',
};

/** What a password manager makes: every kind of character .env, compose and URLs care about. */
const NASTY = `Pa$$ w'o"rd \`x\` #1 %2F/:;|&<>{}$HOME\\end\\`;

/** A complete .env per project, built with the same functions the roles use. */
function sampleEnv(project: ProjectName): Record<string, string> {
  switch (project) {
    case 'infra':
      return infraEnv({ domain: 'dev.example.test', grafanaAdminUser: 'admin', grafanaAdminPassword: "s3cr$t #x \"y\" \\z" });
    case 'shioajipy':
      return shioajiEnv({ domain: 'dev.example.test', images: APP_IMAGES });
    case 'ibapi-trading':
      return ibapiEnv({ domain: 'dev.example.test', images: APP_IMAGES, postgres: { user: 'ibapi', password: NASTY, db: 'ibapi' } });
  }
}

function writeEnv(name: string, env: Record<string, string>): string {
  const file = join(tmp.path, `${name}.env`);
  writeFileSync(file, renderDotenv(env), { mode: 0o600 });
  return file;
}

for (const project of Object.keys(COMPOSE_FILES) as ProjectName[]) {
  describe(`docker compose config: ${COMPOSE_FILES[project]}`, () => {
    const file = repoPath(COMPOSE_FILES[project]);

    it('is valid with a complete .env', () => {
      const r = composeRun(file, writeEnv(`${project}-full`, sampleEnv(project)), ['config', '-q']);
      assert.equal(r.status, 0, r.stderr);
    });

    for (const envVar of Object.values(IMAGE_ENV_VARS[project])) {
      it(`fails without ${envVar} (required via :?)`, () => {
        const env = { ...sampleEnv(project) };
        delete env[envVar];
        const r = composeRun(file, writeEnv(`${project}-no-${envVar}`, env), ['config', '-q']);
        assert.notEqual(r.status, 0, `compose accepted a missing ${envVar}`);
        assert.match(r.stderr, new RegExp(`${envVar}`));
      });
    }

    it('fails without DOMAIN', () => {
      const env = { ...sampleEnv(project) };
      delete env.DOMAIN;
      const r = composeRun(file, writeEnv(`${project}-no-domain`, env), ['config', '-q']);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /DOMAIN/);
    });
  });
}

describe('docker compose config: infra profiles and .env quoting', () => {
  const file = repoPath(COMPOSE_FILES.infra);

  for (const collector of ['promtail', 'alloy'] as const) {
    it(`COMPOSE_PROFILES=${collector} runs exactly one log shipper`, () => {
      const env = infraEnv({ domain: 'dev.example.test', grafanaAdminUser: 'admin', grafanaAdminPassword: 'pw', logCollector: collector });
      const r = composeRun(file, writeEnv(`infra-${collector}`, env), ['config', '--services']);
      assert.equal(r.status, 0, r.stderr);
      const services = r.stdout.trim().split('\n');
      assert.ok(services.includes(collector), `${collector} missing from ${services.join(',')}`);
      const other = collector === 'promtail' ? 'alloy' : 'promtail';
      assert.ok(!services.includes(other), `${other} should not run`);
      assert.equal(services.length, 12, 'the 13 infra containers minus the inactive shipper');
    });
  }

  it('HTTP_PORT changes only the published port', () => {
    const env = infraEnv({ domain: 'dev.example.test', grafanaAdminUser: 'a', grafanaAdminPassword: 'b', httpPort: 8080 });
    const r = composeRun(file, writeEnv('infra-port', env), ['config', '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const model = JSON.parse(r.stdout) as { services: Record<string, { ports?: Array<{ published: string; target: number }> }> };
    const published = Object.entries(model.services).filter(([, s]) => s.ports && s.ports.length > 0);
    assert.deepEqual(published.map(([n]) => n), ['traefik']);
    assert.deepEqual(published[0]?.[1].ports?.map((p) => [String(p.published), p.target]), [['8080', 80]]);
  });
});

describe('docker compose config: any printable password reaches the app', () => {
  it('as POSTGRES_PASSWORD literally, and percent-encoded in DATABASE_URL (decodes back to it)', () => {
    const env = sampleEnv('ibapi-trading');
    const r = composeRun(repoPath(COMPOSE_FILES['ibapi-trading']), writeEnv('ibapi-nasty', env), ['config', '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const model = JSON.parse(r.stdout) as { services: Record<string, { environment: Record<string, string> }> };
    // compose's output re-escapes `$` as `$$` (a literal dollar).
    const api = Object.fromEntries(Object.entries(model.services['ibapi-api']?.environment ?? {}).map(([k, v]) => [k, v.replaceAll('$$', '$')]));
    assert.equal(api.POSTGRES_PASSWORD, NASTY);
    const url = new URL(api.DATABASE_URL ?? '');
    assert.equal(decodeURIComponent(url.password), NASTY);
    assert.deepEqual([decodeURIComponent(url.username), url.hostname, url.port, url.pathname], ['ibapi', 'ibapi-postgres', '5432', '/ibapi']);
  });
});
