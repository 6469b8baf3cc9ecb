/**
 * The three compose files parsed as YAML and held to the layout contract and SPEC's tables.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { UI_HOSTS } from '../../roles/infra/config/homepage.js';
import { IMAGE_ENV_VARS, type ProjectName } from '../../src/stack/images.ts';
import { COMPOSE_FILES, labelsOf, loadCompose, mountsOf, REPO, repoPath, serviceNetworks, type ComposeFile } from './helpers.js';

const PROJECTS = Object.keys(COMPOSE_FILES) as ProjectName[];
const FILE_DIR: Record<ProjectName, string> = { infra: 'files/infra', shioajipy: 'files/shioaji', 'ibapi-trading': 'files/ibapi' };

/** SPEC "Docker networks" table (own-network members). */
const SPEC_NETWORKS: Record<string, string[]> = {
  'infra-network': ['grafana', 'prometheus', 'loki', 'tempo', 'traefik', 'cadvisor', 'node-exporter', 'promtail', 'alertmanager', 'portainer', 'redis-exporter', 'homepage'],
  'shioaji-network': ['shioaji-gateway', 'shioaji-backend', 'shioaji-frontend', 'force-recorder', 'redis'],
  'ibapi-trading_default': ['ibapi-web', 'ibapi-api', 'ibapi-postgres', 'ibapi-adminer'],
};

/**
 * Expected membership: SPEC's table, plus Alloy (the Promtail alternative, same place), plus
 * the cross-network connections (prometheus, traefik and the log shipper join every app
 * network; redis-exporter joins shioaji-network to reach redis).
 */
const EXPECTED_NETWORKS: Record<string, string[]> = {
  'infra-network': [...(SPEC_NETWORKS['infra-network'] ?? []), 'alloy'],
  'shioaji-network': [...(SPEC_NETWORKS['shioaji-network'] ?? []), 'prometheus', 'traefik', 'promtail', 'alloy', 'redis-exporter'],
  'ibapi-trading_default': [...(SPEC_NETWORKS['ibapi-trading_default'] ?? []), 'prometheus', 'traefik', 'promtail', 'alloy'],
};

const EXPECTED_CONTAINERS: Record<ProjectName, string[]> = {
  infra: ['grafana', 'prometheus', 'alertmanager', 'loki', 'promtail', 'alloy', 'tempo', 'traefik', 'portainer', 'homepage', 'node-exporter', 'cadvisor', 'redis-exporter'],
  shioajipy: ['shioaji-gateway', 'shioaji-backend', 'shioaji-frontend', 'force-recorder', 'redis'],
  'ibapi-trading': ['ibapi-web', 'ibapi-api', 'ibapi-postgres', 'ibapi-adminer'],
};

const EXPECTED_VOLUMES: Record<string, [string, string]> = {
  'prometheus-data': ['prometheus', '/prometheus'],
  'alertmanager-data': ['alertmanager', '/alertmanager'],
  'loki-data': ['loki', '/loki'],
  'tempo-data': ['tempo', '/var/tempo'],
  'grafana-data': ['grafana', '/var/lib/grafana'],
  'portainer-data': ['portainer', '/data'],
  'redis-data': ['redis', '/data'],
  'postgres-data': ['ibapi-postgres', '/var/lib/postgresql/data'],
};

/** Config directories the role generates into (not shipped under files/). */
const GENERATED_DIRS = new Set(['infra:./alertmanager']);

const files = Object.fromEntries(PROJECTS.map((p) => [p, loadCompose(p)])) as Record<ProjectName, ComposeFile>;
const all = PROJECTS.flatMap((p) => Object.entries(files[p].services).map(([key, svc]) => ({ project: p, key, svc, file: files[p] })));
const byContainer = new Map(all.map((e) => [e.svc.container_name as string, e]));

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

