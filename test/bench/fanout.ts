// The fan-out figure of `npm run bench`: a no-op run of the docker + networks roles
// (playbooks/docker-host.yml) on 1 host and on 6 hosts in one invocation (--forks 6), on fresh
// test VMs provisioned once. Runs alternate (1, 6, 1, 6, ...) so a burst of load from elsewhere
// on the machine hits both; medians are compared. Also printed, to explain the ratio: our
// process's CPU time (user + sys), the engine's time per host and the load average.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT, startVm, type Report, type Vm } from '../e2e/vm.ts';

export interface FanoutRun {
  hosts: number;
  wallS: number;
  /** CPU seconds of the provision process itself (user + sys): the local side of the cost. */
  cpuS: number;
  /** Median of the hosts' engine times (connect → done). */
  hostMedianS: number;
  hostMaxS: number;
  changed: number;
  code: number;
}

export interface Fanout {
  provisionS: number;
  one: FanoutRun[];
  six: FanoutRun[];
  oneS: number;
  sixS: number;
  ratio: number;
  loadBefore: number[];
  loadAfter: number[];
}

const BOOK = join(ROOT, 'playbooks/docker-host.yml');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** One inventory for all the VMs (each VM's host entry; the variables and .env of the first). */
function fleetInventory(vms: Vm[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
  type Inv = { all: { hosts: Record<string, unknown>; vars: unknown } };
  const invs = vms.map((vm) => parse(readFileSync(vm.inventory, 'utf8')) as Inv);
  const hosts = Object.assign({}, ...invs.map((i) => i.all.hosts)) as Record<string, unknown>;
  const file = join(dir, 'hosts.yml');
  writeFileSync(file, stringify({ all: { hosts, vars: invs[0]?.all.vars } }));
  if (vms[0]) copyFileSync(join(vms[0].dir, '.env'), join(dir, '.env'));
  return file;
}

/** The CLI as a user runs it, under /usr/bin/time for its CPU time; the JSON report parsed. */
function runTimed(hosts: number, inventory: string, ...args: string[]): FanoutRun {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-run-'));
  const json = join(dir, 'report.json');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, join(ROOT, 'bin/provision.js'), ...args, '-i', inventory, '-p', BOOK, '--json', json], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PROVISION_RENDERER: 'silent', PROVISION_KNOWN_HOSTS: join(dir, 'known_hosts') },
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const [user = NaN, sys = NaN] = (r.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  let report: Report | undefined;
  try {
    report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  } catch {
    report = undefined;
  }
  const per = Object.values(report?.hosts ?? {});
  const times = per.map((h) => h.durationMs / 1000);
  return {
    hosts,
    wallS,
    cpuS: user + sys,
    hostMedianS: times.length ? median(times) : NaN,
    hostMaxS: times.length ? Math.max(...times) : NaN,
    changed: per.reduce((a, h) => a + h.changed, 0),
    code: r.status ?? -1,
  };
}

/** Starts `fleet-b1..b6`, provisions them once, times no-op reruns on 1 and on 6; stops them. */
export function fanout(rounds = 5): Fanout {
  const names = Array.from({ length: 6 }, (_, i) => `fleet-b${i + 1}`);
  const vms: Vm[] = [];
  try {
    for (const n of names) vms.push(startVm(n));
    const inv = fleetInventory(vms);
    const first = names[0] as string;
    const t0 = process.hrtime.bigint();
    const prov = runTimed(6, inv, 'apply', '--forks', '6');
    const provisionS = Number(process.hrtime.bigint() - t0) / 1e9;
    if (prov.code !== 0) throw new Error(`fan-out: provisioning 6 VMs failed (exit ${prov.code})`);
    const loadBefore = loadavg();
    const one: FanoutRun[] = [];
    const six: FanoutRun[] = [];
    for (let i = 0; i < rounds; i++) {
      one.push(runTimed(1, inv, 'apply', '--forks', '6', '--limit', first));
      six.push(runTimed(6, inv, 'apply', '--forks', '6'));
    }
    const loadAfter = loadavg();
    for (const r of [...one, ...six]) {
      if (r.code !== 0 || r.changed !== 0) throw new Error(`fan-out: a rerun on ${r.hosts} host(s) was not a no-op (exit ${r.code}, changed ${r.changed})`);
    }
    const oneS = median(one.map((r) => r.wallS));
    const sixS = median(six.map((r) => r.wallS));
    return { provisionS, one, six, oneS, sixS, ratio: sixS / oneS, loadBefore, loadAfter };
  } finally {
    for (const vm of vms) vm.stop();
  }
}

export function printFanout(f: Fanout): void {
  const x = (n: number) => n.toFixed(2);
  const row = (label: string, rs: FanoutRun[], pick: (r: FanoutRun) => number) => `| ${label} | ${rs.map((r) => x(pick(r))).join(' ')} | ${x(median(rs.map(pick)))} |`;
  console.log(`\nFan-out: docker + networks (playbooks/docker-host.yml), no-op rerun, fresh test VMs fleet-b1..b6 provisioned once (${x(f.provisionS)} s for all six, --forks 6)`);
  console.log('\n| no-op rerun | each run | median |');
  console.log('|---|---|---:|');
  console.log(row('1 host: wall s', f.one, (r) => r.wallS));
  console.log(row('6 hosts (--forks 6): wall s', f.six, (r) => r.wallS));
  console.log(row('1 host: our CPU s (user+sys)', f.one, (r) => r.cpuS));
  console.log(row('6 hosts: our CPU s (user+sys)', f.six, (r) => r.cpuS));
  console.log(row('1 host: engine s per host', f.one, (r) => r.hostMedianS));
  console.log(row('6 hosts: engine s per host (median)', f.six, (r) => r.hostMedianS));
  console.log(row('6 hosts: engine s per host (slowest)', f.six, (r) => r.hostMaxS));
  console.log(`\nfan-out: 1 host ${x(f.oneS)} s, 6 hosts ${x(f.sixS)} s, ratio ${x(f.ratio)}× (target ≤ 1.3×)`);
  console.log(`load average before/after the reruns: ${f.loadBefore.map(x).join(' ')} / ${f.loadAfter.map(x).join(' ')}`);
}
