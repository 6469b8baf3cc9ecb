// The example role in docs/architecture.md must keep working: it is taken from the page,
// loaded as a real module and built.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import type { RoleModule } from '../../src/engine/types.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

test('the example role of docs/architecture.md loads and builds its tasks', async () => {
  const page = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const code = /```ts\n(\/\/ roles\/motd\/index\.ts[\s\S]*?)```/.exec(page)?.[1];
  assert.ok(code, 'the page has the example');
  assert.ok(code.split('\n').length <= 25, 'it stays short');
  const file = join(mkdtempSync(join(tmpdir(), 'doc-role-')), 'index.ts');
  writeFileSync(file, code.replaceAll("'../../src/", `'${pathToFileURL(join(ROOT, 'src')).href}/`));
  const mod = (await import(pathToFileURL(file).href)) as { default: RoleModule };
  const tasks = mod.default.tasks({ vars: { motd: 'hello', motd_tools: ['htop'] }, secrets: {}, files: '/nowhere', host: 'vm1', inventoryDir: '/nowhere' });
  assert.deepEqual(tasks.map((t) => t.name), ['login tools', 'file /etc/motd']);
  assert.throws(() => mod.default.tasks({ vars: { motd: 'a\0b', motd_tools: [] }, secrets: {}, files: '/nowhere', host: 'vm1', inventoryDir: '/nowhere' }), /motd: must not contain a NUL byte/);
});
