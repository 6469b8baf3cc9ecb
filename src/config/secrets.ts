// Secrets come from a .env beside the inventory (dotenv) or the environment, which wins.
// Only the names roles declare are read; a missing one is an error before any connection.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { ConfigError } from './errors.ts';

export const MIN_SECRET_LENGTH = 6;

export interface SecretSource {
  file: string;
  fromFile: Record<string, string>;
}

export function readDotenv(dir: string): SecretSource {
  const file = join(dir, '.env');
  const fromFile = existsSync(file) ? parse(readFileSync(file)) : {};
  return { file, fromFile };
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
    } else if (v.length < MIN_SECRET_LENGTH) {
      problems.push(`${src.file}: secret ${n.name} is shorter than ${MIN_SECRET_LENGTH} characters: too weak, and too short to mask in logs`);
    } else values[n.name] = v;
  }
  if (problems.length) throw new ConfigError('missing or invalid secrets', [...new Set(problems)]);
  return values;
}
