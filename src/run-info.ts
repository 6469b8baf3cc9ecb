// Who runs what, from where: recorded on each host with its lock and in its audit trail.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { RunInfo } from './engine/host-state.ts';

function git(root: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['-C', root, ...args], { timeout: 5000 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/** The repository commit the run's roles come from, and whether the tree has uncommitted changes. */
export async function repoState(root: string): Promise<{ commit?: string; dirty?: boolean }> {
  const [head, status] = await Promise.all([git(root, ['rev-parse', 'HEAD']), git(root, ['status', '--porcelain', '--untracked-files=no'])]);
  return head ? { commit: head.trim(), dirty: (status ?? '').trim().length > 0 } : {};
}

export async function runInfo(opts: { root: string; argv: string[]; inventory: string; playbook: string; check: boolean }): Promise<RunInfo> {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry (containers): keep $USER */
  }
  return {
    id: randomBytes(8).toString('hex'),
    user,
    control: hostname(),
    command: ['provision', ...opts.argv].join(' '),
    inventory: opts.inventory,
    playbook: opts.playbook,
    mode: opts.check ? 'check' : 'apply',
    ...(await repoState(opts.root)),
  };
}
