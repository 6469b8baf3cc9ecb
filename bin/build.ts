// Bundles the CLI and every role into .build/ with esbuild (one build with code splitting, so
// the CLI and the roles share one copy of the engine), and records a hash of the sources it
// was built from. bin/provision.js runs the bundle only when the sources still hash the same.
// Run by `npm ci` (prepare) and `npm run build`.
import { build } from 'esbuild';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceHash, statSignature } from './source-hash.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '.build');

const roles = Object.fromEntries(
  readdirSync(join(ROOT, 'roles'))
    .filter((n) => existsSync(join(ROOT, 'roles', n, 'index.ts')))
    .map((n) => [`roles/${n}`, join(ROOT, 'roles', n, 'index.ts')]),
);

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: { cli: join(ROOT, 'src/cli.ts'), ...roles },
  outdir: OUT,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Dependencies are bundled too (fewer files to load at start-up), but ssh2 with its optional
  // native parts, and esbuild/tsx (never needed by the bundle).
  external: ['ssh2', 'cpu-features', 'esbuild', 'tsx'],
  logLevel: 'warning',
  define: { __PROVISION_BUILT__: 'true' },
  // Bundled CommonJS dependencies call require() for node built-ins.
  banner: { js: "import { createRequire as __provisionRequire } from 'node:module'; const require = __provisionRequire(import.meta.url);" },
});
// Validators compiled ahead of time for every schema of these roles (src/config/validator.ts).
const { Ajv } = await import('ajv');
// CommonJS interop: module.exports is the function, and its .default is the function too.
const standaloneCode = (await import('ajv/dist/standalone/index.js')).default.default;
const { loadRoleLibrary } = await import('../src/engine/roles.ts');
const { allSchemas } = await import('../src/config/schemas.ts');
const { schemaKey } = await import('../src/config/validator.ts');
const lib = await loadRoleLibrary(join(ROOT, 'roles'), join(ROOT, 'files'));
const ajv = new Ajv({ allErrors: true, strict: false, code: { source: true, esm: true } });
const exports: Record<string, string> = {};
for (const schema of allSchemas(lib.varsSchema)) {
  const key = schemaKey(schema);
  if (!exports[key]) ajv.addSchema({ ...schema, $id: key });
  exports[key] = key;
}
const gen = join(OUT, 'validators.gen.js');
writeFileSync(gen, standaloneCode(ajv, exports));
await build({ entryPoints: [gen], outfile: join(OUT, 'validators.js'), bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning', banner: { js: "import { createRequire as __provisionRequire } from 'node:module'; const require = __provisionRequire(import.meta.url);" } });
rmSync(gen);
writeFileSync(join(OUT, 'source-hash'), `${sourceHash(ROOT)}\n${statSignature(ROOT)}\n`);
console.log(`built .build/cli.js and ${Object.keys(roles).length} roles`);
