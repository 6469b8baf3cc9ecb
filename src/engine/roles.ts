// Finds and loads roles: roles/<name>/index.ts (default export) and roles/<name>/defaults.yml.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadYaml } from '../config/errors.ts';
import { deepMerge } from '../config/merge.ts';
import type { RoleModule, Vars } from './types.ts';

export interface LoadedRole {
  module: RoleModule;
  defaults: Vars;
  dir: string;
  filesDir: string;
}

export interface RoleLibrary {
  rolesDir: string;
  roles: Map<string, LoadedRole>;
  /** Union of every role's variable schema, for inventory and playbook validation. */
  varsSchema: Record<string, object>;
}

// Set by bin/build.ts in the bundle: roles are then loaded from .build/roles/<name>.js.
declare const __PROVISION_BUILT__: boolean | undefined;
const BUILT = typeof __PROVISION_BUILT__ !== 'undefined' && __PROVISION_BUILT__;

export async function loadRoleLibrary(rolesDir: string, filesDir: string): Promise<RoleLibrary> {
  if (!existsSync(rolesDir)) throw new ConfigError(`${rolesDir}: roles directory not found`);
  const roles = new Map<string, LoadedRole>();
  const varsSchema: Record<string, object> = {};
  for (const name of readdirSync(rolesDir).sort()) {
    const dir = join(rolesDir, name);
    const index = join(dir, 'index.ts');
    if (!existsSync(index)) continue;
    let mod: { default?: RoleModule };
    try {
      const file = BUILT ? join(rolesDir, '..', '.build', 'roles', `${name}.js`) : index;
      mod = (await import(pathToFileURL(file).href)) as { default?: RoleModule };
    } catch (e) {
      throw new ConfigError(`${index}: cannot load role: ${(e as Error).message}`);
    }
    const role = mod.default;
    if (!role || typeof role.tasks !== 'function' || role.name !== name) {
      throw new ConfigError(`${index}: must default-export defineRole({ name: '${name}', … })`);
    }
    const defaultsFile = join(dir, 'defaults.yml');
    const fromFile = existsSync(defaultsFile) ? (((await loadYaml(defaultsFile, 'role defaults')).data as Vars | null) ?? {}) : {};
    const defaults = deepMerge(role.defaults, fromFile);
    for (const [k, s] of Object.entries(role.varsSchema ?? {})) {
      if (varsSchema[k] && JSON.stringify(varsSchema[k]) !== JSON.stringify(s)) {
        throw new ConfigError(`${index}: variable ${k} is declared by another role with a different schema`);
      }
      varsSchema[k] = s;
    }
    roles.set(name, { module: role, defaults, dir, filesDir: join(filesDir, name) });
  }
  return { rolesDir, roles, varsSchema };
}
