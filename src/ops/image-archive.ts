// Image archives (`docker save` tarballs) for hosts without a registry: loaded only when one
// of the images they hold is missing on the host.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { sh } from '../remote/command.ts';
import { dockerRead, lines } from '../engine/read.ts';
import { change, defineTask, inSync } from '../engine/task.ts';
import type { Task } from '../engine/types.ts';

/** The image references an archive holds, read from its manifest.json without unpacking. */
export function archiveImages(path: string): string[] {
  const fd = openSync(path, 'r');
  try {
    const size = statSync(path).size;
    const header = Buffer.alloc(512);
    let off = 0;
    while (off + 512 <= size) {
      readSync(fd, header, 0, 512, off);
      if (header.every((b) => b === 0)) break;
      const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
      const len = parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
      if (name === 'manifest.json') {
        const body = Buffer.alloc(len);
        readSync(fd, body, 0, len, off + 512);
        const manifest = JSON.parse(body.toString('utf8')) as { RepoTags?: string[] | null }[];
        return manifest.flatMap((m) => m.RepoTags ?? []);
      }
      off += 512 + Math.ceil(len / 512) * 512;
    }
  } finally {
    closeSync(fd);
  }
  throw new Error(`${path}: no manifest.json (not a docker save archive?)`);
}

/** Every image reference on the host (repository:tag), one listing for all archive tasks. */
export const localImagesRead = dockerRead(sh`docker images --format '{{.Repository}}:{{.Tag}}'`, (r) => new Set(lines(r)));

/** Pure: the archive's images the host lacks (docker.io/ prefixes compared both ways). */
export function missingImages(wanted: readonly string[], present: ReadonlySet<string>): string[] {
  return wanted.filter((i) => !present.has(i) && !present.has(`docker.io/${i}`) && !present.has(i.replace(/^docker\.io\//, '')));
}

export function imageArchiveTask(path: string, tags?: string[]): Task {
  let images: string[] | undefined;
  const list = () => (images ??= archiveImages(path));
  return defineTask({
    name: `images from ${basename(path)}`,
    tags,
    reads: { present: localImagesRead },
    check: (_ctx, { present }) => {
      const missing = missingImages(list(), present);
      return missing.length ? change(`missing: ${missing.join(', ')}`, missing) : inSync(`${list().length} image(s) present`);
    },
    apply: async (ctx, found) => {
      const size = statSync(path).size;
      ctx.progress(`uploading ${basename(path)} (${(size / 2 ** 20).toFixed(0)} MiB)`);
      // Uploaded into a private directory as the login user, loaded with privileges, removed on every path.
      const up = await ctx.upload(path);
      try {
        ctx.progress(`docker load ${basename(path)}`);
        await ctx.run(sh`docker load -q -i ${up.path}`, { timeoutMs: 30 * 60_000 });
      } finally {
        await up.remove();
      }
      return { reason: `loaded ${basename(path)} (${found.reason})` };
    },
  });
}