describe('compose: SPEC tables', () => {
  it('the network table encoded here matches SPEC.md (when shared/SPEC.md is beside the repo)', (t) => {
    const specPath = join(REPO, '..', 'shared', 'SPEC.md');
    if (!existsSync(specPath)) {
      t.diagnostic(`SPEC.md not found at ${specPath}; using the table encoded in this test`);
      return;
    }
    const spec = readFileSync(specPath, 'utf8');
    for (const [network, members] of Object.entries(SPEC_NETWORKS)) {
      const line = spec.split('\n').find((l) => l.startsWith(`| \`${network}\``));
      assert.ok(line, `SPEC has no row for ${network}`);
      const cell = line.split('|')[2] ?? '';
      const names = cell.split('(')[0]?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
      assert.deepEqual(sorted(names), sorted(members), `SPEC row ${network}`);
    }
  });

  for (const project of PROJECTS) {
    it(`${project}: project name and exactly the SPEC containers`, () => {
      assert.equal(files[project].name, project);
      const names = Object.values(files[project].services).map((s) => s.container_name);
      assert.deepEqual(sorted(names as string[]), sorted(EXPECTED_CONTAINERS[project]));
      for (const [key, svc] of Object.entries(files[project].services)) {
        assert.equal(svc.container_name, key, `service key ${key} should equal its container_name`);
      }
    });
  }

  it('network membership matches SPEC plus the cross-network connections, exactly', () => {
    const actual: Record<string, string[]> = {};
    for (const e of all) {
      for (const net of serviceNetworks(e.file, e.svc)) (actual[net] ??= []).push(e.svc.container_name as string);
    }
    assert.deepEqual(
      Object.fromEntries(Object.entries(actual).map(([k, v]) => [k, sorted(v)])),
      Object.fromEntries(Object.entries(EXPECTED_NETWORKS).map(([k, v]) => [k, sorted(v)])),
    );
  });

  it('all networks are external with the pre-created names', () => {
    for (const project of PROJECTS) {
      for (const [key, net] of Object.entries(files[project].networks ?? {})) {
        assert.equal(net?.external, true, `${project}: network ${key} must be external`);
      }
    }
    assert.deepEqual(files['ibapi-trading'].networks?.default, { name: 'ibapi-trading_default', external: true });
  });
});

describe('compose: images, restart, ports', () => {
  for (const project of PROJECTS) {
    it(`${project}: every image is \${X_IMAGE:?...} from IMAGE_ENV_VARS, each var used once`, () => {
      const used: string[] = [];
      for (const [key, svc] of Object.entries(files[project].services)) {
        const m = /^\$\{([A-Z0-9_]+_IMAGE):\?[^}]*\}$/.exec(svc.image ?? '');
        assert.ok(m, `${key}: image ${svc.image} is not \${X_IMAGE:?...}`);
        used.push(m[1] as string);
      }
      assert.deepEqual(sorted(used), sorted(Object.values(IMAGE_ENV_VARS[project])));
    });
  }

  it('restart: unless-stopped everywhere', () => {
    for (const e of all) assert.equal(e.svc.restart, 'unless-stopped', e.key);
  });

  it("only traefik publishes a port, and it is ${HTTP_PORT:-80}:80", () => {
    for (const e of all) {
      if (e.key === 'traefik') assert.deepEqual(e.svc.ports, ['${HTTP_PORT:-80}:80']);
      else assert.equal(e.svc.ports, undefined, `${e.key} publishes ports`);
    }
  });

  it('promtail and alloy are profile-gated, nothing else is', () => {
    for (const e of all) {
      if (e.key === 'promtail') assert.deepEqual(e.svc.profiles, ['promtail']);
      else if (e.key === 'alloy') assert.deepEqual(e.svc.profiles, ['alloy']);
      else assert.equal(e.svc.profiles, undefined, e.key);
    }
  });

  it('no healthcheck on loki (no shell in the image)', () => {
    assert.equal(files.infra.services.loki?.healthcheck, undefined);
    assert.ok(files['ibapi-trading'].services['ibapi-postgres']?.healthcheck, 'postgres needs pg_isready');
    assert.match(JSON.stringify(files['ibapi-trading'].services['ibapi-postgres']?.healthcheck), /pg_isready/);
  });
});

describe('compose: mounts and reload', () => {
  it('config is bind-mounted as directories from files/<role>/, read-only', () => {
    for (const e of all) {
      for (const m of mountsOf(e.svc)) {
        if (!m.source.startsWith('./')) continue;
        assert.ok(m.readOnly, `${e.key}: ${m.source} should be :ro`);
        if (GENERATED_DIRS.has(`${e.project}:${m.source}`)) continue;
        const local = repoPath(FILE_DIR[e.project], m.source);
        assert.ok(existsSync(local) && statSync(local).isDirectory(), `${e.key}: ${m.source} must be a directory in ${FILE_DIR[e.project]} (no single-file mounts)`);
      }
    }
  });

  it('x-provision-reload: SIGHUP exactly on prometheus, alertmanager, alloy and promtail', () => {
    const reload = all.filter((e) => e.svc['x-provision-reload'] !== undefined);
    assert.deepEqual(sorted(reload.map((e) => e.key)), ['alertmanager', 'alloy', 'prometheus', 'promtail']);
    for (const e of reload) assert.equal(e.svc['x-provision-reload'], 'SIGHUP');
  });

  it('prometheus runs with the required flags', () => {
    const cmd = files.infra.services.prometheus?.command as string[];
    for (const flag of ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus', '--storage.tsdb.retention.time=15d', '--web.enable-lifecycle']) {
      assert.ok(cmd.includes(flag), flag);
    }
  });

  it('data lives in the named volumes at the expected paths', () => {
    for (const [volume, [container, target]] of Object.entries(EXPECTED_VOLUMES)) {
      const e = byContainer.get(container);
      assert.ok(e, container);
      assert.ok(e.file.volumes && volume in e.file.volumes, `${volume} not declared in ${e.project}`);
      assert.ok(mountsOf(e.svc).some((m) => m.source === volume && m.target === target), `${container}: ${volume}:${target}`);
    }
  });

  it('docker socket: read-only except for portainer', () => {
    const sock = '/var/run/docker.sock';
    for (const e of all) {
      const m = mountsOf(e.svc).find((x) => x.source === sock);
      if (!m) continue;
      if (e.key === 'portainer') assert.equal(m.readOnly, false);
      else assert.ok(m.readOnly, `${e.key}: docker socket must be :ro`);
    }
    for (const name of ['promtail', 'alloy', 'traefik', 'homepage', 'portainer']) {
      assert.ok(mountsOf(byContainer.get(name)!.svc).some((m) => m.source === sock), `${name} needs the docker socket`);
    }
  });

  it('log shippers read the journal (persistent and volatile) and syslog', () => {
    for (const name of ['promtail', 'alloy']) {
      const sources = mountsOf(byContainer.get(name)!.svc).map((m) => m.source);
      for (const s of ['/var/log', '/run/log/journal', '/etc/machine-id']) assert.ok(sources.includes(s), `${name}: ${s}`);
    }
  });
});

