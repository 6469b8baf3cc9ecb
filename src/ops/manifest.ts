// The files a stack wrote, kept on the host (<dir>/.provision-manifest), so files the project no
// longer ships are removed by the next run, and only those: anything else in the stack's
// directories is left alone.
import { posix } from 'node:path';
import { sh } from '../remote/command.ts';
import { read, type Read } from '../engine/read.ts';
import { change, defineTask, differs, inSync } from '../engine/task.ts';
import type { Task } from '../engine/types.ts';

export const MANIFEST = '.provision-manifest';

const HEADER = '# Files provision wrote here (relative paths); it removes them when they are no longer shipped.';

export function manifestText(files: readonly string[]): string {
  return `${HEADER}\n${[...files].sort().join('\n')}\n`;
}

/** Pure: the relative paths a manifest lists (blank lines, comments and unsafe paths ignored). */
export function parseManifest(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('/') && !l.split('/').includes('..'));
}

export function manifestRead(dir: string): Read<string[] | undefined> {
  return read(sh`cat ${posix.join(dir, MANIFEST)} 2>/dev/null || echo __provision_no_manifest__`, (r) =>
    r.stdout.trim() === '__provision_no_manifest__' ? undefined : parseManifest(r.stdout),
  );
}

/** Removes what an earlier run wrote that is no longer wanted; `onRemoved` tells the stack which. */
export function pruneTask(project: string, dir: string, wanted: readonly string[], onRemoved: (rel: string) => void, tags?: string[]): Task {
  const want = new Set(wanted);
  return defineTask({
    name: `${project}: files no longer shipped`,
    tags,
    reads: { listed: manifestRead(dir) },
    check: (ctx, { listed }) => {
      const stale = (listed ?? []).filter((rel) => !want.has(rel));
      if (!stale.length) return inSync(listed ? 'nothing to remove' : 'no manifest yet (nothing written by an earlier run)');
      if (ctx.checkMode) stale.forEach(onRemoved);
      return change(`no longer shipped: ${stale.join(', ')}`, stale);
    },
    apply: async (ctx, { data: stale }) => {
      await ctx.$`cd ${dir} && rm -f -- ${stale}`;
      stale.forEach(onRemoved);
      return { reason: `removed ${stale.join(', ')} (no longer shipped)` };
    },
  });
}

/** Writes the manifest of what this run ships (after the files, so a failed run keeps the old list). */
export function manifestTask(project: string, dir: string, files: readonly string[], tags?: string[]): Task {
  const text = manifestText(files);
  const path = posix.join(dir, MANIFEST);
  return defineTask({
    name: `${project}: manifest of managed files`,
    tags,
    reads: { listed: manifestRead(dir) },
    check: (_ctx, { listed }) => {
      const same = listed !== undefined && listed.length === files.length && [...files].sort().every((f, i) => f === [...listed].sort()[i]);
      return same ? inSync(`${files.length} files`) : differs(listed ? `${path}: the list of files changed` : `${path}: missing`);
    },
    apply: async (ctx) => {
      const b64 = Buffer.from(text, 'utf8').toString('base64');
      await ctx.$`tmp=$(mktemp ${`${path}.XXXXXX`}); trap 'rm -f -- "$tmp"' EXIT
printf '%s' ${b64} | base64 -d >"$tmp"; chmod 0644 "$tmp"; mv -fT -- "$tmp" ${path}; trap - EXIT`;
    },
  });
}
