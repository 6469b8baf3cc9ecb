// The stack files swarm mode deploys, generated from the compose projects' own files: every
// setting docs/swarm-limits.md lists is translated, moved to the per-node project, or refused.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { escapeDollars, interpolate, InterpolationError } from '../../src/stack/interpolate.ts';
import { listFiles } from '../../src/stack/stack-tasks.ts';
import { parseServices, planStack } from '../../src/ops/stack-deploy.ts';
import { agentsProject } from '../../src/stack/node-agents.ts';
import { swarmPrometheusConfig, swarmTraefikConfig } from '../../roles/infra/config/swarm.ts';
import { generateStackFile, objectName, SPEC_LABEL, StackFileError, type ProjectFile, type StackFileInput } from '../../src/stack/swarm-stack.ts';
import { ibapiEnv } from '../../roles/ibapi/config/env.ts';
import { infraEnv } from '../../roles/infra/config/env.ts';
import { shioajiEnv } from '../../roles/shioaji/config/env.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const APPS = { shioaji_gateway: 'r.example/gw:1', shioaji_backend: 'r.example/be:1', shioaji_frontend: 'r.example/fe:1', force_recorder: 'r.example/fr:1', ibapi_web: 'r.example/web:1', ibapi_api: 'r.example/api:1' };
const PASSWORD = 'p@ss w0rd$HOME#%/:"`;|&x?=+ ${X}';

function projectFiles(role: string, generated: Record<string, ProjectFile> = {}): Map<string, ProjectFile> {
  const dir = join(ROOT, 'files', role);
  const files = new Map<string, ProjectFile>(listFiles(dir).map((r) => [r, { content: readFileSync(join(dir, r), 'utf8'), mode: '0644', group: 'root' }]));
  for (const [k, v] of Object.entries(generated)) files.set(k, v);
  return files;
}

type Doc = { services: Record<string, Record<string, unknown> & { deploy: { labels: Record<string, string>; restart_policy?: unknown; placement?: { constraints: string[] }; endpoint_mode: string } }>; configs?: Record<string, { name: string; file: string }>; secrets?: Record<string, { name: string; file: string }>; name?: string };
const docOf = (text: string) => parse(text) as Doc;

function ibapi(over: Partial<StackFileInput> = {}, password = PASSWORD) {
  const files = projectFiles('ibapi', { 'secrets/postgres_password': { content: password, mode: '0600', group: 'root' } });
  return generateStackFile({
    project: 'ibapi-trading',
    compose: files.get('compose.yml')!.content,
    env: ibapiEnv({ domain: 'provision.test', images: APPS, postgres: { user: 'ibapi', password, db: 'ibapi' } }),
    files,
    endpointMode: 'dnsrr',
    publishMode: 'host',
    storesLabel: 'stores',
    ...over,
  });
}

function infra(generated: Record<string, ProjectFile> = {}, over: Partial<StackFileInput> = {}) {
  const files = projectFiles('infra', {
    'secrets/grafana_admin_password': { content: PASSWORD, mode: '0600', owner: '472', group: 'root' },
    'alertmanager/alertmanager.yml': { content: 'route: {receiver: x}\n', mode: '0640', group: '65534' },
    'prometheus/targets/apps.yml': { content: '[]\n', mode: '0644', group: 'root' },
    'homepage/services.yaml': { content: '[]\n', mode: '0644', group: 'root' },
    ...generated,
  });
  return generateStackFile({
    project: 'infra',
    compose: files.get('compose.yml')!.content,
    env: infraEnv({ domain: 'provision.test', grafanaAdminUser: 'admin', grafanaAdminPassword: 'x', images: {}, httpPort: 8080 }),
    files,
    endpointMode: 'dnsrr',
    publishMode: 'host',
    storesLabel: 'stores',
    nodeAgents: ['node-exporter', 'cadvisor', 'promtail', 'alloy'],
    ...over,
  });
}

describe('interpolation as Compose does it, from the .env only', () => {
  test('defaults, required values, alternatives and $$', () => {
    const env = { A: 'a', E: '' };
    assert.equal(interpolate('${A} $A ${B:-d} ${E:-d} ${E-d} ${A:+alt} ${B+alt} $$A', env, 'x'), 'a a d d  alt  $A');
    assert.throws(() => interpolate('${B:?set B}', env, 'f.yml'), (e) => e instanceof InterpolationError && /f\.yml: B is required: set B/.test(e.message));
    assert.throws(() => interpolate('${E:?must}', env, 'x'), /E is required/);
    assert.equal(interpolate('${E?must}', env, 'x'), '');
    assert.throws(() => interpolate('${A:-${B}}', env, 'x'), /nested or malformed/);
  });
  test('a finished value goes back with every $ doubled', () => {
    assert.deepEqual(escapeDollars({ 'k$': ['a$b', 1] }), { k$$: ['a$$b', 1] });
  });
});

