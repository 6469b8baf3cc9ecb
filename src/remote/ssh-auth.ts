// How we log in, as ssh does: each key file in turn (an encrypted one opened with
// PROVISION_SSH_KEY_PASSPHRASE, or left to the agent holding it), then the ssh-agent
// ($SSH_AUTH_SOCK; with IdentitiesOnly only for the named keys), then a password. Every method
// tried is recorded, so a refusal can say what was offered.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthHandlerMiddleware, AuthenticationType, BaseAgent, IdentityCallback, ParsedKey, SignCallback, SigningRequestOptions } from 'ssh2';
import { UnreachableError } from './connection.ts';

export const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** A key file as read: a usable key, or only its public half (encrypted, no passphrase). */
export interface Identity {
  path: string;
  key?: ParsedKey;
  /** Public key blob (from the key or its .pub file), to find the same key in the agent. */
  publicBlob?: Buffer;
  encrypted: boolean;
}

export interface KeyFiles {
  identities: Identity[];
  /** Why a named file was not used (for the log). */
  notes: string[];
}

/**
 * Reads the key files. `required` (the inventory's key) must be readable; files named in the ssh
 * config or ssh's defaults that do not exist are skipped, as ssh skips them.
 */
export function readKeyFiles(files: readonly string[], required: string | undefined, passphrase: string | undefined, host: string, home = homedir()): KeyFiles {
  const list = files.length ? files : DEFAULT_KEYS.map((k) => join(home, '.ssh', k));
  const identities: Identity[] = [];
  const notes: string[] = [];
  for (const path of list) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if (path === required) throw new UnreachableError(host, `cannot read SSH key ${path}: ${(e as Error).message}`);
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') notes.push(`cannot read SSH key ${path}: ${(e as Error).message}`);
      continue;
    }
    const pub = publicBlobOf(`${path}.pub`);
    const plain = ssh2.utils.parseKey(text);
    if (!(plain instanceof Error)) {
      identities.push({ path, key: first(plain), publicBlob: first(plain).getPublicSSH(), encrypted: false });
      continue;
    }
    if (!/passphrase|encrypted/i.test(plain.message)) {
      if (path === required) throw new UnreachableError(host, `cannot use SSH key ${path}: ${plain.message}`);
      notes.push(`cannot use SSH key ${path}: ${plain.message}`);
      continue;
    }
    if (passphrase !== undefined) {
      const opened = ssh2.utils.parseKey(text, passphrase);
      if (opened instanceof Error) {
        throw new UnreachableError(host, `cannot open the encrypted SSH key ${path} with PROVISION_SSH_KEY_PASSPHRASE: ${/bad|decrypt|passphrase/i.test(opened.message) ? 'wrong passphrase' : opened.message}`);
      }
      identities.push({ path, key: first(opened), publicBlob: first(opened).getPublicSSH(), encrypted: true });
      continue;
    }
    // No passphrase: the agent may hold this key (found by its .pub file).
    notes.push(`SSH key ${path} is encrypted: using it through ssh-agent if loaded there, or set PROVISION_SSH_KEY_PASSPHRASE in .env`);
    identities.push({ path, ...(pub ? { publicBlob: pub } : {}), encrypted: true });
  }
  return { identities, notes };
}

function first(k: ParsedKey | ParsedKey[]): ParsedKey {
  const one = Array.isArray(k) ? k[0] : k;
  if (!one) throw new Error('empty key file');
  return one;
}

function publicBlobOf(file: string): Buffer | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = ssh2.utils.parseKey(readFileSync(file, 'utf8'));
  return parsed instanceof Error ? undefined : first(parsed).getPublicSSH();
}

/** The agent, showing only the keys whose public half is in `allowed` (IdentitiesOnly, encrypted files). */
class FilteredAgent extends ssh2.BaseAgent<ParsedKey> {
  constructor(
    private readonly inner: InstanceType<typeof ssh2.OpenSSHAgent>,
    private readonly allowed: readonly Buffer[],
  ) {
    super();
  }

  getIdentities(cb: IdentityCallback<ParsedKey>): void {
    this.inner.getIdentities((err, keys) => {
      if (err) return cb(err);
      // OpenSSHAgent answers with parsed keys only.
      cb(undefined, (keys ?? []).filter((k): k is ParsedKey => 'getPublicSSH' in k && this.allowed.some((a) => a.equals(k.getPublicSSH()))));
    });
  }

  sign(pubKey: ParsedKey, data: Buffer, options: SigningRequestOptions | SignCallback, cb?: SignCallback): void {
    if (typeof options === 'function') this.inner.sign(pubKey, data, options);
    else this.inner.sign(pubKey, data, options, cb);
  }
}

export interface AuthPlan {
  handler: AuthHandlerMiddleware;
  /** What was offered, in order ("publickey /path", "agent", "password"). */
  tried: string[];
  /** The methods the server said it accepts (after the first refusal). */
  accepted: string[];
}

export function authPlan(user: string, keys: KeyFiles, opts: { agentSock?: string; identitiesOnly: boolean; password?: string }): AuthPlan {
  const steps: { label: string; method: AnyAuthMethod }[] = [];
  for (const id of keys.identities) if (id.key) steps.push({ label: `publickey ${id.path}`, method: { type: 'publickey', username: user, key: id.key } });
  if (opts.agentSock) {
    const agent = new ssh2.OpenSSHAgent(opts.agentSock);
    // Encrypted files with no passphrase are used through the agent even under IdentitiesOnly.
    // IdentitiesOnly: the agent signs only for the named key files (an encrypted one included).
    const named = keys.identities.flatMap((i) => (i.publicBlob ? [i.publicBlob] : []));
    if (!opts.identitiesOnly) steps.push({ label: 'agent', method: { type: 'agent', username: user, agent } });
    else if (named.length) steps.push({ label: 'agent (named keys only)', method: { type: 'agent', username: user, agent: new FilteredAgent(agent, named) } });
  }
  if (opts.password !== undefined) steps.push({ label: 'password', method: { type: 'password', username: user, password: opts.password } });
  const plan: AuthPlan = { tried: [], accepted: [], handler: () => undefined };
  let i = 0;
  plan.handler = (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next) => {
    if (methodsLeft) plan.accepted = [...methodsLeft];
    // Skip what the server says it will not take (agent and publickey are both "publickey").
    while (i < steps.length) {
      const s = steps[i++];
      if (!s) break;
      const wire = s.method.type === 'agent' ? 'publickey' : s.method.type;
      if (methodsLeft && !methodsLeft.includes(wire)) continue;
      plan.tried.push(s.label);
      return next(s.method);
    }
    // ssh2 takes false for "nothing left to try"; its type declarations omit it.
    return next(false as unknown as AnyAuthMethod);
  };
  return plan;
}
