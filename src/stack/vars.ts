// Variables every stack role reads, declared once: their schema and their defaults.
import { APP_IMAGE_KEYS, DEFAULT_IMAGES, type ImageOverrides } from './images.ts';
import { REGISTRIES_SCHEMA, type RegistryEntry } from '../ops/registry-login.ts';
import { DEPLOY_DEFAULTS, DEPLOY_SCHEMA, SWARM_DEFAULTS, SWARM_VARS_SCHEMA, type DeployVars, type SwarmVars } from '../swarm/vars.ts';

export interface StackVars extends DeployVars, Pick<SwarmVars, 'swarm_endpoint_mode' | 'swarm_publish_mode'> {
  /** Where each compose project lands: <stacks_dir>/<project>. */
  stacks_dir: string;
  /** UIs are served by Traefik at <name>.<domain>. */
  domain: string;
  /** Per-component image overrides (src/stack/images.ts names the keys). */
  images: ImageOverrides;
  /** Containers of the user's that hold one of our container names and may be replaced. */
  replace_containers: string[];
  /** Registries logged in to by the images role; named in pull errors (which entry to check). */
  registries: RegistryEntry[];
}

export const STACK_VARS_SCHEMA: Record<string, object> = {
  ...DEPLOY_SCHEMA,
  // deploy: swarm: how the stacks' services are reached and published (the swarm role's schema).
  swarm_endpoint_mode: SWARM_VARS_SCHEMA.swarm_endpoint_mode!,
  swarm_publish_mode: SWARM_VARS_SCHEMA.swarm_publish_mode!,
  // An absolute path of plain characters: no `..`, no whitespace or control characters (a tab
  // would make every run rewrite every file), nothing a shell or compose would reinterpret.
  stacks_dir: { type: 'string', pattern: '^/(?!(?:.*/)?\\.\\.?(?:/|$))[A-Za-z0-9._@+/-]*$', maxLength: 200 },
  domain: { type: 'string', minLength: 1 },
  // Every component the catalogue knows, and nothing else: `images.grafna` would otherwise
  // leave Grafana on its default image without a word.
  images: {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries([...Object.keys(DEFAULT_IMAGES), ...APP_IMAGE_KEYS].map((k) => [k, { type: 'string', minLength: 1 }])),
  },
  replace_containers: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' } },
  registries: REGISTRIES_SCHEMA,
};

export const STACK_DEFAULTS: StackVars = {
  ...DEPLOY_DEFAULTS,
  swarm_endpoint_mode: SWARM_DEFAULTS.swarm_endpoint_mode,
  swarm_publish_mode: SWARM_DEFAULTS.swarm_publish_mode,
  stacks_dir: '/opt/stacks',
  // "localhost" works in a browser on the VM itself.
  domain: 'localhost',
  images: {},
  // Never remove a container this tool did not create, unless it is named here.
  replace_containers: [],
  registries: [],
};
