// JSON Schema validators. The bundle carries them compiled ahead of time (bin/build.ts writes
// .build/validators.js, keyed by a hash of each schema), so a run does not pay ajv's compile
// (~0.1 s) at start-up; from sources, or for a schema the build did not see, ajv compiles it now.
import { createHash } from 'node:crypto';
import type { ErrorObject } from 'ajv';

export interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** The name a schema's compiled validator goes by: the same at build time and at run time. */
export function schemaKey(schema: object): string {
  return `v${createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 24)}`;
}

// Set by bin/build.ts in the bundle.
declare const __PROVISION_BUILT__: boolean | undefined;
const BUILT = typeof __PROVISION_BUILT__ !== 'undefined' && __PROVISION_BUILT__;

type Compiled = Record<string, Validator | undefined>;
let precompiled: Promise<Compiled> | undefined;

function isValidator(v: unknown): v is Validator {
  return typeof v === 'function';
}

async function loadPrecompiled(): Promise<Compiled> {
  // A computed specifier: esbuild leaves it alone, Node resolves it beside this chunk in .build/.
  const url = new URL('./validators.js', import.meta.url).href;
  try {
    const mod: Record<string, unknown> = await import(url);
    return Object.fromEntries(Object.entries(mod).filter((e): e is [string, Validator] => isValidator(e[1])));
  } catch {
    return {};
  }
}

export async function validatorFor(schema: object): Promise<Validator> {
  const key = schemaKey(schema);
  if (BUILT) {
    precompiled ??= loadPrecompiled();
    const v = (await precompiled)[key];
    if (v) return v;
  }
  const { Ajv } = await import('ajv');
  return new Ajv({ allErrors: true, strict: false }).compile({ ...schema, $id: key });
}
