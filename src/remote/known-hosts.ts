// Host key checking against an OpenSSH known_hosts file (plain and hashed entries).
// accept-new (default): a first key is recorded, a changed key (or one of another type) is
// refused; strict: unknown hosts are refused too; off: no checking (throwaway test VMs whose keys
// change every time), except that a key marked @revoked is always refused.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { ServerHostKeyAlgorithm } from 'ssh2';

export type HostKeyPolicy = 'accept-new' | 'strict' | 'off';

export function knownHostsFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.PROVISION_KNOWN_HOSTS ?? join(homedir(), '.ssh', 'known_hosts');
}

/** The name known_hosts uses for a host: "host" on port 22, "[host]:port" otherwise. */
export function hostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** The key type is the first string of the SSH public key blob. */
export function keyType(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('ascii');
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}

function patternMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt = '', hash = ''] = field.split('|');
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  const pats = field.split(',');
  if (pats.some((p) => p.startsWith('!') && globMatch(p.slice(1), name))) return false;
  return pats.some((p) => !p.startsWith('!') && globMatch(p, name));
}

export type KeyCheck = 'match' | 'unknown' | 'mismatch' | 'revoked';

interface Entry {
  marker?: string;
  hosts: string;
  type: string;
  key: string;
}

function entries(knownHosts: string): Entry[] {
  const out: Entry[] = [];
  for (const raw of knownHosts.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    const marker = parts[0]?.startsWith('@') ? parts.shift() : undefined;
    const [hosts = '', type = '', key = ''] = parts;
    out.push({ ...(marker ? { marker } : {}), hosts, type, key });
  }
  return out;
}

/**
 * Pure: what known_hosts says about this host presenting this key. Any key recorded for the
 * host binds it, whatever its type (as in OpenSSH): a key of another type is a mismatch, not a
 * new host. A key listed under @revoked is refused everywhere. @cert-authority lines name a CA
 * for host certificates, which are not host keys (and not supported): they are skipped.
 */
export function checkHostKey(knownHosts: string, name: string, blob: Buffer): KeyCheck {
  const type = keyType(blob);
  const b64 = blob.toString('base64');
  let known = false;
  let matched = false;
  for (const e of entries(knownHosts)) {
    if (e.marker === '@revoked') {
      // A revoked key is refused for every host name; the pattern is not what makes it bad.
      if (e.type === type && e.key === b64) return 'revoked';
      continue;
    }
    if (e.marker || !patternMatches(e.hosts, name)) continue;
    known = true;
    if (e.type === type && e.key === b64) matched = true;
  }
  return matched ? 'match' : known ? 'mismatch' : 'unknown';
}

/** Key types recorded for the host (plain entries), to ask the server for one of those first. */
export function knownKeyTypes(knownHosts: string, name: string): string[] {
  const types = entries(knownHosts).filter((e) => !e.marker && patternMatches(e.hosts, name)).map((e) => e.type);
  return [...new Set(types)];
}

/** ssh2's host key algorithms, in its default order. */
export const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/**
 * The order to offer host key algorithms in: those giving a key of a type already known for the
 * host first (an ssh-rsa key signs with rsa-sha2-*), so the server shows the key we can check.
 */
export function hostKeyAlgorithmOrder(knownTypes: readonly string[]): ServerHostKeyAlgorithm[] {
  const wanted: string[] = knownTypes.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
  const first = HOST_KEY_ALGORITHMS.filter((a) => wanted.includes(a));
  return [...first, ...HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}

export interface Verdict {
  ok: boolean;
  /** Why the key was refused, or that a new key was recorded. */
  message?: string;
}

export function readKnownHosts(files: readonly string[]): string {
  return files.map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : '')).join('\n');
}

/** `files`: known_hosts files to read; a new key is recorded in the first. */
export function verifyHostKey(policy: HostKeyPolicy, files: string | readonly string[], name: string, blob: Buffer): Verdict {
  const list = typeof files === 'string' ? [files] : files;
  const file = list[0] ?? knownHostsFile();
  const text = readKnownHosts(list);
  const found = checkHostKey(text, name, blob);
  if (found === 'revoked') return { ok: false, message: `the host key of ${name} (${keyType(blob)}) is marked @revoked in ${list.join(', ')}` };
  if (policy === 'off' || found === 'match') return { ok: true };
  if (found === 'mismatch') {
    const known = knownKeyTypes(text, name);
    const other = known.includes(keyType(blob)) ? '' : ` (known key types: ${known.join(', ')})`;
    return { ok: false, message: `the host key of ${name} (${keyType(blob)}) does not match ${list.join(', ')}${other}: it changed, or someone is in the way. If the host was rebuilt, remove its line (ssh-keygen -R '${name}' -f ${file}) and run again` };
  }
  if (policy === 'strict') {
    return { ok: false, message: `${name} is not in ${list.join(', ')} and host_key_checking is strict: add its key first (ssh-keyscan)` };
  }
  appendLine(file, `${name} ${keyType(blob)} ${blob.toString('base64')}`);
  return { ok: true, message: `recorded the host key of ${name} in ${file}` };
}

/**
 * Adds a line without touching what is there: a last line with no newline keeps its own line,
 * and the file is replaced atomically (temp file in the same directory, then rename) with its mode.
 */
export function appendLine(file: string, line: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // Write through a symlink to the file it points at (a dotfiles repo, say), not over the link.
  const target = existsSync(file) ? realpathSync(file) : file;
  const old = existsSync(target) ? readFileSync(target, 'utf8') : '';
  const mode = existsSync(target) ? statSync(target).mode & 0o7777 : 0o600;
  const sep = old === '' || old.endsWith('\n') ? '' : '\n';
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, `${old}${sep}${line}\n`, { mode, flag: 'wx' });
    chmodSync(tmp, mode);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
