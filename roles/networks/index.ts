// The Docker networks the stacks share: bridge networks on one VM (deploy: compose); in swarm
// mode attachable overlay networks of the same names, created on the swarm's leader.
import { defineRole } from '../../src/engine/types.ts';
import { networkTask, type NetworkSpec } from '../../src/ops/docker-network.ts';
import { overlayNetworkMemberTask, overlayNetworkTask } from '../../src/ops/swarm-network.ts';
import { DEPLOY_DEFAULTS, DEPLOY_SCHEMA, swarmTopology, type DeployVars } from '../../src/swarm/vars.ts';

interface NetworksVars extends DeployVars {
  docker_networks: { name: string; driver?: string }[];
}

export default defineRole<NetworksVars>({
  name: 'networks',
  description: 'Docker networks infra-network, shioaji-network, ibapi-trading_default',
  varsSchema: {
    ...DEPLOY_SCHEMA,
    docker_networks: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }, driver: { type: 'string' } },
      },
    },
  },
  defaults: DEPLOY_DEFAULTS,
  tasks: ({ vars, host, groups }) => {
    if (vars.deploy === 'swarm') {
      // The driver setting is one VM's; a swarm's shared networks are overlay networks.
      const topo = swarmTopology(host, groups);
      return vars.docker_networks.map((n) => (topo.role === 'leader' ? overlayNetworkTask(n.name) : overlayNetworkMemberTask(n.name, topo.leader)));
    }
    return vars.docker_networks.map((n): NetworkSpec => ({ name: n.name, driver: n.driver ?? 'bridge' })).map((n) => networkTask(n));
  },
});
