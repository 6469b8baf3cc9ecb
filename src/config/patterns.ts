// Host patterns as Ansible writes them: "all", a group, a host, globs, "a:b" or "a,b" unions,
// "&g" intersections and "!g" exclusions.

export interface HostIndex {
  hosts: string[];
  groups: Map<string, string[]>;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
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

/** Hosts matched by `pattern`, in inventory order. Unknown plain names are reported. */
export function selectHosts(pattern: string, idx: HostIndex): { hosts: string[]; unknown: string[] } {
  const terms = pattern.split(/[,:]/).map((t) => t.trim()).filter(Boolean);
  let selected = new Set<string>();
  const unknown: string[] = [];
  const plain = terms.filter((t) => !t.startsWith('!') && !t.startsWith('&'));
  for (const t of plain) {
    const m = matchOne(t, idx);
    if (m.length === 0 && !/[*?]/.test(t)) unknown.push(t);
    m.forEach((h) => selected.add(h));
  }
  for (const t of terms.filter((x) => x.startsWith('&'))) {
    const keep = new Set(matchOne(t.slice(1), idx));
    selected = new Set([...selected].filter((h) => keep.has(h)));
  }
  for (const t of terms.filter((x) => x.startsWith('!'))) {
    for (const h of matchOne(t.slice(1), idx)) selected.delete(h);
  }
  return { hosts: idx.hosts.filter((h) => selected.has(h)), unknown };
}
