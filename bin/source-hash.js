// Whether the bundle in .build/ was built from the TypeScript sources (src/, roles/) as they
// are now. A stat signature (path, size, mtime) answers quickly; when it differs (a checkout
// touches mtimes) the content hash decides. Plain JS so the launcher needs no compiler.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';

function walk(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function sources(root) {
  return [...walk(`${root}/src`, []), ...walk(`${root}/roles`, [])].sort().map((p) => p.slice(root.length + 1));
}

/** Path, size and mtime of every source file: cheap, but changes when files are merely touched. */
export function statSignature(root) {
  const h = createHash('sha256');
  for (const rel of sources(root)) {
    const st = statSync(`${root}/${rel}`);
    h.update(`${rel}\0${st.size}\0${st.mtimeMs}\0`);
  }
  return h.digest('hex');
}

/** sha256 over the path and content of every source file. */
export function sourceHash(root) {
  const h = createHash('sha256');
  for (const rel of sources(root)) {
    h.update(`${rel}\0`);
    h.update(readFileSync(`${root}/${rel}`));
    h.update('\0');
  }
  return h.digest('hex');
}
