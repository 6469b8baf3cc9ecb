// Registry logins for the Docker daemon compose uses: `docker login --password-stdin` (the
// password reaches docker on its standard input from bash's builtin printf, so no process shows
// it), the credential file kept 0600, and `ok` when the stored credential already is the
// wanted one. The stored credential is compared as a salted hash made on the host, so neither
// it nor the wanted one is ever printed.
import { createHash, randomBytes } from 'node:crypto';
import { raw, Secret, sh } from '../remote/command.ts';
import { dockerRead, type Read } from '../engine/read.ts';
import { change, defineTask, inSync } from '../engine/task.ts';
import type { Task, TaskContext } from '../engine/types.ts';
import { classifyPullError } from './registry-errors.ts';

/** One `registries:` entry as the inventory writes it. */
export interface RegistryEntry {
  /** host[:port], as image references name it (e.g. ghcr.io, registry.example:5000). */
  host: string;
  username: string;
  /** Name of the .env (or environment) variable holding the password or token. */
  password_secret: string;
  /** CA certificate (PEM) of a registry with its own CA, relative to the inventory. */
  ca_file?: string;
}

export const REGISTRY_HOST = '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$';

export const REGISTRIES_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['host', 'username', 'password_secret'],
    properties: {
      host: { type: 'string', pattern: REGISTRY_HOST },
      username: { type: 'string', minLength: 1, pattern: '^[^:\\s]+$' },
      password_secret: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      ca_file: { type: 'string', minLength: 1 },
    },
  },
};

/** Where docker keeps the login (root's, since compose runs as root; HOME is set by sudo -H). */
const CONFIG_RAW = raw('"$HOME/.docker/config.json"');

// A per-process salt: the host prints sha256(salt + stored auth), never the auth itself.
const SALT = randomBytes(16).toString('hex');

/** Pure: the salted hash the host prints for a stored `auth` of user:password. */
export function authHash(username: string, password: string, salt = SALT): string {
  return createHash('sha256').update(salt + Buffer.from(`${username}:${password}`).toString('base64')).digest('hex');
}

export interface StoredLogin {
  /** Mode of the credential file (octal string), or undefined when there is none. */
  mode?: string;
  /** Salted hash of the stored auth for the registry, or undefined when none is stored. */
  hash?: string;
}

/** Pure: parses "mode hash|none" or "missing". */
export function parseStoredLogin(stdout: string): StoredLogin {
  const t = stdout.trim();
  if (t === 'missing' || !t) return {};
  const [mode, hash] = t.split(/\s+/);
  return { mode, hash: hash && hash !== 'none' ? hash : undefined };
}

/** Dots are the only regex characters a registry host may hold (see REGISTRY_HOST). */
function hostPattern(host: string): string {
  return host.replace(/\./g, '\\.');
}

export function storedLoginRead(host: string): Read<StoredLogin> {
  // Docker writes the file as indented JSON; without whitespace an entry is "host":{..."auth":"…"...}.
  const entry = `"${hostPattern(host)}":{[^{}]*}`;
  return dockerRead(
    sh`f=${CONFIG_RAW}
if [ ! -f "$f" ]; then echo missing; exit 0; fi
a=$(tr -d ' \\t\\r\\n' <"$f" | { grep -o -- ${entry} || true; } | { grep -o '"auth":"[^"]*"' || true; } | head -n1 | cut -d'"' -f4)
if [ -z "$a" ]; then h=none; else h=$(printf '%s' ${SALT}"$a" | sha256sum | cut -c1-64); fi
printf '%s %s\\n' "$(stat -c %a "$f")" "$h"`,
    (r) => parseStoredLogin(r.stdout),
  );
}

/** Pure: why the stored login is not the wanted one, or undefined when it is. */
export function loginDrift(stored: StoredLogin, wanted: string): string | undefined {
  if (stored.mode === undefined) return 'not logged in (no credential file)';
  if (stored.hash === undefined) return 'not logged in';
  if (stored.hash !== wanted) return 'a different credential is stored';
  if (stored.mode !== '600') return `credential file mode ${stored.mode}, not 0600`;
  return undefined;
}

const LOGIN_ATTEMPTS = 3;
const LOGIN_BACKOFF_MS = 2000;

async function login(ctx: TaskContext, entry: RegistryEntry, index: number, password: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const r = await ctx.run(
      sh`install -d -m 0700 "$HOME/.docker"
printf '%s' ${new Secret(password)} | docker login --username ${entry.username} --password-stdin ${entry.host}
chmod 0600 ${CONFIG_RAW}`,
      { nothrow: true, timeoutMs: 120_000 },
    );
    if (r.ok) return;
    const said = (r.stderr.trim() || r.stdout.trim()).split('\n').filter(Boolean).at(-1) ?? `exit ${r.exitCode}`;
    const kind = classifyPullError(`${r.stderr}\n${r.stdout}`);
    if (kind === 'network' && attempt < LOGIN_ATTEMPTS) {
      ctx.progress(`${entry.host} unreachable; try ${attempt + 1} of ${LOGIN_ATTEMPTS}`);
      await new Promise((res) => setTimeout(res, LOGIN_BACKOFF_MS * 2 ** (attempt - 1)));
      continue;
    }
    const where = `registries[${index}] (host ${entry.host}, username ${entry.username}, password in ${entry.password_secret})`;
    if (kind === 'auth') throw new Error(`registry ${entry.host} refused the login (${said}). Check ${where}`);
    if (kind === 'network') throw new Error(`registry ${entry.host} unreachable after ${attempt} tries (${said}); ${where}`);
    if (kind === 'tls') throw new Error(`the certificate of registry ${entry.host} is not trusted (${said}); set ca_file in ${where}`);
    throw new Error(`login to registry ${entry.host} failed (${said}); ${where}`);
  }
}

export function registryLoginTask(entry: RegistryEntry, index: number, password: string, tags?: string[]): Task {
  return defineTask({
    name: `logged in to registry ${entry.host}`,
    tags,
    reads: { stored: storedLoginRead(entry.host) },
    check: (_ctx, { stored }) => {
      const drift = loginDrift(stored, authHash(entry.username, password));
      if (!drift) return inSync(`${entry.username} at ${entry.host}`);
      return change(`${entry.host}: ${drift}`, null);
    },
    apply: async (ctx) => {
      await login(ctx, entry, index, password);
      return { reason: `logged in to ${entry.host} as ${entry.username}` };
    },
  });
}
