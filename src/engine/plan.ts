// From inventory + playbook + roles to a per-host plan, with every input problem found before
// any host is touched: unknown roles and tags, empty patterns, bad role variables, secrets.
import { ConfigError } from '../config/errors.ts';
import { connectionOf, roleVarsOf, type Inventory } from '../config/inventory.ts';
import { deepMerge } from '../config/merge.ts';
import { selectHosts } from '../config/patterns.ts';
import type { Playbook } from '../config/playbook.ts';
import { lookupSecret, resolveSecrets, type SecretSource } from '../config/secrets.ts';
import type { ConnectionSpec } from '../remote/host.ts';
import type { LoadedRole, RoleLibrary } from './roles.ts';
import type { Task, Vars } from './types.ts';

export interface PlannedTask {
  task: Task;
  tags: string[];
}

export interface PlannedRole {
  role: LoadedRole;
  vars: Vars;
  tasks: PlannedTask[];
  secrets: Record<string, string>;
}

export interface HostPlan {
  name: string;
  connection: ConnectionSpec;
  roles: PlannedRole[];
}

export interface PlanOptions {
  limit?: string;
  tags?: string[];
  skipTags?: string[];
}

export function buildPlan(inv: Inventory, book: Playbook, lib: RoleLibrary, secretSrc: SecretSource, opts: PlanOptions = {}): HostPlan[] {
  const problems: string[] = [];
  let limited: Set<string> | undefined;
  if (opts.limit) {
    const sel = selectHosts(opts.limit, inv);
    if (sel.hosts.length === 0) problems.push(`--limit ${opts.limit}: matches no host in ${inv.file}`);
    limited = new Set(sel.hosts);
  }

  const plans = new Map<string, HostPlan>();
  const secretNeeds = new Map<string, { name: string; role: string; hosts: string[] }>();
  const knownTags = new Set<string>(['always']);
  const pending: { host: string; pr: PlannedRole; names: string[] }[] = [];

  book.plays.forEach((play, pi) => {
    const sel = selectHosts(play.hosts, inv);
    if (sel.hosts.length === 0) problems.push(`${book.file}: ${pi}/hosts: "${play.hosts}" matches no host in ${inv.file}`);
    play.roles.forEach((ref, ri) => {
      const role = lib.roles.get(ref.role);
      if (!role) {
        problems.push(`${book.file}: ${pi}/roles/${ri}: unknown role "${ref.role}" (known: ${[...lib.roles.keys()].join(', ')})`);
        return;
      }
      for (const h of sel.hosts) {
        const host = inv.byName.get(h);
        if (!host) continue;
        const vars = deepMerge(role.defaults, roleVarsOf(host), play.vars, ref.vars);
        let tasks: Task[] = [];
        try {
          tasks = role.module.tasks(vars);
        } catch (e) {
          problems.push(`role ${ref.role} on ${h}: ${(e as Error).message}`);
        }
        const planned = tasks.map((task) => ({ task, tags: [ref.role, ...play.tags, ...ref.tags, ...(task.tags ?? [])] }));
        planned.forEach((p) => p.tags.forEach((t) => knownTags.add(t)));
        const names = role.module.secrets?.(vars) ?? [];
        for (const name of names) {
          const need = secretNeeds.get(name) ?? { name, role: ref.role, hosts: [] };
          if (!need.hosts.includes(h)) need.hosts.push(h);
          secretNeeds.set(name, need);
        }
        if (limited && !limited.has(h)) continue;
        const plan = plans.get(h) ?? { name: h, connection: connectionOf(inv, host, lookupSecret(secretSrc, 'PROVISION_BECOME_PASSWORD')), roles: [] };
        plans.set(h, plan);
        const pr: PlannedRole = { role, vars, tasks: planned, secrets: {} };
        plan.roles.push(pr);
        pending.push({ host: h, pr, names });
      }
    });
  });

  for (const [flag, list] of [['--tags', opts.tags], ['--skip-tags', opts.skipTags]] as const) {
    for (const t of list ?? []) {
      if (!knownTags.has(t)) problems.push(`${flag} ${t}: no task has this tag (known: ${[...knownTags].sort().join(', ')})`);
    }
  }

  let secrets: Record<string, string> = {};
  try {
    secrets = resolveSecrets(secretSrc, [...secretNeeds.values()]);
  } catch (e) {
    if (e instanceof ConfigError) problems.push(...e.problems);
    else throw e;
  }
  for (const { host, pr, names } of pending) {
    pr.secrets = Object.fromEntries(names.filter((n) => secrets[n] !== undefined).map((n) => [n, secrets[n] as string]));
    if (Object.keys(pr.secrets).length < names.length) continue; // reported as missing above
    for (const msg of pr.role.module.validate?.(pr.vars, pr.secrets) ?? []) problems.push(`${inv.file}: host ${host}: role ${pr.role.module.name}: ${msg}`);
  }
  if (problems.length) throw new ConfigError('invalid input; nothing was changed', problems);

  for (const { pr } of pending) {
    pr.tasks = pr.tasks.filter(({ tags }) => selected(tags, opts));
  }
  return [...plans.values()];
}

function selected(tags: string[], opts: PlanOptions): boolean {
  if (opts.skipTags?.some((t) => tags.includes(t))) return false;
  if (!opts.tags?.length) return true;
  return tags.includes('always') || opts.tags.some((t) => tags.includes(t));
}
