/**
 * Static config files parsed and checked against SPEC: Loki, Tempo, Promtail, Alloy, Traefik,
 * the alert rules, Grafana provisioning and dashboards.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';

import { loadYaml, readText, relabel, repoPath, type RelabelRule } from './helpers.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('Loki 3.x', () => {
  const loki = loadYaml<Obj>('files/infra/loki/loki.yml');

  it('single binary, no auth, filesystem storage under /loki', () => {
    assert.equal(loki.auth_enabled, false);
    assert.equal(loki.server.http_listen_port, 3100);
    assert.equal(loki.common.path_prefix, '/loki');
    assert.equal(loki.common.replication_factor, 1);
    assert.equal(loki.common.ring.kvstore.store, 'inmemory');
    for (const dir of Object.values<string>(loki.common.storage.filesystem)) assert.match(dir, /^\/loki\//);
    for (const dir of Object.values<string>(loki.storage_config.tsdb_shipper)) assert.match(dir, /^\/loki\//);
  });

  it('tsdb index with schema v13 on the filesystem', () => {
    const configs: Obj[] = loki.schema_config.configs;
    assert.equal(configs.length, 1);
    assert.equal(configs[0]?.store, 'tsdb');
    assert.equal(configs[0]?.schema, 'v13');
    assert.equal(configs[0]?.object_store, 'filesystem');
    assert.equal(configs[0]?.index.period, '24h');
  });

  it('retention 720h applied by the compactor (with delete_request_store, else Loki 3 will not start)', () => {
    assert.equal(loki.compactor.retention_enabled, true);
    assert.equal(loki.compactor.delete_request_store, 'filesystem');
    assert.match(loki.compactor.working_directory, /^\/loki\//);
    assert.equal(loki.limits_config.retention_period, '720h');
    // Loki 3 ignores query_range.results_cache unless cache_results is set.
    assert.equal(loki.query_range.cache_results, true);
    assert.equal(loki.query_range.results_cache.cache.embedded_cache.enabled, true);
  });
});

describe('Tempo 2.9', () => {
  const tempo = loadYaml<Obj>('files/infra/tempo/tempo.yml');

  it('every receiver listens on 0.0.0.0 (2.7+ defaults to localhost)', () => {
    const r = tempo.distributor.receivers;
    assert.equal(r.otlp.protocols.grpc.endpoint, '0.0.0.0:4317');
    assert.equal(r.otlp.protocols.http.endpoint, '0.0.0.0:4318');
    assert.equal(r.zipkin.endpoint, '0.0.0.0:9411');
    assert.equal(r.jaeger.protocols.thrift_http.endpoint, '0.0.0.0:14268');
    assert.equal(r.jaeger.protocols.grpc.endpoint, '0.0.0.0:14250');
    const endpoints = JSON.stringify(r).match(/"endpoint":"[^"]+"/g) ?? [];
    assert.equal(endpoints.length, 5);
    for (const e of endpoints) assert.match(e, /"endpoint":"0\.0\.0\.0:\d+"/);
  });

  it('7 days retention, local storage in /var/tempo, HTTP on 3200', () => {
    assert.equal(tempo.compactor.compaction.block_retention, '168h');
    assert.equal(tempo.storage.trace.backend, 'local');
    assert.match(tempo.storage.trace.local.path, /^\/var\/tempo\//);
    assert.match(tempo.storage.trace.wal.path, /^\/var\/tempo\//);
    assert.equal(tempo.server.http_listen_port, 3200);
  });
});

// ---- log shippers -------------------------------------------------------------------------

/** Meta labels as Docker discovery hands them to the relabel rules for one log entry. */
const DOCKER_META = {
  __meta_docker_container_name: '/shioaji-backend',
  __meta_docker_container_id: 'abc123',
  __meta_docker_container_label_com_docker_compose_project: 'shioajipy',
  __meta_docker_container_label_com_docker_compose_service: 'shioaji-backend',
  __meta_docker_container_log_stream: 'stderr',
  __meta_docker_network_name: 'shioaji-network',
};
const EXPECTED_DOCKER_LABELS = {
  job: 'docker-containers',
  container: 'shioaji-backend',
  compose_project: 'shioajipy',
  compose_service: 'shioaji-backend',
  stream: 'stderr',
};
const JOURNAL_META = { __journal__systemd_unit: 'docker.service', __journal_priority_keyword: 'info', __journal__hostname: 'devvm', job: 'journal' };
const EXPECTED_JOURNAL_LABELS = { job: 'journal', unit: 'docker.service', level: 'info', host: 'devvm' };

