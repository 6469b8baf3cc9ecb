// Loads image archives onto hosts that cannot pull (no registry, air gap, rate limits).
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { defineRole } from '../../src/engine/types.ts';
import { imageArchiveTask } from '../../src/ops/image-archive.ts';

export default defineRole<{ image_archives: string[] }>({
  name: 'images',
  description: 'Container images loaded from docker save archives when missing',
  varsSchema: { image_archives: { type: 'array', items: { type: 'string', minLength: 1 } } },
  validate: (vars) => vars.image_archives.filter((p) => !existsSync(resolve(p))).map((p) => `image_archives: ${p} does not exist`),
  tasks: (vars) => vars.image_archives.map((p) => imageArchiveTask(resolve(p))),
});
