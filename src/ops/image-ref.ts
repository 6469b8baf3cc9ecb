// Image references as Docker reads them: [registry/]path[:tag][@sha256:digest]. Pure; shared by
// the pull task (what is present, what to pull, which registry to blame) and its tests.

export interface ImageRef {
  /** As written in the inventory. */
  text: string;
  /** Registry host[:port]; "docker.io" when the reference names none. */
  registry: string;
  /** Repository as `docker images` shows it: no "docker.io/" and no "library/" for Docker Hub. */
  repository: string;
  /** Tag; "latest" when neither a tag nor a digest is given. */
  tag?: string;
  digest?: string;
}

const DIGEST = /@(sha256:[a-f0-9]{64})$/;

export function parseImageRef(text: string): ImageRef {
  let rest = text;
  const d = DIGEST.exec(rest);
  const digest = d?.[1];
  if (d) rest = rest.slice(0, d.index);
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  let tag: string | undefined;
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!tag && !digest) tag = 'latest';
  // Docker's rule: the first component is a registry when it has a dot or a port, or is localhost.
  const first = rest.split('/')[0] ?? '';
  const hasRegistry = rest.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasRegistry ? first : 'docker.io';
  let path = hasRegistry ? rest.slice(first.length + 1) : rest;
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  if (registry === 'docker.io') path = path.replace(/^library\//, '');
  return { text, registry, repository: registry === 'docker.io' ? path : `${registry}/${path}`, tag, digest };
}

/** What `docker pull` is given: by digest when there is one (the tag is then only a label). */
export function pullName(ref: ImageRef): string {
  return ref.digest ? `${ref.repository}@${ref.digest}` : `${ref.repository}:${ref.tag ?? 'latest'}`;
}

/** One row of `docker images --digests`: repository, tag, digest ("<none>" when absent). */
export interface ImageRow {
  repository: string;
  tag: string;
  digest: string;
}

export const IMAGES_FORMAT = '{{.Repository}}\t{{.Tag}}\t{{.Digest}}';

export function parseImageRows(stdout: string): ImageRow[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [repository = '', tag = '', digest = ''] = l.trim().split('\t');
      return { repository: repository.replace(/^docker\.io\/(library\/)?/, ''), tag, digest };
    });
}

/**
 * Present means: a digest reference's digest is among the repository's digests (verified,
 * whatever tag it carries); a tag reference's repository:tag is listed.
 */
export function isPresent(ref: ImageRef, rows: readonly ImageRow[]): boolean {
  return rows.some((r) => r.repository === ref.repository && (ref.digest ? r.digest === ref.digest : r.tag === ref.tag));
}

/** The references (deduplicated, in order) not present on the host. */
export function missingRefs(refs: readonly string[], rows: readonly ImageRow[]): ImageRef[] {
  return [...new Set(refs)].map(parseImageRef).filter((r) => !isPresent(r, rows));
}
