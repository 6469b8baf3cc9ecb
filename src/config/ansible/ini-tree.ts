// An INI inventory as the YAML layout (all → children → hosts/vars), so one walker computes
// membership and precedence for both; each INI vars layer is schema-checked first, with the
// file:line where its key was written.
import type { Vars } from '../../engine/types.ts';
import { ConfigError, describeAjvError } from '../errors.ts';
import { deepMerge } from '../merge.ts';
import type { Validator } from '../validator.ts';
import type { InventorySource, VarsLayer } from './model.ts';

type Node = { hosts?: Record<string, Vars | null>; vars?: Vars; children?: Record<string, Node> };

function check(layer: VarsLayer, validate: Validator, problems: string[], schema?: object): void {
  if (validate(layer.vars)) return;
  for (const err of validate.errors ?? []) {
    const p = describeAjvError(err, schema);
    if (!p) continue;
    problems.push(`${layer.origins.get(p.segs[0] ?? '') ?? '?'}: ${p.segs.join('/') || '(top)'}: ${p.msg}`);
  }
}

/** `schema` (the one `validateVars` was compiled from) lets errors suggest keys and explain refusals. */
export function iniToTree(src: InventorySource, validateVars: Validator, schema?: object): Record<string, Node> {
  const problems: string[] = [];
  for (const g of src.groups.values()) for (const l of g.vars) check(l, validateVars, problems, schema);
  for (const ls of src.hosts.values()) for (const l of ls) check(l, validateVars, problems, schema);
  if (problems.length) throw new ConfigError(`${src.file}: invalid inventory`, [...new Set(problems)]);

  const placed = new Set<string>();
  const isChild = new Set([...src.groups.values()].flatMap((g) => g.children));
  const build = (name: string, stack: string[]): Node => {
    if (stack.includes(name)) throw new ConfigError(`${src.file}: group cycle: ${[...stack, name].join(' → ')}`);
    const g = src.groups.get(name);
    const node: Node = {};
    if (g?.vars.length) node.vars = deepMerge(...g.vars.map((l) => l.vars));
    if (g?.hosts.length) {
      node.hosts = {};
      for (const h of g.hosts) {
        const own = placed.has(h) ? null : deepMerge(...(src.hosts.get(h) ?? []).map((l) => l.vars));
        placed.add(h);
        node.hosts[h] = own;
      }
    }
    const kids = (g?.children ?? []).filter((c) => c !== 'all');
    if (kids.length) node.children = Object.fromEntries(kids.map((c) => [c, build(c, [...stack, name])]));
    return node;
  };
  const all = build('all', []);
  const tops = [...src.groups.keys()].filter((g) => g !== 'all' && !isChild.has(g));
  all.children = { ...(all.children ?? {}), ...Object.fromEntries(tops.map((g) => [g, build(g, ['all'])])) };
  return { all };
}
