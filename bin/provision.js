#!/usr/bin/env node
// Entry point. Runs the bundle in .build/ (made by `npm ci` or `npm run build`) when it was
// built from the sources as they are now; otherwise, or with PROVISION_DEV=1, runs the
// TypeScript sources through tsx (slower to start, always current).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sourceHash, statSignature } from './source-hash.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, '.build', 'source-hash');

function bundleIsCurrent() {
  if (process.env.PROVISION_DEV === '1' || !existsSync(stamp)) return false;
  const [hash, signature] = readFileSync(stamp, 'utf8').split('\n');
  if (signature === statSignature(root) || hash === sourceHash(root)) return true;
  process.stderr.write('provision: the sources changed since the last build; running them directly (npm run build starts faster)\n');
  return false;
}

let main;
if (bundleIsCurrent()) {
  ({ main } = await import(pathToFileURL(join(root, '.build', 'cli.js')).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
