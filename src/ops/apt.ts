// Debian/Ubuntu packages. One dpkg-query tells what is installed; apt-get update runs only
// when the package lists are older than the cache validity (or a package is unknown to apt).
import { sh, type Cmd } from '../remote/command.ts';
import type { Facts } from '../engine/facts.ts';
import type { Task, TaskContext } from '../engine/types.ts';

export const APT_CACHE_VALID_S = 3600;

/** Waits for dpkg/apt locks held by cloud-init or unattended-upgrades instead of failing. */
const APT = ['apt-get', '-y', '-q', '-o', 'DPkg::Lock::Timeout=600', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

export function installedCmd(pkgs: string[]): Cmd {
  return sh`dpkg-query -W -f='\${Package}\\t\${db:Status-Status}\\n' ${pkgs} 2>/dev/null || true`;
}

/** Pure: which of `wanted` are not installed, from dpkg-query output. */
export function missingPackages(wanted: string[], dpkgOut: string): string[] {
  const installed = new Set(
    dpkgOut
      .split('\n')
      .map((l) => l.split('\t'))
      .filter(([, st]) => st === 'installed')
      .map(([p]) => (p ?? '').split(':')[0]),
  );
  // dpkg-query prints ${Package} without ":arch", so compare names without it.
  return wanted.filter((p) => !installed.has(p.split(':')[0] ?? p));
}

export function installCmd(pkgs: string[], validS = APT_CACHE_VALID_S): Cmd {
  return sh`lists=/var/lib/apt/lists
age=$(( $(date +%s) - $(stat -c %Y "$lists/partial" 2>/dev/null || echo 0) ))
if [ "$age" -gt ${validS} ] || ! apt-cache show ${pkgs} >/dev/null 2>&1; then
  ${APT} update
  touch "$lists/partial"
fi
${APT} install --no-install-recommends ${pkgs}`;
}

export function packagesTask(name: string, pkgs: string[] | ((facts: Facts) => string[]), tags?: string[]): Task {
  const list = (ctx: TaskContext) => (typeof pkgs === 'function' ? pkgs(ctx.facts) : pkgs);
  return {
    name,
    tags,
    prefetch: (facts) => [installedCmd(typeof pkgs === 'function' ? pkgs(facts) : pkgs)],
    check: async (ctx) => {
      const missing = missingPackages(list(ctx), (await ctx.read(installedCmd(list(ctx)))).stdout);
      return missing.length ? { changed: true, reason: `not installed: ${missing.join(', ')}`, data: missing } : { changed: false, reason: `installed: ${list(ctx).join(', ')}` };
    },
    apply: async (ctx, found) => {
      const missing = found.data as string[];
      await ctx.host.run(installCmd(missing), { timeoutMs: 30 * 60_000 });
      return { reason: `installed ${missing.join(', ')}` };
    },
  };
}
