// Loads an inventory (Ansible YAML layout or native keys), validates it with ajv before any
// host is touched, and flattens it into hosts with their merged variables.
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ConnectionSpec } from '../remote/ssh.ts';
import type { HostKeyPolicy } from '../remote/known-hosts.ts';
import { parseSshArgs, resolveSsh, type SshConfigSource, type SshOptions } from '../remote/ssh-config.ts';
import type { Vars } from '../engine/types.ts';
import { ConfigError, formatAjvErrors, parseYamlText, readConfigText } from './errors.ts';
import { inventorySchema, inventoryVarsSchema } from './inventory-schema.ts';
import { validatorFor } from './validator.ts';
import { deepMerge } from './merge.ts';
import type { HostIndex } from './patterns.ts';
import { looksLikeIni, parseIniInventory } from './ansible/ini.ts';
import { iniToTree } from './ansible/ini-tree.ts';
import { ansibleBool } from './ansible-keys.ts';

export interface InventoryHost {
  name: string;
  /** Group vars (all first, parents before children) then host vars; connection keys included. */
  vars: Vars;
  groups: string[];
}

export interface Inventory extends HostIndex {
  file: string;
  dir: string;
  byName: Map<string, InventoryHost>;
  /** Each group's hosts in the order the group lists them (a swarm's leader is its first manager). */
  listed: Map<string, string[]>;
}

type GroupNode = { hosts?: Record<string, Vars | null> | null; vars?: Vars | null; children?: Record<string, GroupNode | null> | null } | null;

const CONNECTION_KEYS = new Set([
  'ansible_host', 'ansible_port', 'ansible_user', 'ansible_ssh_private_key_file', 'ansible_become',
  'ansible_become_password', 'host', 'port', 'user', 'identityFile', 'become', 'host_key_checking',
  'ansible_ssh_common_args', 'ansible_ssh_extra_args',
]);

export async function loadInventory(file: string, roleVars: Record<string, object>): Promise<Inventory> {
  const text = await readConfigText(file, 'inventory');
  let root: Record<string, GroupNode>;
  if (looksLikeIni(text)) {
    // An Ansible INI inventory: parsed, its vars checked with file:line, then walked as the YAML layout.
    const varsSchema = inventoryVarsSchema(roleVars);
    root = iniToTree(parseIniInventory(text, file), await validatorFor(varsSchema), varsSchema);
  } else {
    const src = parseYamlText(text, file, 'inventory');
    const schema = inventorySchema(roleVars);
    const validate = await validatorFor(schema);
    if (!validate(src.data)) {
      throw new ConfigError(`${file}: invalid inventory`, formatAjvErrors(src, validate.errors, schema));
    }
    root = src.data as Record<string, GroupNode>;
  }

  // Ansible's order: group vars by depth (all = 0, top-level groups = 1, …), then group name;
  // host vars last. Every host is in "all", even one listed only under another top-level group.
  const hostEntries = new Map<string, { layers: { depth: number; group: string; vars: Vars }[]; own: Vars }>();
  const groups = new Map<string, Set<string>>();
  const walk = (name: string, node: GroupNode, depth: number): Set<string> => {
    const members = groups.get(name) ?? new Set<string>();
    groups.set(name, members);
    const direct: string[] = [];
    for (const [h, hv] of Object.entries(node?.hosts ?? {})) {
      const entry = hostEntries.get(h) ?? { layers: [], own: {} };
      entry.own = deepMerge(entry.own, hv ?? {});
      hostEntries.set(h, entry);
      direct.push(h);
    }
    for (const [child, cnode] of Object.entries(node?.children ?? {})) direct.push(...walk(child, cnode, depth + 1));
    for (const h of direct) {
      members.add(h);
      const entry = hostEntries.get(h)!;
      if (node?.vars && !entry.layers.some((l) => l.group === name)) entry.layers.push({ depth, group: name, vars: node.vars });
    }
    return members;
  };
  for (const g of Object.keys(root)) walk(g, root[g] ?? null, g === 'all' ? 0 : 1);
  const allVars = root.all?.vars;
  for (const [h, entry] of hostEntries) {
    groups.get('all')?.add(h) ?? groups.set('all', new Set([h]));
    if (allVars && !entry.layers.some((l) => l.group === 'all')) entry.layers.push({ depth: 0, group: 'all', vars: allVars });
  }
  const hostLayers = new Map(
    [...hostEntries].map(([h, e]) => [
      h,
      { layers: [...e.layers].sort((a, b) => a.depth - b.depth || a.group.localeCompare(b.group)).map((l) => l.vars), own: e.own },
    ]),
  );

  const byName = new Map<string, InventoryHost>();
  for (const [name, e] of hostLayers) {
    const groupsOf = [...groups].filter(([, m]) => m.has(name)).map(([g]) => g);
    byName.set(name, { name, vars: deepMerge(...e.layers, e.own), groups: groupsOf });
  }
  if (byName.size === 0) throw new ConfigError(`${file}: the inventory has no hosts`);
  const index = new Map([...groups].map(([g, m]) => [g, [...byName.keys()].filter((h) => m.has(h))]));
  index.set('all', [...byName.keys()]);
  return { file, dir: dirname(resolve(file)), byName, hosts: [...byName.keys()], groups: index, listed: new Map([...groups].map(([g, m]) => [g, [...m]])) };
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

/** Host vars without connection keys: what roles see. */
export function roleVarsOf(host: InventoryHost): Vars {
  return Object.fromEntries(Object.entries(host.vars).filter(([k]) => !CONNECTION_KEYS.has(k) && !k.startsWith('ansible_')));
}
