// Compose project "shioajipy": frontend → backend → gateway; backend and force recorder → Redis.
// With deploy: swarm, the same project goes out as a swarm stack from the swarm's leader.
import { buildAll, defineRole } from '../../src/engine/types.ts';
import { renderDotenv } from '../../src/stack/dotenv.ts';
import { stackTasks } from '../../src/stack/stack-tasks.ts';
import { swarmStackTasks } from '../../src/stack/swarm-stack-tasks.ts';
import { STACK_DEFAULTS, STACK_VARS_SCHEMA, type StackVars } from '../../src/stack/vars.ts';
import { swarmTopology } from '../../src/swarm/vars.ts';
import { shioajiEnv } from './config/env.ts';

export default defineRole<StackVars>({
  name: 'shioaji',
  description: 'Taiwan stock-options trading app (compose project shioajipy)',
  defaults: STACK_DEFAULTS,
  varsSchema: STACK_VARS_SCHEMA,
  tasks: ({ vars, files, host, groups }) => {
    const [env] = buildAll(() => shioajiEnv({ domain: vars.domain, images: vars.images }));
    if (vars.deploy === 'swarm') {
      const [tasks] = buildAll(() => {
        if (swarmTopology(host, groups).role !== 'leader') return [];
        return swarmStackTasks({ project: 'shioajipy', filesDir: files, hostDir: `${vars.stacks_dir}/swarm/shioajipy`, env, endpointMode: vars.swarm_endpoint_mode, publishMode: vars.swarm_publish_mode });
      });
      return tasks;
    }
    return stackTasks({ project: 'shioajipy', filesDir: files, hostDir: `${vars.stacks_dir}/shioajipy`, replaceContainers: vars.replace_containers, registries: vars.registries, env: renderDotenv(env) });
  },
});
