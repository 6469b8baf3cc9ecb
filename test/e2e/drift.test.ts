// Issue 4 end to end: after the site is up, each kind of drift is repaired by one apply that
// reports changed only for the tasks that touched it, restarts only the affected containers,
// and is followed by a run with changed=0. Check mode names the drift first and changes nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { changedTasks, eventually, hostReport, ROOT, runCli, startVm, withVars, type RunResult, type Vm } from './vm.ts';

const NAME = 'provision-e2e-drift';
const COMPOSE = {
  infra: 'infra | compose project infra up to date',
  shioajipy: 'shioaji | compose project shioajipy up to date',
};

async function startTimes(vm: Vm): Promise<Map<string, string>> {
  const r = await vm.sh(`docker inspect -f '{{.Name}} {{.State.StartedAt}} {{.State.Running}}' $(docker ps -aq)`);
  return new Map(r.stdout.trim().split('\n').map((l) => {
    const [n = '', t = '', running = ''] = l.split(' ');
    return [n.replace(/^\//, ''), `${t} ${running}`];
  }));
}

function reasonOf(r: RunResult, task: string): string {
  return hostReport(r, NAME).tasks.find((t) => `${t.role} | ${t.name}` === task)?.reason ?? '';
}

describe('drift repair on the test VM', { timeout: 30 * 60_000 }, () => {
  let vm: Vm;

  /** Drift, repair with one apply, assert what changed and which containers the repair (re)started. */
  async function repair(drift: string, expected: string[], restarted: string[]): Promise<RunResult> {
    await vm.sh(drift);
    // Taken after the drift: a drift made with compose may itself restart dependents.
    const before = await startTimes(vm);
    const r = await vm.provision('apply');
    assert.equal(r.code, 0, `apply failed:\n${r.stdout}\n${r.stderr}`);
    assert.deepEqual(changedTasks(r, NAME).sort(), [...expected].sort());
    const after = await startTimes(vm);
    const moved = [...after].filter(([n, v]) => before.get(n) !== v).map(([n]) => n).sort();
    assert.deepEqual(moved, [...restarted].sort(), 'containers (re)started');
    const again = await vm.provision('apply');
    assert.deepEqual(changedTasks(again, NAME), [], 'the next run must change nothing');
    return r;
  }

  before(async () => {
    execFileSync('bash', [`${ROOT}/test/images/build.sh`], { stdio: ['ignore', 'ignore', 'inherit'] });
    vm = startVm(NAME);
    const r = await vm.provision('apply');
    assert.equal(r.code, 0, `bootstrap failed:\n${r.stdout}\n${r.stderr}`);
  });
  after(() => vm?.stop());

  it('check names an edited prometheus.yml with a diff and exit 3, changing nothing', async () => {
    await vm.sh(`sudo sed -i 's/scrape_interval: 15s/scrape_interval: 5s/' /opt/stacks/infra/prometheus/prometheus.yml`);
    const c = await vm.provision('check');
    assert.equal(c.code, 3);
    assert.deepEqual(changedTasks(c, NAME).sort(), ['infra | infra: prometheus/prometheus.yml', COMPOSE.infra].sort());
    const fileTask = hostReport(c, NAME).tasks.find((t) => t.name === 'infra: prometheus/prometheus.yml');
    assert.match(fileTask?.diff ?? '', /^-.*scrape_interval: 5s$/m);
    assert.match(fileTask?.diff ?? '', /^\+.*scrape_interval: 15s$/m);
    assert.match(reasonOf(c, COMPOSE.infra), /would reload \(SIGHUP\) prometheus/);
    const still = await vm.sh(`grep -c 'scrape_interval: 5s' /opt/stacks/infra/prometheus/prometheus.yml`);
    assert.notEqual(still.stdout.trim(), '0', 'check must not touch the file');
  });

  it('an edited prometheus.yml is restored and Prometheus reloaded (not restarted)', async () => {
    const r = await repair('true', ['infra | infra: prometheus/prometheus.yml', COMPOSE.infra], []);
    assert.match(reasonOf(r, COMPOSE.infra), /reloaded \(SIGHUP\) prometheus/);
    // The reload really happened: Prometheus serves the restored interval.
    await eventually('restored config loaded', async () => {
      const cfg = await vm.sh(`docker exec prometheus wget -qO- http://localhost:9090/api/v1/status/config`);
      return cfg.stdout.includes('scrape_interval: 15s') && !cfg.stdout.includes('scrape_interval: 5s') ? true : undefined;
    });
  });

  it('an edited promtail.yml is restored and Promtail signalled with SIGHUP (not restarted)', async () => {
    const r = await repair(`echo '# drift' | sudo tee -a /opt/stacks/infra/promtail/promtail.yml >/dev/null`, ['infra | infra: promtail/promtail.yml', COMPOSE.infra], []);
    assert.match(reasonOf(r, COMPOSE.infra), /reloaded \(SIGHUP\) promtail \(promtail changed\)/);
    // The signal reached the container: the stand-in logs it (real Promtail rereads -config.file).
    const logs = await vm.sh('docker logs promtail 2>&1');
    assert.match(logs.stdout, /stand-in for promtail: SIGHUP received/);
  });

  it('an edited dashboard restarts Grafana only', async () => {
    const r = await repair(`echo ' ' | sudo tee -a /opt/stacks/infra/grafana/dashboards/error-logs.json >/dev/null`, ['infra | infra: grafana/dashboards/error-logs.json', COMPOSE.infra], ['grafana']);
    assert.match(reasonOf(r, COMPOSE.infra), /restarted grafana/);
  });

  it('an edited compose file recreates only the service it touched', async () => {
    await repair(
      `sudo sed -i '0,/container_name: loki/s//container_name: loki\\n    stop_grace_period: 42s/' /opt/stacks/infra/compose.yml && cd /opt/stacks/infra && sudo docker compose up -d loki >/dev/null 2>&1`,
      ['infra | infra: compose.yml', COMPOSE.infra],
      ['loki'],
    );
  });

  it('a .env edited and applied by hand: the container is recreated from the restored image', async () => {
    const r = await repair(
      `cd /opt/stacks/shioajipy && sudo sed -i "s#^SHIOAJI_BACKEND_IMAGE=.*#SHIOAJI_BACKEND_IMAGE='provision-test/grafana-standin:1'#" .env && sudo docker compose up -d --no-deps shioaji-backend >/dev/null 2>&1`,
      ['shioaji | shioajipy: .env (secrets, 0600)', COMPOSE.shioajipy],
      ['shioaji-backend'],
    );
    assert.match(reasonOf(r, COMPOSE.shioajipy), /recreated shioaji-backend \(shioaji-backend: image changed from provision-test\/grafana-standin:1 to provision-test\/app-standin:1\)/);
  });

  it('a stopped container is started', async () => {
    const r = await repair('docker stop redis >/dev/null', [COMPOSE.shioajipy], ['redis']);
    assert.match(reasonOf(r, COMPOSE.shioajipy), /started redis/);
  });

  it('a removed container is created again', async () => {
    const r = await repair('docker rm -f grafana >/dev/null', [COMPOSE.infra], ['grafana']);
    assert.match(reasonOf(r, COMPOSE.infra), /created grafana/);
  });

  it("a container of the user's holding a service's name is never removed: the run stops and says what to do", async () => {
    // Portainer or Grafana installed the usual way (docker run --name …) before provision came.
    await vm.sh('docker rm -f tempo >/dev/null && docker run -d --name tempo --network infra-network provision-test/loki-standin:1 >/dev/null');
    const mine = (await vm.sh(`docker inspect -f '{{.Id}}' tempo`)).stdout.trim();
    for (const mode of ['check', 'apply']) {
      const r = await vm.provision(mode);
      assert.equal(r.code, 1, `${mode}: ${r.stdout}`);
      const t = hostReport(r, NAME).tasks.find((x) => `${x.role} | ${x.name}` === COMPOSE.infra);
      assert.equal(t?.status, 'failed');
      assert.match(t?.reason ?? '', /container tempo was not created by compose project infra \(image provision-test\/loki-standin:1, no compose project\)\. provision never removes a container it did not create/);
      assert.match(t?.reason ?? '', /add replace_containers: \[tempo\] to this host's variables/);
    }
    assert.equal((await vm.sh(`docker inspect -f '{{.Id}}' tempo`)).stdout.trim(), mine, 'the user\'s container is untouched');
    // The user allows it: replaced, and the next run (with the same opt-in) is a no-op.
    const allowed = withVars(vm, 'allow-tempo.yml', { replace_containers: ['tempo'] });
    const r = await runCli(['apply'], allowed);
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(changedTasks(r, NAME), [COMPOSE.infra]);
    assert.match(reasonOf(r, COMPOSE.infra), /replaced tempo \(container tempo was not created by compose project infra .*allowed by replace_containers\)/);
    assert.deepEqual(changedTasks(await vm.provision('apply'), NAME), []);
  });

  it('a container disconnected from a network is reattached without a restart', async () => {
    const r = await repair('docker network disconnect shioaji-network redis-exporter', [COMPOSE.infra], []);
    assert.match(reasonOf(r, COMPOSE.infra), /reconnected redis-exporter \(redis-exporter is not attached to shioaji-network\)/);
    await eventually('redis reachable again', async () => {
      const m = await vm.sh('docker exec prometheus wget -qO- http://redis-exporter:9121/metrics');
      return /^redis_up 1$/m.test(m.stdout) ? true : undefined;
    });
  });

  it("a managed file's mode is restored without restarting anything", async () => {
    const r = await repair('sudo chmod 0644 /opt/stacks/ibapi-trading/.env', ['ibapi | ibapi-trading: .env (secrets, 0600)'], []);
    assert.match(reasonOf(r, 'ibapi | ibapi-trading: .env (secrets, 0600)'), /mode 0644 → 0600/);
    const st = await vm.sh('sudo stat -c %a /opt/stacks/ibapi-trading/.env');
    assert.equal(st.stdout.trim(), '600');
  });

  it('a removed Docker package is reinstalled', async () => {
    await repair('sudo apt-get remove -y -q docker-compose >/dev/null 2>&1', ['docker | Docker Engine and Compose v2 packages'], []);
    const v = await vm.sh('docker compose version --short');
    assert.match(v.stdout.trim(), /^v?2\./);
  });

  it('an edited daemon.json is restored and docker restarted; containers come back', async () => {
    const all = [...(await startTimes(vm)).keys()];
    const r = await vm.sh(`sudo sed -i 's/"10m"/"50m"/' /etc/docker/daemon.json`);
    void r;
    const a = await vm.provision('apply');
    assert.equal(a.code, 0, `apply failed:\n${a.stdout}\n${a.stderr}`);
    const changed = changedTasks(a, NAME);
    assert.ok(changed.includes('docker | /etc/docker/daemon.json (json-file log rotation, merged)'));
    assert.ok(changed.includes('docker | handler: restart docker'));
    assert.ok(changed.every((t) => t.startsWith('docker |') || t.startsWith('infra | compose') || t.startsWith('shioaji | compose') || t.startsWith('ibapi | compose')), changed.join('\n'));
    await eventually('all containers running again', async () => {
      const times = await startTimes(vm);
      return all.every((n) => times.get(n)?.endsWith(' true')) ? true : undefined;
    });
    const again = await vm.provision('apply');
    assert.deepEqual(changedTasks(again, NAME), []);
  });

  it('a stopped docker service is started again', async () => {
    await vm.sh('sudo systemctl stop docker.socket docker.service');
    const a = await vm.provision('apply');
    assert.equal(a.code, 0, `apply failed:\n${a.stdout}\n${a.stderr}`);
    assert.ok(changedTasks(a, NAME).includes('docker | service docker enabled and running'));
    await eventually('containers back', async () => ((await vm.sh(`docker ps -q | wc -l`)).stdout.trim() === '21' ? true : undefined));
    const again = await vm.provision('apply');
    assert.deepEqual(changedTasks(again, NAME), []);
    const c = await vm.provision('check');
    assert.equal(c.code, 0);
  });
});
