// Debian/Ubuntu packages. One dpkg-query tells what is installed; apt-get update runs only
// when the package lists are older than the cache validity (or a package is unknown to apt).
import { sh, type Cmd } from '../remote/command.ts';
import type { Facts } from '../engine/facts.ts';
import { read, type Read } from '../engine/read.ts';
import { change, defineTask, inSync } from '../engine/task.ts';
import type { Task, TaskContext } from '../engine/types.ts';

export const APT_CACHE_VALID_S = 3600;

/** Waits for dpkg/apt locks held by cloud-init or unattended-upgrades instead of failing. */
const APT = ['apt-get', '-y', '-q', '-o', 'DPkg::Lock::Timeout=600', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

/** Names of the given packages that dpkg reports installed. */
export function installedRead(pkgs: readonly string[]): Read<Set<string>> {
  return read(sh`dpkg-query -W -f='\${Package}\\t\${db:Status-Status}\\n' ${[...pkgs].sort()} 2>/dev/null || true`, (r) => installedFrom(r.stdout));
}

/** Pure: installed package names (without ":arch") from dpkg-query output. */
export function installedFrom(dpkgOut: string): Set<string> {
  return new Set(
    dpkgOut
      .split('\n')
      .map((l) => l.split('\t'))
      .filter(([, st]) => st === 'installed')
      .map(([p]) => (p ?? '').split(':')[0] ?? ''),
  );
}

/** Pure: which of `wanted` are not installed. dpkg-query prints ${Package} without ":arch". */
export function missingPackages(wanted: readonly string[], installed: ReadonlySet<string>): string[] {
  return wanted.filter((p) => !installed.has(p.split(':')[0] ?? p));
}

export function installCmd(pkgs: readonly string[], validS = APT_CACHE_VALID_S): Cmd {
  // An interrupted dpkg (a run or a person killed mid-install) blocks every later install: finish it first.
  return sh`if [ -n "$(ls -A /var/lib/dpkg/updates 2>/dev/null)" ]; then dpkg --configure -a --force-confdef --force-confold; fi
lists=/var/lib/apt/lists
age=$(( $(date +%s) - $(stat -c %Y "$lists/partial" 2>/dev/null || echo 0) ))
if [ "$age" -gt ${validS} ] || ! apt-cache show ${[...pkgs]} >/dev/null 2>&1; then
  ${APT} update
  touch "$lists/partial"
fi
${APT} install --no-install-recommends ${[...pkgs]}`;
}

const LOCKS = ['/var/lib/dpkg/lock-frontend', '/var/lib/dpkg/lock', '/var/lib/apt/lists/lock', '/var/cache/apt/archives/lock'];

export interface LockHolder {
  file: string;
  pid: number;
  command: string;
}

/**
 * Who holds apt's and dpkg's locks (fcntl locks, found in /proc/locks by the lock file's inode).
 * `apt-get update` has no option to wait for its lists lock, so the engine waits for all of them.
 */
export const lockHoldersCmd = lockHoldersCmdFor(LOCKS);

export function lockHoldersCmdFor(files: readonly string[]): Cmd {
  return sh`for f in ${[...files]}; do
  [ -e "$f" ] || continue
  ino=$(stat -c %i "$f")
  for pid in $(awk -v ino="$ino" '$2 != "->" { n = split($6, a, ":"); if (a[n] == ino) print $5 }' /proc/locks); do
    if [ -r "/proc/$pid/cmdline" ]; then printf '%s %s %s\\n' "$f" "$pid" "$(tr '\\0' ' ' <"/proc/$pid/cmdline" | cut -c1-100)"; fi
  done
done`;
}

export function parseLockHolders(stdout: string): LockHolder[] {
  return stdout
    .split('\n')
    .map((l) => /^(\S+) (\d+) (.*)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: m[1] as string, pid: Number(m[2]), command: (m[3] as string).trim() }));
}

/** Failures worth another try: a lock taken in between, the network, a mirror in sync. */
const TRANSIENT = /Could not get lock|Unable to acquire the dpkg frontend lock|is another process using it|Temporary failure resolving|Could not resolve|Failed to fetch|Unable to fetch some archives|Hash Sum mismatch|Connection timed out|Connection failed|Could not connect|Some index files failed to download|Undetermined Error/i;

