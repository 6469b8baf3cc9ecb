// A throwaway role library for plan tests: roles whose task names show the variables they were
// built with, so precedence, task listing and --start-at-task can be checked without the real roles.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadRoleLibrary, type RoleLibrary } from '../../src/engine/roles.ts';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/**
 * Roles `base` (tasks "packages", "users", "level is <level>" tagged setup) and `app` (tasks
 * "config", "start", the last tagged run). Variables: level (string), count (integer).
 */
export async function echoRoles(): Promise<RoleLibrary> {
  const dir = mkdtempSync(join(tmpdir(), 'echo-roles-'));
  const role = (name: string, tasks: string) => {
    mkdirSync(join(dir, 'roles', name), { recursive: true });
    writeFileSync(
      join(dir, 'roles', name, 'index.ts'),
      `import { defineRole } from ${JSON.stringify(pathToFileURL(join(SRC, 'engine/types.ts')).href)};
import { uncheckedTask } from ${JSON.stringify(pathToFileURL(join(SRC, 'engine/task.ts')).href)};
import { sh } from ${JSON.stringify(pathToFileURL(join(SRC, 'remote/command.ts')).href)};
const t = (name: string, tags: string[] = []) => uncheckedTask({ name, tags, why: 'a test task', apply: async (ctx) => void (await ctx.run(sh\`ran \${name}\`)) });
export default defineRole<{ level: string; count: number }>({
  name: '${name}',
  description: 'test role',
  varsSchema: { level: { type: 'string' }, count: { type: 'integer' } },
  defaults: { level: 'default', count: 1 },
  tasks: ({ vars }) => [${tasks}],
});
`,
    );
  };
  role('base', "t('packages', ['setup']), t('users', ['setup']), t(`level is ${vars.level}`, ['setup'])");
  role('app', "t('config'), t('start', ['run'])");
  return loadRoleLibrary(join(dir, 'roles'), join(dir, 'files'));
}
