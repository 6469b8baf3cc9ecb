/**
 * Unit tests of the pure config builders in roles/{infra,shioaji,ibapi}/config.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';

import { alertmanagerConfig } from '../../roles/infra/config/alertmanager.js';
import { dotenvProblems, renderDotenv } from '../../src/stack/dotenv.ts';
import { assertDomain } from '../../src/stack/checks.ts';
import { infraEnv } from '../../roles/infra/config/env.js';
import { HOMEPAGE_GROUPS, homepageServices, UI_HOSTS, type HomepageGroup, type HomepageService } from '../../roles/infra/config/homepage.js';
import { APP_IMAGE_KEYS, DEFAULT_IMAGES, IMAGE_ENV_VARS, imageEnv, isImageRef } from '../../src/stack/images.ts';
import { appTargets, DEFAULT_APP_TARGETS } from '../../roles/infra/config/prometheus-targets.js';
import { ibapiEnv } from '../../roles/ibapi/config/env.js';
import { shioajiEnv } from '../../roles/shioaji/config/env.js';
import { COMPOSE_FILES, loadCompose } from './helpers.js';

describe('alertmanagerConfig()', () => {
  it('defaults: one no-op receiver, grouping, timing, critical inhibits warning', () => {
    assert.deepEqual(alertmanagerConfig(), {
      global: { resolve_timeout: '5m' },
      route: { receiver: 'default', group_by: ['alertname', 'severity', 'instance'], group_wait: '30s', group_interval: '5m', repeat_interval: '4h' },
      inhibit_rules: [{ source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['alertname', 'instance'] }],
      receivers: [{ name: 'default' }],
    });
  });

  it('inventory receivers pass through unchanged; route defaults to the first', () => {
    const receivers = [
      { name: 'ops', webhook_configs: [{ url: 'http://hooks.example.test/x', send_resolved: true }] },
      { name: 'mail', email_configs: [{ to: 'a@example.test' }] },
    ];
    const cfg = alertmanagerConfig({ receivers });
    assert.equal(cfg.route.receiver, 'ops');
    assert.deepEqual(cfg.receivers, receivers);
    assert.notEqual(cfg.receivers[0], receivers[0], 'receivers are copied, not shared');
  });

  it('route options override timing, group_by, and add child routes', () => {
    const cfg = alertmanagerConfig({
      receivers: [{ name: 'a' }, { name: 'b' }],
      route: { receiver: 'b', group_by: ['alertname'], repeat_interval: '12h', routes: [{ receiver: 'a', matchers: ['severity="critical"'] }] },
    });
    assert.equal(cfg.route.receiver, 'b');
    assert.deepEqual(cfg.route.group_by, ['alertname']);
    assert.equal(cfg.route.repeat_interval, '12h');
    assert.equal(cfg.route.group_wait, '30s');
    assert.deepEqual(cfg.route.routes, [{ receiver: 'a', matchers: ['severity="critical"'] }]);
  });

  it('rejects undefined or duplicate receivers and bad durations, naming the path', () => {
    assert.throws(() => alertmanagerConfig({ route: { receiver: 'nope' } }), /receiver "nope" is not defined/);
    assert.throws(() => alertmanagerConfig({ receivers: [{ name: 'a' }], route: { routes: [{ receiver: 'x' }] } }), /receiver "x"/);
    assert.throws(() => alertmanagerConfig({ receivers: [{ name: 'a' }, { name: 'a' }] }), /receivers\[1\]\.name: duplicate/);
    assert.throws(() => alertmanagerConfig({ receivers: [{ name: '' }] }), /receivers\[0\]\.name/);
    assert.throws(() => alertmanagerConfig({ route: { group_wait: 'soon' } }), /route\.group_wait/);
  });

  it('serializes to YAML that reads back identically', () => {
    const cfg = alertmanagerConfig({ receivers: [{ name: 'ops', slack_configs: [{ api_url: 'https://hooks.slack.test/x', channel: '#ops' }] }] });
    assert.deepEqual(parse(stringify(cfg)), cfg);
  });
});

describe('appTargets()', () => {
  it('defaults: one group per app with its job label', () => {
    assert.deepEqual(appTargets(), [
      { targets: ['shioaji-backend:8000'], labels: { compose_project: 'shioajipy', job: 'shioaji-backend' } },
      { targets: ['shioaji-gateway:8000'], labels: { compose_project: 'shioajipy', job: 'shioaji-gateway' } },
      { targets: ['force-recorder:8000'], labels: { compose_project: 'shioajipy', job: 'force-recorder' } },
      { targets: ['ibapi-api:8000'], labels: { compose_project: 'ibapi-trading', job: 'ibapi-api' } },
    ]);
    assert.equal(DEFAULT_APP_TARGETS.length, 4);
  });

  it('custom apps, metrics path and labels', () => {
    assert.deepEqual(appTargets([{ job: 'x', targets: ['x:9000', 'y:9000'], metricsPath: '/internal/metrics', labels: { team: 'a' } }]), [
      { targets: ['x:9000', 'y:9000'], labels: { team: 'a', job: 'x', __metrics_path__: '/internal/metrics' } },
    ]);
    assert.deepEqual(appTargets([]), []);
  });

  it('rejects bad input with a path', () => {
    assert.throws(() => appTargets([{ job: '', targets: ['a:1'] }]), /app_metrics_targets\[0\]\.job/);
    assert.throws(() => appTargets([{ job: 'a', targets: [] }]), /app_metrics_targets\[0\]\.targets/);
    assert.throws(() => appTargets([{ job: 'a', targets: ['nohost'] }]), /targets\[0\]: "nohost"/);
    assert.throws(() => appTargets([{ job: 'a', targets: ['h:70000'] }]), /not host:port/);
    assert.throws(() => appTargets([{ job: 'a', targets: ['h:1'] }, { job: 'a', targets: ['h:2'] }]), /duplicate job/);
    assert.throws(() => appTargets([{ job: 'a', targets: ['h:1'], labels: { 'bad-name': 'x' } }]), /labels\.bad-name/);
    assert.throws(() => appTargets([{ job: 'a', targets: ['h:1'], metricsPath: 'metrics' }]), /metricsPath/);
  });
});

describe('homepageServices()', () => {
  const flatten = (groups: HomepageGroup[]): Array<{ group: string; title: string; svc: HomepageService }> =>
    groups.flatMap((g) => Object.entries(g).flatMap(([group, items]) => items.flatMap((i) => Object.entries(i).map(([title, svc]) => ({ group, title, svc })))));

  it('groups by stack in order, every entry has Docker status on the local socket', () => {
    const groups = homepageServices({ domain: 'dev.example.test' });
    assert.deepEqual(groups.map((g) => Object.keys(g)[0]), [...HOMEPAGE_GROUPS]);
    for (const e of flatten(groups)) {
      assert.equal(e.svc.server, 'local');
      assert.ok(e.svc.container, e.title);
      assert.ok(e.svc.href?.startsWith('http://'), `${e.title} has a link`);
    }
  });

  it('covers every container of the three compose files (with the chosen log collector)', () => {
    for (const collector of ['promtail', 'alloy'] as const) {
      const listed = new Set(flatten(homepageServices({ domain: 'd.test', logCollector: collector })).map((e) => e.svc.container));
      const containers = (Object.keys(COMPOSE_FILES) as Array<keyof typeof COMPOSE_FILES>)
        .flatMap((p) => Object.values(loadCompose(p).services).map((s) => s.container_name as string))
        .filter((c) => c !== (collector === 'promtail' ? 'alloy' : 'promtail'));
      assert.deepEqual([...listed].sort(), containers.sort());
    }
  });

  it('every UI container links to its Traefik host', () => {
    const entries = flatten(homepageServices({ domain: 'dev.example.test' }));
    for (const [container, host] of Object.entries(UI_HOSTS)) {
      const e = entries.find((x) => x.svc.container === container);
      assert.ok(e, `${container} missing`);
      assert.ok(e.svc.href?.startsWith(`http://${host}.dev.example.test/`), `${container}: ${e.svc.href}`);
    }
    assert.equal(entries.find((e) => e.svc.container === 'grafana')?.svc.href, 'http://grafana.dev.example.test/');
    assert.equal(entries.find((e) => e.svc.container === 'traefik')?.svc.href, 'http://traefik.dev.example.test/dashboard/');
  });

  it('links carry a non-default HTTP port and the group is stack-correct', () => {
    const entries = flatten(homepageServices({ domain: 'd.test', httpPort: 8080 }));
    assert.equal(entries.find((e) => e.svc.container === 'ibapi-web')?.svc.href, 'http://ibapi-web.d.test:8080/');
    assert.equal(entries.find((e) => e.svc.container === 'redis')?.group, 'shioajipy');
    assert.equal(entries.find((e) => e.svc.container === 'ibapi-postgres')?.group, 'ibapi-trading');
    assert.equal(entries.find((e) => e.svc.container === 'loki')?.group, 'Observability');
    assert.equal(entries.find((e) => e.svc.container === 'portainer')?.group, 'Infra');
  });

  it('rejects a bad domain or collector', () => {
    assert.throws(() => homepageServices({ domain: 'Bad Domain' }), /domain/);
    assert.throws(() => homepageServices({ domain: 'd.test', logCollector: 'fluentd' as never }), /log_collector/);
  });
});

describe('images', () => {
  it('defaults are pinned (no latest) and tempo stays on 2.9.x, promtail on 3.5/3.6', () => {
    for (const [key, image] of Object.entries(DEFAULT_IMAGES)) {
      assert.ok(isImageRef(image), `${key}: ${image}`);
      assert.match(image, /:[^/]+$/, `${key} has a tag`);
      assert.doesNotMatch(image, /:latest$/, key);
    }
    assert.match(DEFAULT_IMAGES.tempo, /:2\.9\.\d+$/);
    assert.match(DEFAULT_IMAGES.promtail, /:3\.[56]\.\d+$/);
    assert.match(DEFAULT_IMAGES.loki, /:3\.\d+\.\d+$/);
    assert.match(DEFAULT_IMAGES.postgres, /:17\./, 'postgres 18 moved PGDATA away from /var/lib/postgresql/data');
  });

  it('every env var mapping names a default or an app image key', () => {
    const known = new Set<string>([...Object.keys(DEFAULT_IMAGES), ...APP_IMAGE_KEYS]);
    for (const mapping of Object.values(IMAGE_ENV_VARS)) for (const key of Object.keys(mapping)) assert.ok(known.has(key), key);
    for (const key of Object.keys(DEFAULT_IMAGES)) {
      assert.ok(Object.values(IMAGE_ENV_VARS).some((m) => key in m), `${key} is not used by any project`);
    }
  });

  it('imageEnv: defaults + overrides; app images are required', () => {
    const infra = imageEnv('infra', { grafana: 'grafana/grafana:12.2.1' });
    assert.equal(infra.GRAFANA_IMAGE, 'grafana/grafana:12.2.1');
    assert.equal(infra.TEMPO_IMAGE, DEFAULT_IMAGES.tempo);
    assert.equal(Object.keys(infra).length, 13);
    assert.throws(() => imageEnv('shioajipy'), /images\.shioaji_gateway: no image given for SHIOAJI_GATEWAY_IMAGE/);
    assert.throws(() => imageEnv('infra', { grafana: 'grafana/grafana:${X}' }), /images\.grafana: .* not a valid image reference/);
    assert.ok(isImageRef('localhost:5000/me/app:1.0@sha256:' + 'a'.repeat(64)));
    assert.ok(!isImageRef('Me/App:1'));
  });
});

describe('.env builders and serializer', () => {
  const images = { shioaji_gateway: 'me/gw:1', shioaji_backend: 'me/be:1', shioaji_frontend: 'me/fe:1', force_recorder: 'me/fr:1', ibapi_web: 'me/web:1', ibapi_api: 'me/api:1' };

  it('infraEnv: images, domain, grafana admin, profile; HTTP_PORT only when not 80', () => {
    const env = infraEnv({ domain: 'dev.example.test', grafanaAdminUser: 'admin', grafanaAdminPassword: 'pw' });
    assert.equal(env.COMPOSE_PROFILES, 'promtail');
    assert.equal(env.DOMAIN, 'dev.example.test');
    assert.equal(env.HTTP_PORT, undefined);
    assert.equal(infraEnv({ domain: 'd.test', grafanaAdminUser: 'a', grafanaAdminPassword: 'b', logCollector: 'alloy', httpPort: 8080 }).HTTP_PORT, '8080');
    assert.throws(() => infraEnv({ domain: 'd.test', grafanaAdminUser: 'a', grafanaAdminPassword: '' }), /GRAFANA_ADMIN_PASSWORD in \.env/);
    assert.throws(() => infraEnv({ domain: 'd.test', grafanaAdminUser: 'a', grafanaAdminPassword: 'b', httpPort: 0 }), /http_port/);
  });

  it('shioajiEnv / ibapiEnv', () => {
    const sh = shioajiEnv({ domain: 'd.test', images, ports: { frontend: 8080 } });
    assert.equal(sh.SHIOAJI_FRONTEND_PORT, '8080');
    assert.equal(sh.REDIS_IMAGE, DEFAULT_IMAGES.redis);
    const ib = ibapiEnv({ domain: 'd.test', images, postgres: { user: 'u', password: 'A-long.enough~pw', db: 'd' } });
    assert.equal(ib.POSTGRES_IMAGE, DEFAULT_IMAGES.postgres);
    assert.equal(ib.POSTGRES_PASSWORD, 'A-long.enough~pw');
    const nasty = ibapiEnv({ domain: 'd.test', images, postgres: { user: 'u', password: "p@ss/word:l'ng $x", db: 'd' } });
    assert.equal(nasty.POSTGRES_PASSWORD, "p@ss/word:l'ng $x");
    assert.equal(nasty.POSTGRES_PASSWORD_URLENCODED, 'p%40ss%2Fword%3Al%27ng%20%24x');
    assert.throws(() => ibapiEnv({ domain: 'd.test', images, postgres: { user: 'bad user', password: 'long-enough-pw', db: 'd' } }), /postgres_user: "bad user" must be a plain name/);
    assert.throws(() => ibapiEnv({ domain: 'd.test', images, postgres: { user: 'u', password: 'short', db: 'd' } }), /at least 12/);
  });

  it('assertDomain', () => {
    assertDomain('dev.example.test');
    assertDomain('192-168-1-10.nip.io');
    assert.throws(() => assertDomain('-bad.test'));
    assert.throws(() => assertDomain('UPPER.test'));
    assert.throws(() => assertDomain(''));
  });

  it('renderDotenv: sorted lines, single-quoted where possible, double-quoted with escapes otherwise; only line breaks and NUL refused', () => {
    assert.equal(renderDotenv({ B: 'x y', A: '$HOME #1 "q" \\n' }, 'h'), `# h\nA='$HOME #1 "q" \\n'\nB='x y'\n`);
    assert.deepEqual(dotenvProblems({ OK: 'fine' }), []);
    assert.equal(renderDotenv({ A: `it's "$x" \\` }, 'h'), `# h\nA="it's \\"\\$x\\" \\\\"\n`);
    assert.equal(renderDotenv({ A: 'ends\\' }, 'h'), `# h\nA="ends\\\\"\n`);
    assert.throws(() => renderDotenv({ A: 'a\nb' }), /A: value may not contain a line break or NUL/);
    assert.throws(() => renderDotenv({ A: 'a\0b' }), /line break or NUL/);
    assert.throws(() => renderDotenv({ 'BAD-KEY': 'x' }), /not a valid variable name/);
  });
});

describe('alertmanager sensitive values', () => {
  it('webhook and chat URLs, SMTP passwords and keys are found for masking; names and matchers are not', async () => {
    const { sensitiveValues } = await import('../../roles/infra/config/alertmanager.js');
    const v = sensitiveValues({
      global: { smtp_auth_password: 'smtp-pass-1', smtp_smarthost: 'mail:587' },
      receivers: [
        { name: 'ops', webhook_configs: [{ url: 'https://hooks.example/T0K3N' }], slack_configs: [{ api_url: 'https://slack.example/xyz', channel: '#ops' }] },
        { name: 'pager', pagerduty_configs: [{ routing_key: 'rk-123456' }] },
      ],
    });
    assert.deepEqual(v.sort(), ['https://hooks.example/T0K3N', 'https://slack.example/xyz', 'rk-123456', 'smtp-pass-1'].sort());
  });
});