describe('Promtail', () => {
  const promtail = loadYaml<Obj>('files/infra/promtail/promtail.yml');
  const job = (name: string): Obj => {
    const j = (promtail.scrape_configs as Obj[]).find((s) => s.job_name === name);
    assert.ok(j, `scrape job ${name}`);
    return j;
  };

  it('pushes to Loki and keeps positions in the named volume', () => {
    assert.deepEqual(promtail.clients, [{ url: 'http://loki:3100/loki/api/v1/push' }]);
    assert.equal(promtail.positions.filename, '/var/lib/promtail/positions.yaml');
    // A first start's backlog waits (never drops) instead of hitting Loki's ingestion limit.
    assert.deepEqual(promtail.limits_config, { readline_rate_enabled: true, readline_rate: 2000, readline_burst: 4000, readline_rate_drop: false });
  });

  it('docker_sd relabeling yields job, container, compose_project, compose_service, stream', () => {
    const docker = job('docker-containers');
    assert.deepEqual(docker.docker_sd_configs[0].host, 'unix:///var/run/docker.sock');
    assert.deepEqual(relabel(DOCKER_META, docker.relabel_configs as RelabelRule[]), EXPECTED_DOCKER_LABELS);
  });

  it('syslog job reads /var/log/syslog with job="syslog"', () => {
    const labels = job('syslog').static_configs[0].labels;
    assert.equal(labels.job, 'syslog');
    assert.equal(labels.__path__, '/var/log/syslog');
  });

  it('journal job reads the default journal dirs with job="journal"', () => {
    const j = job('journal');
    assert.equal(j.journal.labels.job, 'journal');
    assert.equal(j.journal.path, undefined, 'no path: read both /var/log/journal and /run/log/journal');
    assert.deepEqual(relabel(JOURNAL_META, j.relabel_configs as RelabelRule[]), EXPECTED_JOURNAL_LABELS);
  });
});

/** Rules of one relabel block in Alloy syntax (`rule { key = value ... }`). */
function alloyRules(text: string, component: string, label: string): RelabelRule[] {
  const start = text.indexOf(`${component} "${label}" {`);
  assert.ok(start >= 0, `${component} "${label}" not found`);
  let depth = 0;
  let end = start;
  for (let i = text.indexOf('{', start); i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) {
      end = i;
      break;
    }
  }
  const body = text.slice(start, end);
  return [...body.matchAll(/rule\s*\{([^}]*)\}/g)].map((m) => {
    const rule: Record<string, unknown> = {};
    for (const line of (m[1] ?? '').split('\n')) {
      const kv = /^\s*(\w+)\s*=\s*(.+?)\s*$/.exec(line);
      if (kv) rule[kv[1] as string] = JSON.parse(kv[2] as string);
    }
    return rule as RelabelRule;
  });
}

describe('Alloy (same labels as Promtail)', () => {
  const alloy = readText('files/infra/alloy/config.alloy');

  it('has the whole pipeline: docker discovery + relabel + source, file, journal, write', () => {
    for (const component of [
      'discovery.docker "containers"',
      'discovery.relabel "containers"',
      'loki.source.docker "containers"',
      'local.file_match "syslog"',
      'loki.source.file "syslog"',
      'loki.relabel "journal"',
      'loki.source.journal "journal"',
      'loki.write "default"',
    ]) {
      assert.ok(alloy.includes(`${component} {`), component);
    }
    assert.match(alloy, /relabel_rules\s*=\s*discovery\.relabel\.containers\.rules/);
    assert.match(alloy, /url\s*=\s*"http:\/\/loki:3100\/loki\/api\/v1\/push"/);
    assert.match(alloy, /"__path__"\s*=\s*"\/var\/log\/syslog"/);
    assert.match(alloy, /"job"\s*=\s*"syslog"/);
    assert.match(alloy, /labels\s*=\s*\{job = "journal"\}/);
  });

  it('docker relabel rules yield the same labels as Promtail', () => {
    const promtail = loadYaml<Obj>('files/infra/promtail/promtail.yml');
    const promtailRules = (promtail.scrape_configs as Obj[]).find((s) => s.job_name === 'docker-containers')?.relabel_configs as RelabelRule[];
    const fromAlloy = relabel(DOCKER_META, alloyRules(alloy, 'discovery.relabel', 'containers'));
    assert.deepEqual(fromAlloy, EXPECTED_DOCKER_LABELS);
    assert.deepEqual(fromAlloy, relabel(DOCKER_META, promtailRules));
  });

  it('journal relabel rules yield the same labels as Promtail', () => {
    assert.deepEqual(relabel(JOURNAL_META, alloyRules(alloy, 'loki.relabel', 'journal')), EXPECTED_JOURNAL_LABELS);
  });

  it('label names match Promtail (text)', () => {
    for (const name of ['"container"', '"compose_project"', '"compose_service"', '"stream"', '"docker-containers"']) {
      assert.ok(alloy.includes(name), name);
    }
  });
});

