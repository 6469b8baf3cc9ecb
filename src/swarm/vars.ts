// Swarm mode's variables, declared once (the swarm, networks and stack roles all read `deploy`),
// and the swarm's shape as the inventory gives it: who leads, who manages, who works.
import { VarsError } from '../engine/types.ts';

export type DeployMode = 'compose' | 'swarm';

export interface DeployVars extends Record<string, unknown> {
  /** compose: every host runs its compose projects alone (one VM); swarm: the hosts form a swarm. */
  deploy: DeployMode;
}

export interface SwarmVars extends DeployVars {
  /** Node labels for this host (placement constraints use them). */
  swarm_labels: Record<string, string>;
  /** The address other nodes reach this one at; empty: the address of the default route. */
  swarm_advertise_addr: string;
  /** vip needs IPVS in the kernel; dnsrr works without (CI). */
  swarm_endpoint_mode: 'vip' | 'dnsrr';
  /** ingress: the routing mesh (needs IPVS); host: published on the node running the task. */
  swarm_publish_mode: 'ingress' | 'host';
}

export const DEPLOY_SCHEMA: Record<string, object> = {
  deploy: { enum: ['compose', 'swarm'] },
};

export const SWARM_VARS_SCHEMA: Record<string, object> = {
  ...DEPLOY_SCHEMA,
  // Docker's label keys: letters, digits, dots, dashes, underscores (no "=" or spaces).
  swarm_labels: { type: 'object', propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }, additionalProperties: { type: 'string' } },
  swarm_advertise_addr: { type: 'string', pattern: '^$|^[A-Za-z0-9_.:%\\[\\]-]+$' },
  swarm_endpoint_mode: { enum: ['vip', 'dnsrr'] },
  swarm_publish_mode: { enum: ['ingress', 'host'] },
};

export const DEPLOY_DEFAULTS: DeployVars = { deploy: 'compose' };

export const SWARM_DEFAULTS: SwarmVars = {
  ...DEPLOY_DEFAULTS,
  swarm_labels: {},
  swarm_advertise_addr: '',
  swarm_endpoint_mode: 'vip',
  swarm_publish_mode: 'ingress',
};

export const MANAGERS_GROUP = 'swarm_managers';
export const WORKERS_GROUP = 'swarm_workers';

export interface SwarmTopology {
  leader: string;
  managers: readonly string[];
  workers: readonly string[];
  /** This host's part. */
  role: 'leader' | 'manager' | 'worker';
}

/** The swarm as the inventory's groups say; a VarsError naming the group when it cannot be one. */
export function swarmTopology(host: string, groups: ReadonlyMap<string, readonly string[]> | undefined): SwarmTopology {
  const managers = groups?.get(MANAGERS_GROUP) ?? [];
  const workers = groups?.get(WORKERS_GROUP) ?? [];
  const leader = managers[0];
  if (leader === undefined) throw new VarsError([`deploy: swarm needs at least one host in group ${MANAGERS_GROUP} (its first host leads the swarm)`]);
  const both = managers.filter((m) => workers.includes(m));
  if (both.length) throw new VarsError([`${both.join(', ')}: in both ${MANAGERS_GROUP} and ${WORKERS_GROUP}; a node is one or the other`]);
  const role = host === leader ? 'leader' : managers.includes(host) ? 'manager' : workers.includes(host) ? 'worker' : undefined;
  if (!role) throw new VarsError([`deploy: swarm, but host ${host} is in neither ${MANAGERS_GROUP} nor ${WORKERS_GROUP}`]);
  return { leader, managers, workers, role };
}
