// Where the stacks' images come from: registries logged in to (with their own CA where they
// have one), and docker save archives loaded onto hosts that cannot pull (air gap, rate limits).
// Each compose project then pulls what it still lacks (src/ops/image-pull.ts).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildAll, defineRole, VarsError, type Task } from '../../src/engine/types.ts';
import { directoriesTask, fileTask, probePathsRead } from '../../src/ops/file.ts';
import { imageArchiveTask } from '../../src/ops/image-archive.ts';
import { REGISTRIES_SCHEMA, registryLoginTask, type RegistryEntry } from '../../src/ops/registry-login.ts';

interface ImagesVars extends Record<string, unknown> {
  image_archives: string[];
  registries: RegistryEntry[];
}

const CERTS_DIR = '/etc/docker/certs.d';

/** The registries' CA certificates, read now: a missing or unreadable one stops the run before any host. */
function caFiles(registries: RegistryEntry[], inventoryDir: string): Map<string, string> {
  const problems: string[] = [];
  const out = new Map<string, string>();
  registries.forEach((r, i) => {
    if (!r.ca_file) return;
    const path = resolve(inventoryDir, r.ca_file);
    if (!existsSync(path)) return void problems.push(`registries[${i}].ca_file: ${path} does not exist`);
    const pem = readFileSync(path, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) return void problems.push(`registries[${i}].ca_file: ${path} is not a PEM certificate`);
    out.set(r.host, pem.endsWith('\n') ? pem : `${pem}\n`);
  });
  if (problems.length) throw new VarsError(problems);
  return out;
}

function registryTasks(registries: RegistryEntry[], secrets: Readonly<Record<string, string>>, inventoryDir: string): Task[] {
  const seen = new Map<string, number>();
  const dupes = registries.flatMap((r, i) => {
    const first = seen.get(r.host);
    seen.set(r.host, first ?? i);
    return first === undefined ? [] : [`registries[${i}].host: ${r.host} is already registries[${first}]`];
  });
  if (dupes.length) throw new VarsError(dupes);
  const cas = caFiles(registries, inventoryDir);
  const tasks: Task[] = [];
  if (cas.size) {
    const dirs = [CERTS_DIR, ...[...cas.keys()].map((h) => `${CERTS_DIR}/${h}`)];
    const probe = probePathsRead([...dirs, ...[...cas.keys()].map((h) => `${CERTS_DIR}/${h}/ca.crt`)]);
    tasks.push(directoriesTask('registry CA directories', dirs.map((path) => ({ path, mode: '0755', owner: 'root', group: 'root' })), undefined, probe));
    for (const [host, pem] of cas) {
      // Docker reads certs.d at each connection: no restart needed.
      tasks.push(fileTask({ path: `${CERTS_DIR}/${host}/ca.crt`, content: pem, mode: '0644', owner: 'root', group: 'root' }, { name: `CA of registry ${host}`, probe }));
    }
  }
  registries.forEach((r, i) => {
    const password = secrets[r.password_secret];
    if (password === undefined) throw new VarsError([`registries[${i}].password_secret: ${r.password_secret} is not set in .env or the environment`]);
    tasks.push(registryLoginTask(r, i, password));
  });
  return tasks;
}

export default defineRole<ImagesVars>({
  name: 'images',
  description: 'Registry logins and CAs, and container images loaded from docker save archives when missing',
  varsSchema: { image_archives: { type: 'array', items: { type: 'string', minLength: 1 } }, registries: REGISTRIES_SCHEMA },
  secrets: (vars) => [...new Set(vars.registries.map((r) => r.password_secret))],
  secretKeys: (vars) => Object.fromEntries(vars.registries.map((r, i) => [r.password_secret, `registries[${i}].password_secret`])),
  tasks: ({ vars, secrets, inventoryDir }) => {
    const [registry, archives] = buildAll(
      () => registryTasks(vars.registries, secrets, inventoryDir),
      () => {
        const missing = vars.image_archives.map((p, i) => [i, p] as const).filter(([, p]) => !existsSync(resolve(p)));
        if (missing.length) throw new VarsError(missing.map(([i, p]) => `image_archives[${i}]: ${p} does not exist`));
        return vars.image_archives.map((p) => imageArchiveTask(resolve(p)));
      },
    );
    return [...registry, ...archives];
  },
});
