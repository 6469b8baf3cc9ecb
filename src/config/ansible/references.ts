// The one piece of Jinja an Ansible Vault layout cannot do without: a value that is exactly a
// reference to another variable, `db_password: "{{ vault_db_password }}"` (vars.yml pointing at
// the vaulted vault.yml, as Ansible's best-practice guide lays it out). Such a value becomes the
// referenced variable's value for that host, whatever its type; chains are followed, a cycle or
// an undefined name is an error naming where the reference was written. Anything else that
// looks like a template (filters, expressions, text around the braces) is left as written: it
// may be a Go template meant for the service (Alertmanager's `{{ .Labels }}`).
import type { Vars } from '../../engine/types.ts';

const REFERENCE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

/** `name` when `v` is exactly "{{ name }}", else undefined. */
export function referenceIn(v: unknown): string | undefined {
  return typeof v === 'string' ? REFERENCE.exec(v.trim())?.[1] : undefined;
}

/** ajv errors minus those about a value that is a reference (its type is known once resolved). */
export function withoutReferenceErrors<E extends { instancePath: string; keyword: string }>(errors: E[] | null | undefined, data: unknown): E[] {
  return (errors ?? []).filter((e) => {
    if (e.keyword === 'additionalProperties' || e.keyword === 'required') return true;
    let node: unknown = data;
    for (const seg of e.instancePath.split('/').slice(1)) {
      if (!node || typeof node !== 'object') return true;
      node = (node as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    return referenceIn(node) === undefined;
  });
}

/** True when some value inside `v` is a whole-value reference. */
export function hasReference(v: unknown): boolean {
  if (referenceIn(v) !== undefined) return true;
  if (Array.isArray(v)) return v.some(hasReference);
  if (v && typeof v === 'object') return Object.values(v).some(hasReference);
  return false;
}

/**
 * `vars` with every whole-value reference replaced. `origins` says where each top-level key was
 * set (file:line), for the problems added to `problems`.
 */
export function resolveReferences(vars: Vars, host: string, origins: Map<string, string>, problems: string[]): Vars {
  // Ansible's magic variables that an inventory can sensibly point at.
  const magic: Vars = { inventory_hostname: host, inventory_hostname_short: host.split('.')[0] ?? host };
  const resolved = new Map<string, unknown>();
  const where = (key: string) => `${origins.get(key) ?? '?'}: ${key}`;

  const lookup = (name: string, from: string, chain: string[]): unknown => {
    if (chain.includes(name)) {
      problems.push(`${where(from)}: "{{ ${name} }}" refers back to itself (${[...chain, name].join(' → ')})`);
      return undefined;
    }
    if (Object.hasOwn(vars, name)) return valueOf(name, [...chain, name]);
    if (Object.hasOwn(magic, name)) return magic[name];
    problems.push(`${where(from)}: "{{ ${name} }}" refers to ${name}, which host ${host} does not define (only whole-value references "{{ name }}" are resolved; other templates are kept as written)`);
    return undefined;
  };
  const walk = (v: unknown, top: string, chain: string[]): unknown => {
    const name = referenceIn(v);
    if (name !== undefined) return lookup(name, top, chain);
    if (Array.isArray(v)) return v.map((x) => walk(x, top, chain));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, top, chain)]));
    return v;
  };
  const valueOf = (key: string, chain: string[]): unknown => {
    if (!resolved.has(key)) resolved.set(key, walk(vars[key], key, chain));
    return resolved.get(key);
  };
  return Object.fromEntries(Object.keys(vars).map((k) => [k, valueOf(k, [k])]));
}
