// From inventory + playbook + roles to a per-host plan, with every input problem found before
// any host is touched: unknown roles and tags, empty patterns, bad role variables, secrets.
// Roles build their tasks here, once per host, from everything known: variables and secrets.
import { accessSync, constants, statSync } from 'node:fs';
import { ConfigError } from '../config/errors.ts';
import { connectionOf, roleVarsOf, type Inventory } from '../config/inventory.ts';
import { deepMerge } from '../config/merge.ts';
import { globToRegExp, selectHosts, suggest } from '../config/patterns.ts';
import type { Playbook } from '../config/playbook.ts';
import { lookupSecret, resolveSecrets, type SecretSource } from '../config/secrets.ts';
import type { ConnectionSpec } from '../remote/ssh.ts';
import type { SshConfigSource } from '../remote/ssh-config.ts';
import type { LoadedRole, RoleLibrary } from './roles.ts';
import { VarsError, type Handler, type Task, type Vars } from './types.ts';

export interface PlannedRole {
  name: string;
  tasks: Task[];
  handlers: Handler[];
  /** Index of the play this role runs in (--list-tasks groups by play). */
  play?: number;
  /** Tags every task of the role inherits: the role's name, the play's and the role reference's tags. */
  inheritedTags?: string[];
}

export interface HostPlan {
  name: string;
  connection: ConnectionSpec;
  roles: PlannedRole[];
  /** Every secret value this host's run may print: registered for masking before connecting. */
  secrets: string[];
  /** Other hosts wait for what this one publishes (a swarm leader): the runner starts it first. */
  startFirst?: boolean;
}

export interface PlanOptions {
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  /** The user's ssh config (the CLI reads it; tests pass their own or none). */
  sshConfig?: SshConfigSource;
  /** -e variables: over play and role variables too (the CLI has merged them into the hosts already). */
  extraVars?: Vars;
  /** --start-at-task: each host skips its tasks before the first whose name matches (exactly or as a glob). */
  startAt?: string;
}

interface Pending {
  host: string;
  role: LoadedRole;
  vars: Vars;
  names: string[];
  extraTags: string[];
  play: number;
}

/** Problems that many hosts share are listed once, with the hosts. */
class Problems {
  private readonly byMessage = new Map<string, string[]>();
  add(message: string, host?: string): void {
    const hosts = this.byMessage.get(message) ?? [];
    if (host && !hosts.includes(host)) hosts.push(host);
    this.byMessage.set(message, hosts);
  }
  get list(): string[] {
    return [...this.byMessage].map(([m, hosts]) => {
      if (!hosts.length) return m;
      const shown = hosts.slice(0, 5).join(', ');
      return `${m} (host${hosts.length > 1 ? 's' : ''} ${shown}${hosts.length > 5 ? ` and ${hosts.length - 5} more` : ''})`;
    });
  }
}

