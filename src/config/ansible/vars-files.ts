// group_vars/ and host_vars/ as Ansible's host_group_vars plugin reads them: for a group or host
// NAME under a base directory, NAME as a directory (every vars file in it, sorted, recursively)
// or else the first of NAME, NAME.yml, NAME.yaml, NAME.json. Each file may be vaulted (whole or
// `!vault` values); each is schema-checked like inventory vars, problems naming file:line.
import { readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { extname, join } from 'node:path';
import { ConfigError, describeAjvError, formatAjvErrors, lineOf } from '../errors.ts';
import type { Validator } from '../validator.ts';
import { suggest } from '../patterns.ts';
import type { VarsLayer } from './model.ts';
import { loadVaultedYaml } from './vault-yaml.ts';
import { withoutReferenceErrors } from './references.ts';
import type { VaultKeys } from './vault.ts';

const EXTENSIONS = ['.yml', '.yaml', '.json'];

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Files of a vars directory: hidden files and backups (name~) skipped, as Ansible skips them. */
function dirVarsFiles(dir: string, seen = new Set<string>()): string[] {
  // A symlink back up the tree would otherwise be walked forever.
  const real = realpathSync(dir);
  if (seen.has(real)) return [];
  seen.add(real);
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name.endsWith('~')) continue;
    const path = join(dir, name);
    const ext = extname(name);
    const st = statOf(path);
    if (st?.isDirectory() && !ext) out.push(...dirVarsFiles(path, seen));
    else if (st?.isFile() && (!ext || EXTENSIONS.includes(ext))) out.push(path);
  }
  return out;
}

/** The vars files for `name` under `dir` (e.g. inventory/group_vars, "web"), in load order. */
export function findVarsFiles(dir: string, name: string): string[] {
  if (!name || name.includes('/') || name.startsWith('.')) return [];
  for (const ext of ['', ...EXTENSIONS]) {
    const path = join(dir, name + ext);
    const st = statOf(path);
    if (!st) continue;
    if (st.isDirectory()) return dirVarsFiles(path);
    return [path];
  }
  return [];
}

/** Problems of one vars layer written in a format without a YAML document (INI lines). */
export function checkLayer(layer: VarsLayer, validate: Validator, schema: object, problems: string[], note = ''): void {
  if (validate(layer.vars)) return;
  for (const err of withoutReferenceErrors(validate.errors, layer.vars)) {
    // The same wording as a YAML inventory's: did-you-mean for unknown keys, and the reason a key is refused.
    const p = describeAjvError(err, schema);
    if (!p) continue;
    problems.push(`${layer.origins.get(p.segs[0] ?? '') ?? '?'}: ${p.segs.join('/') || '(top)'}: ${p.msg}${note}`);
  }
}

/** Loads each vars file once (many hosts share a group's files); problems are collected. */
export class VarsFiles {
  private readonly loaded = new Map<string, Promise<VarsLayer | undefined>>();
  /** findVarsFiles answers by directory and name: hosts share their groups' lookups. */
  private readonly found = new Map<string, string[]>();
  readonly problems: string[] = [];
  readonly secrets: string[] = [];

  constructor(
    private readonly validate: Validator,
    private readonly schema: object,
    private readonly keys: VaultKeys,
  ) {}

  /** The layers of `<base>/<kind>/<name>` (kind: group_vars or host_vars), lowest first. */
  async layers(base: string, kind: 'group_vars' | 'host_vars', name: string): Promise<VarsLayer[]> {
    const out: VarsLayer[] = [];
    const dir = join(base, kind);
    let files = this.found.get(`${dir}\0${name}`);
    if (!files) {
      files = findVarsFiles(dir, name);
      this.found.set(`${dir}\0${name}`, files);
    }
    for (const file of files) {
      let p = this.loaded.get(file);
      if (!p) {
        p = this.load(file);
        this.loaded.set(file, p);
      }
      const layer = await p;
      if (layer) out.push(layer);
    }
    return out;
  }

  private async load(file: string): Promise<VarsLayer | undefined> {
    const src = await loadVaultedYaml(file, 'vars file', this.keys);
    this.secrets.push(...src.secrets);
    const data = src.data;
    if (data === null || data === undefined) return undefined; // an empty file, as Ansible allows
    if (typeof data !== 'object' || Array.isArray(data)) {
      this.problems.push(`${src.file}: a vars file must be a mapping of variable names to values, not ${Array.isArray(data) ? 'a list' : `a ${typeof data}`}`);
      return undefined;
    }
    const errors = this.validate(data) ? [] : withoutReferenceErrors(this.validate.errors, data);
    if (errors.length) {
      this.problems.push(...formatAjvErrors(src, errors, this.schema));
      return undefined;
    }
    const vars = data as Record<string, unknown>;
    return { vars, origins: new Map(Object.keys(vars).map((k) => [k, `${src.file}${lineOf(src, [k])}`])), secrets: src.secrets };
  }

  /**
   * Entries of `<base>/<kind>/` that no group or host of the inventory reads (a misspelt group
   * name loses its vars silently in Ansible): named so the user sees them.
   */
  unread(base: string, kind: 'group_vars' | 'host_vars', names: Set<string>): string[] {
    const dir = join(base, kind);
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return [];
    }
    return entries
      .filter((e) => !e.startsWith('.') && !e.endsWith('~'))
      .filter((e) => {
        const ext = extname(e);
        const name = EXTENSIONS.includes(ext) ? e.slice(0, -ext.length) : e;
        return !names.has(name) && !names.has(e);
      })
      .sort()
      .map((e) => join(dir, e));
  }

  /** Throws every problem found so far, if any. */
  throwProblems(): void {
    if (this.problems.length) throw new ConfigError('invalid group_vars/host_vars', [...new Set(this.problems)]);
  }
}
