// Why an SSH connection could not be made, in words a user can act on: which machine (the
// target, or which jump host) and what went wrong there. Pure, so each case is unit-tested.
import { UnreachableError } from './connection.ts';

export type ConnectFailure = 'dns' | 'unreachable' | 'refused' | 'timeout' | 'auth' | 'host-key' | 'forwarding' | 'closed' | 'other';

export class SshConnectError extends UnreachableError {
  constructor(
    host: string,
    message: string,
    readonly kind: ConnectFailure,
    /** The jump host that failed (as written in ProxyJump), when it was not the target. */
    readonly hop?: string,
  ) {
    super(host, message);
  }
}

/** The machine a step talks to, as the message names it. */
export interface Peer {
  /** Inventory host name, or the hop as written in ProxyJump. */
  label: string;
  user: string;
  address: string;
  port: number;
  /** true for a jump host. */
  jump: boolean;
  /** The jump host in front of it, if any. */
  via?: string;
}

function peerText(p: Peer): string {
  return `${p.jump ? 'jump host' : 'host'} ${p.label} (${p.user}@${p.address}:${p.port}${p.via ? `, via jump host ${p.via}` : ''})`;
}

const DNS = /ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_NODATA|Name or service not known|No address associated|name resolution|nodename nor servname|unknown host/i;
const UNREACHABLE = /EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|No route to host|Network is unreachable|Host is unreachable|Host is down/i;
const REFUSED = /ECONNREFUSED|Connection refused/i;
const TIMEOUT = /ETIMEDOUT|timed out|Timed out while waiting for handshake/i;

function kindOf(e: { code?: unknown; message: string }): ConnectFailure {
  const text = `${typeof e.code === 'string' ? e.code : ''} ${e.message}`;
  if (DNS.test(text)) return 'dns';
  if (UNREACHABLE.test(text)) return 'unreachable';
  if (REFUSED.test(text)) return 'refused';
  if (TIMEOUT.test(text)) return 'timeout';
  if (/ECONNRESET|Connection lost before handshake|socket hang up|EPIPE/i.test(text)) return 'closed';
  return 'other';
}

/** A failed login or handshake with `peer` (over TCP, or through the jump host before it). */
export function classifyConnect(
  host: string,
  peer: Peer,
  e: Error & { code?: unknown; level?: unknown },
  extra: { hostKeyRefusal?: string; authTried?: string[]; authAccepted?: string[]; timeoutMs?: number } = {},
): SshConnectError {
  const who = peerText(peer);
  const hop = peer.jump ? peer.label : undefined;
  const make = (kind: ConnectFailure, what: string) => new SshConnectError(host, `${who}: ${what}`, kind, hop);
  if (extra.hostKeyRefusal) return make('host-key', `host key refused: ${extra.hostKeyRefusal}`);
  if (e.level === 'client-authentication') {
    const tried = extra.authTried?.length ? extra.authTried.join(', ') : 'nothing (no key file, agent or password)';
    const accepts = extra.authAccepted?.length ? `; the server accepts: ${extra.authAccepted.join(', ')}` : '';
    return make('auth', `authentication refused for ${peer.user}; tried ${tried}${accepts}`);
  }
  const kind = kindOf(e);
  switch (kind) {
    case 'dns':
      return make(kind, `cannot resolve the host name ${peer.address} (DNS)`);
    case 'unreachable':
      return make(kind, `host unreachable (no route to ${peer.address})`);
    case 'refused':
      return make(kind, `connection refused on port ${peer.port} (is sshd running, is the port right?)`);
    case 'timeout':
      return make(kind, `timed out${extra.timeoutMs ? ` after ${Math.round(extra.timeoutMs / 1000)} s` : ''} (firewall, wrong address, or the host is down)`);
    case 'closed':
      return make(kind, `closed the connection before the SSH handshake (${e.message})`);
    default:
      return make(kind, e.message);
  }
}

/** The jump host `jump` could not open a connection to `next` (ssh2's channel open failure). */
export function classifyForward(host: string, jump: Peer, next: { label: string; address: string; port: number }, e: Error & { reason?: unknown }): SshConnectError {
  const lead = `jump host ${jump.label} (${jump.user}@${jump.address}:${jump.port}) cannot reach ${next.label} at ${next.address}:${next.port}`;
  const make = (kind: ConnectFailure, what: string) => new SshConnectError(host, `${lead}: ${what}`, kind, jump.label);
  if (/administratively prohibited/i.test(e.message) || e.reason === 1) {
    return make('forwarding', 'it refuses to forward connections (AllowTcpForwarding no on the jump host?)');
  }
  const kind = kindOf(e);
  switch (kind) {
    case 'dns':
      return make(kind, `the jump host cannot resolve ${next.address} (DNS)`);
    case 'unreachable':
      return make(kind, 'host unreachable from the jump host');
    case 'refused':
      return make(kind, `connection refused on port ${next.port}`);
    case 'timeout':
      return make(kind, 'timed out');
    default:
      return make(kind, e.message.replace(/^\(SSH\) /, ''));
  }
}
