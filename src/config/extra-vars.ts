// Extra variables from the command line, as ansible-playbook takes them: -e key=value (values
// are strings), -e @vars.yml (a YAML or JSON file), -e '{"key": …}' (inline JSON or YAML).
// Repeated -e are merged in order; the result wins over every other source (inventory, play
// and role variables, connection keys too). Each source is checked with the inventory's vars
// schema and its errors name the -e argument (and the file:line of a vars file).
import type { Vars } from '../engine/types.ts';
import { shlexSplit } from './ansible/ini.ts';
import { ConfigError, describeAjvError, formatAjvErrors, parseYamlText, readConfigText } from './errors.ts';
import { inventoryVarsSchema } from './inventory-schema.ts';
import type { Inventory } from './inventory.ts';
import { deepMerge } from './merge.ts';
import { validatorFor } from './validator.ts';

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isMapping(v: unknown): v is Vars {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** key=value words (quoted as a shell would), each value a string, as Ansible's parse_kv gives them. */
function parseKeyValues(arg: string, label: string): Vars {
  let words: string[];
  try {
    words = shlexSplit(arg);
  } catch (e) {
    throw new ConfigError(`${label}: ${(e as Error).message}`);
  }
  const out: Vars = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    const key = eq > 0 ? w.slice(0, eq) : '';
    if (!VAR_NAME.test(key)) {
      throw new ConfigError(`${label}: expected key=value, @FILE or a JSON/YAML mapping; "${w.slice(0, 40)}" is none of these`);
    }
    out[key] = w.slice(eq + 1);
  }
  return out;
}

/** All -e arguments, checked and merged in order (later wins). */
export async function loadExtraVars(args: readonly string[], roleVars: Record<string, object>): Promise<Vars> {
  if (args.length === 0) return {};
  const schema = inventoryVarsSchema(roleVars);
  const validate = await validatorFor(schema);
  const layers: Vars[] = [];
  const problems: string[] = [];
  for (const [i, arg] of args.entries()) {
    const label = `-e #${i + 1}`;
    if (arg.startsWith('@')) {
      const file = arg.slice(1);
      if (!file) throw new ConfigError(`${label}: "@" must be followed by a vars file`);
      const text = await readConfigText(file, 'extra vars file');
      if (text.startsWith('$ANSIBLE_VAULT')) throw new ConfigError(`${file}: an Ansible Vault file cannot be given with -e @ (put it in group_vars or host_vars)`);
      const src = parseYamlText(text, file, 'extra vars file');
      const data = src.data ?? {};
      if (!isMapping(data)) throw new ConfigError(`${file}: an extra vars file must be a mapping of variable names to values`);
      if (!validate(data)) problems.push(...formatAjvErrors(src, validate.errors, schema));
      layers.push(data);
    } else if (/^\s*[{[]/.test(arg)) {
      const src = parseYamlText(arg, label, 'extra vars');
      if (!isMapping(src.data)) throw new ConfigError(`${label}: must be a mapping of variable names to values, such as '{"http_port": 8080}'`);
      if (!validate(src.data)) problems.push(...formatAjvErrors(src, validate.errors, schema));
      layers.push(src.data);
    } else {
      const data = parseKeyValues(arg, label);
      if (!validate(data)) {
        for (const err of validate.errors ?? []) {
          const p = describeAjvError(err, schema);
          if (!p) continue;
          // A key=value is always a string: say how to pass a number, a boolean or a list.
          const hint = err.keyword === 'type' ? ` (key=value gives a string; pass other types as JSON: -e '{"${p.segs[0] ?? 'key'}": …}')` : '';
          problems.push(`${label} ${p.segs[0] ?? ''}=…: ${p.segs.join('/') || '(top)'}: ${p.msg}${hint}`);
        }
      }
      layers.push(data);
    }
  }
  if (problems.length) throw new ConfigError('invalid extra vars (-e)', [...new Set(problems)]);
  return deepMerge(...layers);
}

/** The inventory with the extra vars over each host's variables (connection keys included). */
export function withExtraVars(inv: Inventory, extra: Vars): Inventory {
  if (Object.keys(extra).length === 0) return inv;
  const byName = new Map([...inv.byName].map(([name, h]) => [name, { ...h, vars: deepMerge(h.vars, extra) }]));
  return { ...inv, byName };
}
