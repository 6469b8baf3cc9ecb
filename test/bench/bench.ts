// Benchmark (prints figures; never fails on time): on a fresh test VM, the wall time of the
// CLI for a fresh bootstrap of the whole site, five no-op reruns, a drift repair and a check,
// with the engine's own time and SSH round trips from the JSON report; the floor (plain `ssh`
// running the same read batch the no-op run sends); start-up (`provision validate`); and
// validating a 2000-host inventory; then the fan-out figure (fanout.ts): a no-op docker +
// networks run on 1 and on 6 fresh test VMs, and their ratio.
// Run: npm run bench   (needs what test/setup.sh installs; uses its own VMs, removed after)
//      npm run bench -- fanout   (the fan-out figure only)
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadInventory } from '../../src/config/inventory.ts';
import { loadPlaybook } from '../../src/config/playbook.ts';
import { readDotenv } from '../../src/config/secrets.ts';
import { FACTS } from '../../src/engine/facts.ts';
import { buildPlan } from '../../src/engine/plan.ts';
import { loadRoleLibrary } from '../../src/engine/roles.ts';
import { batchCmd } from '../../src/remote/batch.ts';
import { ROOT, startVm, type RunResult, type Vm } from '../e2e/vm.ts';
import { fanout, printFanout } from './fanout.ts';

const NAME = 'provision-bench';

interface Sample {
  label: string;
  wallS: number;
  engineS: number;
  roundTrips: number;
  changed: number;
  code: number;
}

