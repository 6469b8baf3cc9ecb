// Playbooks: an ordered list of plays {name, hosts, roles, vars, tags}, validated with ajv.
import type { Vars } from '../engine/types.ts';
import { ConfigError, formatAjvErrors, loadYaml } from './errors.ts';
import { validatorFor } from './validator.ts';

export interface RoleRef {
  role: string;
  tags: string[];
  vars: Vars;
}

export interface Play {
  name: string;
  hosts: string;
  roles: RoleRef[];
  vars: Vars;
  tags: string[];
}

export interface Playbook {
  file: string;
  plays: Play[];
}

const tags = { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' } };

export function playbookSchema(roleVars: Record<string, object>): object {
  const vars = { type: ['object', 'null'], properties: roleVars, additionalProperties: false };
  return {
    type: 'array',
    minItems: 1,
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['hosts', 'roles'],
      properties: {
        name: { type: 'string' },
        hosts: { type: 'string', minLength: 1 },
        roles: {
          type: 'array',
          minItems: 1,
          items: {
            anyOf: [
              { type: 'string', minLength: 1 },
              {
                type: 'object',
                additionalProperties: false,
                required: ['role'],
                properties: { role: { type: 'string', minLength: 1 }, tags, vars },
              },
            ],
          },
        },
        vars,
        tags,
      },
    },
  };
}

export async function loadPlaybook(file: string, roleVars: Record<string, object>): Promise<Playbook> {
  const src = await loadYaml(file, 'playbook');
  const schema = playbookSchema(roleVars);
  const validate = await validatorFor(schema);
  if (!validate(src.data)) throw new ConfigError(`${file}: invalid playbook`, formatAjvErrors(src, validate.errors, schema));
  type RawPlay = { name?: string; hosts: string; roles: (string | { role: string; tags?: string[]; vars?: Vars | null })[]; vars?: Vars | null; tags?: string[] };
  const plays = (src.data as RawPlay[]).map((p, i) => ({
    name: p.name ?? `play ${i + 1}`,
    hosts: p.hosts,
    vars: p.vars ?? {},
    tags: p.tags ?? [],
    roles: p.roles.map((r) => (typeof r === 'string' ? { role: r, tags: [], vars: {} } : { role: r.role, tags: r.tags ?? [], vars: r.vars ?? {} })),
  }));
  return { file, plays };
}
