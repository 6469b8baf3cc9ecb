#!/usr/bin/env node
// Entry point. Runs the esbuild bundle in .build/ when it is newer than every source file
// (fast start); otherwise registers tsx and runs the TypeScript sources as they are.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return t;
}

const stamp = join(root, '.build', 'stamp');
const fresh = existsSync(stamp) && statSync(stamp).mtimeMs > Math.max(newest(join(root, 'src')), newest(join(root, 'roles')));
let main;
if (fresh && !process.env.PROVISION_NO_BUILD) {
  ({ main } = await import(pathToFileURL(join(root, '.build', 'cli.js')).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
