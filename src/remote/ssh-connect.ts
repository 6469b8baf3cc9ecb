// Logging in to the target, through each ProxyJump hop in turn: every hop is an SSH client of
// its own (host key checked, keys and agent tried), and the next hop's connection is a channel
// it opens (forwardOut). A failure names the machine that failed and why.
import type { NodeSSH } from 'node-ssh';
import ssh2 from 'ssh2';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { authPlan, readKeyFiles, type AuthPlan } from './ssh-auth.ts';
import { classifyConnect, classifyForward, SshConnectError, type Peer } from './ssh-errors.ts';
import { hostKeyAlgorithmOrder, hostName, knownHostsFile, knownKeyTypes, readKnownHosts, verifyHostKey } from './known-hosts.ts';
import type { SshEndpoint } from './ssh-config.ts';
import type { LogFn } from './connection.ts';

/** Keys and the agent go through authHandler, never privateKey (node-ssh types it as a string). */
type Login = Omit<ConnectConfig, 'privateKey'>;

export interface LoginSpec {
  /** Inventory host name (what errors are reported against). */
  name: string;
  target: SshEndpoint;
  jumps: readonly SshEndpoint[];
  /** The inventory's key file: it must be readable (others are skipped when missing). */
  requiredKey?: string;
  keyPassphrase?: string;
  password?: string;
  timeoutMs: number;
}

/** Connects `ssh` to the target; returns the jump clients to end with it. */
export async function connectThrough(spec: LoginSpec, ssh: NodeSSH, log: LogFn, mask: (s: string) => string): Promise<Client[]> {
  const jumps: Client[] = [];
  const endpoints = [...spec.jumps, spec.target];
  let sock: ClientChannel | undefined;
  try {
    for (const [i, ep] of endpoints.entries()) {
      const isTarget = i === endpoints.length - 1;
      const prev = endpoints[i - 1];
      const peer: Peer = { label: ep.label, user: ep.user, address: ep.address, port: ep.port, jump: !isTarget, ...(prev ? { via: prev.label } : {}) };
      const login = loginConfig(spec, ep, isTarget, log);
      const config: Login = { ...login.config, ...(sock ? { sock } : { host: ep.address, port: ep.port }) };
      try {
        if (isTarget) await ssh.connect(config);
        else jumps.push(await connectClient(config));
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        const c = classifyConnect(spec.name, peer, err, { hostKeyRefusal: login.refusal(), authTried: login.auth.tried, authAccepted: login.auth.accepted, timeoutMs: spec.timeoutMs });
        throw new SshConnectError(c.host, mask(c.message), c.kind, c.hop);
      }
      const next = endpoints[i + 1];
      const client = jumps[jumps.length - 1];
      if (next && client) sock = await forward(spec, client, peer, next, mask);
    }
  } catch (e) {
    for (const c of jumps.reverse()) c.end();
    throw e;
  }
  return jumps;
}

function loginConfig(spec: LoginSpec, ep: SshEndpoint, isTarget: boolean, log: LogFn): { config: Login; auth: AuthPlan; refusal: () => string | undefined } {
  const keys = readKeyFiles(ep.identityFiles, isTarget ? spec.requiredKey : undefined, spec.keyPassphrase, spec.name);
  for (const n of keys.notes) log(n);
  const files = ep.knownHostsFiles ?? [knownHostsFile()];
  const name = hostName(ep.address, ep.port);
  const known = ep.hostKeyChecking === 'off' ? [] : knownKeyTypes(readKnownHosts(files), name);
  const auth = authPlan(ep.user, keys, {
    ...(process.env.SSH_AUTH_SOCK ? { agentSock: process.env.SSH_AUTH_SOCK } : {}),
    identitiesOnly: ep.identitiesOnly,
    ...(isTarget && spec.password !== undefined ? { password: spec.password } : {}),
  });
  let refused: string | undefined;
  const config: Login = {
    username: ep.user,
    authHandler: auth.handler,
    hostVerifier: (key: Buffer) => {
      const v = verifyHostKey(ep.hostKeyChecking, files, name, key);
      if (!v.ok) refused = v.message;
      else if (v.message) log(v.message);
      return v.ok;
    },
    // Ask first for a key of a type we already know for this host: that key binds it.
    ...(known.length ? { algorithms: { serverHostKey: hostKeyAlgorithmOrder(known) } } : {}),
    readyTimeout: spec.timeoutMs,
    keepaliveInterval: 15_000,
  };
  return { config, auth, refusal: () => refused };
}

function connectClient(config: Login): Promise<Client> {
  const c = new ssh2.Client();
  return new Promise((resolve, reject) => {
    c.once('ready', () => {
      c.removeListener('error', reject);
      // Later errors (a dropped jump) surface as the target's connection closing.
      c.on('error', () => undefined);
      resolve(c);
    });
    c.once('error', reject);
    c.once('close', () => reject(new Error('the connection closed during the handshake')));
    c.connect(config);
  });
}

function forward(spec: LoginSpec, client: Client, jump: Peer, next: SshEndpoint, mask: (s: string) => string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const fail = (e: Error & { reason?: unknown }) => {
      const c = classifyForward(spec.name, jump, next, e);
      reject(new SshConnectError(c.host, mask(c.message), c.kind, c.hop));
    };
    // The jump host's own connect() may take minutes to give up on a silent address.
    const timer = setTimeout(() => fail(new Error(`timed out after ${Math.round(spec.timeoutMs / 1000)} s`)), spec.timeoutMs);
    client.forwardOut('127.0.0.1', 0, next.address, next.port, (err, ch) => {
      clearTimeout(timer);
      if (err) fail(err);
      else resolve(ch);
    });
  });
}
