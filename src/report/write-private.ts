// Reports may hold what a run saw on a host: they are written readable by their owner only,
// atomically (a reader never sees half a report), and an existing file's mode is tightened too.
import { chmod, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export async function writePrivateFile(path: string, content: string): Promise<void> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