describe('Traefik static config', () => {
  const traefik = loadYaml<Obj>('files/infra/traefik/traefik.yml');

  it('web on :80, metrics/ping on :8080, docker provider not exposing by default', () => {
    assert.equal(traefik.entryPoints.web.address, ':80');
    assert.equal(traefik.entryPoints.metrics.address, ':8080');
    assert.equal(traefik.metrics.prometheus.entryPoint, 'metrics');
    assert.equal(traefik.ping.entryPoint, 'metrics');
    assert.equal(traefik.api.dashboard, true);
    assert.notEqual(traefik.api.insecure, true);
    assert.equal(traefik.providers.docker.exposedByDefault, false);
    assert.equal(traefik.providers.docker.network, 'infra-network');
  });
});

describe('Prometheus', () => {
  const prom = loadYaml<Obj>('files/infra/prometheus/prometheus.yml');
  const rules = loadYaml<Obj>('files/infra/prometheus/rules/alerts.yml');

  it('scrapes itself, the exporters, the LGTM services and the apps via file_sd', () => {
    const targets = Object.fromEntries(
      (prom.scrape_configs as Obj[]).map((s) => [s.job_name, s.static_configs?.[0]?.targets ?? s.file_sd_configs?.[0]?.files]),
    );
    assert.deepEqual(targets, {
      prometheus: ['localhost:9090'],
      'node-exporter': ['node-exporter:9100'],
      cadvisor: ['cadvisor:8080'],
      'redis-exporter': ['redis-exporter:9121'],
      traefik: ['traefik:8080'],
      alertmanager: ['alertmanager:9093'],
      loki: ['loki:3100'],
      tempo: ['tempo:3200'],
      grafana: ['grafana:3000'],
      apps: ['targets/*.yml'],
    });
    assert.deepEqual(prom.alerting.alertmanagers[0].static_configs[0].targets, ['alertmanager:9093']);
    assert.deepEqual(prom.rule_files, ['rules/*.yml']);
  });

  const alert = (name: string): Obj => {
    const all = (rules.groups as Obj[]).flatMap((g) => g.rules as Obj[]);
    const r = all.find((x) => x.alert === name);
    assert.ok(r, `alert ${name}`);
    return r;
  };

  it('the five SPEC alerts exist with their thresholds', () => {
    const all = (rules.groups as Obj[]).flatMap((g) => g.rules as Obj[]);
    assert.equal(all.length, 5);

    const cpu = alert('HostCpuHigh');
    assert.match(cpu.expr, /node_cpu_seconds_total\{mode="idle"\}/);
    assert.match(cpu.expr, /> 80$/);
    assert.equal(cpu.for, '5m');

    const mem = alert('HostMemoryLow');
    assert.match(mem.expr, /node_memory_MemAvailable_bytes \/ node_memory_MemTotal_bytes/);
    assert.match(mem.expr, /> 85$/);

    const disk = alert('HostDiskFilling');
    assert.match(disk.expr, /node_filesystem_avail_bytes/);
    assert.match(disk.expr, /> 90$/);

    const restarts = alert('ContainerUnstable');
    assert.equal(restarts.expr, 'sum by (name) (changes(container_start_time_seconds{name!=""}[15m])) > 3');

    const api = alert('ApiErrorRateHigh');
    assert.match(api.expr, /http_requests_total\{status=~"5\.\."\}/);
    assert.match(api.expr, /> 0\.01$/);

    for (const r of all) {
      assert.ok(['warning', 'critical'].includes(r.labels?.severity), `${r.alert} severity`);
      assert.ok(r.annotations?.summary, `${r.alert} summary`);
    }
  });
});

