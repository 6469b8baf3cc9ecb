import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { composeModel, explainDifference, parseHashes, parsePs, planProject, servicesMounting, type ContainerRow } from '../../src/ops/compose-model.ts';

const COMPOSE = `
services:
  prometheus:
    image: \${PROMETHEUS_IMAGE:?}
    container_name: prometheus
    x-provision-reload: SIGHUP
    volumes: ["./prometheus:/etc/prometheus:ro", "prometheus-data:/prometheus"]
    networks: [infra-network, shioaji-network]
  grafana:
    image: g
    container_name: grafana
    volumes:
      - ./grafana/provisioning:/etc/grafana/provisioning:ro
      - { type: bind, source: ./grafana/dashboards, target: /d }
    networks: { infra-network: {} }
  worker:
    image: w
networks:
  infra-network: { external: true }
  shioaji-network: { external: true }
`;

const model = composeModel(COMPOSE, 'infra');
const row = (over: Partial<ContainerRow>): ContainerRow => ({ name: 'prometheus', project: 'infra', service: 'prometheus', hash: 'h1', state: 'running', id: 'x', networks: ['infra-network', 'shioaji-network'], image: 'p', ...over });

describe('composeModel', () => {
  test('reads container names, external network names, bind sources and reload signal', () => {
    const p = model.services.get('prometheus')!;
    assert.equal(p.containerName, 'prometheus');
    assert.deepEqual(p.networks, ['infra-network', 'shioaji-network']);
    assert.deepEqual(p.binds, ['prometheus']);
    assert.equal(p.reload, 'SIGHUP');
    assert.deepEqual(model.services.get('grafana')!.binds, ['grafana/provisioning', 'grafana/dashboards']);
  });
  test('defaults: <project>-<service>-1 and the project default network', () => {
    const w = model.services.get('worker')!;
    assert.equal(w.containerName, 'infra-worker-1');
    assert.deepEqual(w.networks, ['infra_default']);
  });
  test('env_file is refused with a clear message', () => {
    assert.throws(() => composeModel('services:\n  a:\n    image: x\n    env_file: [a.env]\n', 'p'), /service a uses env_file/);
  });
});

describe('servicesMounting', () => {
  test('a changed file maps to the services whose bind mount contains it', () => {
    assert.deepEqual(servicesMounting(model, ['prometheus/rules/alerts.yml']).map((s) => s.name), ['prometheus']);
    assert.deepEqual(servicesMounting(model, ['grafana/dashboards/x.json']).map((s) => s.name), ['grafana']);
    assert.deepEqual(servicesMounting(model, ['compose.yml', '.env', 'grafanax/y']), []);
  });
});

describe('planProject', () => {
  const wanted = parseHashes('prometheus h1\ngrafana h2\n');
  const ok = [row({}), row({ name: 'grafana', service: 'grafana', hash: 'h2', networks: ['infra-network'] })];
  test('in sync: no action', () => {
    assert.deepEqual(planProject(model, wanted, ok), []);
  });
  test('missing, changed hash, stopped, lost network, orphan, foreign container', () => {
    assert.deepEqual(planProject(model, wanted, [ok[1]!]).map((a) => a.kind), ['create']);
    assert.deepEqual(planProject(model, wanted, [row({ hash: 'old' }), ok[1]!]).map((a) => a.kind), ['recreate']);
    assert.deepEqual(planProject(model, wanted, [row({ state: 'exited' }), ok[1]!]).map((a) => `${a.kind} ${a.why}`), ['start prometheus is exited']);
    const lost = planProject(model, wanted, [row({ networks: ['infra-network'] }), ok[1]!]);
    assert.deepEqual(lost, [{ kind: 'reconnect', service: 'prometheus', container: 'prometheus', networks: ['shioaji-network'], why: 'prometheus is not attached to shioaji-network' }]);
    const orphan = planProject(model, wanted, [...ok, row({ name: 'promtail', service: 'promtail' })]);
    assert.deepEqual(orphan.map((a) => a.kind), ['remove']);
    const foreign = planProject(model, wanted, [row({ project: '', image: 'other:1' }), ok[1]!]);
    assert.equal(foreign[0]?.kind, 'replace-foreign');
    assert.match(foreign[0]?.why ?? "", /not created by compose project infra \(image other:1, no compose project\)/);
  });
  test('a stopped container that also lost a network is reconnected and started', () => {
    const a = planProject(model, wanted, [row({ networks: [], state: 'exited' }), ok[1]!]);
    assert.deepEqual(a.map((x) => x.kind), ['reconnect', 'start']);
  });
});

describe('parsing docker output', () => {
  test('parsePs splits the format fields and the network list', () => {
    const [r] = parsePs('grafana|infra|grafana|abc|running|id1|infra-network,shioaji-network|img:1\n');
    assert.deepEqual(r, { name: 'grafana', project: 'infra', service: 'grafana', hash: 'abc', state: 'running', id: 'id1', networks: ['infra-network', 'shioaji-network'], image: 'img:1' });
  });
});

describe('explainDifference', () => {
  test('names the image change and env keys, never env values', () => {
    const why = explainDifference({ image: 'a:2', environment: { TOKEN: 's3cret-new', SAME: '1' } }, { image: 'a:1', env: ['TOKEN=s3cret-old', 'SAME=1'] });
    assert.equal(why, 'image changed from a:1 to a:2; environment differs: TOKEN');
    assert.ok(!why.includes('s3cret'));
  });
  test('falls back to a generic reason', () => {
    assert.match(explainDifference({ image: 'a' }, { image: 'a', env: [] }), /mounts, ports, labels/);
  });
});
