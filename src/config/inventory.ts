// Loads an inventory (Ansible INI or YAML layout, native keys, group_vars/host_vars, Vault),
// validates it with ajv before any host is touched, and flattens it into hosts with their
// merged variables.
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { ConnectionSpec } from '../remote/ssh.ts';
import type { HostKeyPolicy } from '../remote/known-hosts.ts';
import { parseSshArgs, resolveSsh, type SshConfigSource, type SshOptions } from '../remote/ssh-config.ts';
import type { Vars } from '../engine/types.ts';
import { ConfigError } from './errors.ts';
import { inventorySchema, inventoryVarsSchema } from './inventory-schema.ts';
import { validatorFor } from './validator.ts';
import { deepMerge } from './merge.ts';
import type { HostIndex } from './patterns.ts';
import type { InventorySource, VarsLayer } from './ansible/model.ts';
import { hostListSource, inventoryFiles, mergeSources, readInventoryFile, type SchemaCheck } from './ansible/sources.ts';
import { checkLayer, VarsFiles } from './ansible/vars-files.ts';
import { hasReference, resolveReferences } from './ansible/references.ts';
import { VaultKeys } from './ansible/vault.ts';
import { ansibleBool } from './ansible-keys.ts';

export interface InventoryHost {
  name: string;
  /** Group vars (all first, parents before children) then host vars; connection keys included. */
  vars: Vars;
  groups: string[];
}

export interface Inventory extends HostIndex {
  /** The inventory source (or sources, comma-separated), for messages. */
  file: string;
  /** Where .env and relative key files are looked up: the first source's directory. */
  dir: string;
  byName: Map<string, InventoryHost>;
  /** Each group's hosts in the order the group lists them (a swarm's leader is its first manager). */
  listed: Map<string, string[]>;
  /** Values decrypted from Ansible Vault (inventory, group_vars, host_vars): masked on every host. */
  secrets: string[];
  /** Things worth telling the user that are not errors (a group_vars file no group reads). */
  notes?: string[];
}

const CONNECTION_KEYS = new Set([
  'ansible_host', 'ansible_port', 'ansible_user', 'ansible_ssh_private_key_file', 'ansible_become',
  'ansible_become_password', 'host', 'port', 'user', 'identityFile', 'become', 'host_key_checking',
  'ansible_ssh_common_args', 'ansible_ssh_extra_args',
]);

export interface InventoryOptions {
  /** The playbook's directory: its group_vars/ and host_vars/ are read too, above the inventory's. */
  playbookDir?: string;
  /** Decrypts vaulted files and `!vault` values (by default the password comes from ANSIBLE_VAULT_PASSWORD_FILE). */
  vault?: VaultKeys;
}

/**
 * Reads one or more inventory sources (`-i` files or directories) with the group_vars/ and
 * host_vars/ beside them and beside the playbook, merged in Ansible's order
 * (docs/ansible-precedence.md). Everything is schema-checked before any host is touched.
 */
