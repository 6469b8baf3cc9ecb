// Loads image archives onto hosts that cannot pull (no registry, air gap, rate limits).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineRole, VarsError } from '../../src/engine/types.ts';
import { imageArchiveTask } from '../../src/ops/image-archive.ts';

export default defineRole<{ image_archives: string[] }>({
  name: 'images',
  description: 'Container images loaded from docker save archives when missing',
  varsSchema: { image_archives: { type: 'array', items: { type: 'string', minLength: 1 } } },
  tasks: ({ vars }) => {
    const missing = vars.image_archives.map((p, i) => [i, p] as const).filter(([, p]) => !existsSync(resolve(p)));
    if (missing.length) throw new VarsError(missing.map(([i, p]) => `image_archives[${i}]: ${p} does not exist`));
    return vars.image_archives.map((p) => imageArchiveTask(resolve(p)));
  },
});
