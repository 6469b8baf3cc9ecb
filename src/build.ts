// Bundles the CLI and each role to .build/ with esbuild, so a run starts without compiling
// TypeScript (about 0.4 s per run). bin/provision.js uses the bundle only while it is newer
// than every source file, and falls back to tsx otherwise: editing a role needs no rebuild.
import { build } from 'esbuild';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '.build');

const roles = Object.fromEntries(
  readdirSync(join(ROOT, 'roles'))
    .filter((n) => existsSync(join(ROOT, 'roles', n, 'index.ts')))
    .map((n) => [n, join(ROOT, 'roles', n, 'index.ts')]),
);

rmSync(OUT, { recursive: true, force: true });
const common = { bundle: true, platform: 'node' as const, format: 'esm' as const, target: 'node20', packages: 'external' as const, logLevel: 'warning' as const, define: { __PROVISION_BUILT__: 'true' } };
await build({ ...common, entryPoints: { cli: join(ROOT, 'src/cli.ts') }, outdir: OUT });
await build({ ...common, entryPoints: roles, outdir: join(OUT, 'roles') });
// Written last: bin/provision.js trusts the bundle only if this stamp is newer than the sources.
writeFileSync(join(OUT, 'stamp'), `${new Date().toISOString()}\n`);
console.log(`built .build/cli.js and ${Object.keys(roles).length} roles`);
