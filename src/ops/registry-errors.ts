// What a registry's answer means for the user: docker's words sorted into the few things a user
// can fix (credentials, the image name, the network, the registry's CA).
import type { RegistryEntry } from './registry-login.ts';

export type PullFailure = 'auth' | 'not-found' | 'network' | 'tls' | 'other';

/** Pure: what kind of failure a `docker pull` (or login) output says it was. */
export function classifyPullError(out: string): PullFailure {
  const t = out.toLowerCase();
  if (/x509|certificate signed by unknown authority|tls: failed to verify/.test(t)) return 'tls';
  if (/unauthorized|authentication required|no basic auth credentials|incorrect username or password|denied/.test(t)) return 'auth';
  if (/manifest unknown|not found|name unknown|no such image/.test(t)) return 'not-found';
  if (/connection refused|no route to host|i\/o timeout|timeout|no such host|connection reset|unexpected eof|\beof\b|temporary failure|network is unreachable|tls handshake|service unavailable|bad gateway|50[234]|toomanyrequests|too many requests/.test(t)) return 'network';
  return 'other';
}

/** What to check when a registry refuses: the entry and its secret, or that there is none. */
export function registryAdvice(registry: string, registries: readonly RegistryEntry[]): string {
  const i = registries.findIndex((r) => r.host === registry);
  const entry = registries[i];
  if (!entry) return `No registries entry has host ${registry}: add one (host, username, password_secret) if the image is private`;
  return `Check registries[${i}] (host ${registry}, username ${entry.username}) and its password in ${entry.password_secret} (.env or environment)`;
}

