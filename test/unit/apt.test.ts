import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCmd, installedFrom, installedRead, lockHoldersCmdFor, missingPackages as missingIn, packagesTask, parseLockHolders, type AptRetry } from '../../src/ops/apt.ts';
import { FakeConnection } from '../fakes/fake-connection.ts';
import { runTasks } from '../fakes/run-tasks.ts';

const missingPackages = (wanted: string[], out: string) => missingIn(wanted, installedFrom(out));

describe('missingPackages', () => {
  const out = [
    'curl\tinstalled',
    'gnupg\tconfig-files',
    'docker.io\tnot-installed',
    'libc6:amd64\tinstalled',
    'ca-certificates\thalf-configured',
    '',
  ].join('\n');

  test('installed packages are not missing', () => assert.deepEqual(missingPackages(['curl'], out), []));
  test('config-files (removed, not purged) is missing', () => assert.deepEqual(missingPackages(['gnupg'], out), ['gnupg']));
  test('not-installed is missing', () => assert.deepEqual(missingPackages(['docker.io'], out), ['docker.io']));
  test('half-configured is missing', () => assert.deepEqual(missingPackages(['ca-certificates'], out), ['ca-certificates']));
  test('absent from the output (unknown to dpkg) is missing', () => assert.deepEqual(missingPackages(['jq'], out), ['jq']));
  test('arch-qualified name in the output matches the plain name', () => assert.deepEqual(missingPackages(['libc6'], out), []));
  test('keeps the wanted order', () => {
    assert.deepEqual(missingPackages(['jq', 'curl', 'gnupg', 'libc6', 'docker.io'], out), ['jq', 'gnupg', 'docker.io']);
  });
  test('empty output: everything is missing', () => assert.deepEqual(missingPackages(['a', 'b'], ''), ['a', 'b']));
  test('deinstall/config-files from a full status column is missing', () => {
    assert.deepEqual(missingPackages(['gnupg'], 'gnupg\tdeinstall ok config-files\n'), ['gnupg']);
  });
  test(
    'an arch-qualified wanted name matches dpkg-query ${Package} output (which has no arch)',
    () => {
      assert.deepEqual(missingPackages(['libc6:amd64'], 'libc6\tinstalled\n'), []);
    },
  );
});

describe('installedRead', () => {
  test('one dpkg-query for all packages (sorted), never failing', () => {
    assert.equal(
      installedRead(['docker-ce', 'curl']).cmd.text,
      "dpkg-query -W -f='${Package}\\t${db:Status-Status}\\n' curl docker-ce 2>/dev/null || true",
    );
  });
});

describe('installCmd', () => {
  const text = installCmd(['docker-ce', 'containerd.io']).text;
  const lines = text.split('\n');

  test('waits for the dpkg lock instead of failing', () => {
    assert.equal(lines.filter((l) => l.includes('-o DPkg::Lock::Timeout=600')).length, 2);
  });
  test('keeps existing config files non-interactively', () => {
    assert.ok(text.includes('-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold'));
  });
  test('an interrupted dpkg is finished first', () => {
    assert.equal(lines[0], 'if [ -n "$(ls -A /var/lib/dpkg/updates 2>/dev/null)" ]; then dpkg --configure -a --force-confdef --force-confold; fi');
  });
  test('updates only when lists are older than an hour or a package is unknown', () => {
    assert.equal(lines[3], 'if [ "$age" -gt 3600 ] || ! apt-cache show docker-ce containerd.io >/dev/null 2>&1; then');
    assert.equal(lines[4], '  apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold update');
    assert.equal(lines[5], '  touch "$lists/partial"');
    assert.equal(lines[6], 'fi');
  });
  test('installs after the conditional update, without recommends', () => {
    assert.equal(
      lines[7],
      'apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install --no-install-recommends docker-ce containerd.io',
    );
    assert.equal(lines.length, 8);
  });
  test('cache validity is configurable', () => {
    assert.match(installCmd(['x'], 60).text, /if \[ "\$age" -gt 60 \]/);
  });
});

