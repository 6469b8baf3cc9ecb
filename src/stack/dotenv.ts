/**
 * Serialize a compose project's `.env` (the lead's role writes it with mode 0600).
 *
 * Every value is single-quoted: Compose reads single-quoted .env values literally (no `${}`
 * interpolation, no escapes), so `$`, `#`, `"`, spaces and backslashes survive as typed.
 * What single quotes cannot carry is rejected with an error naming the key: a `'`, a line break,
 * a NUL, or a trailing backslash (Compose's parser would read `\'` as an escaped quote).
 * Keys are sorted so the file is byte-stable across runs (idempotent check by content).
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
    if (value.includes("'")) problems.push(`${key}: value may not contain a single quote (')`);
    if (/[\r\n\0]/.test(value)) problems.push(`${key}: value may not contain a line break or NUL`);
    if (value.endsWith('\\')) problems.push(`${key}: value may not end with a backslash`);
  }
  return problems;
}

export function renderDotenv(env: Record<string, string>, header = 'Managed by the provisioning agent; local edits are overwritten.'): string {
  const problems = dotenvProblems(env);
  if (problems.length > 0) throw new Error(`cannot write .env: ${problems.join('; ')}`);
  const lines = Object.keys(env)
    .sort()
    .map((key) => `${key}='${env[key]}'`);
  return `# ${header}\n${lines.join('\n')}\n`;
}