describe('Grafana provisioning', () => {
  const ds = loadYaml<Obj>('files/infra/grafana/provisioning/datasources/datasources.yml');
  const providers = loadYaml<Obj>('files/infra/grafana/provisioning/dashboards/dashboards.yml');
  const byType = (type: string): Obj => (ds.datasources as Obj[]).find((d) => d.type === type) as Obj;
  const uids = new Set((ds.datasources as Obj[]).map((d) => d.uid as string));

  it('Prometheus (default), Loki, Tempo with fixed uids and container URLs', () => {
    assert.deepEqual([...uids].sort(), ['loki', 'prometheus', 'tempo']);
    assert.equal(byType('prometheus').isDefault, true);
    assert.equal((ds.datasources as Obj[]).filter((d) => d.isDefault).length, 1);
    assert.equal(byType('prometheus').url, 'http://prometheus:9090');
    assert.equal(byType('loki').url, 'http://loki:3100');
    assert.equal(byType('tempo').url, 'http://tempo:3200');
  });

  it('Tempo traces link to Loki logs; Loki trace ids link to Tempo', () => {
    assert.equal(byType('tempo').jsonData.tracesToLogsV2.datasourceUid, 'loki');
    const derived = byType('loki').jsonData.derivedFields as Obj[];
    assert.equal(derived[0]?.datasourceUid, 'tempo');
    assert.equal(derived[0]?.url, '$${__value.raw}');
    assert.ok(new RegExp(derived[0]?.matcherRegex).test('msg=done trace_id=4bf92f3577b34da6a3ce929d0e0e4736'));
  });

  it('dashboard provider reads /var/lib/grafana/dashboards', () => {
    assert.equal(providers.providers[0].type, 'file');
    assert.equal(providers.providers[0].options.path, '/var/lib/grafana/dashboards');
  });

  const dir = repoPath('files/infra/grafana/dashboards');
  const dashboards = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ file: f, json: JSON.parse(readText('files/infra/grafana/dashboards', f)) as Obj }));

  it('the four dashboards exist with unique uids', () => {
    assert.deepEqual(dashboards.map((d) => d.json.uid).sort(), ['container-metrics', 'error-logs', 'service-logs', 'system-overview']);
    assert.equal(new Set(dashboards.map((d) => d.json.title)).size, 4);
    for (const d of dashboards) assert.equal(d.json.id, null, `${d.file}: id must be null for provisioning`);
  });

  it('every panel, query and variable uses a provisioned datasource uid', () => {
    for (const d of dashboards) {
      const refs: Array<[string, Obj | undefined]> = [];
      for (const p of d.json.panels as Obj[]) {
        if (p.type === 'row') continue;
        refs.push([`${d.file} panel "${p.title}"`, p.datasource]);
        assert.ok((p.targets as Obj[]).length > 0, `${d.file} panel "${p.title}" has no query`);
        for (const t of p.targets as Obj[]) refs.push([`${d.file} panel "${p.title}" ${t.refId}`, t.datasource]);
      }
      for (const v of (d.json.templating?.list ?? []) as Obj[]) {
        if (v.type === 'query') refs.push([`${d.file} variable ${v.name}`, v.datasource]);
      }
      for (const [where, ref] of refs) {
        assert.ok(ref && uids.has(ref.uid), `${where}: datasource ${JSON.stringify(ref)} is not provisioned`);
      }
    }
  });

  const exprs = (uid: string): string[] =>
    ((dashboards.find((d) => d.json.uid === uid)?.json.panels ?? []) as Obj[]).flatMap((p) => ((p.targets ?? []) as Obj[]).map((t) => t.expr as string));

  it('dashboards query what they claim to show', () => {
    const sys = exprs('system-overview').join('\n');
    for (const m of ['node_cpu_seconds_total', 'node_memory_MemAvailable_bytes', 'node_filesystem_avail_bytes', 'node_network_receive_bytes_total']) {
      assert.ok(sys.includes(m), `system-overview: ${m}`);
    }
    const ctr = exprs('container-metrics').join('\n');
    for (const m of ['container_cpu_usage_seconds_total', 'container_memory_working_set_bytes', 'container_network_receive_bytes_total']) {
      assert.ok(ctr.includes(m), `container-metrics: ${m}`);
    }
    assert.ok(exprs('service-logs').some((e) => e.startsWith('{job="docker-containers"') && e.includes('container=~"$container"')));
    const errors = exprs('error-logs');
    assert.ok(errors.some((e) => e.includes('|~ "(?i)(error|warn)"') && !e.includes('count_over_time')), 'error log lines');
    assert.ok(errors.some((e) => e.includes('sum by (container) (count_over_time(') && e.includes('(?i)(error|warn)')), 'counts by container');
  });
});
