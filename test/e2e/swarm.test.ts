// Issue 12, swarm mode end to end on fresh test VMs that reach each other on Docker's bridge:
// swarm-vm1 leads (and keeps the data: stores=true), swarm-vm2/3 work. The swarm forms in one run,
// tokens never show, a rerun changes nothing; site.yml then deploys the three stacks from the
// leader with the agents on every node (the real Prometheus scrapes all three Node Exporters), a
// rerun is a no-op, a service scaled to 0 by hand and a changed config file roll exactly the
// service concerned, a stack removed by hand comes back; a node the inventory does not name is
// reported and left alone, and a fourth VM joins on the next run (its compose-mode bridge
// network refused with an explanation until removed).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { changedTasks, eventually, hostReport, runCli, startVm, type RunResult, type Vm } from './vm.ts';

const PLAYBOOK = ['-p', 'playbooks/docker-host.yml'];

interface InvFile {
  all: { hosts: Record<string, Record<string, unknown>>; vars?: Record<string, unknown> };
}

/** One inventory for these VMs (beside the first one's, so it shares its .env): a swarm of them. */
function swarmInventory(file: string, managers: Vm[], workers: Vm[], labels: Record<string, Record<string, string>> = {}): string {
  const all = [...managers, ...workers];
  const first = parse(readFileSync(all[0]!.inventory, 'utf8')) as InvFile;
  const hosts = Object.assign({}, ...all.map((vm) => (parse(readFileSync(vm.inventory, 'utf8')) as InvFile).all.hosts)) as Record<string, unknown>;
  const group = (vms: Vm[]) => ({ hosts: Object.fromEntries(vms.map((vm) => [vm.name, labels[vm.name] ? { swarm_labels: labels[vm.name] } : null])) });
  const inv = {
    all: {
      hosts,
      // This kernel has no IPVS: DNS round-robin and host-mode ports (see the README).
      vars: { ...first.all.vars, deploy: 'swarm', swarm_endpoint_mode: 'dnsrr', swarm_publish_mode: 'host' },
      children: { swarm_managers: group(managers), swarm_workers: group(workers) },
    },
  };
  const out = join(all[0]!.dir, file);
  writeFileSync(out, stringify(inv));
  return out;
}