export function buildPlan(inv: Inventory, book: Playbook, lib: RoleLibrary, secretSrc: SecretSource, opts: PlanOptions = {}): HostPlan[] {
  const problems = new Problems();
  let limited: Set<string> | undefined;
  if (opts.limit) {
    const sel = selectHosts(opts.limit, inv);
    for (const term of sel.unknown) problems.add(limitTermProblem(opts.limit, term, inv));
    if (sel.hosts.length === 0 && sel.unknown.length === 0) problems.add(`--limit ${opts.limit}: matches no host in ${inv.file}`);
    limited = new Set(sel.hosts);
  }

  const pending: Pending[] = [];
  const extra = roleVarsOf({ name: '-e', vars: opts.extraVars ?? {}, groups: [] });
  const secretNeeds = new Map<string, { name: string; role: string; hosts: string[]; key?: string }>();
  book.plays.forEach((play, pi) => {
    const sel = selectHosts(play.hosts, inv);
    if (sel.hosts.length === 0) problems.add(`${book.file}: ${pi}/hosts: "${play.hosts}" matches no host in ${inv.file}`);
    play.roles.forEach((ref, ri) => {
      const role = lib.roles.get(ref.role);
      if (!role) {
        problems.add(`${book.file}: ${pi}/roles/${ri}: unknown role "${ref.role}" (known: ${[...lib.roles.keys()].join(', ')})`);
        return;
      }
      for (const h of sel.hosts) {
        const host = inv.byName.get(h);
        if (!host) continue;
        const vars = deepMerge(role.defaults, roleVarsOf(host), play.vars, ref.vars, extra);
        const names = role.module.secrets?.(vars) ?? [];
        const keys = role.module.secretKeys?.(vars) ?? {};
        for (const name of names) {
          const need = secretNeeds.get(name) ?? { name, role: ref.role, hosts: [], key: keys[name] };
          if (!need.hosts.includes(h)) need.hosts.push(h);
          secretNeeds.set(name, need);
        }
        pending.push({ host: h, role, vars, names, extraTags: [ref.role, ...play.tags, ...ref.tags], play: pi });
      }
    });
  });

  let secrets: Record<string, string> = {};
  try {
    secrets = resolveSecrets(secretSrc, [...secretNeeds.values()]);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) problems.add(p);
  }
  const becomePassword = lookupSecret(secretSrc, 'PROVISION_BECOME_PASSWORD');
  const keyPassphrase = lookupSecret(secretSrc, 'PROVISION_SSH_KEY_PASSPHRASE');
  const sshContext = { ...(opts.sshConfig ? { config: opts.sshConfig } : {}), ...(keyPassphrase ? { keyPassphrase } : {}) };

  // Every role builds its tasks for every selected host (validation is the building itself).
  const knownTags = new Set<string>(['always']);
  const plans = new Map<string, HostPlan>();
  // --start-at-task: the hosts that have reached the task, and every task name for "did you mean".
  const started = new Set<string>();
  const taskNames = new Set<string>();
  for (const p of pending) {
    const mine = Object.fromEntries(p.names.filter((n) => secrets[n] !== undefined).map((n) => [n, secrets[n] as string]));
    if (Object.keys(mine).length < p.names.length) continue; // reported as missing above
    let tasks: Task[];
    let first = false;
    try {
      const input = { vars: p.vars, secrets: mine, files: p.role.filesDir, host: p.host, inventoryDir: inv.dir, groups: inv.listed };
      tasks = p.role.module.tasks(input);
      first = p.role.module.startsFirst?.(input) ?? false;
    } catch (e) {
      const msgs = e instanceof VarsError ? e.problems : [(e as Error).message];
      // Role messages start with the key the user wrote; a key given with -e came from there.
      const from = (m: string) => (Object.hasOwn(extra, /^[A-Za-z_]\w*/.exec(m)?.[0] ?? '') ? '-e' : inv.file);
      for (const m of msgs) problems.add(`${from(m)}: role ${p.role.module.name}: ${m}`, p.host);
      continue;
    }
    let tagged = tasks.map((t) => ({ task: t, tags: [...p.extraTags, ...t.tags] }));
    for (const t of tagged) for (const tag of t.tags) knownTags.add(tag);
    if (limited && !limited.has(p.host)) continue;
    if (opts.startAt !== undefined && !started.has(p.host)) {
      for (const t of tagged) taskNames.add(t.task.name).add(`${p.role.module.name} : ${t.task.name}`);
      const at = tagged.findIndex((t) => taskMatches(opts.startAt ?? '', p.role.module.name, t.task.name));
      if (at >= 0) started.add(p.host);
      tagged = at >= 0 ? tagged.slice(at) : [];
    }
    const host = inv.byName.get(p.host);
    if (!host) continue;
    let plan = plans.get(p.host);
    if (!plan) {
      let connection: ConnectionSpec;
      try {
        connection = connectionOf(inv, host, becomePassword, sshContext);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        for (const m of e.problems) problems.add(m, p.host);
        continue;
      }
      plan = { name: p.host, connection, roles: [], secrets: [...inv.secrets, ...(keyPassphrase ? [keyPassphrase] : [])] };
      plans.set(p.host, plan);
    }
    if (first) plan.startFirst = true;
    plan.secrets.push(...Object.values(mine), ...(p.role.module.sensitive?.(p.vars) ?? []));
    plan.roles.push({
      name: p.role.module.name,
      tasks: tagged.filter((t) => selected(t.tags, opts)).map((t) => t.task),
      handlers: p.role.module.handlers ?? [],
      play: p.play,
      inheritedTags: [...new Set(p.extraTags)],
    });
  }

  // A key file that is missing or unreadable would otherwise surface as "unreachable" later.
  for (const plan of plans.values()) {
    const key = plan.connection.identityFile;
    if (!key) continue;
    const vars = inv.byName.get(plan.name)?.vars ?? {};
    const named = ['identityFile', 'ansible_ssh_private_key_file', 'ansible_private_key_file'].find((k) => vars[k] !== undefined && vars[k] !== null) ?? 'ansible_ssh_private_key_file';
    const why = keyFileProblem(key);
    if (why) problems.add(`${inv.file}: ${named} of ${plan.name}: ${key}: ${why}`);
  }

  for (const [flag, list] of [['--tags', opts.tags], ['--skip-tags', opts.skipTags]] as const) {
    for (const t of list ?? []) {
      if (!knownTags.has(t)) problems.add(`${flag} ${t}: no task has this tag (known: ${[...knownTags].sort().join(', ')})`);
    }
  }
  if (opts.startAt !== undefined && started.size === 0 && plans.size > 0) {
    const hint = suggest(opts.startAt, taskNames);
    problems.add(`--start-at-task ${JSON.stringify(opts.startAt)}: no task of this run has that name${hint ? ` (did you mean "${hint}"?)` : ''}`);
  }
  if (problems.list.length) throw new ConfigError('invalid input; nothing was changed', problems.list);
  return [...plans.values()];
}

/** Ansible's --start-at-task test: the task's name, or "role : name", equal to NAME or matching it as a glob. */
export function taskMatches(pattern: string, role: string, task: string): boolean {
  const re = globToRegExp(pattern);
  return [task, `${role} : ${task}`].some((n) => n === pattern || re.test(n));
}

function selected(tags: string[], opts: PlanOptions): boolean {
  if (opts.skipTags?.some((t) => tags.includes(t))) return false;
  if (!opts.tags?.length) return true;
  return tags.includes('always') || opts.tags.some((t) => tags.includes(t));
}

/** "--limit vm1,typo: "typo" matches no host or group in inv.yml (did you mean …?)" */
export function limitTermProblem(limit: string, term: string, inv: Inventory): string {
  const hint = suggest(term.replace(/^[!&]/, ''), [...inv.hosts, ...inv.groups.keys()]);
  return `--limit ${limit}: "${term}" matches no host or group in ${inv.file}${hint ? ` (did you mean "${hint}"?)` : ''}`;
}

function keyFileProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'not a file';
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable by this user' : (code ?? 'cannot be read');
  }
}
