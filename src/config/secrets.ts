// Secrets come from a .env beside the inventory (dotenv) or the environment, which wins.
// Only the names roles declare are read; a missing one is an error before any connection.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { ConfigError } from './errors.ts';
import { checkDotenv } from './dotenv-check.ts';

export const MIN_SECRET_LENGTH = 6;

export interface SecretSource {
  file: string;
  fromFile: Record<string, string>;
}

export function readDotenv(dir: string): SecretSource {
  const file = join(dir, '.env');
  if (!existsSync(file)) return { file, fromFile: {} };
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new ConfigError(`${file}: .env must be a file (it is a directory or a device)`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${file}: cannot read the .env: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (text.includes('\0')) throw new ConfigError(`${file}: the .env holds a NUL byte (is it a binary file?)`);
  const problems = checkDotenv(text);
  if (problems.length) throw new ConfigError(`${file}: invalid .env`, problems.map((p) => `${file}:${p.line}: ${p.message}`));
  return { file, fromFile: parse(text) };
}

export function lookupSecret(src: SecretSource, name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env[name];
  const v = fromEnv !== undefined && fromEnv !== '' ? fromEnv : src.fromFile[name];
  return v === undefined || v === '' ? undefined : v;
}

/** Resolves the secrets each (role, hosts) needs; collects every problem before failing. */
export function resolveSecrets(
  src: SecretSource,
  needs: { name: string; role: string; hosts: string[]; key?: string }[],
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const n of needs) {
    const v = lookupSecret(src, n.name, env);
    if (v === undefined) {
      problems.push(`${src.file}: missing secret ${n.name} (${n.key ? `named by ${n.key}, ` : ''}needed by role ${n.role} on ${n.hosts.join(', ')}); set it there or in the environment`);
    } else if (/[\r\n\0]/.test(v)) {
      problems.push(`${src.file}: secret ${n.name} holds a line break or NUL byte: no container environment or .env can carry it; generate one without`);
    } else if (v.length < MIN_SECRET_LENGTH) {
      problems.push(`${src.file}: secret ${n.name} is shorter than ${MIN_SECRET_LENGTH} characters: too weak, and too short to mask in logs`);
    } else values[n.name] = v;
  }
  if (problems.length) throw new ConfigError('missing or invalid secrets', [...new Set(problems)]);
  return values;
}
