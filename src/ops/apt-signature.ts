// Pure: what apt-get update says when a repository's signature does not check out, turned
// into which repository it was and why (gpgv's NO_PUBKEY/BADSIG, sqv's "Missing key", or
// "is not signed").

export interface AptSignatureFailure {
  /** The repository's URL as apt names it, e.g. https://download.docker.com/linux/ubuntu */
  repo: string;
  suite: string;
  /** apt's own words for the failure, shortened: "NO_PUBKEY 7EA0A9C3F273FCD8". */
  detail: string;
}

const SIGNATURE = /GPG error|signature verification|is not signed|NO_PUBKEY|BADSIG|EXPKEYSIG|REVKEYSIG|Missing key|signatures were invalid|signatures couldn't be verified/i;
/** "http://host/path suite InRelease" (or Release) inside apt's message. */
const REPO = /([a-z][a-z0-9+.-]*:\/\/\S+?)\/? (\S+?)\/?\s+(?:In)?Release\b/;
const KEY_DETAIL = /(NO_PUBKEY \S+|BADSIG \S+|EXPKEYSIG \S+|REVKEYSIG \S+|Missing key [0-9A-F]+)/i;
const OTHER_DETAIL = /([^:]*signatures? [^:]*(?:invalid|verified)|is not signed)/i;

/** Every repository apt-get update could not verify, once each, in apt's order. */
export function aptSignatureFailures(output: string): AptSignatureFailure[] {
  const found = new Map<string, AptSignatureFailure>();
  for (const line of output.split('\n')) {
    if (!SIGNATURE.test(line)) continue;
    const m = REPO.exec(line);
    if (!m) continue;
    const repo = m[1] as string;
    const suite = m[2] as string;
    const key = `${repo} ${suite}`;
    const rest = line.slice(m.index + m[0].length);
    const detail = (KEY_DETAIL.exec(rest)?.[1] ?? OTHER_DETAIL.exec(rest)?.[1] ?? OTHER_DETAIL.exec(line)?.[1] ?? 'signature not verified').trim();
    const had = found.get(key);
    // The specific reason (NO_PUBKEY, Missing key) wins over the generic "is not signed".
    if (!had || (had.detail === 'is not signed' && detail !== 'is not signed')) found.set(key, { repo, suite, detail });
  }
  return [...found.values()];
}

/** A sentence naming the repository and what apt said. */
export function describeSignatureFailure(f: AptSignatureFailure): string {
  return `apt could not verify the signature of the repository ${f.repo} (${f.suite}): ${f.detail}`;
}
