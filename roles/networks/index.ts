// The Docker networks the stacks share.
import { defineRole } from '../../src/engine/types.ts';
import { networkTask, type NetworkSpec } from '../../src/ops/docker-network.ts';

export default defineRole<{ docker_networks: { name: string; driver?: string }[] }>({
  name: 'networks',
  description: 'Docker networks infra-network, shioaji-network, ibapi-trading_default',
  varsSchema: {
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
  tasks: ({ vars }) => vars.docker_networks.map((n): NetworkSpec => ({ name: n.name, driver: n.driver ?? 'bridge' })).map((n) => networkTask(n)),
});
