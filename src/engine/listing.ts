// --list-hosts and --list-tasks: what a run would touch, printed the way ansible-playbook prints
// it (play by play: pattern, hosts, tasks with their tags), with no host contacted. Tasks are
// built per host here (a role's tasks may depend on the host's variables), so hosts whose task
// lists differ are listed separately.
import { ConfigError } from '../config/errors.ts';
import type { Inventory } from '../config/inventory.ts';
import { selectHosts } from '../config/patterns.ts';
import type { Playbook } from '../config/playbook.ts';
import { limitTermProblem, type HostPlan } from './plan.ts';

/** The hosts each play would run on after --limit, in inventory order. */
export function hostsPerPlay(inv: Inventory, book: Playbook, limit?: string): string[][] {
  const problems: string[] = [];
  let limited: Set<string> | undefined;
  if (limit) {
    const sel = selectHosts(limit, inv);
    problems.push(...sel.unknown.map((t) => limitTermProblem(limit, t, inv)));
    if (!sel.hosts.length && !sel.unknown.length) problems.push(`--limit ${limit}: matches no host in ${inv.file}`);
    limited = new Set(sel.hosts);
  }
  const out = book.plays.map((play, pi) => {
    const sel = selectHosts(play.hosts, inv);
    if (!sel.hosts.length) problems.push(`${book.file}: ${pi}/hosts: "${play.hosts}" matches no host in ${inv.file}`);
    return sel.hosts.filter((h) => !limited || limited.has(h));
  });
  if (problems.length) throw new ConfigError('invalid input; nothing was changed', problems);
  return out;
}

const tagList = (tags: readonly string[]) => `[${[...new Set(tags)].sort().join(', ')}]`;

/**
 * The listing: per play its header, then (with `hosts`) the pattern and the hosts, then (with
 * `plans`) the tasks each host would run, after --tags/--skip-tags and --start-at-task.
 */
export function formatListing(book: Playbook, playHosts: string[][], opts: { hosts: boolean; plans?: HostPlan[] }): string {
  const lines = ['', `playbook: ${book.file}`];
  book.plays.forEach((play, pi) => {
    const hosts = playHosts[pi] ?? [];
    lines.push('', `  play #${pi + 1} (${play.hosts}): ${play.name}\tTAGS: ${tagList(play.tags)}`);
    if (opts.hosts) {
      lines.push(`    pattern: ['${play.hosts}']`, `    hosts (${hosts.length}):`, ...hosts.map((h) => `      ${h}`));
    }
    if (!opts.plans) return;
    // Hosts with the same task list share one block.
    const blocks = new Map<string, string[]>();
    for (const plan of opts.plans) {
      if (!hosts.includes(plan.name)) continue;
      const tasks = plan.roles
        .filter((r) => r.play === pi)
        .flatMap((r) => r.tasks.map((t) => `      ${r.name} : ${t.name}\tTAGS: ${tagList([...(r.inheritedTags ?? []), ...t.tags])}`));
      const key = tasks.join('\n');
      blocks.set(key, [...(blocks.get(key) ?? []), plan.name]);
    }
    if (blocks.size === 0) lines.push('    tasks: (no host of this run is in this play)');
    for (const [tasks, names] of blocks) {
      lines.push(blocks.size === 1 ? '    tasks:' : `    tasks (${names.join(', ')}):`);
      if (tasks) lines.push(tasks);
    }
  });
  return lines.join('\n');
}
