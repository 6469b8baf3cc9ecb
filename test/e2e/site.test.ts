// Issue 3 end to end: a fresh VM gets the whole environment (three stacks) from site.yml;
// real Prometheus, Alertmanager, exporters, Redis and PostgreSQL prove the wiring.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseEnv } from 'dotenv';
import { changedTasks, eventually, hostReport, ROOT, startVm, type Vm } from './vm.ts';

const NAME = 'provision-e2e-site';

// SPEC's network table, plus the cross-network members it names.
const NETWORKS: Record<string, string[]> = {
  'infra-network': ['grafana', 'prometheus', 'loki', 'tempo', 'traefik', 'cadvisor', 'node-exporter', 'promtail', 'alertmanager', 'portainer', 'redis-exporter', 'homepage'],
  'shioaji-network': ['shioaji-gateway', 'shioaji-backend', 'shioaji-frontend', 'force-recorder', 'redis', 'prometheus', 'redis-exporter', 'traefik', 'promtail'],
  'ibapi-trading_default': ['ibapi-web', 'ibapi-api', 'ibapi-postgres', 'ibapi-adminer', 'prometheus', 'traefik', 'promtail'],
};

async function promApi(vm: Vm, path: string): Promise<unknown> {
  const r = await vm.sh(`docker exec prometheus wget -qO- 'http://localhost:9090${path}'`);
  return (JSON.parse(r.stdout) as { data: unknown }).data;
}