/** Small local images, loaded onto a VM (the test VMs cannot pull). */
function loadImage(vm: Vm, ...images: string[]): void {
  const ssh = `ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -i ${vm.key} -p ${vm.port} deploy@127.0.0.1`;
  execFileSync('bash', ['-c', `docker save ${images.join(' ')} | ${ssh} docker load`], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The same inventory with more variables for every host. */
function withAllVars(file: string, name: string, vars: Record<string, unknown>): string {
  const inv = parse(readFileSync(file, 'utf8')) as InvFile;
  inv.all.vars = { ...inv.all.vars, ...vars };
  const out = join(file, '..', name);
  writeFileSync(out, stringify(inv));
  return out;
}

const SITE = ['-p', 'playbooks/site.yml'];
const APP_SERVICES = ['ibapi-trading_ibapi-adminer', 'ibapi-trading_ibapi-api', 'ibapi-trading_ibapi-postgres', 'ibapi-trading_ibapi-web', 'shioajipy_force-recorder', 'shioajipy_redis', 'shioajipy_shioaji-backend', 'shioajipy_shioaji-frontend', 'shioajipy_shioaji-gateway'];
const INFRA_SERVICES = ['alertmanager', 'grafana', 'homepage', 'loki', 'portainer', 'prometheus', 'redis-exporter', 'tempo', 'traefik'].map((s) => `infra_${s}`);
const SERVICES = [...INFRA_SERVICES, ...APP_SERVICES];
// What may run anywhere (agents on every node, services without data); the stores node gets all.
const ANYWHERE = ['app-standin:1', 'adminer:debian13', 'homepage-standin:1', 'cadvisor-standin:1', 'promtail-standin:1', 'node-exporter:debian13', 'redis-exporter:debian13'].map((i) => `provision-test/${i}`);
const STORES = ['redis:debian13', 'postgres:debian13', 'prometheus:debian13', 'alertmanager:debian13', 'grafana-standin:1', 'loki-standin:1', 'tempo-standin:1', 'traefik-standin:1', 'portainer-standin:1'].map((i) => `provision-test/${i}`);

/** Name → replicas ("1/1") of the stacks' services, once every one runs what it should. */
async function servicesConverged(vm: Vm): Promise<Map<string, string> | undefined> {
  const r = await vm.sh(`docker service ls --format '{{.Name}} {{.Replicas}}'`);
  const m = new Map(r.stdout.trim().split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
  return SERVICES.every((s) => m.get(s) === '1/1') ? m : undefined;
}

/** The running tasks of these services (a service updated or restarted gets new ones). */
async function runningTasks(vm: Vm, services: string[]): Promise<string[]> {
  return (await vm.sh(`docker service ps -q --filter desired-state=running ${services.join(' ')}`)).stdout.split('\n').filter(Boolean).sort();
}

async function promApi(vm: Vm, path: string): Promise<unknown> {
  const r = await vm.sh(`docker exec $(docker ps -q -f name=infra_prometheus) wget -qO- 'http://localhost:9090${path}'`);
  return (JSON.parse(r.stdout) as { data: unknown }).data;
}

function ok(r: RunResult): void {
  assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}`);
}

describe('swarm mode on three fresh VMs', { timeout: 15 * 60_000 }, () => {
  const vms: Vm[] = [];
  let inv = '';
  let site = '';
  const labels = { 'swarm-vm1': { stores: 'true' }, 'swarm-vm3': { zone: 'c' } };
  before(() => {
    for (const n of ['swarm-vm1', 'swarm-vm2', 'swarm-vm3']) vms.push(startVm(n));
    inv = swarmInventory('swarm.yml', vms.slice(0, 1), vms.slice(1), labels);
  });
  after(() => {
    for (const vm of vms) vm.stop();
  });

  it('check on fresh VMs changes nothing and says what would happen', async () => {
    const r = await runCli(['check', ...PLAYBOOK], inv);
    assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
    for (const vm of vms) assert.equal(hostReport(r, vm.name).failed, 0);
    const d = await vms[0]!.sh('command -v docker || echo none');
    assert.equal(d.stdout.trim(), 'none');
  });

  it('apply: Docker on every VM, the swarm forms (1 manager, 2 workers, labels), overlay networks on the leader; no token shown', async () => {
    const r = await runCli(['apply', ...PLAYBOOK], inv);
    ok(r);
    assert.ok(changedTasks(r, 'swarm-vm1').includes('swarm | swarm init (leader)'));
    for (const w of ['swarm-vm2', 'swarm-vm3']) assert.ok(changedTasks(r, w).includes('swarm | swarm join (worker)'), changedTasks(r, w).join('\n'));
    for (const n of ['infra-network', 'shioaji-network', 'ibapi-trading_default']) assert.ok(changedTasks(r, 'swarm-vm1').includes(`networks | overlay network ${n}`));

    const nodes = await vms[0]!.sh(`docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'`);
    assert.deepEqual(nodes.stdout.trim().split('\n').map((l) => l.trim()).sort(), ['swarm-vm1 Ready Leader', 'swarm-vm2 Ready', 'swarm-vm3 Ready']);
    const l1 = await vms[0]!.sh(`docker node inspect swarm-vm1 --format '{{json .Spec.Labels}}'`);
    assert.deepEqual(JSON.parse(l1.stdout), { stores: 'true' });
    const l3 = await vms[0]!.sh(`docker node inspect swarm-vm3 --format '{{json .Spec.Labels}}'`);
    assert.deepEqual(JSON.parse(l3.stdout), { zone: 'c' });
    const net = await vms[0]!.sh(`docker network inspect --format '{{.Name}} {{.Driver}} {{.Scope}} {{.Attachable}}' infra-network shioaji-network ibapi-trading_default`);
    assert.deepEqual(net.stdout.trim().split('\n'), ['infra-network overlay swarm true', 'shioaji-network overlay swarm true', 'ibapi-trading_default overlay swarm true']);
    // A worker runs a container on the swarm's network (attachable) and no local network shadows it.
    const w = await vms[1]!.sh(`docker network ls --filter name=infra-network --format '{{.Driver}}'`);
    assert.ok(['', 'overlay'].includes(w.stdout.trim()), w.stdout);

    // The join tokens are secrets: nowhere in what the run printed or reported.
    const tokens = (await vms[0]!.sh('docker swarm join-token -q worker; docker swarm join-token -q manager')).stdout.trim().split('\n');
    assert.equal(tokens.length, 2);
    const report = JSON.stringify(r.report);
    for (const t of tokens) {
      assert.match(t, /^SWMTKN-/);
      assert.ok(!r.stdout.includes(t) && !r.stderr.includes(t) && !report.includes(t), 'a join token leaked into the output or the report');
    }
  });

  it('rerun is a no-op on every host; check agrees (exit 0)', async () => {
    const r = await runCli(['apply', ...PLAYBOOK], inv);
    ok(r);
    for (const vm of vms) assert.deepEqual(changedTasks(r, vm.name), [], vm.name);
    const c = await runCli(['check', ...PLAYBOOK], inv);
    assert.equal(c.code, 0, `${c.stdout}\n${c.stderr}`);
  });

  it('the overlay network spans nodes: a container on a worker finds one on the leader by name', async () => {
    const image = 'provision-test/base:trixie';
    loadImage(vms[0]!, image);
    loadImage(vms[1]!, image);
    await vms[0]!.sh(`docker run -d --name swarm-probe --network infra-network ${image} sleep 300`);
    const ip = (await vms[0]!.sh(`docker inspect --format '{{(index .NetworkSettings.Networks "infra-network").IPAddress}}' swarm-probe`)).stdout.trim();
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    const seen = await vms[1]!.sh(`docker run --rm --network infra-network ${image} getent hosts swarm-probe`);
    assert.equal(seen.stdout.trim().split(/\s+/)[0], ip);
    await vms[0]!.sh('docker rm -f swarm-probe');
  });

  it('site.yml: the three stacks go out with docker stack deploy from the leader, the agents run as compose on every node', async () => {
    loadImage(vms[0]!, ...ANYWHERE, ...STORES);
    for (const w of vms.slice(1)) loadImage(w, ...ANYWHERE);
    site = withAllVars(inv, 'swarm-site.yml', { image_archives: [] });
    const r = await runCli(['apply', ...SITE], site);
    ok(r);
    const leader = changedTasks(r, 'swarm-vm1');
    for (const t of ['infra | swarm stack infra up to date', 'shioaji | swarm stack shioajipy up to date', 'ibapi | swarm stack ibapi-trading up to date', 'ibapi | ibapi-trading (swarm): stack.yml', 'infra | compose project infra-agents up to date', 'infra | infra-agents: overlay networks present here']) assert.ok(leader.includes(t), leader.join('\n'));
    for (const w of ['swarm-vm2', 'swarm-vm3']) {
      const changed = changedTasks(r, w);
      assert.ok(changed.includes('infra | compose project infra-agents up to date'), changed.join('\n'));
      assert.ok(!changed.some((t) => / \(swarm\)|swarm stack/.test(t)), changed.join('\n'));
    }
    await eventually('every service 1/1', () => servicesConverged(vms[0]!), 180_000);
    // The agents: a compose project on every node, on the overlay network.
    for (const vm of vms) {
      const ps = await vm.sh(`docker ps --filter label=com.docker.compose.project=infra-agents --format '{{.Names}} {{.State}} {{.Networks}}'`);
      const rows = ps.stdout.trim().split('\n').sort();
      assert.deepEqual(rows.map((l) => l.split(' ').slice(0, 2).join(' ')), ['cadvisor running', 'node-exporter running', 'promtail running'], vm.name);
      assert.ok(rows.every((l) => l.includes('infra-network')), rows.join('\n'));
      const holder = await vm.sh(`docker ps -aq --filter name=provision-overlay-holder`);
      assert.equal(holder.stdout.trim(), '', `${vm.name}: the overlay network holder is gone`);
    }
    // Named volumes stay on the node labelled stores=true.
    for (const s of ['shioajipy_redis', 'ibapi-trading_ibapi-postgres', 'infra_prometheus', 'infra_grafana']) {
      const on = await vms[0]!.sh(`docker service ps ${s} --filter desired-state=running --format '{{.Node}}'`);
      assert.equal(on.stdout.trim(), 'swarm-vm1', s);
    }
    // The real Prometheus scrapes the Node Exporter of every node (found by DNS on the overlay network).
    await eventually('three node exporters up', async () => {
      const d = (await promApi(vms[0]!, '/api/v1/targets?state=active')) as { activeTargets: { labels: { job: string }; health: string }[] };
      const up = d.activeTargets.filter((t) => t.labels.job === 'node-exporter' && t.health === 'up');
      return up.length === 3 ? up : undefined;
    }, 120_000);
    // The stack file holds the .env's secrets: readable by root only; the password reached the API intact.
    const mode = await vms[0]!.sh('sudo stat -c %a /opt/stacks/swarm/ibapi-trading/stack.yml');
    assert.equal(mode.stdout.trim(), '600');
    const pw = await vms[0]!.sh(`docker service inspect ibapi-trading_ibapi-api --format '{{json .Spec.TaskTemplate.ContainerSpec.Env}}'`);
    assert.ok((JSON.parse(pw.stdout) as string[]).includes(`POSTGRES_PASSWORD=${vms[0]!.secrets.POSTGRES_PASSWORD}`));
    assert.ok(!r.stdout.includes(vms[0]!.secrets.POSTGRES_PASSWORD!) && !JSON.stringify(r.report).includes(vms[0]!.secrets.POSTGRES_PASSWORD!));
  });

  it('stacks: a rerun changes nothing on any host; check agrees (exit 0)', async () => {
    const r = await runCli(['apply', ...SITE], site);
    ok(r);
    for (const vm of vms) assert.deepEqual(changedTasks(r, vm.name), [], vm.name);
    const c = await runCli(['check', ...SITE], site);
    assert.equal(c.code, 0, `${c.stdout}\n${c.stderr}`);
  });

  it('a service scaled to 0 by hand: check names it (exit 3), apply repairs exactly it, the next run is a no-op', async () => {
    await vms[0]!.sh('docker service scale -d shioajipy_redis=0');
    const c = await runCli(['check', ...SITE], site);
    assert.equal(c.code, 3, `${c.stdout}\n${c.stderr}`);
    assert.deepEqual(changedTasks(c, 'swarm-vm1'), ['shioaji | swarm stack shioajipy up to date']);
    const found = hostReport(c, 'swarm-vm1').tasks.find((t) => t.name === 'swarm stack shioajipy up to date');
    assert.equal(found?.reason, 'would update shioajipy_redis (shioajipy_redis: replicas 0, wanted 1)');
    // docker stack deploy rewrites every service's spec; what must not change is the others' running tasks.
    const others = SERVICES.filter((x) => x !== 'shioajipy_redis');
    const before = await runningTasks(vms[0]!, others);
    assert.equal(before.length, others.length);

    const r = await runCli(['apply', ...SITE], site);
    ok(r);
    assert.deepEqual(changedTasks(r, 'swarm-vm1'), ['shioaji | swarm stack shioajipy up to date']);
    await eventually('redis back at 1/1', () => servicesConverged(vms[0]!));
    assert.deepEqual(await runningTasks(vms[0]!, others), before, 'only the drifted service was touched');
    const again = await runCli(['apply', ...SITE], site);
    ok(again);
    for (const vm of vms) assert.deepEqual(changedTasks(again, vm.name), [], vm.name);
  });

  it('a changed config file is a new Swarm config: exactly the service that mounts it rolls', async () => {
    const edited = withAllVars(site, 'swarm-site-targets.yml', { app_metrics_targets: [{ job: 'extra-app', targets: ['extra-app:9999'] }] });
    const others = SERVICES.filter((x) => x !== 'infra_prometheus');
    const before = await runningTasks(vms[0]!, others);
    const r = await runCli(['apply', ...SITE], edited);
    ok(r);
    assert.deepEqual(changedTasks(r, 'swarm-vm1'), ['infra | infra (swarm): stack.yml', 'infra | infra (swarm): prometheus/targets/apps.yml', 'infra | swarm stack infra up to date']);
    const t = hostReport(r, 'swarm-vm1').tasks.find((x) => x.name === 'swarm stack infra up to date');
    assert.match(t?.reason ?? '', /^updated infra_prometheus \(infra_prometheus: configs [^;]*infra_prometheus-targets-apps\.yml-([0-9a-f]{12}), wanted [^;]*infra_prometheus-targets-apps\.yml-(?!\1)[0-9a-f]{12}\)$/);
    await eventually('prometheus rolled', () => servicesConverged(vms[0]!));
    assert.deepEqual(await runningTasks(vms[0]!, others), before, 'only Prometheus rolled');
    await eventually('the new target in Prometheus', async () => {
      const d = (await promApi(vms[0]!, '/api/v1/targets?state=active')) as { activeTargets: { labels: { job: string } }[] };
      return d.activeTargets.some((x) => x.labels.job === 'extra-app') ? true : undefined;
    });
    const again = await runCli(['apply', ...SITE], edited);
    ok(again);
    for (const vm of vms) assert.deepEqual(changedTasks(again, vm.name), [], vm.name);
    site = edited;
  });

  it('a stack removed by hand: check names its services (exit 3), apply deploys it again, the next run is a no-op', async () => {
    await vms[0]!.sh('docker stack rm ibapi-trading');
    await eventually('ibapi services gone', async () => ((await vms[0]!.sh(`docker service ls -q --filter label=com.docker.stack.namespace=ibapi-trading`)).stdout.trim() === '' ? true : undefined));
    const c = await runCli(['check', ...SITE], site);
    assert.equal(c.code, 3, `${c.stdout}\n${c.stderr}`);
    assert.deepEqual(changedTasks(c, 'swarm-vm1'), ['ibapi | swarm stack ibapi-trading up to date']);
    const reason = hostReport(c, 'swarm-vm1').tasks.find((t) => t.name === 'swarm stack ibapi-trading up to date')?.reason ?? '';
    assert.match(reason, /^would create ibapi-trading_ibapi-web \(ibapi-trading_ibapi-web is not deployed\); would create ibapi-trading_ibapi-api/);
    ok(await runCli(['apply', ...SITE], site));
    await eventually('ibapi back', () => servicesConverged(vms[0]!), 120_000);
    const again = await runCli(['apply', ...SITE], site);
    ok(again);
    for (const vm of vms) assert.deepEqual(changedTasks(again, vm.name), [], vm.name);
  });

  it('a node the inventory does not name is reported and left in the swarm', async () => {
    const without3 = swarmInventory('swarm-without-vm3.yml', vms.slice(0, 1), vms.slice(1, 2), labels);
    const r = await runCli(['apply', ...PLAYBOOK], without3);
    ok(r);
    const notes = hostReport(r, 'swarm-vm1').notes ?? [];
    assert.ok(notes.some((n) => /node swarm-vm3 .* is in the swarm but not in the inventory's swarm groups: left as it is/.test(n)), notes.join('\n'));
    const nodes = await vms[0]!.sh(`docker node ls --format '{{.Hostname}}'`);
    assert.ok(nodes.stdout.split('\n').includes('swarm-vm3'));
  });

  it('a fourth VM joins on the next run; its compose-mode bridge network is refused with an explanation until removed', async () => {
    const vm4 = startVm('swarm-vm4');
    vms.push(vm4);
    // First a one-VM host as before (deploy: compose): bridge networks.
    ok(await vm4.provision('apply', ...PLAYBOOK));
    const with4 = swarmInventory('swarm-with-vm4.yml', vms.slice(0, 1), vms.slice(1));
    const r = await runCli(['apply', ...PLAYBOOK], with4);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    const h4 = hostReport(r, 'swarm-vm4');
    assert.ok(changedTasks(r, 'swarm-vm4').includes('swarm | swarm join (worker)'));
    const failed = h4.tasks.find((t) => t.status === 'failed');
    assert.equal(failed?.name, 'overlay network infra-network (made on swarm-vm1)');
    assert.match(failed?.reason ?? '', /network infra-network exists here with driver bridge; deploy: swarm needs an attachable overlay network of that name\. It is not replaced behind your back/);
    for (const vm of vms.slice(0, 3)) assert.equal(hostReport(r, vm.name).failed, 0, vm.name);
    const still = await vm4.sh(`docker network inspect --format '{{.Driver}}' infra-network`);
    assert.equal(still.stdout.trim(), 'bridge', 'the bridge network is left as it was');

    await vm4.sh('docker network rm infra-network shioaji-network ibapi-trading_default');
    ok(await runCli(['apply', ...PLAYBOOK], with4));
    const nodes = await vms[0]!.sh(`docker node ls --format '{{.Hostname}} {{.Status}}'`);
    assert.ok(nodes.stdout.split('\n').includes('swarm-vm4 Ready'), nodes.stdout);
    const again = await runCli(['apply', ...PLAYBOOK], with4);
    ok(again);
    for (const vm of vms) assert.deepEqual(changedTasks(again, vm.name), [], vm.name);
  });
});