async function timed(vm: Vm, label: string, ...args: string[]): Promise<Sample> {
  const t0 = process.hrtime.bigint();
  const r: RunResult = await vm.provision(...args);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const h = r.report?.hosts[NAME] as (NonNullable<RunResult['report']>['hosts'][string] & { roundTrips?: number }) | undefined;
  return { label, wallS, engineS: (h?.durationMs ?? NaN) / 1000, roundTrips: h?.roundTrips ?? NaN, changed: h?.changed ?? NaN, code: r.code };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function wall(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const f = (x: number) => x.toFixed(2);

/** The no-op run's read batch (facts + every task's reads), exactly as the engine builds it. */
async function readBatch(inventory: string): Promise<string> {
  const lib = await loadRoleLibrary(join(ROOT, 'roles'), join(ROOT, 'files'));
  const inv = await loadInventory(inventory, lib.varsSchema);
  const book = await loadPlaybook(join(ROOT, 'playbooks/site.yml'), lib.varsSchema);
  const [plan] = buildPlan(inv, book, lib, readDotenv(inv.dir));
  const cmds = new Map([[FACTS.cmd.text, FACTS.cmd]]);
  for (const r of plan?.roles ?? []) for (const t of r.tasks) for (const x of t.reads) cmds.set(x.cmd.text, x.cmd);
  return `set -euo pipefail\n${batchCmd([...cmds.values()], '__bench_sep').text}\n`;
}

/** Plain OpenSSH: connect, sudo bash, run the batch, exit. What no engine can beat. */
function floorRun(vm: Vm, script: string): number {
  const args = ['-q', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-i', vm.key, '-p', String(vm.port), 'deploy@127.0.0.1', 'sudo -n bash --noprofile --norc -s'];
  return wall(() => {
    const r = spawnSync('ssh', args, { input: script, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`floor run failed: ${r.stderr}`);
  });
}

/** `provision validate` of an inventory with `n` hosts sharing the test VM's variables. */
function validateMany(vm: Vm, n: number): { wallS: number; maxRssMb: number } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-many-'));
  const hosts = Object.fromEntries(Array.from({ length: n }, (_, i) => [`vm${i}`, { ansible_host: `10.9.${Math.floor(i / 250)}.${(i % 250) + 1}` }]));
  const vars = (parse(readFileSync(vm.inventory, 'utf8')) as { all: { vars: unknown } }).all.vars;
  writeFileSync(join(dir, 'hosts.yml'), stringify({ all: { hosts, vars } }));
  copyFileSync(join(vm.dir, '.env'), join(dir, '.env'));
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, join(ROOT, 'bin/provision.js'), 'validate', '-i', join(dir, 'hosts.yml')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`validate of ${n} hosts failed: ${r.stderr}`);
  const [secs = 'NaN', kb = 'NaN'] = r.stderr.trim().split('\n').at(-1)?.split(' ') ?? [];
  return { wallS: Number(secs), maxRssMb: Number(kb) / 1024 };
}

async function main(): Promise<void> {
  execFileSync('bash', [`${ROOT}/test/setup.sh`], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const only = process.argv[2];
  if (only !== undefined && only !== 'fanout') throw new Error(`usage: npm run bench [-- fanout] (not ${only})`);
  // One VM at a time: the single-host figures first (their VM removed), then the six of the fan-out.
  const line = only === 'fanout' ? 'BENCH' : await singleHost();
  const fan = fanout();
  printFanout(fan);
  console.log(`${line} fanout_1_s=${f(fan.oneS)} fanout_6_s=${f(fan.sixS)} fanout_ratio=${f(fan.ratio)}`);
}

/** The single-host figures, printed; returns the BENCH line they make. */
async function singleHost(): Promise<string> {
  const vm = startVm(NAME);
  try {
    const samples: Sample[] = [];
    const fresh = await timed(vm, 'fresh bootstrap (apply)', 'apply');
    if (fresh.code !== 0) throw new Error(`fresh apply failed (exit ${fresh.code})`);
    samples.push(fresh);
    const noops: Sample[] = [];
    for (let i = 1; i <= 5; i++) noops.push(await timed(vm, `no-op rerun ${i}`, 'apply'));
    samples.push(...noops);
    // Drift: a config file edited, a container stopped, a network cut.
    await vm.sh(`sudo sed -i 's/scrape_interval: 15s/scrape_interval: 5s/' /opt/stacks/infra/prometheus/prometheus.yml && docker stop redis >/dev/null && docker network disconnect ibapi-trading_default traefik`);
    const check = await timed(vm, 'check (with drift)', 'check');
    const drift = await timed(vm, 'drift repair (apply)', 'apply');
    const checkClean = await timed(vm, 'check (in sync)', 'check');
    samples.push(check, drift, checkClean);

    const batch = await readBatch(vm.inventory);
    const floors = Array.from({ length: 5 }, () => floorRun(vm, batch));
    const validates = Array.from({ length: 5 }, () => wall(() => execFileSync(process.execPath, [join(ROOT, 'bin/provision.js'), 'validate', '-i', vm.inventory], { cwd: ROOT, stdio: 'ignore' })));
    const many = validateMany(vm, 2000);

    console.log(`\nMachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB; test VM = systemd container (test/vm), one host, site.yml`);
    console.log('\n| run | wall s | engine s | round trips | changed | exit |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const s of samples) console.log(`| ${s.label} | ${f(s.wallS)} | ${f(s.engineS)} | ${s.roundTrips} | ${s.changed} | ${s.code} |`);
    const walls = noops.map((s) => s.wallS);
    const engines = noops.map((s) => s.engineS);
    const noop = median(walls);
    const floor = median(floors);
    console.log(`\nno-op wall s: min ${f(Math.min(...walls))} median ${f(noop)} max ${f(Math.max(...walls))}`);
    console.log(`no-op engine s: min ${f(Math.min(...engines))} median ${f(median(engines))} max ${f(Math.max(...engines))}`);
    console.log(`floor (ssh + sudo bash running the same read batch) s: min ${f(Math.min(...floors))} median ${f(floor)} max ${f(Math.max(...floors))}`);
    console.log(`start-up (provision validate, one host) s: median ${f(median(validates))}`);
    console.log(`validate 2000 hosts: ${f(many.wallS)} s, ${Math.round(many.maxRssMb)} MB max RSS`);
    return `BENCH fresh_s=${f(fresh.wallS)} noop_median_s=${f(noop)} floor_s=${f(floor)} noop_floor_ratio=${f(noop / floor)} drift_s=${f(drift.wallS)} check_s=${f(checkClean.wallS)} validate_s=${f(median(validates))} validate_2000_s=${f(many.wallS)}`;
  } finally {
    vm.stop();
  }
}

await main();
