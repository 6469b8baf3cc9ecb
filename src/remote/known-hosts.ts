// Host key checking against an OpenSSH known_hosts file (plain and hashed entries).
// accept-new (default): a first key is recorded, a changed key is refused; strict: unknown hosts
// are refused too; off: no checking (throwaway test VMs whose keys change every time).
import { createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

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

export type KeyCheck = 'match' | 'unknown' | 'mismatch';

/** Pure: what known_hosts says about this host presenting this key. */
export function checkHostKey(knownHosts: string, name: string, blob: Buffer): KeyCheck {
  const type = keyType(blob);
  const b64 = blob.toString('base64');
  let sameTypeOther = false;
  for (const raw of knownHosts.split('\n')) {
    const line = raw.trim();
    // Comments, and @cert-authority/@revoked lines (not supported), are skipped.
    if (!line || line.startsWith('#') || line.startsWith('@')) continue;
    const [hosts = '', ktype = '', key = ''] = line.split(/\s+/);
    if (!patternMatches(hosts, name)) continue;
    if (ktype === type && key === b64) return 'match';
    if (ktype === type) sameTypeOther = true;
  }
  return sameTypeOther ? 'mismatch' : 'unknown';
}

export interface Verdict {
  ok: boolean;
  /** Why the key was refused, or that a new key was recorded. */
  message?: string;
}

export function verifyHostKey(policy: HostKeyPolicy, file: string, name: string, blob: Buffer): Verdict {
  if (policy === 'off') return { ok: true };
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const found = checkHostKey(text, name, blob);
  if (found === 'match') return { ok: true };
  if (found === 'mismatch') {
    return { ok: false, message: `the host key of ${name} (${keyType(blob)}) does not match ${file}: it changed, or someone is in the way. If the host was rebuilt, remove its line (ssh-keygen -R '${name}' -f ${file}) and run again` };
  }
  if (policy === 'strict') {
    return { ok: false, message: `${name} is not in ${file} and host_key_checking is strict: add its key first (ssh-keyscan)` };
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, `${name} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
  return { ok: true, message: `recorded the host key of ${name} in ${file}` };
}