describe('the app stacks', () => {
  test('rejected settings are gone: top-level name, profiles, long depends_on', () => {
    const s = ibapi();
    const doc = docOf(s.text);
    assert.equal(doc.name, undefined);
    for (const svc of Object.values(doc.services)) {
      assert.equal(svc.depends_on, undefined);
      assert.equal(svc.profiles, undefined);
    }
    assert.ok(s.notes.some((n) => /^name: the stack is named ibapi-trading/.test(n)));
    assert.ok(s.notes.some((n) => /^ibapi-api: depends_on dropped/.test(n)));
  });

  test('ignored settings are translated: restart → restart_policy, labels → deploy.labels, container_name dropped', () => {
    const doc = docOf(ibapi().text);
    const web = doc.services['ibapi-web']!;
    for (const k of ['restart', 'container_name', 'labels']) assert.equal(web[k], undefined, k);
    assert.deepEqual(web.deploy.restart_policy, { condition: 'any' });
    assert.equal(web.deploy.labels['traefik.http.routers.ibapi-web.rule'], 'Host(`ibapi-web.provision.test`)');
    assert.equal(web.deploy.labels['traefik.http.services.ibapi-web.loadbalancer.server.port'], '3000');
    assert.match(web.deploy.labels[SPEC_LABEL] ?? '', /^[0-9a-f]{16}$/);
    assert.equal(web.deploy.endpoint_mode, 'dnsrr');
  });

  test('.env values are filled in; a $ in a password reaches the service as it is ($$ in the file)', () => {
    const s = ibapi();
    const api = s.services.find((w) => w.name === 'ibapi-trading_ibapi-api')!;
    assert.ok(api.env.includes(`POSTGRES_PASSWORD=${PASSWORD}`));
    assert.equal(api.image, 'r.example/api:1');
    assert.ok(s.text.includes('POSTGRES_PASSWORD: p@ss w0rd$$HOME#%/:"`;|&x?=+ $${X}'));
    // The healthcheck's own $$ survives both interpolations.
    assert.ok(s.text.includes('pg_isready -U "$${POSTGRES_USER}" -d "$${POSTGRES_DB}"'));
    assert.ok(!/\$\{?[A-Z_]+_IMAGE/.test(s.text));
  });

  test('the compose secret becomes a Swarm secret named by its content; a new password is a new secret', () => {
    const a = ibapi();
    const b = ibapi({}, `${PASSWORD}!`);
    const sa = docOf(a.text).secrets!.postgres_password!;
    const sb = docOf(b.text).secrets!.postgres_password!;
    assert.match(sa.name, /^ibapi-trading_postgres_password-[0-9a-f]{12}$/);
    assert.notEqual(sa.name, sb.name);
    assert.equal(sa.file, './secrets/postgres_password');
    assert.deepEqual(a.objects, [{ kind: 'secret', name: sa.name, rel: 'secrets/postgres_password' }]);
    assert.deepEqual(a.services.find((w) => w.name === 'ibapi-trading_ibapi-api')!.secrets, [sa.name]);
  });

  test('a service with a named volume is pinned to the stores node', () => {
    const s = ibapi();
    const pg = docOf(s.text).services['ibapi-postgres']!;
    assert.deepEqual(pg.deploy.placement, { constraints: ['node.labels.stores == true'] });
    assert.equal(s.needsLabel, 'stores');
    assert.equal(docOf(s.text).services['ibapi-web']!.deploy.placement, undefined);
  });

  test('shioaji: redis keeps "yes" a string for the stack CLI (YAML 1.1 reads yes as true)', () => {
    const files = projectFiles('shioaji');
    const s = generateStackFile({ project: 'shioajipy', compose: files.get('compose.yml')!.content, env: shioajiEnv({ domain: 'provision.test', images: APPS }), files, endpointMode: 'vip', publishMode: 'ingress', storesLabel: 'stores' });
    assert.ok(s.text.includes('- "yes"'), s.text);
    assert.deepEqual(s.services.map((w) => w.name).sort(), ['shioajipy_force-recorder', 'shioajipy_redis', 'shioajipy_shioaji-backend', 'shioajipy_shioaji-frontend', 'shioajipy_shioaji-gateway']);
    assert.ok(s.services.every((w) => w.endpointMode === 'vip' && w.replicas === 1));
  });
});

describe('the infra stack', () => {
  test('the per-node agents stay out of the stack; an unselected profile is not deployed', () => {
    const s = infra();
    const doc = docOf(s.text);
    assert.deepEqual(s.agents, ['promtail', 'node-exporter', 'cadvisor']);
    for (const a of ['promtail', 'alloy', 'node-exporter', 'cadvisor']) assert.equal(doc.services[a], undefined, a);
    assert.ok(s.notes.some((n) => /^alloy: profile alloy not selected/.test(n)));
  });

  test('pid: host, privileged or devices outside the agents are refused, naming the service', () => {
    for (const agents of [['promtail', 'alloy', 'cadvisor'], ['promtail', 'alloy', 'node-exporter']]) {
      assert.throws(() => infra({}, { nodeAgents: agents }), (e) => e instanceof StackFileError && /services\.(node-exporter|cadvisor): (pid: host|privileged, devices) cannot be honoured by a swarm service/.test(e.message));
    }
  });

  test('bind-mounted project directories become one config per file, with the file readable as on the host', () => {
    const s = infra();
    const doc = docOf(s.text);
    const am = doc.services.alertmanager!.configs as { source: string; target: string; gid: string; mode: number }[];
    assert.deepEqual(am.map((c) => [c.target, c.gid, c.mode.toString(8)]), [['/etc/alertmanager/alertmanager.yml', '65534', '440']]);
    const prom = (doc.services.prometheus!.configs as { target: string }[]).map((c) => c.target);
    assert.ok(prom.includes('/etc/prometheus/prometheus.yml') && prom.includes('/etc/prometheus/targets/apps.yml'), prom.join());
    assert.equal(doc.services.prometheus!.volumes && (doc.services.prometheus!.volumes as string[]).join(), 'prometheus-data:/prometheus');
    for (const o of s.objects) assert.ok(o.name.length <= 64 && /^[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]$/.test(o.name), o.name);
  });

  test('a changed file is a new config name: only the services mounting it change', () => {
    const a = infra();
    const b = infra({ 'alertmanager/alertmanager.yml': { content: 'route: {receiver: y}\n', mode: '0640', group: '65534' } });
    const changed = a.services.filter((w) => JSON.stringify(w) !== JSON.stringify(b.services.find((x) => x.name === w.name))).map((w) => w.name);
    assert.deepEqual(changed, ['infra_alertmanager']);
  });

  test('ports are published in the chosen mode; dnsrr with the ingress mesh is refused', () => {
    const doc = docOf(infra().text);
    assert.deepEqual(doc.services.traefik!.ports, [{ target: 80, published: 8080, protocol: 'tcp', mode: 'host' }]);
    assert.throws(() => infra({}, { publishMode: 'ingress' }), /dnsrr cannot publish through the ingress mesh; set swarm_publish_mode: host/);
    assert.deepEqual(docOf(infra({}, { publishMode: 'ingress', endpointMode: 'vip' }).text).services.traefik!.ports, [{ target: 80, published: 8080, protocol: 'tcp', mode: 'ingress' }]);
  });

  test('host bind mounts are kept and noted (they must exist on every node)', () => {
    const s = infra();
    assert.ok(s.notes.includes('traefik: bind mount /var/run/docker.sock must exist on every node that may run traefik'));
  });
});

describe('what cannot be carried is refused, not dropped', () => {
  const one = (svc: string, extra = '') =>
    generateStackFile({ project: 'p', compose: `services:\n  a:\n    image: x:1\n${svc}${extra}`, env: {}, files: new Map(), endpointMode: 'vip', publishMode: 'ingress', storesLabel: 'stores' });
  test('an unknown service setting', () => {
    assert.throws(() => one('    build: .\n'), /services\.a: build is not handled for a swarm stack/);
  });
  test('a bind mount of a file the project does not ship', () => {
    assert.throws(() => one('    volumes: ["./nope:/etc/nope"]\n'), /\.\/nope is no file of the project/);
  });
  test('a bridge network', () => {
    assert.throws(() => one('', 'networks:\n  n:\n    driver: bridge\n'), /network n has driver bridge/);
  });
  test('an environment variable without a value', () => {
    assert.throws(() => one('    environment: [FROM_SHELL]\n'), /environment\.FROM_SHELL: no value/);
  });
  test('a container name other than the service name becomes a network alias', () => {
    const s = one('    container_name: legacy\n');
    assert.deepEqual(docOf(s.text).services.a!.networks, { default: { aliases: ['legacy'] } });
  });
  test('restart policies map to Swarm conditions', () => {
    const cond = (r: string) => docOf(one(`    restart: ${r}\n`).text).services.a!.deploy.restart_policy;
    assert.deepEqual(cond('"no"'), { condition: 'none' });
    assert.deepEqual(cond('on-failure:3'), { condition: 'on-failure', max_attempts: 3 });
    assert.deepEqual(cond('always'), { condition: 'any' });
  });
  test('object names fit Swarm: 64 characters at most', () => {
    const n = objectName('infra', 'grafana/provisioning/dashboards/a-very-long-dashboard-file-name-indeed.yml', 'x');
    assert.ok(n.length <= 64 && n.startsWith('infra_') && /-[0-9a-f]{12}$/.test(n), n);
  });
});

describe('drift: wanted services against docker service inspect', () => {
  // Recorded on a test VM (Docker 26.1) right after provision deployed both stacks with these inputs.
  const vmImages = { ...APPS, ...Object.fromEntries(Object.keys(APPS).map((k) => [k, 'provision-test/app-standin:1'])), redis: 'provision-test/redis:debian13', postgres: 'provision-test/postgres:debian13', adminer: 'provision-test/adminer-standin:1' };
  const recorded = parseServices(readFileSync(join(ROOT, 'test/fixtures/stack-deploy/inspect.json'), 'utf8'));
  const wanted = () => {
    const sh = projectFiles('shioaji');
    const shioaji = generateStackFile({ project: 'shioajipy', compose: sh.get('compose.yml')!.content, env: shioajiEnv({ domain: 'provision.test', images: vmImages }), files: sh, endpointMode: 'dnsrr', publishMode: 'host', storesLabel: 'stores' });
    const ib = ibapi({ files: projectFiles('ibapi', { 'secrets/postgres_password': { content: 'x', mode: '0600', group: 'root' } }), env: ibapiEnv({ domain: 'provision.test', images: vmImages, postgres: { user: 'ibapi', password: 'not-this-one-1', db: 'ibapi' } }) });
    return [...shioaji.services, ...ib.services].filter((w) => recorded.some((r) => r.name === w.name));
  };

  test('what Docker recorded is exactly what the stack file wants: no drift', () => {
    assert.deepEqual(recorded.map((r) => r.name), ['shioajipy_redis', 'ibapi-trading_ibapi-web']);
    assert.equal(wanted().length, 2);
    assert.deepEqual(planStack(wanted(), recorded), []);
  });

  test('scaled to 0, an environment variable added, an image changed: each named (values never shown)', () => {
    const have = recorded.map((r) => (r.name === 'shioajipy_redis' ? { ...r, replicas: 0 } : { ...r, env: [...r.env, 'SECRET=hunter2'].sort(), image: 'evil/image:2' }));
    const d = planStack(wanted(), have);
    assert.deepEqual(d.map((x) => x.why), [
      'shioajipy_redis: replicas 0, wanted 1',
      'ibapi-trading_ibapi-web: image evil/image:2, wanted provision-test/app-standin:1; environment differs: SECRET',
    ]);
    assert.ok(!JSON.stringify(d).includes('hunter2'));
  });

  test('a changed definition shows in the spec hash; a digest added by Docker is not drift', () => {
    const w = wanted().map((x) => (x.name === 'shioajipy_redis' ? { ...x, labels: { ...x.labels, [SPEC_LABEL]: '0000000000000000' } } : x));
    const have = recorded.map((r) => ({ ...r, image: `${r.image}@sha256:${'a'.repeat(64)}` }));
    assert.deepEqual(planStack(w, have).map((x) => x.why), ["shioajipy_redis: its definition changed (provision's spec hash differs)"]);
  });

  test('a removed stack is missing services; a service no longer wanted is named', () => {
    assert.deepEqual(planStack(wanted(), []).map((x) => x.kind), ['missing', 'missing']);
    assert.deepEqual(planStack(wanted().slice(0, 1), recorded).map((x) => `${x.kind} ${x.service}`), ['unwanted ibapi-trading_ibapi-web']);
  });

  test('configs, secrets and placement as Docker records them', () => {
    const redis = recorded.find((r) => r.name === 'shioajipy_redis')!;
    assert.deepEqual(redis.constraints, ['node.labels.stores == true']);
    assert.equal(redis.endpointMode, 'dnsrr');
    assert.equal(redis.replicas, 1);
  });
});

describe('infra on a swarm: the per-node agents and the two config files that differ', () => {
  const compose = readFileSync(join(ROOT, 'files/infra/compose.yml'), 'utf8');
  test('the agents are a compose project of their own, with only what they mount and join', () => {
    const a = agentsProject(compose, 'infra-agents', ['node-exporter', 'cadvisor', 'promtail', 'alloy'], 'files/infra/compose.yml');
    const doc = parse(a.compose) as { name: string; services: Record<string, Record<string, unknown>>; networks: Record<string, unknown>; volumes: Record<string, unknown> };
    assert.equal(doc.name, 'infra-agents');
    assert.deepEqual(Object.keys(doc.services), ['node-exporter', 'cadvisor', 'promtail', 'alloy']);
    // Loki is in the stack, not in this project: the dependency on it goes.
    assert.equal(doc.services.promtail!.depends_on, undefined);
    assert.equal(doc.services['node-exporter']!.pid, 'host');
    assert.equal(doc.services.cadvisor!.privileged, true);
    assert.deepEqual(doc.services.promtail!.profiles, ['promtail']);
    assert.deepEqual(Object.keys(doc.networks).sort(), ['ibapi-trading_default', 'infra-network', 'shioaji-network']);
    assert.deepEqual(Object.keys(doc.volumes).sort(), ['alloy-data', 'promtail-positions']);
    assert.deepEqual(a.mounts, ['alloy', 'promtail']);
    assert.deepEqual(a.networks, ['ibapi-trading_default', 'infra-network', 'shioaji-network']);
    // Variables stay for compose to fill from the project's .env.
    assert.match(a.compose, /image: \$\{NODE_EXPORTER_IMAGE:\?set NODE_EXPORTER_IMAGE\}/);
  });

  test('Traefik reads swarm services (Swarm provider, same socket, network and opt-in)', () => {
    const t = parse(swarmTraefikConfig(readFileSync(join(ROOT, 'files/infra/traefik/traefik.yml'), 'utf8'))) as { providers: Record<string, unknown>; entryPoints: unknown };
    assert.deepEqual(t.providers, { swarm: { endpoint: 'unix:///var/run/docker.sock', exposedByDefault: false, network: 'infra-network' } });
    assert.ok(t.entryPoints);
  });

  test('Prometheus finds every node\'s Node Exporter and cAdvisor by DNS; other jobs unchanged', () => {
    const text = readFileSync(join(ROOT, 'files/infra/prometheus/prometheus.yml'), 'utf8');
    type Job = { job_name: string; static_configs?: unknown; dns_sd_configs?: unknown };
    const jobs = (t: string) => (parse(t) as { scrape_configs: Job[] }).scrape_configs;
    const s = jobs(swarmPrometheusConfig(text));
    assert.deepEqual(s.find((j) => j.job_name === 'node-exporter'), { job_name: 'node-exporter', dns_sd_configs: [{ names: ['node-exporter'], type: 'A', port: 9100 }] });
    assert.deepEqual(s.find((j) => j.job_name === 'cadvisor'), { job_name: 'cadvisor', dns_sd_configs: [{ names: ['cadvisor'], type: 'A', port: 8080 }] });
    const others = (list: Job[]) => list.filter((j) => !['node-exporter', 'cadvisor'].includes(j.job_name));
    assert.deepEqual(others(s), others(jobs(text)));
  });

  test('Traefik\'s Docker-provider labels become its Swarm provider\'s, and Traefik is placed on a manager', () => {
    const s = infra({}, { constraints: { traefik: ['node.role == manager'] } });
    const doc = docOf(s.text);
    assert.equal(doc.services.grafana!.deploy.labels['traefik.swarm.network'], 'infra-network');
    assert.equal(doc.services.grafana!.deploy.labels['traefik.docker.network'], undefined);
    assert.deepEqual(doc.services.traefik!.deploy.placement, { constraints: ['node.role == manager'] });
  });
});
