// Playbooks: an ordered list of plays {name, hosts, roles, vars, tags, serial,
// max_fail_percentage}, validated with ajv.
import type { Rollout, SerialItem } from '../engine/batches.ts';
import type { Vars } from '../engine/types.ts';
import { ConfigError, formatAjvErrors, lineOf, loadYaml, type LoadedYaml } from './errors.ts';
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
  serial?: SerialItem[];
  maxFailPercentage?: number;
}

export interface Playbook {
  file: string;
  plays: Play[];
  /**
   * How the run's hosts are batched. Each host runs all its plays in one session (one
   * connection, one read batch), so a run has one set of batches: from the plays that set
   * `serial` / `max_fail_percentage`, which must agree.
   */
  rollout: Rollout;
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
        // Checked by serialProblems (one clear message rather than one per anyOf branch).
        serial: {},
        max_fail_percentage: { type: 'number', minimum: 0, maximum: 100 },
      },
    },
  };
}

const PERCENT = /^(100|[1-9]?[0-9])%$/;

function isSerialItem(v: unknown): v is SerialItem {
  return (typeof v === 'number' && Number.isInteger(v) && v >= 1) || (typeof v === 'string' && PERCENT.test(v.trim()));
}

/** `serial` as Ansible takes it: a host count, a percentage, or a non-empty list of those. */
function parseSerial(src: LoadedYaml, pi: number, v: unknown): { items?: SerialItem[]; problem?: string } {
  const list = Array.isArray(v) ? v : [v];
  const bad = list.findIndex((x) => !isSerialItem(x));
  if (list.length && bad < 0) return { items: list.map((x: SerialItem) => (typeof x === 'string' ? x.trim() : x)) };
  const path = Array.isArray(v) && bad >= 0 ? [pi, 'serial', bad] : [pi, 'serial'];
  const got = list.length ? JSON.stringify(list[bad]) : '[]';
  return { problem: `${src.file}${lineOf(src, path)}: ${path.join('/')}: must be a whole number ≥ 1, a percentage such as "30%" (0-100%), or a non-empty list of those; got ${got}` };
}

/** The run's batching: every play that sets serial or max_fail_percentage must say the same. */
function rolloutOf(src: LoadedYaml, plays: Play[]): Rollout {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const problems: string[] = [];
  let serialFrom: number | undefined;
  let maxFrom: number | undefined;
  plays.forEach((p, i) => {
    if (p.serial) {
      if (serialFrom === undefined) serialFrom = i;
      else if (!same(p.serial, plays[serialFrom]?.serial)) {
        problems.push(`${src.file}${lineOf(src, [i, 'serial'])}: ${i}/serial: differs from ${serialFrom}/serial; provision runs each host's plays in one session, so a run has one set of batches: set serial on one play, or the same on each`);
      }
    }
    if (p.maxFailPercentage !== undefined) {
      if (maxFrom === undefined) maxFrom = i;
      else if (p.maxFailPercentage !== plays[maxFrom]?.maxFailPercentage) {
        problems.push(`${src.file}${lineOf(src, [i, 'max_fail_percentage'])}: ${i}/max_fail_percentage: differs from ${maxFrom}/max_fail_percentage; a run has one set of batches: set it on one play, or the same on each`);
      }
    }
  });
  if (problems.length) throw new ConfigError(`${src.file}: invalid playbook`, problems);
  const max = maxFrom === undefined ? undefined : plays[maxFrom]?.maxFailPercentage;
  return { serial: serialFrom === undefined ? [] : (plays[serialFrom]?.serial ?? []), ...(max !== undefined ? { maxFailPercentage: max } : {}) };
}

export async function loadPlaybook(file: string, roleVars: Record<string, object>): Promise<Playbook> {
  const src = await loadYaml(file, 'playbook');
  const schema = playbookSchema(roleVars);
  const validate = await validatorFor(schema);
  if (!validate(src.data)) throw new ConfigError(`${file}: invalid playbook`, formatAjvErrors(src, validate.errors, schema));
  type RawPlay = {
    name?: string;
    hosts: string;
    roles: (string | { role: string; tags?: string[]; vars?: Vars | null })[];
    vars?: Vars | null;
    tags?: string[];
    serial?: unknown;
    max_fail_percentage?: number;
  };
  const problems: string[] = [];
  const plays = (src.data as RawPlay[]).map((p, i): Play => {
    const serial = p.serial === undefined ? {} : parseSerial(src, i, p.serial);
    if (serial.problem) problems.push(serial.problem);
    return {
      name: p.name ?? `play ${i + 1}`,
      hosts: p.hosts,
      vars: p.vars ?? {},
      tags: p.tags ?? [],
      roles: p.roles.map((r) => (typeof r === 'string' ? { role: r, tags: [], vars: {} } : { role: r.role, tags: r.tags ?? [], vars: r.vars ?? {} })),
      ...(serial.items ? { serial: serial.items } : {}),
      ...(p.max_fail_percentage !== undefined ? { maxFailPercentage: p.max_fail_percentage } : {}),
    };
  });
  if (problems.length) throw new ConfigError(`${file}: invalid playbook`, problems);
  return { file, plays, rollout: rolloutOf(src, plays) };
}
