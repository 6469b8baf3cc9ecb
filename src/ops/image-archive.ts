// Image archives (`docker save` tarballs) for hosts without a registry: loaded only when one
// of the images they hold is missing on the host.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { sh } from '../remote/command.ts';
import type { Task } from '../engine/types.ts';
import { sha256 } from './file.ts';

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

const LIST_IMAGES = sh`command -v docker >/dev/null || { echo no-docker; exit 0; }
docker images --format '{{.Repository}}:{{.Tag}}'`;

export function imageArchiveTask(path: string, tags?: string[]): Task {
  let images: string[] | undefined;
  const list = () => (images ??= archiveImages(path));
  return {
    name: `images from ${basename(path)}`,
    tags,
    prefetch: [LIST_IMAGES],
    check: async (ctx) => {
      const wanted = list();
      // One listing instead of an inspect per image: this runs on every no-op rerun.
      const r = await ctx.read(LIST_IMAGES);
      if (r.stdout.trim() === 'no-docker') return { changed: true, reason: `would load ${wanted.length} image(s) (docker is not installed yet)` };
      const present = new Set(r.stdout.split('\n'));
      const missing = wanted.filter((i) => !present.has(i) && !present.has(`docker.io/${i}`) && !present.has(i.replace(/^docker\.io\//, '')));
      if (!missing.length) return { changed: false, reason: `${wanted.length} image(s) present` };
      return { changed: true, reason: `missing: ${missing.join(', ')}` };
    },
    apply: async (ctx, found) => {
      // Upload as the login user (SFTP), then load with privileges; the temp file is removed either way.
      const st = statSync(path);
      const remote = `/tmp/provision-images-${sha256(`${path}:${st.size}:${st.mtimeMs}`).slice(0, 16)}.tar`;
      try {
        await ctx.host.putFile(path, remote);
        await ctx.host.run(sh`docker load -q -i ${remote}`, { timeoutMs: 30 * 60_000 });
      } finally {
        await ctx.host.run(sh`rm -f -- ${remote}`, { nothrow: true });
      }
      return { reason: `loaded ${basename(path)} (${found.reason})` };
    },
  };
}
