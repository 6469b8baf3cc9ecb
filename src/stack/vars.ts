// Variables every stack role reads, declared once: their schema and their defaults.
import type { ImageOverrides } from './images.ts';
import { DEPLOY_DEFAULTS, DEPLOY_SCHEMA, type DeployVars } from '../swarm/vars.ts';

export interface StackVars extends DeployVars {
  /** Where each compose project lands: <stacks_dir>/<project>. */
  stacks_dir: string;
  /** UIs are served by Traefik at <name>.<domain>. */
  domain: string;
  /** Per-component image overrides (src/stack/images.ts names the keys). */
  images: ImageOverrides;
  /** Containers of the user's that hold one of our container names and may be replaced. */
  replace_containers: string[];
}

export const STACK_VARS_SCHEMA: Record<string, object> = {
  ...DEPLOY_SCHEMA,
  stacks_dir: { type: 'string', pattern: '^/' },
  domain: { type: 'string', minLength: 1 },
  images: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
  replace_containers: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' } },
};

export const STACK_DEFAULTS: StackVars = {
  ...DEPLOY_DEFAULTS,
  stacks_dir: '/opt/stacks',
  // "localhost" works in a browser on the VM itself.
  domain: 'localhost',
  images: {},
  // Never remove a container this tool did not create, unless it is named here.
  replace_containers: [],
};