export interface AptRetry {
  /** Waiting for the locks, at most (default 10 minutes). */
  lockTimeoutMs: number;
  /** Pauses between tries of a transient failure (bounded: one try more than pauses). */
  backoffMs: number[];
  sleep: (ms: number) => Promise<void>;
}

export const APT_RETRY: AptRetry = { lockTimeoutMs: 10 * 60_000, backoffMs: [5_000, 15_000, 30_000], sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** Waits while another process holds apt's or dpkg's locks, saying which; returns what it waited for. */
export async function waitForAptLocks(ctx: TaskContext, retry: AptRetry): Promise<string | undefined> {
  const started = Date.now();
  let waitedFor: string | undefined;
  for (;;) {
    const holders = parseLockHolders((await ctx.run(lockHoldersCmd, { nothrow: true })).stdout);
    if (!holders.length) return waitedFor && `waited ${Math.round((Date.now() - started) / 1000)} s for the apt/dpkg lock held by ${waitedFor}`;
    const waited = Date.now() - started;
    const who = [...new Map(holders.map((h) => [h.pid, `${h.command} (pid ${h.pid})`])).values()].join(', ');
    if (waited >= retry.lockTimeoutMs) throw new Error(`apt/dpkg is locked by ${who}; gave up after ${Math.round(waited / 1000)} s`);
    waitedFor = who;
    const line = `waiting for the apt/dpkg lock held by ${who} (${Math.round(waited / 1000)} s)`;
    ctx.progress(line);
    ctx.log(line);
    await retry.sleep(2_000);
  }
}

/** apt-get install (after an update if the lists are stale), waiting for locks, retrying transient failures. */
export async function installPackages(ctx: TaskContext, pkgs: readonly string[], retry: AptRetry = APT_RETRY): Promise<string[]> {
  const said: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const waited = await waitForAptLocks(ctx, retry);
    if (waited) said.push(waited);
    ctx.progress(`apt-get install ${pkgs.join(' ')}`);
    const r = await ctx.run(installCmd(pkgs), { timeoutMs: 30 * 60_000, nothrow: true });
    if (r.ok) return said;
    const why = `${r.stderr}\n${r.stdout}`;
    const pause = retry.backoffMs[attempt];
    if (pause === undefined || !TRANSIENT.test(why)) {
      const tail = why.trim().split('\n').filter(Boolean).slice(-8).join('\n');
      throw new Error(`apt-get install ${pkgs.join(' ')} failed (exit ${r.exitCode}${attempt ? `, after ${attempt + 1} tries` : ''}):\n${tail}`);
    }
    const line = `apt failed with what looks transient (${(TRANSIENT.exec(why)?.[0] ?? '').trim()}); trying again in ${pause / 1000} s`;
    said.push(`tried again after: ${(TRANSIENT.exec(why)?.[0] ?? '').trim()}`);
    ctx.progress(line);
    ctx.log(line);
    await retry.sleep(pause);
  }
}

/** Packages that depend on the host (e.g. its OS): read every candidate, pick from facts. */
export interface PackageChoice {
  candidates: readonly string[];
  pick: (facts: Facts) => string[];
}

export function packagesTask(name: string, wanted: readonly string[] | PackageChoice, tags?: string[], retry: AptRetry = APT_RETRY): Task {
  const candidates = 'candidates' in wanted ? wanted.candidates : wanted;
  const pick = (facts: Facts) => ('pick' in wanted ? wanted.pick(facts) : [...wanted]);
  return defineTask({
    name,
    tags,
    reads: { installed: installedRead(candidates) },
    check: (ctx, { installed }) => {
      const want = pick(ctx.facts);
      const missing = missingPackages(want, installed);
      return missing.length ? change(`not installed: ${missing.join(', ')}`, missing) : inSync(`installed: ${want.join(', ')}`);
    },
    apply: async (ctx, { data: missing }) => {
      const said = await installPackages(ctx, missing, retry);
      return { reason: `installed ${missing.join(', ')}${said.length ? ` (${said.join('; ')})` : ''}` };
    },
  });
}
