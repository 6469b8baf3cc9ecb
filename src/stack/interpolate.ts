// Compose's variable interpolation, done here for `docker stack deploy`, which does not read a
// project's .env: the stack file it gets is already filled in, from the .env values alone (not
// this machine's environment), so what a stack runs does not depend on who deployed it.
// The grammar is Compose's: $$ (a literal $), $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?message}, ${VAR?message}, ${VAR:+alt}, ${VAR+alt}. Nested expressions in a default are
// refused rather than half-understood.

export class InterpolationError extends Error {}

const EXPR = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^}$]|\$\$)*))?\}|([A-Za-z_][A-Za-z0-9_]*)|(\{[^}]*\}?))/g;

/** One string with its variables filled from `env`; `where` names it in errors. */
export function interpolate(text: string, env: Readonly<Record<string, string>>, where: string): string {
  return text.replace(EXPR, (_m, dollar: string | undefined, name: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined, bad: string | undefined) => {
    if (dollar) return '$';
    if (bad !== undefined) throw new InterpolationError(`${where}: cannot read \${${bad.slice(1)} (nested or malformed variable expression)`);
    const key = (name ?? bare)!;
    const value = Object.hasOwn(env, key) ? env[key] : undefined;
    const arg2 = (arg ?? '').replace(/\$\$/g, '$');
    switch (op) {
      case undefined:
        return value ?? '';
      case ':-':
        return value ? value : arg2;
      case '-':
        return value ?? arg2;
      case ':?':
        if (!value) throw new InterpolationError(`${where}: ${key} is required: ${arg2 || 'not set'}`);
        return value;
      case '?':
        if (value === undefined) throw new InterpolationError(`${where}: ${key} is required: ${arg2 || 'not set'}`);
        return value;
      case ':+':
        return value ? arg2 : '';
      default:
        return value !== undefined ? arg2 : '';
    }
  });
}

/** Every string inside a parsed YAML value interpolated (keys too, as Compose does for labels). */
export function interpolateAll(value: unknown, env: Readonly<Record<string, string>>, where: string): unknown {
  if (typeof value === 'string') return interpolate(value, env, where);
  if (Array.isArray(value)) return value.map((v, i) => interpolateAll(v, env, `${where}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [interpolate(k, env, where), interpolateAll(v, env, `${where}.${k}`)]));
  }
  return value;
}

/** The reverse of interpolation for a finished value: every $ written as $$, so the CLI reading
 * the stack file (it interpolates too, from its own environment) leaves it as it is. */
export function escapeDollars(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\$/g, '$$$$');
  if (Array.isArray(value)) return value.map(escapeDollars);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/\$/g, '$$$$'), escapeDollars(v)]));
  return value;
}