export async function loadInventory(paths: string | readonly string[], roleVars: Record<string, object>, opts: InventoryOptions = {}): Promise<Inventory> {
  const args = typeof paths === 'string' ? [paths] : [...paths];
  const keys = opts.vault ?? new VaultKeys();
  const varsSchema = inventoryVarsSchema(roleVars);
  const invSchema = inventorySchema(roleVars);
  const check: SchemaCheck = { inventory: { validate: await validatorFor(invSchema), schema: invSchema }, vars: { validate: await validatorFor(varsSchema), schema: varsSchema } };
  const secrets: string[] = [];
  const sources: InventorySource[] = [];
  const varsDirs: string[] = [];
  for (const arg of args) {
    const list = hostListSource(arg);
    if (list) {
      sources.push(list);
      continue;
    }
    const { files, varsDir } = inventoryFiles(arg);
    for (const f of files) sources.push(await readInventoryFile(f, check, keys, secrets));
    if (!varsDirs.includes(varsDir)) varsDirs.push(varsDir);
  }
  const src = mergeSources(sources);
  const file = args.join(', ');
  if (src.hosts.size === 0) throw new ConfigError(`${file}: the inventory has no hosts`);
  const { depth, members } = groupTree(src, file);

  const vfiles = new VarsFiles(check.vars.validate, varsSchema, keys);
  const playDir = opts.playbookDir ? resolve(opts.playbookDir) : undefined;
  // The playbook's directory may be the inventory's: its files are then read once, at the inventory's rank.
  const dirs = { inventory: varsDirs, playbook: playDir && !varsDirs.includes(playDir) ? [playDir] : [] };
  const groupNames = ['all', ...[...src.groups.keys()].filter((g) => g !== 'all')];
  const memberSets = new Map([...members].map(([g, m]) => [g, new Set(m)]));
  const byName = new Map<string, InventoryHost>();
  const referenceProblems: string[] = [];
  for (const [name, own] of src.hosts) {
    const groupsOf = groupNames.filter((g) => g === 'all' || memberSets.get(g)?.has(name));
    // Ansible's sort_groups: by depth (all = 0, top-level groups = 1, …), then by name.
    const sorted = groupsOf.filter((g) => g !== 'all').sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
    const layers: VarsLayer[] = [...(src.groups.get('all')?.vars ?? []), ...sorted.flatMap((g) => src.groups.get(g)?.vars ?? [])];
    for (const kind of ['inventory', 'playbook'] as const) for (const d of dirs[kind]) layers.push(...(await vfiles.layers(d, 'group_vars', 'all')));
    for (const kind of ['inventory', 'playbook'] as const) for (const d of dirs[kind]) for (const g of sorted) layers.push(...(await vfiles.layers(d, 'group_vars', g)));
    layers.push(...own);
    for (const kind of ['inventory', 'playbook'] as const) for (const d of dirs[kind]) layers.push(...(await vfiles.layers(d, 'host_vars', name)));
    // Where each top-level key got its value (the last layer setting it), for reference errors.
    const origins = new Map<string, string>();
    for (const l of layers) for (const [k, at] of l.origins) origins.set(k, at);
    const merged = deepMerge(...layers.map((l) => l.vars));
    let vars = merged;
    if (hasReference(merged)) {
      vars = resolveReferences(merged, name, origins, referenceProblems);
      // Values that were references are checked now that they have their types.
      checkLayer({ vars, origins, secrets: [] }, check.vars.validate, varsSchema, referenceProblems, ` (host ${name}, references resolved)`);
    }
    byName.set(name, { name, vars, groups: groupsOf });
  }
  vfiles.throwProblems();
  const notes: string[] = [];
  for (const d of [...dirs.inventory, ...dirs.playbook]) {
    for (const [kind, names, what] of [['group_vars', new Set(groupNames), 'group'], ['host_vars', new Set(src.hosts.keys()), 'host']] as const) {
      for (const f of vfiles.unread(d, kind, names)) notes.push(`${f}: no ${what} of that name in ${file}: not read`);
    }
  }
  if (referenceProblems.length) throw new ConfigError('invalid variable references', [...new Set(referenceProblems)]);
  const hosts = [...byName.keys()];
  const index = new Map(groupNames.map((g) => [g, g === 'all' ? hosts : hosts.filter((h) => memberSets.get(g)?.has(h))]));
  const listed = new Map(groupNames.map((g) => [g, g === 'all' ? hosts : (members.get(g) ?? [])]));
  return {
    file,
    dir: varsDirs[0] ?? process.cwd(),
    byName,
    hosts,
    groups: index,
    listed,
    secrets: [...new Set([...secrets, ...vfiles.secrets])],
    notes,
  };
}

/**
 * Each group's depth (Ansible's: the longest path from "all"; groups nobody lists as a child
 * hang under "all") and its hosts, its own first, then its children's, in listing order.
 */
function groupTree(src: InventorySource, file: string): { depth: Map<string, number>; members: Map<string, string[]> } {
  const isChild = new Set([...src.groups.values()].flatMap((g) => g.children));
  const tops = [...src.groups.keys()].filter((g) => g !== 'all' && !isChild.has(g));
  const childrenOf = (g: string): string[] => {
    const own = (src.groups.get(g)?.children ?? []).filter((c) => c !== 'all');
    return g === 'all' ? [...own, ...tops.filter((t) => !own.includes(t))] : own;
  };
  const depth = new Map<string, number>();
  const visit = (g: string, d: number, stack: string[]): void => {
    if (stack.includes(g)) throw new ConfigError(`${file}: group cycle: ${[...stack, g].join(' → ')}`);
    if ((depth.get(g) ?? -1) >= d) return; // seen at this depth or deeper: so was everything under it
    depth.set(g, d);
    for (const c of childrenOf(g)) visit(c, d + 1, [...stack, g]);
  };
  visit('all', 0, []);
  const lost = [...src.groups.keys()].filter((g) => !depth.has(g));
  if (lost.length) throw new ConfigError(`${file}: group cycle: ${lost.join(', ')} are only children of each other`);
  const members = new Map<string, string[]>();
  const membersOf = (g: string): string[] => {
    const known = members.get(g);
    if (known) return known;
    const out = new Set(src.groups.get(g)?.hosts ?? []);
    for (const c of childrenOf(g)) for (const h of membersOf(c)) out.add(h);
    members.set(g, [...out]);
    return [...out];
  };
  for (const g of src.groups.keys()) if (g !== 'all') membersOf(g);
  return { depth, members };
}

