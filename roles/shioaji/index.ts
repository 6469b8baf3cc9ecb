// Compose project "shioajipy": frontend → backend → gateway; backend and force recorder → Redis.
import { buildAll, defineRole } from '../../src/engine/types.ts';
import { renderDotenv } from '../../src/stack/dotenv.ts';
import { stackTasks } from '../../src/stack/stack-tasks.ts';
import { STACK_DEFAULTS, STACK_VARS_SCHEMA, type StackVars } from '../../src/stack/vars.ts';
import { refuseSwarm } from '../../src/swarm/vars.ts';
import { shioajiEnv } from './config/env.ts';

export default defineRole<StackVars>({
  name: 'shioaji',
  description: 'Taiwan stock-options trading app (compose project shioajipy)',
  defaults: STACK_DEFAULTS,
  varsSchema: STACK_VARS_SCHEMA,
  tasks: ({ vars, files }) => {
    refuseSwarm(vars, 'the shioaji stack');
    const [env] = buildAll(() => renderDotenv(shioajiEnv({ domain: vars.domain, images: vars.images })));
    return stackTasks({ project: 'shioajipy', filesDir: files, hostDir: `${vars.stacks_dir}/shioajipy`, replaceContainers: vars.replace_containers, registries: vars.registries, env });
  },
});
