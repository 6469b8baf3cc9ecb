// What an inventory source says, whatever its format (YAML or INI): groups with their vars,
// children and hosts, and hosts with their own vars. Every vars layer remembers where each of
// its keys was written (file:line), so later checks can name the place.
import type { Vars } from '../../engine/types.ts';

export interface VarsLayer {
  vars: Vars;
  /** "file:line" (or "file") where each top-level key was set. */
  origins: Map<string, string>;
  /** Values decrypted from Ansible Vault: masked everywhere. */
  secrets: string[];
}

export interface GroupDef {
  vars: VarsLayer[];
  children: string[];
  hosts: string[];
}

export interface InventorySource {
  file: string;
  groups: Map<string, GroupDef>;
  /** Hosts in the order they first appear, with their vars layers (later layers win). */
  hosts: Map<string, VarsLayer[]>;
}

export function emptySource(file: string): InventorySource {
  return { file, groups: new Map(), hosts: new Map() };
}

export function groupOf(src: InventorySource, name: string): GroupDef {
  let g = src.groups.get(name);
  if (!g) {
    g = { vars: [], children: [], hosts: [] };
    src.groups.set(name, g);
  }
  return g;
}

export function addHost(src: InventorySource, group: string | undefined, host: string, layer?: VarsLayer): void {
  const layers = src.hosts.get(host) ?? [];
  if (layer) layers.push(layer);
  src.hosts.set(host, layers);
  if (group) {
    const g = groupOf(src, group);
    if (!g.hosts.includes(host)) g.hosts.push(host);
  }
}

export function layerOf(vars: Vars, where: (key: string) => string, secrets: string[] = []): VarsLayer {
  return { vars, origins: new Map(Object.keys(vars).map((k) => [k, where(k)])), secrets };
}
