/**
 * Serialize a compose project's `.env` (the stack writes it with mode 0600).
 *
 * A value is single-quoted when it can be (Compose reads single-quoted values literally: no
 * `${}` interpolation, no escapes), else double-quoted with backslash, `"` and `$` escaped by a
 * backslash (Compose reads them back; checked against Compose by test/config). So any printable
 * character of a password manager's password survives; only a line break and NUL cannot be
 * carried, and are refused naming the key. Keys are sorted so the file is byte-stable across
 * runs (idempotent check by content).
 */

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function dotenvProblems(env: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (!KEY.test(key)) problems.push(`${key}: not a valid variable name`);
    if (typeof value !== 'string') {
      problems.push(`${key}: value must be a string`);
      continue;
    }
    if (/[\r\n\0]/.test(value)) problems.push(`${key}: value may not contain a line break or NUL`);
  }
  return problems;
}

/** One value as Compose's .env parser reads it back unchanged. */
export function dotenvValue(value: string): string {
  if (!value.includes("'") && !value.endsWith('\\')) return `'${value}'`;
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

export function renderDotenv(env: Record<string, string>, header = 'Managed by the provisioning agent; local edits are overwritten.'): string {
  const problems = dotenvProblems(env);
  if (problems.length > 0) throw new Error(`cannot write .env: ${problems.join('; ')}`);
  const lines = Object.keys(env)
    .sort()
    .map((key) => `${key}=${dotenvValue(env[key] as string)}`);
  return `# ${header}\n${lines.join('\n')}\n`;
}
