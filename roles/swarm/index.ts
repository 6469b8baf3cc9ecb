// Docker Swarm membership (deploy: swarm): the first of swarm_managers inits the swarm, the other
// hosts join it, the leader applies labels and roles. With deploy: compose (the default) it does
// nothing, so site.yml serves one VM and a swarm alike.
import { defineRole } from '../../src/engine/types.ts';
import { swarmInitTask, swarmJoinTask, swarmNodesTask } from '../../src/ops/swarm.ts';
import { SWARM_DEFAULTS, SWARM_VARS_SCHEMA, swarmTopology, type SwarmVars } from '../../src/swarm/vars.ts';

export default defineRole<SwarmVars>({
  name: 'swarm',
  description: 'Docker Swarm: init on the leader, join the others, node labels (deploy: swarm only)',
  varsSchema: SWARM_VARS_SCHEMA,
  defaults: SWARM_DEFAULTS,
  tasks: ({ vars, host, groups }) => {
    if (vars.deploy !== 'swarm') return [];
    const topo = swarmTopology(host, groups);
    if (topo.role === 'leader') return [swarmInitTask(vars.swarm_advertise_addr), swarmNodesTask(topo, vars.swarm_labels)];
    return [swarmJoinTask(topo, vars.swarm_advertise_addr, vars.swarm_labels)];
  },
  // The others wait for the leader's join tokens: it must never wait for a fork slot.
  startsFirst: ({ vars, host, groups }) => vars.deploy === 'swarm' && groups?.get('swarm_managers')?.[0] === host,
});
