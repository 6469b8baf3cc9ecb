// Loads an inventory (Ansible YAML layout or native keys), validates it with ajv before any
// host is touched, and flattens it into hosts with their merged variables.
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv } from 'ajv';
import type { ConnectionSpec } from '../remote/host.ts';
import type { Vars } from '../engine/types.ts';
import { ConfigError, formatAjvErrors, loadYaml } from './errors.ts';
import { inventorySchema } from './inventory-schema.ts';
import { deepMerge } from './merge.ts';
import type { HostIndex } from './patterns.ts';

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
}

type GroupNode = { hosts?: Record<string, Vars | null> | null; vars?: Vars | null; children?: Record<string, GroupNode | null> | null } | null;

const CONNECTION_KEYS = new Set([
  'ansible_host', 'ansible_port', 'ansible_user', 'ansible_ssh_private_key_file', 'ansible_become',
  'ansible_become_password', 'host', 'port', 'user', 'identityFile', 'become',
]);

export async function loadInventory(file: string, roleVars: Record<string, object>): Promise<Inventory> {
  const src = await loadYaml(file, 'inventory');
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(inventorySchema(roleVars));
  if (!validate(src.data)) {
    throw new ConfigError(`${file}: invalid inventory`, formatAjvErrors(src, validate.errors));
  }
  const root = src.data as Record<string, GroupNode>;

  // Walk groups depth first, collecting for each host the chain of group vars that apply.
  const hostLayers = new Map<string, { layers: Vars[]; groups: Set<string>; own: Vars }>();
  const groups = new Map<string, Set<string>>();
  const walk = (name: string, node: GroupNode, inherited: Vars[]): Set<string> => {
    const members = groups.get(name) ?? new Set<string>();
    groups.set(name, members);
    const layers = node?.vars ? [...inherited, node.vars] : inherited;
    for (const [h, hv] of Object.entries(node?.hosts ?? {})) {
      const entry = hostLayers.get(h) ?? { layers: [], groups: new Set<string>(), own: {} };
      // A host listed in several groups gets each group's vars; its own vars are merged last.
      entry.layers.push(...layers.filter((l) => !entry.layers.includes(l)));
      entry.own = deepMerge(entry.own, hv ?? {});
      entry.groups.add(name);
      hostLayers.set(h, entry);
      members.add(h);
    }
    for (const [child, cnode] of Object.entries(node?.children ?? {})) {
      for (const h of walk(child, cnode, layers)) members.add(h);
    }
    return members;
  };
  // "all" first so its vars are the lowest layer, whatever the file order.
  const names = Object.keys(root).sort((a, b) => (a === 'all' ? -1 : b === 'all' ? 1 : 0));
  for (const g of names) walk(g, root[g] ?? null, []);

  const byName = new Map<string, InventoryHost>();
  for (const [name, e] of hostLayers) {
    const groupsOf = [...groups].filter(([, m]) => m.has(name)).map(([g]) => g);
    byName.set(name, { name, vars: deepMerge(...e.layers, e.own), groups: groupsOf });
  }
  if (byName.size === 0) throw new ConfigError(`${file}: the inventory has no hosts`);
  const index = new Map([...groups].map(([g, m]) => [g, [...byName.keys()].filter((h) => m.has(h))]));
  index.set('all', [...byName.keys()]);
  return { file, dir: dirname(resolve(file)), byName, hosts: [...byName.keys()], groups: index };
}

/** Connection settings for a host; ansible_* keys and native keys are both read. */
export function connectionOf(inv: Inventory, host: InventoryHost, becomePassword?: string): ConnectionSpec {
  const v = host.vars;
  const pick = <T>(...keys: string[]): T | undefined => {
    for (const k of keys) if (v[k] !== undefined && v[k] !== null) return v[k] as T;
    return undefined;
  };
  let key = pick<string>('identityFile', 'ansible_ssh_private_key_file');
  if (key?.startsWith('~/')) key = resolve(homedir(), key.slice(2));
  else if (key && !isAbsolute(key)) key = resolve(inv.dir, key);
  return {
    name: host.name,
    address: pick<string>('host', 'ansible_host') ?? host.name,
    port: pick<number>('port', 'ansible_port') ?? 22,
    user: pick<string>('user', 'ansible_user') ?? process.env.USER ?? 'root',
    identityFile: key,
    become: pick<boolean>('become', 'ansible_become') ?? false,
    becomePassword: pick<string>('ansible_become_password') ?? becomePassword,
  };
}

/** Host vars without connection keys: what roles see. */
export function roleVarsOf(host: InventoryHost): Vars {
  return Object.fromEntries(Object.entries(host.vars).filter(([k]) => !CONNECTION_KEYS.has(k) && !k.startsWith('ansible_')));
}