describe('whole environment on a fresh VM', { timeout: 30 * 60_000 }, () => {
  let vm: Vm;
  before(() => {
    execFileSync('bash', [`${ROOT}/test/images/build.sh`], { stdio: ['ignore', 'ignore', 'inherit'] });
    vm = startVm(NAME);
    // Passwords the way a password manager makes them: every shell and URL metacharacter,
    // quotes and spaces (backquoted in .env so both quote kinds fit).
    const envFile = join(vm.dir, '.env');
    writeFileSync(envFile, [
      "POSTGRES_PASSWORD='p@ss w0rd$HOME#%/:\"`;|&x?=+'",
      'GRAFANA_ADMIN_PASSWORD=`it\'s "admin" $(touch /tmp/pwned) #1 %41 \\`',
      '',
    ].join('\n'), { mode: 0o600 });
    vm.secrets = parseEnv(readFileSync(envFile));
  });
  after(() => vm?.stop());

  it('apply brings up all three stacks', async () => {
    const r = await vm.provision('apply');
    assert.equal(r.code, 0, `apply failed:\n${r.stdout}\n${r.stderr}`);
    assert.equal(hostReport(r, NAME).failed, 0);
  });

  it('every container of the three stacks is running', async () => {
    const ps = await vm.sh(`docker ps --format '{{.Names}} {{.State}} {{.Label "com.docker.compose.project"}}'`);
    const rows = ps.stdout.trim().split('\n').map((l) => l.split(' '));
    const running = new Map(rows.map(([n, s, p]) => [n, `${s} ${p}`]));
    const want: Record<string, string[]> = {
      infra: NETWORKS['infra-network']!,
      shioajipy: ['shioaji-gateway', 'shioaji-backend', 'shioaji-frontend', 'force-recorder', 'redis'],
      'ibapi-trading': ['ibapi-web', 'ibapi-api', 'ibapi-postgres', 'ibapi-adminer'],
    };
    for (const [project, names] of Object.entries(want)) {
      for (const n of names) assert.equal(running.get(n), `running ${project}`, `${n} (${project})`);
    }
  });

  it('containers are attached to the networks SPEC names, and only those', async () => {
    for (const [net, members] of Object.entries(NETWORKS)) {
      const r = await vm.sh(`docker network inspect ${net} --format '{{range .Containers}}{{.Name}} {{end}}'`);
      assert.deepEqual(r.stdout.trim().split(/\s+/).sort(), [...members].sort(), net);
    }
  });

  it('Prometheus (real) has the five alert rules loaded', async () => {
    const data = await eventually('rules', async () => {
      const d = (await promApi(vm, '/api/v1/rules')) as { groups: { rules: { name: string; type: string }[] }[] };
      return d.groups.length ? d : undefined;
    });
    const alerts = data.groups.flatMap((g) => g.rules.filter((r) => r.type === 'alerting').map((r) => r.name));
    assert.equal(alerts.length, 5, `alerts: ${alerts.join(', ')}`);
  });

  it('Prometheus targets node-exporter, redis-exporter and alertmanager are up', async () => {
    await eventually('targets up', async () => {
      const d = (await promApi(vm, '/api/v1/targets')) as { activeTargets: { labels: { job: string }; health: string }[] };
      const health = new Map(d.activeTargets.map((t) => [t.labels.job, t.health]));
      const ok = ['node-exporter', 'redis-exporter', 'alertmanager', 'prometheus'].every((j) => health.get(j) === 'up');
      return ok ? health : undefined;
    }, 120_000);
  });

  it('redis-exporter (real) reaches Redis (real) across networks', async () => {
    await eventually('redis_up 1', async () => {
      const r = await vm.sh(`docker exec prometheus wget -qO- http://redis-exporter:9121/metrics`);
      return /^redis_up 1$/m.test(r.stdout) ? true : undefined;
    });
  });

  it('PostgreSQL (real) accepts the password from .env over TCP and in the app\'s DATABASE_URL, and refuses a wrong one', async () => {
    const pw = Buffer.from(vm.secrets.POSTGRES_PASSWORD!).toString('base64');
    await eventually('postgres ready', async () => {
      const r = await vm.sh(`docker exec -e PGPASSWORD="$(echo ${pw} | base64 -d)" ibapi-postgres psql -h ibapi-postgres -U ibapi -d ibapi -tAc 'select 42'`, { allowFail: true });
      return r.stdout.trim() === '42' ? true : undefined;
    });
    // The app gets a percent-encoded URL; psql parses it as the app's driver would.
    const url = await vm.sh(`url=$(docker exec ibapi-api printenv DATABASE_URL) && docker exec ibapi-postgres psql "$url" -tAc 'select 43'`);
    assert.equal(url.stdout.trim(), '43');
    // Only the password file reaches the PostgreSQL container, not an environment variable.
    const envOf = await vm.sh(`docker inspect ibapi-postgres --format '{{json .Config.Env}}'`);
    assert.ok(!envOf.stdout.includes('POSTGRES_PASSWORD='), envOf.stdout);
    const bad = await vm.sh(`docker exec -e PGPASSWORD=wrong-password ibapi-postgres psql -h ibapi-postgres -U ibapi -d ibapi -tAc 'select 1'`, { allowFail: true });
    assert.notEqual(bad.code, 0);
  });

  it('Adminer (real) logs in to PostgreSQL with the .env password and runs a query; a wrong password is refused', async () => {
    // test/e2e/adminer-login.sh on the VM: a browser's login (cookie, form POST, SQL page with its
    // token) with curl against the container's address; the password on its standard input.
    const script = Buffer.from(readFileSync(join(ROOT, 'test/e2e/adminer-login.sh'))).toString('base64');
    const login = (password: string) => {
      const pw = Buffer.from(password).toString('base64');
      return vm.sh(`set -e; f=$(mktemp); echo ${script} | base64 -d >"$f"
ip=$(docker inspect -f '{{with index .NetworkSettings.Networks "ibapi-trading_default"}}{{.IPAddress}}{{end}}' ibapi-adminer)
echo ${pw} | base64 -d | bash "$f" "http://$ip:8080" ibapi-postgres ibapi ibapi "select concat_ws(chr(47), current_user, current_database(), 6*7)"; rm -f "$f"`, { allowFail: true });
    };
    const ok = await eventually('adminer login', async () => {
      const r = await login(vm.secrets.POSTGRES_PASSWORD!);
      return r.code === 0 && r.stdout.includes('result=') ? r.stdout : undefined;
    });
    // The form's server comes from ADMINER_DEFAULT_SERVER; the query ran as ibapi in ibapi.
    assert.equal(ok, 'server=ibapi-postgres\nresult=ibapi/ibapi/42\n');
    const bad = await login('wrong-password');
    assert.equal(bad.code, 0, bad.stderr);
    assert.match(bad.stdout, /^error=.*password authentication failed for user "ibapi"$/m);
    assert.ok(!bad.stdout.includes('result='), bad.stdout);
  });

  it('Grafana takes the admin password from a secret file, and logs in with it', async () => {
    const auth = Buffer.from(`admin:${vm.secrets.GRAFANA_ADMIN_PASSWORD!}`).toString('base64');
    const wrong = Buffer.from('admin:wrong').toString('base64');
    const ok = await eventually('grafana login', async () => {
      const r = await vm.sh(`docker exec prometheus wget -qO- --header 'Authorization: Basic ${auth}' http://grafana:3000/api/user`, { allowFail: true });
      return r.code === 0 ? r.stdout : undefined;
    });
    assert.match(ok, /"login":"admin"/);
    const bad = await vm.sh(`docker exec prometheus wget -qO- --header 'Authorization: Basic ${wrong}' http://grafana:3000/api/user`, { allowFail: true });
    assert.notEqual(bad.code, 0);
    const env = await vm.sh(`docker inspect grafana --format '{{json .Config.Env}}'`);
    assert.ok(!env.stdout.includes('GF_SECURITY_ADMIN_PASSWORD='), env.stdout);
    const file = await vm.sh(`sudo stat -c '%a' /opt/stacks/infra/secrets/grafana_admin_password`);
    assert.equal(file.stdout.trim(), '600');
    const pwned = await vm.sh(`ls /tmp/pwned`, { allowFail: true });
    assert.notEqual(pwned.code, 0, 'a password was run as a command');
  });

  it('.env files are root-owned 0600 and hold the secrets; no secret reached the report', async () => {
    const r = await vm.sh(`sudo stat -c '%a %U %n' /opt/stacks/infra/.env /opt/stacks/shioajipy/.env /opt/stacks/ibapi-trading/.env`);
    for (const line of r.stdout.trim().split('\n')) assert.match(line, /^600 root /);
    const env = parseEnv((await vm.sh(`sudo cat /opt/stacks/ibapi-trading/.env`)).stdout);
    assert.equal(env.POSTGRES_PASSWORD, vm.secrets.POSTGRES_PASSWORD);
    const again = await vm.provision('check', '--diff');
    for (const s of Object.values(vm.secrets)) {
      assert.ok(!again.stdout.includes(s) && !JSON.stringify(again.report).includes(s), 'a secret leaked into output');
    }
  });

  it('a second apply reports changed=0', async () => {
    const r = await vm.provision('apply');
    assert.equal(r.code, 0);
    assert.deepEqual(changedTasks(r, NAME), []);
  });
});
