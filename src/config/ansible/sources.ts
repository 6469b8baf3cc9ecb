// What `-i` names, read as Ansible reads it: a file (INI or YAML, told apart by content, maybe
// vault-encrypted as a whole) or a directory whose inventory files are all read, in name order,
// skipping what Ansible skips. Each is schema-checked, then becomes an InventorySource; several
// sources merge into one (later ones win, as Ansible's groups take the last value set).
import { accessSync, constants, existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, formatAjvErrors, lineOf, readConfigText, type LoadedYaml } from '../errors.ts';
import { isMap, isNode, isScalar, type Pair } from 'yaml';
import type { Validator } from '../validator.ts';
import type { Vars } from '../../engine/types.ts';
import { looksLikeIni, parseIniInventory } from './ini.ts';
import { addHost, emptySource, groupOf, type InventorySource, type VarsLayer } from './model.ts';
import { checkLayer } from './vars-files.ts';
import { withoutReferenceErrors } from './references.ts';
import { decryptWhole, leafTexts, parseDecrypted } from './vault-yaml.ts';
import type { VaultKeys } from './vault.ts';

/** Names Ansible never reads as inventory in a directory (its IGNORED_ALWAYS and default INVENTORY_IGNORE_EXTS). */
const IGNORED_NAMES = new Set(['host_vars', 'group_vars', 'vars_plugins']);
const IGNORED_ENDINGS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.cfg', '.retry'];

export function ignoredInInventoryDir(name: string): boolean {
  return name.startsWith('.') || IGNORED_NAMES.has(name) || IGNORED_ENDINGS.some((e) => name.endsWith(e));
}

