// Host patterns as Ansible writes them: "all", a group, a host, globs, "a:b" or "a,b" unions,
// "&g" intersections and "!g" exclusions.

export interface HostIndex {
  hosts: string[];
  groups: Map<string, string[]>;
}

/** A shell glob (* and ?) as an anchored regular expression; everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

function matchOne(term: string, idx: HostIndex): string[] {
  if (term === 'all' || term === '*') return [...idx.hosts];
  const group = idx.groups.get(term);
  if (group) return group;
  if (idx.hosts.includes(term)) return [term];
  if (/[*?]/.test(term)) {
    const re = globToRegExp(term);
    const fromGroups = [...idx.groups].filter(([g]) => re.test(g)).flatMap(([, hs]) => hs);
    return [...new Set([...idx.hosts.filter((h) => re.test(h)), ...fromGroups])];
  }
  return [];
}

/**
 * Hosts matched by `pattern`, in inventory order. Every term that matches nothing (a typo, a
 * glob with no match, an exclusion of a name that does not exist) is reported in `unknown`:
 * a mistyped `!vm2` would otherwise run on the host it meant to spare. A pattern made only of
 * `!`/`&` terms starts from all hosts, as Ansible's `--limit '!vm2'` does.
 */
export function selectHosts(pattern: string, idx: HostIndex): { hosts: string[]; unknown: string[] } {
  const terms = pattern.split(/[,:]/).map((t) => t.trim()).filter(Boolean);
  const unknown: string[] = [];
  const match = (t: string): string[] => {
    const m = matchOne(t, idx);
    if (m.length === 0) unknown.push(t);
    return m;
  };
  const plain = terms.filter((t) => !t.startsWith('!') && !t.startsWith('&'));
  let selected = new Set<string>(plain.length ? [] : idx.hosts);
  for (const t of plain) match(t).forEach((h) => selected.add(h));
  for (const t of terms.filter((x) => x.startsWith('&'))) {
    const keep = new Set(match(t.slice(1)));
    selected = new Set([...selected].filter((h) => keep.has(h)));
  }
  for (const t of terms.filter((x) => x.startsWith('!'))) {
    for (const h of match(t.slice(1))) selected.delete(h);
  }
  return { hosts: idx.hosts.filter((h) => selected.has(h)), unknown };
}

/** "did you mean" for a name: the closest candidate within a small edit distance. */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.min(3, Math.floor(name.length / 3))) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  // Damerau (adjacent transposition) so that "hots" is one step from "host".
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
