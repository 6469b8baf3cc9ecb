// Debian/Ubuntu packages. One dpkg-query tells what is installed; apt-get update runs only
// when the package lists are older than the cache validity (or a package is unknown to apt).
import { sh, type Cmd } from '../remote/command.ts';
import type { Facts } from '../engine/facts.ts';
import { read, type Read } from '../engine/read.ts';
import { change, defineTask, inSync } from '../engine/task.ts';
import type { Task } from '../engine/types.ts';

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
  return sh`lists=/var/lib/apt/lists
age=$(( $(date +%s) - $(stat -c %Y "$lists/partial" 2>/dev/null || echo 0) ))
if [ "$age" -gt ${validS} ] || ! apt-cache show ${[...pkgs]} >/dev/null 2>&1; then
  ${APT} update
  touch "$lists/partial"
fi
${APT} install --no-install-recommends ${[...pkgs]}`;
}

/** Packages that depend on the host (e.g. its OS): read every candidate, pick from facts. */
export interface PackageChoice {
  candidates: readonly string[];
  pick: (facts: Facts) => string[];
}

export function packagesTask(name: string, wanted: readonly string[] | PackageChoice, tags?: string[]): Task {
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
      await ctx.run(installCmd(missing), { timeoutMs: 30 * 60_000 });
      return { reason: `installed ${missing.join(', ')}` };
    },
  });
}
