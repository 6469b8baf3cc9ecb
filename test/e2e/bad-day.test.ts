// Issue 10 end to end, on one fresh VM: a VM that is still settling (dpkg locked, needrestart
// set to prompt), an interrupted bootstrap, two runs at once, the audit trail, a failed run's
// handler replayed, a file no longer shipped pruned.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedTasks, eventually, hostReport, ROOT, runCli, startVm, type Report, type RunResult, type Vm } from './vm.ts';

const NAME = 'provision-e2e-badday';
const DOCKER_HOST = ['-p', 'playbooks/docker-host.yml'];

/** Holds an fcntl write lock on a file, as apt and dpkg do, for `secs` (perl is in Debian's base). */
const HOLD_LOCK = (file: string, secs: number) =>
  `(sudo nohup perl -e '$|=1; use Fcntl; open(my $f, "+<", $ARGV[0]) or die; my $l = pack("s s x4 q q l x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLKW, $l) or die; sleep ${secs}' ${file} >/dev/null 2>&1 &)`;

/** Starts the CLI as a user would, and lets the test signal it. */
function startCli(args: string[], inventory: string): { child: ReturnType<typeof spawn>; done: Promise<RunResult> } {
  const json = join(mkdtempSync(join(tmpdir(), 'report-')), 'report.json');
  const child = spawn(process.execPath, [join(ROOT, 'bin/provision.js'), ...args, '-i', inventory, '--json', json], {
    cwd: ROOT,
    env: { ...process.env, PROVISION_RENDERER: 'silent', PROVISION_KNOWN_HOSTS: join(tmpdir(), `kh-${process.pid}`) },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<RunResult>((res) =>
    child.on('close', (code, signal) => {
      let report: Report | undefined;
      try {
        report = JSON.parse(readFileSync(json, 'utf8')) as Report;
      } catch {
        report = undefined;
      }
      res({ code: code ?? (signal ? 128 : -1), stdout, stderr, report });
    }),
  );
  return { child, done };
}

describe('a real VM on a bad day', { timeout: 30 * 60_000 }, () => {
  let vm: Vm;
  before(() => {
    execFileSync('bash', [`${ROOT}/test/images/build.sh`], { stdio: ['ignore', 'ignore', 'inherit'] });
    vm = startVm(NAME);
  });
  after(() => vm?.stop());

  it('a fresh bootstrap while something holds the dpkg lock for 20 s: the run waits, names it, and succeeds', async () => {
    await vm.sh(`${HOLD_LOCK('/var/lib/dpkg/lock-frontend', 20)}; sleep 1`);
    const holder = (await vm.sh(`pgrep -x perl | head -n1`)).stdout.trim();
    assert.ok(holder, 'the lock holder runs');
    const r = await vm.provision('apply', ...DOCKER_HOST);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const installs = hostReport(r, NAME).tasks.filter((t) => t.status === 'changed' && /^installed /.test(t.reason ?? ''));
    assert.match(installs.map((t) => t.reason).join('\n'), new RegExp(`waited \\d+ s for the apt/dpkg lock held by perl -e .* \\(pid ${holder}\\)`));
  });

  it('Ctrl-C mid-bootstrap stops between tasks: recap, report and audit say so, exit 130; a rerun finishes cleanly', async () => {
    const run = startCli(['apply'], vm.inventory);
    // Mid-way: the images are loading or the first stack is starting.
    await new Promise((r) => setTimeout(r, 4000));
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /SIGINT: stopping after the task running on each host/);
    assert.match(r.stdout, /PLAY RECAP/);
    const h = hostReport(r, NAME);
    assert.match(h.error ?? '', /interrupted/);
    assert.ok(h.tasks.length > 0 && h.tasks.length < 60, `some tasks ran: ${h.tasks.length}`);
    // No half-written file: nothing provision writes is left as a temp file.
    const temps = await vm.sh(`sudo find /opt/stacks /etc/docker -name '.provision.*' -o -name '.daemon.json.*' | head`);
    assert.equal(temps.stdout.trim(), '');
    const last = (await vm.sh('sudo tail -n 1 /var/log/provision/runs.jsonl')).stdout;
    assert.equal((JSON.parse(last) as { outcome: string }).outcome, 'interrupted');
    const again = await vm.provision('apply');
    assert.equal(again.code, 0, again.stdout);
    const notes = hostReport(again, NAME).notes ?? [];
    assert.ok(!notes.some((n) => /waiting for the run|took over the lock/.test(n)), `the lock was released: no wait, no takeover\n${notes.join('\n')}`);
    assert.deepEqual(changedTasks(await vm.provision('apply'), NAME), []);
  });

  it('two applies at once: one waits for the other, naming it; both end 0; the host converged', async () => {
    await vm.sh('docker stop redis >/dev/null');
    const a = startCli(['apply'], vm.inventory);
    const b = startCli(['apply'], vm.inventory);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.code, 0, ra.stdout);
    assert.equal(rb.code, 0, rb.stdout);
    const notes = [ra, rb].flatMap((r) => hostReport(r, NAME).notes ?? []);
    assert.ok(notes.some((n) => /^waiting for the run of .+ on .+ since .+ \(provision apply .*\) to finish/.test(n)), notes.join('\n'));
    const changed = [ra, rb].map((r) => changedTasks(r, NAME));
    assert.deepEqual(changed.flat(), ['shioaji | compose project shioajipy up to date'], 'exactly one run repaired redis');
    assert.equal((await vm.sh(`docker inspect -f '{{.State.Running}}' redis`)).stdout.trim(), 'true');
  });

  it('the audit trail is root-only and `provision history` shows the runs', async () => {
    const st = await vm.sh('sudo stat -c "%a %U" /var/log/provision /var/log/provision/runs.jsonl');
    assert.deepEqual(st.stdout.trim().split('\n'), ['700 root', '600 root']);
    const h = await runCli(['history', '-n', '3'], vm.inventory);
    assert.equal(h.code, 0, h.stderr);
    const lines = h.stdout.trim().split('\n');
    assert.equal(lines[0], `${NAME}:`);
    assert.equal(lines.length, 4);
    for (const l of lines.slice(1)) assert.match(l, /^ {2}\S+ {2}apply {2}(ok|changed)\b.*@.* playbooks\/site\.yml/);
    for (const s of Object.values(vm.secrets)) assert.ok(!(await vm.sh('sudo cat /var/log/provision/runs.jsonl')).stdout.includes(s), 'no secret in the audit trail');
  });

  it("a handler notified before a failure is remembered and run first thing in the next run", async () => {
    // daemon.json drifts (notifies "restart docker"), then a later task of the role fails.
    await vm.sh(`sudo sed -i 's/"10m"/"20m"/' /etc/docker/daemon.json && sudo mv /usr/libexec/docker/cli-plugins/docker-compose /root/compose.away`);
    const before = (await vm.sh(`systemctl show -p ActiveEnterTimestamp docker`)).stdout;
    const failed = await vm.provision('apply', ...DOCKER_HOST);
    assert.equal(failed.code, 1);
    const skipped = hostReport(failed, NAME).tasks.find((t) => t.name === 'handler: restart docker');
    assert.equal(skipped?.status, 'skipped');
    assert.match(skipped?.reason ?? '', /notified, but not run: .*the next run runs it/);
    assert.equal((await vm.sh(`systemctl show -p ActiveEnterTimestamp docker`)).stdout, before, 'docker was not restarted');
    await vm.sh('sudo mv /root/compose.away /usr/libexec/docker/cli-plugins/docker-compose');
    const next = await vm.provision('apply', ...DOCKER_HOST);
    assert.equal(next.code, 0, next.stdout);
    const replayed = hostReport(next, NAME).tasks.find((t) => t.name.startsWith('handler: restart docker'));
    assert.match(replayed?.name ?? '', /^handler: restart docker \(pending: the run stopped at a failure/);
    assert.equal(replayed?.status, 'changed');
    const order = hostReport(next, NAME).tasks.map((t) => t.role);
    const at = hostReport(next, NAME).tasks.findIndex((t) => t === replayed);
    assert.ok(order.slice(0, at).every((r) => r === 'docker') && order.indexOf('networks') > at, 'at the end of the docker role, before the next role');
    assert.notEqual((await vm.sh(`systemctl show -p ActiveEnterTimestamp docker`)).stdout, before, 'docker was restarted');
    await eventually('containers back', async () => ((await vm.sh('docker ps -q | wc -l')).stdout.trim() === '21' ? true : undefined));
    assert.deepEqual(changedTasks(await vm.provision('apply'), NAME), []);
  });

  it('a file the project no longer ships is removed (only that one) and the service mounting it reloaded; check lists it first', async () => {
    // What an earlier version shipped: an extra rules file, listed in the stack's manifest.
    await vm.sh(
      `printf 'groups:\\n- name: old\\n  rules:\\n  - alert: OldRule\\n    expr: vector(0) > 1\\n' | sudo tee /opt/stacks/infra/prometheus/rules/old.yml >/dev/null && ` +
        `echo prometheus/rules/old.yml | sudo tee -a /opt/stacks/infra/.provision-manifest >/dev/null && ` +
        `echo mine | sudo tee /opt/stacks/infra/prometheus/rules/mine.txt >/dev/null && docker kill -s HUP prometheus >/dev/null`,
    );
    const rules = async () => {
      const r = await vm.sh(`docker exec prometheus wget -qO- http://localhost:9090/api/v1/rules`);
      return (JSON.parse(r.stdout) as { data: { groups: { rules: { type: string }[] }[] } }).data.groups.flatMap((g) => g.rules.filter((x) => x.type === 'alerting')).length;
    };
    await eventually('6 alert rules', async () => ((await rules()) === 6 ? true : undefined));
    const c = await vm.provision('check');
    assert.equal(c.code, 3);
    assert.match(hostReport(c, NAME).tasks.find((t) => t.name === 'infra: files no longer shipped')?.reason ?? '', /^no longer shipped: prometheus\/rules\/old\.yml$/);
    const a = await vm.provision('apply');
    assert.equal(a.code, 0, a.stdout);
    assert.deepEqual(changedTasks(a, NAME).sort(), ['infra | compose project infra up to date', 'infra | infra: files no longer shipped', 'infra | infra: manifest of managed files'].sort());
    assert.match(hostReport(a, NAME).tasks.find((t) => t.name === 'compose project infra up to date')?.reason ?? '', /reloaded \(SIGHUP\) prometheus \(prometheus changed\)/);
    assert.equal((await vm.sh('ls /opt/stacks/infra/prometheus/rules/')).stdout.split('\n').filter(Boolean).sort().join(' '), 'alerts.yml mine.txt');
    await eventually('back to 5 alert rules', async () => ((await rules()) === 5 ? true : undefined));
    assert.deepEqual(changedTasks(await vm.provision('apply'), NAME), []);
  });

  it('needrestart set to prompt: installing packages still completes unattended', async () => {
    await vm.sh(`sudo apt-get install -y -q needrestart >/dev/null 2>&1 && echo '$nrconf{restart} = "i";' | sudo tee /etc/needrestart/conf.d/zz-prompt.conf >/dev/null && sudo apt-get remove -y -q docker-compose >/dev/null 2>&1`);
    const r = await vm.provision('apply', ...DOCKER_HOST);
    assert.equal(r.code, 0, r.stdout);
    assert.ok(changedTasks(r, NAME).includes('docker | Docker Engine and Compose v2 packages'));
    assert.match((await vm.sh('docker compose version --short')).stdout.trim(), /^v?2\./);
  });
});
