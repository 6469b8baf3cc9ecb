// Benchmark (prints figures; never fails on time): on a fresh test VM, the wall time of the
// CLI for a fresh bootstrap of the whole site, five no-op reruns, a drift repair and a check,
// with the engine's own time and SSH round trips from the JSON report.
// Run: npm run bench   (needs what test/setup.sh installs; uses its own VM, removed after)
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { ROOT, startVm, type RunResult, type Vm } from '../e2e/vm.ts';

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

const f = (x: number) => x.toFixed(2);

async function main(): Promise<void> {
  execFileSync('bash', [`${ROOT}/test/setup.sh`], { stdio: ['ignore', 'ignore', 'inherit'] });
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

    console.log(`\nMachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB; test VM = systemd container (test/vm), one host, site.yml`);
    console.log('\n| run | wall s | engine s | round trips | changed | exit |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const s of samples) console.log(`| ${s.label} | ${f(s.wallS)} | ${f(s.engineS)} | ${s.roundTrips} | ${s.changed} | ${s.code} |`);
    const walls = noops.map((s) => s.wallS);
    const engines = noops.map((s) => s.engineS);
    console.log(`\nno-op wall s: min ${f(Math.min(...walls))} median ${f(median(walls))} max ${f(Math.max(...walls))}`);
    console.log(`no-op engine s: min ${f(Math.min(...engines))} median ${f(median(engines))} max ${f(Math.max(...engines))}`);
    console.log(`BENCH fresh_s=${f(fresh.wallS)} noop_median_s=${f(median(walls))} drift_s=${f(drift.wallS)} check_s=${f(checkClean.wallS)}`);
  } finally {
    vm.stop();
  }
}

await main();