describe('apt and dpkg locks', () => {
  test('the holder of an fcntl lock (what apt and dpkg take) is found and named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aptlock-'));
    const file = join(dir, 'lock-frontend');
    writeFileSync(file, '');
    // A process holding an fcntl write lock, as apt does (struct flock on x86_64 Linux).
    const holder = spawn('perl', ['-e', '$| = 1; use Fcntl; open(my $f, "+<", $ARGV[0]) or die; my $lk = pack("s s x4 q q l x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLKW, $lk) or die "lock: $!"; print "locked\\n"; sleep 30', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      const out = execFileSync('bash', ['--noprofile', '--norc', '-c', lockHoldersCmdFor([file, join(dir, 'absent')]).text], { encoding: 'utf8' });
      const holders = parseLockHolders(out);
      assert.deepEqual(holders.map((h) => [h.file, h.pid]), [[file, holder.pid]]);
      assert.match(holders[0]?.command ?? '', /^perl -e /);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  const fast: AptRetry = { lockTimeoutMs: 60_000, backoffMs: [1, 1], sleep: async () => {} };

  test('install waits while apt is locked, saying by whom, then installs', async () => {
    const conn = new FakeConnection([
      { match: '/proc/locks', stdout: '/var/lib/dpkg/lock-frontend 812 /usr/bin/python3 /usr/bin/unattended-upgrade\n', times: 2 },
      { match: 'dpkg-query', stdout: '' },
    ]);
    const { result, display } = await runTasks(conn, [{ name: 'r', tasks: [packagesTask('p', ['jq'], undefined, fast)] }]);
    assert.equal(result.tasks[0]?.status, 'changed', result.tasks[0]?.reason);
    assert.equal(conn.commands.filter((c) => c.includes('/proc/locks')).length, 3, 'asked until the lock was free');
    const progress = display.events.flatMap((e) => (e.type === 'task-progress' ? [e.text] : []));
    assert.match(progress[0] ?? '', /waiting for the apt\/dpkg lock held by \/usr\/bin\/python3 \/usr\/bin\/unattended-upgrade \(pid 812\)/);
    assert.match(conn.commands.at(-1) ?? '', /install --no-install-recommends jq$/);
  });

  test('a transient failure is tried again (bounded); a real one fails at once with apt\'s words', async () => {
    const flaky = new FakeConnection([
      { match: 'install --no-install-recommends', exitCode: 100, stderr: 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 99 (apt)', times: 1 },
      { match: 'dpkg-query', stdout: '' },
    ]);
    const ok = await runTasks(flaky, [{ name: 'r', tasks: [packagesTask('p', ['jq'], undefined, fast)] }]);
    assert.equal(ok.result.tasks[0]?.status, 'changed');
    assert.equal(flaky.commands.filter((c) => c.includes('install --no-install-recommends')).length, 2);

    const broken = new FakeConnection([{ match: 'install --no-install-recommends', exitCode: 100, stderr: 'E: Unable to locate package jqq' }, { match: 'dpkg-query', stdout: '' }]);
    const bad = await runTasks(broken, [{ name: 'r', tasks: [packagesTask('p', ['jqq'], undefined, fast)] }]);
    assert.equal(bad.result.tasks[0]?.status, 'failed');
    assert.match(bad.result.tasks[0]?.reason ?? '', /apt-get install jqq failed \(exit 100\):\nE: Unable to locate package jqq/);
    assert.equal(broken.commands.filter((c) => c.includes('install --no-install-recommends')).length, 1);

    const down = new FakeConnection([{ match: 'install --no-install-recommends', exitCode: 100, stderr: 'E: Failed to fetch http://deb.debian.org/x Temporary failure resolving' }, { match: 'dpkg-query', stdout: '' }]);
    const gaveUp = await runTasks(down, [{ name: 'r', tasks: [packagesTask('p', ['jq'], undefined, fast)] }]);
    assert.match(gaveUp.result.tasks[0]?.reason ?? '', /after 3 tries/);
  });
});