describe('compose: Traefik routing', () => {
  const routed = all.filter((e) => labelsOf(e.svc)['traefik.enable'] === 'true');

  it('exactly the UI containers are routed', () => {
    assert.deepEqual(sorted(routed.map((e) => e.key)), sorted(Object.keys(UI_HOSTS)));
  });

  for (const [container, host] of Object.entries(UI_HOSTS)) {
    it(`${container}: Host(\`${host}.\${DOMAIN}\`) on a network shared with traefik`, () => {
      const e = byContainer.get(container);
      assert.ok(e, container);
      const labels = labelsOf(e.svc);
      const rules = Object.entries(labels).filter(([k]) => /^traefik\.http\.routers\.[^.]+\.rule$/.test(k));
      assert.equal(rules.length, 1);
      assert.equal(rules[0]?.[1], `Host(\`${host}.\${DOMAIN:?set DOMAIN}\`)`);
      const network = labels['traefik.docker.network'];
      assert.ok(network, 'traefik.docker.network label');
      assert.ok(serviceNetworks(e.file, e.svc).includes(network), `${container} is not on ${network}`);
      const traefik = byContainer.get('traefik')!;
      assert.ok(serviceNetworks(traefik.file, traefik.svc).includes(network), `traefik is not on ${network}`);
    });
  }
});

describe('compose: app wiring', () => {
  const env = (name: string): Record<string, string> => (byContainer.get(name)?.svc.environment ?? {}) as Record<string, string>;

  it('shioajipy: backend and force-recorder use redis; redis persists with AOF', () => {
    assert.equal(env('shioaji-backend').REDIS_URL, 'redis://redis:6379/0');
    assert.equal(env('force-recorder').REDIS_URL, 'redis://redis:6379/0');
    assert.deepEqual(byContainer.get('redis')?.svc.command, ['redis-server', '--appendonly', 'yes']);
  });

  it('ibapi-trading: api gets DATABASE_URL from the percent-encoded POSTGRES_*, adminer defaults to ibapi-postgres', () => {
    assert.equal(
      env('ibapi-api').DATABASE_URL,
      'postgresql://${POSTGRES_USER_URLENCODED:?set POSTGRES_USER_URLENCODED}:${POSTGRES_PASSWORD_URLENCODED:?set POSTGRES_PASSWORD_URLENCODED}@ibapi-postgres:5432/${POSTGRES_DB_URLENCODED:?set POSTGRES_DB_URLENCODED}',
    );
    assert.equal(env('ibapi-postgres').POSTGRES_PASSWORD_FILE, '/run/secrets/postgres_password');
    assert.equal(env('ibapi-postgres').POSTGRES_PASSWORD, undefined, 'the database gets its password as a file only');
    assert.equal(env('ibapi-adminer').ADMINER_DEFAULT_SERVER, 'ibapi-postgres');
  });

  it('redis-exporter points at redis; homepage allows its host; grafana admin user from env, password from a file', () => {
    assert.equal(env('redis-exporter').REDIS_ADDR, 'redis://redis:6379');
    assert.match(env('homepage').HOMEPAGE_ALLOWED_HOSTS ?? '', /^homepage\.\$\{DOMAIN:\?set DOMAIN\}/);
    assert.equal(env('grafana').GF_SECURITY_ADMIN_USER, '${GRAFANA_ADMIN_USER:?set GRAFANA_ADMIN_USER}');
    assert.equal(env('grafana').GF_SECURITY_ADMIN_PASSWORD, undefined);
    assert.equal(env('grafana').GF_SECURITY_ADMIN_PASSWORD__FILE, '/run/secrets/grafana_admin_password');
  });
});
