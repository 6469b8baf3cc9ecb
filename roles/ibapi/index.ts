// Compose project "ibapi-trading": web → API → PostgreSQL, Adminer for the database.
// With deploy: swarm, the same project goes out as a swarm stack from the swarm's leader.
import { buildAll, defineRole } from '../../src/engine/types.ts';
import { renderDotenv } from '../../src/stack/dotenv.ts';
import { stackTasks } from '../../src/stack/stack-tasks.ts';
import { swarmStackTasks } from '../../src/stack/swarm-stack-tasks.ts';
import { STACK_DEFAULTS, STACK_VARS_SCHEMA, type StackVars } from '../../src/stack/vars.ts';
import { swarmTopology } from '../../src/swarm/vars.ts';
import { ibapiEnv } from './config/env.ts';

interface IbapiVars extends StackVars {
  postgres_user: string;
  postgres_db: string;
}

export default defineRole<IbapiVars>({
  name: 'ibapi',
  description: 'IB US-stock trading app (compose project ibapi-trading)',
  defaults: STACK_DEFAULTS,
  secrets: () => ['POSTGRES_PASSWORD'],
  varsSchema: {
    ...STACK_VARS_SCHEMA,
    postgres_user: { type: 'string', minLength: 1 },
    postgres_db: { type: 'string', minLength: 1 },
  },
  tasks: ({ vars, secrets, files, host, groups }) => {
    const password = secrets.POSTGRES_PASSWORD ?? '';
    const [env] = buildAll(() => ibapiEnv({ domain: vars.domain, images: vars.images, postgres: { user: vars.postgres_user, password, db: vars.postgres_db } }));
    // PostgreSQL's entrypoint reads POSTGRES_PASSWORD_FILE as root, before it drops to uid 999.
    const generated = { 'secrets/postgres_password': { content: password, mode: '0600', owner: 'root', group: 'root', secret: true } };
    if (vars.deploy === 'swarm') {
      const [tasks] = buildAll(() => {
        if (swarmTopology(host, groups).role !== 'leader') return [];
        return swarmStackTasks({ project: 'ibapi-trading', filesDir: files, hostDir: `${vars.stacks_dir}/swarm/ibapi-trading`, generated, env, endpointMode: vars.swarm_endpoint_mode, publishMode: vars.swarm_publish_mode });
      });
      return tasks;
    }
    return stackTasks({ project: 'ibapi-trading', filesDir: files, hostDir: `${vars.stacks_dir}/ibapi-trading`, replaceContainers: vars.replace_containers, registries: vars.registries, generated, env: renderDotenv(env) });
  },
});
