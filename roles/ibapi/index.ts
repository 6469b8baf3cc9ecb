// Compose project "ibapi-trading": web → API → PostgreSQL, Adminer for the database.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineRole } from '../../src/engine/types.ts';
import { collectProblems, STACK_VARS_SCHEMA, stackTasks, type StackVars } from '../../src/ops/stack.ts';
import { renderDotenv } from '../infra/config/dotenv.ts';
import { ibapiEnv } from './config/env.ts';

interface IbapiVars extends StackVars {
  postgres_user: string;
  postgres_db: string;
}

const FILES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'files', 'ibapi');

const env = (vars: IbapiVars, password: string) =>
  renderDotenv(ibapiEnv({ domain: vars.domain, images: vars.images, postgres: { user: vars.postgres_user, password, db: vars.postgres_db } }));

export default defineRole<IbapiVars>({
  name: 'ibapi',
  description: 'IB US-stock trading app (compose project ibapi-trading)',
  secrets: () => ['POSTGRES_PASSWORD'],
  varsSchema: {
    ...STACK_VARS_SCHEMA,
    postgres_user: { type: 'string', minLength: 1 },
    postgres_db: { type: 'string', minLength: 1 },
  },
  validate: (vars, secrets) => collectProblems(() => env(vars, secrets.POSTGRES_PASSWORD ?? '')),
  tasks: (vars) =>
    stackTasks({
      project: 'ibapi-trading',
      filesDir: FILES,
      hostDir: `${vars.stacks_dir}/ibapi-trading`,
      env: (ctx) => env(vars, ctx.secrets.POSTGRES_PASSWORD ?? ''),
    }),
});
