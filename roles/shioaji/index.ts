// Compose project "shioajipy": frontend → backend → gateway; backend and force recorder → Redis.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineRole } from '../../src/engine/types.ts';
import { collectProblems, STACK_VARS_SCHEMA, stackTasks, type StackVars } from '../../src/ops/stack.ts';
import { renderDotenv } from '../infra/config/dotenv.ts';
import { shioajiEnv } from './config/env.ts';

const FILES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'files', 'shioaji');

const env = (vars: StackVars) => renderDotenv(shioajiEnv({ domain: vars.domain, images: vars.images }));

export default defineRole<StackVars>({
  name: 'shioaji',
  description: 'Taiwan stock-options trading app (compose project shioajipy)',
  varsSchema: STACK_VARS_SCHEMA,
  validate: (vars) => collectProblems(() => env(vars)),
  tasks: (vars) => stackTasks({ project: 'shioajipy', filesDir: FILES, hostDir: `${vars.stacks_dir}/shioajipy`, env: () => env(vars) }),
});