function isDirectory(path: string, shown: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (e) {
    throw new ConfigError(`${shown}: cannot read inventory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The inventory files of one -i argument, and the directory its group_vars/host_vars sit in. */
export function inventoryFiles(arg: string): { files: string[]; varsDir: string } {
  const path = resolve(arg);
  if (!isDirectory(path, arg)) return { files: [arg], varsDir: dirname(path) };
  const seen = new Set<string>();
  const walk = (dir: string, shown: string): string[] => {
    // A symlink back up the tree would otherwise be walked forever.
    const real = realpathSync(dir);
    if (seen.has(real)) return [];
    seen.add(real);
    return readdirSync(dir)
      .sort()
      .filter((n) => !ignoredInInventoryDir(n))
      .flatMap((n) => (isDirectory(join(dir, n), join(shown, n)) ? walk(join(dir, n), join(shown, n)) : [join(shown, n)]));
  };
  const files = walk(path, arg);
  for (const f of files) {
    let executable = true;
    try {
      accessSync(f, constants.X_OK);
    } catch {
      executable = false;
    }
    if (executable) throw new ConfigError(`${f}: an executable file in the inventory directory: dynamic inventory scripts are not supported (write the hosts into an INI or YAML file, or clear the executable bit)`);
  }
  if (!files.length) throw new ConfigError(`${arg}: the inventory directory holds no inventory file (hidden files, group_vars/, host_vars/ and *.retry, *.md, *.txt, *.cfg, *.bak, *~ are skipped)`);
  return { files, varsDir: path };
}

/**
 * `-i web1,web2:2222,` (Ansible's host_list source): a comma-separated list of hosts, read when
 * the argument holds a comma and names no file. Its hosts are ungrouped; it has no group_vars.
 */
export function hostListSource(arg: string): InventorySource | undefined {
  if (!arg.includes(',') || existsSync(arg)) return undefined;
  const src = emptySource(arg);
  const problems: string[] = [];
  for (const item of arg.split(',').map((h) => h.trim()).filter(Boolean)) {
    const m = /^([^:\s]+)(?::(\d+))?$/.exec(item) ?? /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(item);
    if (!m?.[1]) {
      problems.push(`-i ${arg}: "${item}" is not a host name or host:port`);
      continue;
    }
    const port = m[2] === undefined ? undefined : Number(m[2]);
    if (port !== undefined && (port < 1 || port > 65535)) problems.push(`-i ${arg}: "${item}": port out of range`);
    addHost(src, 'ungrouped', m[1], port === undefined ? undefined : { vars: { ansible_port: port }, origins: new Map([['ansible_port', `-i ${arg}`]]), secrets: [] });
  }
  if (problems.length) throw new ConfigError(`-i ${arg}: invalid host list`, problems);
  return src;
}

export interface SchemaCheck {
  /** The whole YAML inventory (all/children/hosts/vars). */
  inventory: { validate: Validator; schema: object };
  /** One group's or host's vars (INI lines). */
  vars: { validate: Validator; schema: object };
}

/** One inventory file as an InventorySource; decrypted values are added to `secrets`. */
export async function readInventoryFile(file: string, check: SchemaCheck, keys: VaultKeys, secrets: string[]): Promise<InventorySource> {
  const raw = await readConfigText(file, 'inventory');
  const whole = await decryptWhole(raw, file, keys);
  if (looksLikeIni(whole.text)) {
    const src = parseIniInventory(whole.text, whole.shown);
    const problems: string[] = [];
    const layers = [...[...src.groups.values()].flatMap((g) => g.vars), ...[...src.hosts.values()].flat()];
    for (const l of layers) checkLayer(l, check.vars.validate, check.vars.schema, problems);
    if (problems.length) throw new ConfigError(`${whole.shown}: invalid inventory`, [...new Set(problems)]);
    if (whole.vaulted) for (const l of layers) secrets.push(...leafTexts(l.vars));
    return src;
  }
  const src = await parseDecrypted(whole, 'inventory', keys);
  secrets.push(...src.secrets);
  const data = src.data;
  // An empty file (or only comments) adds nothing; with no other source, "no hosts" is reported.
  if (data === null || data === undefined) return emptySource(src.file);
  if (data && typeof data === 'object' && !Array.isArray(data) && 'plugin' in data) {
    throw new ConfigError(`${src.file}${lineOf(src, ['plugin'])}: an inventory plugin configuration (plugin: ${String((data as { plugin: unknown }).plugin)}); only INI and YAML inventories of hosts are read`);
  }
  const errors = check.inventory.validate(data) ? [] : withoutReferenceErrors(check.inventory.validate.errors, data);
  if (errors.length) throw new ConfigError(`${src.file}: invalid inventory`, formatAjvErrors(src, errors, check.inventory.schema));
  return yamlToSource(src);
}

type GroupNode = { hosts?: Record<string, Vars | null> | null; vars?: Vars | null; children?: Record<string, GroupNode | null> | null } | null;

/** A validated YAML inventory as groups and hosts, each key remembering its file:line. */
function yamlToSource(src: LoadedYaml): InventorySource {
  const out = emptySource(src.file);
  // The YAML nodes are walked beside the data (one lookup per key, not a search from the root).
  const pairs = (node: unknown): Map<string, Pair> => new Map(isMap(node) ? node.items.map((p) => [String(isScalar(p.key) ? p.key.value : p.key), p] as const) : []);
  const at = (pair: Pair | undefined): string => {
    const range = isNode(pair?.key) ? pair.key.range : undefined;
    return `${src.file}${range ? `:${src.lines.linePos(range[0]).line}` : ''}`;
  };
  const layer = (vars: Vars, node: unknown): VarsLayer => {
    const where = pairs(node);
    return { vars, origins: new Map(Object.keys(vars).map((k) => [k, at(where.get(k))])), secrets: [] };
  };
  const walk = (name: string, data: GroupNode, node: unknown): void => {
    const g = groupOf(out, name);
    const parts = pairs(node);
    if (data?.vars) g.vars.push(layer(data.vars, parts.get('vars')?.value));
    const hostNodes = pairs(parts.get('hosts')?.value);
    for (const [h, hv] of Object.entries(data?.hosts ?? {})) addHost(out, name, h, hv ? layer(hv, hostNodes.get(h)?.value) : undefined);
    const childNodes = pairs(parts.get('children')?.value);
    for (const [child, cdata] of Object.entries(data?.children ?? {})) {
      if (!g.children.includes(child)) g.children.push(child);
      walk(child, cdata, childNodes.get(child)?.value);
    }
  };
  const top = pairs(src.doc.contents);
  for (const [g, data] of Object.entries(src.data as Record<string, GroupNode>)) walk(g, data, top.get(g)?.value);
  return out;
}

/** Several sources as one: vars layers appended (later win), members and children united. */
export function mergeSources(list: InventorySource[]): InventorySource {
  const out = emptySource(list.map((s) => s.file).join(', '));
  for (const s of list) {
    for (const [h, layers] of s.hosts) out.hosts.set(h, [...(out.hosts.get(h) ?? []), ...layers]);
    for (const [name, g] of s.groups) {
      const o = groupOf(out, name);
      o.vars.push(...g.vars);
      for (const c of g.children) if (!o.children.includes(c)) o.children.push(c);
      for (const h of g.hosts) if (!o.hosts.includes(h)) o.hosts.push(h);
    }
  }
  return out;
}