/** What connectionOf reads besides the inventory: the ssh config and the key passphrase from .env. */
export interface SshContext {
  config?: SshConfigSource;
  keyPassphrase?: string;
}

/**
 * Connection settings for a host; ansible_* keys and native keys are both read. With an ssh
 * config, it is applied as ssh applies it under Ansible: inventory values and
 * ansible_ssh_common_args/extra_args first, then ~/.ssh/config (HostName, ProxyJump, …).
 */
export function connectionOf(inv: Inventory, host: InventoryHost, becomePassword?: string, ssh: SshContext = {}): ConnectionSpec {
  const v = host.vars;
  const pick = <T>(...keys: string[]): T | undefined => {
    for (const k of keys) if (v[k] !== undefined && v[k] !== null) return v[k] as T;
    return undefined;
  };
  let key = pick<string>('identityFile', 'ansible_ssh_private_key_file', 'ansible_private_key_file');
  if (key?.startsWith('~/')) key = resolve(homedir(), key.slice(2));
  else if (key && !isAbsolute(key)) key = resolve(inv.dir, key);
  const args: SshOptions = {};
  for (const k of ['ansible_ssh_args', 'ansible_ssh_common_args', 'ansible_ssh_extra_args']) {
    const text = pick<string>(k);
    // Ansible's ssh command line: ssh_args, then the common args, then the extra args; the first value wins.
    if (typeof text === 'string') for (const [o, val] of Object.entries(parseSshArgs(text, `${inv.file}: host ${host.name}: ${k}`))) args[o as keyof SshOptions] ??= val;
  }
  const { target, jumps } = resolveSsh(
    {
      label: host.name,
      destination: pick<string>('host', 'ansible_host', 'ansible_ssh_host') ?? host.name,
      // Ansible takes "22" as well as 22 (the schema allows only digits).
      port: numberOf(pick<number | string>('port', 'ansible_port', 'ansible_ssh_port')),
      user: pick<string>('user', 'ansible_user', 'ansible_ssh_user'),
      identityFile: key,
      // Ansible's ansible_host_key_checking: false means off.
      hostKeyChecking: pick<HostKeyPolicy>('host_key_checking') ?? (ansibleBool(pick('ansible_host_key_checking', 'ansible_ssh_host_key_checking')) === false ? 'off' : undefined),
      args,
    },
    ssh.config,
  );
  const more = target.identityFiles.filter((f) => f !== key);
  const timeout = numberOf(pick<number | string>('ansible_timeout', 'ansible_ssh_timeout'));
  return {
    name: host.name,
    address: target.address,
    port: target.port,
    user: target.user,
    identityFile: key,
    // "no", "false", 0 are false: only what Ansible's boolean() takes as true becomes root.
    become: ansibleBool(pick('become', 'ansible_become')) ?? false,
    becomePassword: passwordOf(pick('ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass')) ?? becomePassword,
    ...(timeout !== undefined ? { connectTimeoutMs: timeout * 1000 } : {}),
    hostKeyChecking: target.hostKeyChecking,
    ...(more.length ? { identityFiles: more } : {}),
    ...(target.identitiesOnly ? { identitiesOnly: true } : {}),
    ...(target.knownHostsFiles ? { knownHostsFiles: target.knownHostsFiles } : {}),
    ...(jumps.length ? { jumps } : {}),
    ...(ssh.keyPassphrase ? { keyPassphrase: ssh.keyPassphrase } : {}),
  };
}

/** A number given as a number or as digits (the schema has checked which). */
function numberOf(v: number | string | undefined): number | undefined {
  return v === undefined ? undefined : Number(v);
}

/** An INI inventory reads ansible_become_password=12345678 as a number; sudo wants the text. */
function passwordOf(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** Host vars without connection keys (nor vault_* keys, which only other values point at): what roles see. */
export function roleVarsOf(host: InventoryHost): Vars {
  return Object.fromEntries(Object.entries(host.vars).filter(([k]) => !CONNECTION_KEYS.has(k) && !k.startsWith('ansible_') && !k.startsWith('vault_')));
}
