import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Cmd } from '../../src/remote/command.ts';
import { parseProbe, planFile, probePathsCmd, sha256, writeFileCmd, type FileState } from '../../src/ops/file.ts';

const SHA_EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SHA_HELLO = sha256('hello\n');

describe('parseProbe', () => {
  test('regular file', () => {
    const m = parseProbe(`/etc/x.conf\tregular file 644 root adm 0 4 ${SHA_HELLO}\n`);
    assert.deepEqual(m.get('/etc/x.conf'), {
      exists: true, isFile: true, mode: 0o644, owner: 'root', group: 'adm', uid: '0', gid: '4', sha256: SHA_HELLO,
    });
  });
  test('regular empty file', () => {
    const st = parseProbe(`/e\tregular empty file 600 deploy deploy 1000 1000 ${SHA_EMPTY}`).get('/e');
    assert.deepEqual(st, { exists: true, isFile: true, mode: 0o600, owner: 'deploy', group: 'deploy', uid: '1000', gid: '1000', sha256: SHA_EMPTY });
  });
  test('directory has no sha', () => {
    const st = parseProbe('/srv/app\tdirectory 2775 root docker 0 999 -\n').get('/srv/app');
    assert.deepEqual(st, { exists: true, isFile: false, mode: 0o2775, owner: 'root', group: 'docker', uid: '0', gid: '999', sha256: undefined });
  });
  test('missing', () => {
    assert.deepEqual(parseProbe('/nope\tmissing\n').get('/nope'), { exists: false });
  });
  test('several paths, one per line, paths with spaces', () => {
    const m = parseProbe(`/a b/c\tregular file 644 root root 0 0 ${SHA_HELLO}\n/d\tmissing\n/e\tdirectory 755 root root 0 0 -\n`);
    assert.deepEqual([...m.keys()], ['/a b/c', '/d', '/e']);
    assert.equal(m.get('/a b/c')?.sha256, SHA_HELLO);
  });
  test('symbolic link is not a regular file', () => {
    assert.equal(parseProbe('/l\tsymbolic link 777 root root 0 0 -').get('/l')?.isFile, false);
  });
  test('lines without a tab are ignored', () => {
    assert.equal(parseProbe('warning: something\n\n').size, 0);
  });
});

describe('planFile', () => {
  const spec = { content: 'hello\n', mode: '0644', owner: 'root', group: 'root' };
  const same: FileState = { exists: true, isFile: true, mode: 0o644, owner: 'root', group: 'root', uid: '0', gid: '0', sha256: SHA_HELLO };

  test('in sync → no change', () => assert.deepEqual(planFile(spec, same), []));
  test('missing', () => assert.deepEqual(planFile(spec, { exists: false }), ['missing']));
  test('content differs', () => assert.deepEqual(planFile({ ...spec, content: 'bye\n' }, same), ['content']));
  test('mode differs', () => assert.deepEqual(planFile(spec, { ...same, mode: 0o600 }), ['mode 0600 → 0644']));
  test('owner and group differ', () => {
    assert.deepEqual(planFile(spec, { ...same, owner: 'deploy', uid: '1000', group: 'staff', gid: '50' }), ['owner deploy → root', 'group staff → root']);
  });
  test('everything differs, in order', () => {
    assert.deepEqual(planFile({ content: 'x', mode: '0600', owner: 'a', group: 'b' }, same), ['content', 'mode 0644 → 0600', 'owner root → a', 'group root → b']);
  });
  test('numeric uid/gid accepted as owner/group', () => {
    assert.deepEqual(planFile({ ...spec, owner: '0', group: '0' }, same), []);
    assert.deepEqual(planFile({ ...spec, owner: '1000', group: '1000' }, { ...same, owner: 'deploy', uid: '1000', group: 'deploy', gid: '1000' }), []);
  });
  test('wanted file but a directory is there', () => {
    assert.deepEqual(planFile(spec, { ...same, isFile: false, sha256: undefined }), ['not a regular file']);
  });
  test('wanted directory but a file is there', () => {
    assert.deepEqual(planFile({ ...spec, content: '' }, same, 'directory'), ['is a file, not a directory']);
  });
  test('directory: content is not compared, mode is', () => {
    const dir: FileState = { exists: true, isFile: false, mode: 0o755, owner: 'root', group: 'root', uid: '0', gid: '0' };
    assert.deepEqual(planFile({ content: '', mode: '0755', owner: 'root', group: 'root' }, dir, 'directory'), []);
    assert.deepEqual(planFile({ content: '', mode: '0750', owner: 'root', group: 'root' }, dir, 'directory'), ['mode 0755 → 0750']);
  });
});

describe('writeFileCmd', () => {
  const content = 'DB_PASSWORD=correct horse battery staple\n';
  const cmd = writeFileCmd({ path: '/etc/app/.env', content, mode: '0600', owner: 'root', group: 'root', sensitive: "dotenv" });
  test('text carries the content as base64 only', () => {
    assert.ok(cmd.text.includes(Buffer.from(content).toString('base64')));
    assert.ok(!cmd.text.includes('correct horse'));
    assert.ok(!cmd.text.includes('DB_PASSWORD'));
  });
  test('display hides the content', () => {
    assert.equal(String(cmd), 'write /etc/app/.env (41 bytes, mode 0600)');
  });
  test('byte count is in bytes, not characters', () => {
    assert.match(String(writeFileCmd({ path: '/x', content: 'é', mode: '0644', owner: 'root', group: 'root' })), /\(2 bytes, mode 0644\)$/);
  });
});

describe('probe + write, run for real with bash', () => {
  let dir = '';
  const run = (c: Cmd) =>
    execFileSync('bash', ['--noprofile', '--norc', '-euo', 'pipefail', '-c', c.text], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'provision-file-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('missing → written with mode and content → in sync on the next probe', () => {
    const path = join(dir, 'sub dir', "it's $x.conf");
    const spec = { path, content: 'héllo\nwörld\n$(id)\n', mode: '0640', owner: 'root', group: 'root' };
    const before1 = parseProbe(run(probePathsCmd([path]))).get(path);
    assert.deepEqual(before1, { exists: false });
    assert.deepEqual(planFile(spec, before1!), ['missing']);

    run(writeFileCmd(spec));
    assert.equal(readFileSync(path, 'utf8'), spec.content);
    assert.equal(statSync(path).mode & 0o7777, 0o640);
    assert.deepEqual(readdirSync(join(dir, 'sub dir')), ["it's $x.conf"], 'no temp file left behind');

    const after1 = parseProbe(run(probePathsCmd([path]))).get(path);
    assert.equal(after1?.sha256, sha256(spec.content));
    assert.deepEqual(planFile(spec, after1!), []);
  });

  test('an existing file is replaced by rename (new inode), not rewritten in place', () => {
    const path = join(dir, 'replace.conf');
    writeFileSync(path, 'old\n', { mode: 0o644 });
    const oldIno = statSync(path).ino;
    const spec = { path, content: 'new\n', mode: '0600', owner: 'root', group: 'root' };
    assert.deepEqual(planFile(spec, parseProbe(run(probePathsCmd([path]))).get(path)!), ['content', 'mode 0644 → 0600']);
    run(writeFileCmd(spec));
    assert.notEqual(statSync(path).ino, oldIno);
    assert.equal(readFileSync(path, 'utf8'), 'new\n');
    assert.equal(statSync(path).mode & 0o7777, 0o600);
    assert.deepEqual(planFile(spec, parseProbe(run(probePathsCmd([path]))).get(path)!), []);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.provision.')), []);
  });

  test('empty content and a directory in one probe', () => {
    const path = join(dir, 'empty');
    run(writeFileCmd({ path, content: '', mode: '0644', owner: 'root', group: 'root' }));
    const m = parseProbe(run(probePathsCmd([path, dir, join(dir, 'absent')])));
    assert.equal(m.get(path)?.sha256, SHA_EMPTY);
    assert.equal(m.get(path)?.isFile, true);
    assert.equal(m.get(dir)?.isFile, false);
    assert.deepEqual(m.get(join(dir, 'absent')), { exists: false });
  });

  test(
    'writing over a directory fails instead of dropping the temp file inside it',
    () => {
      const path = join(dir, 'is-a-dir');
      mkdirSync(path);
      try {
        assert.throws(() => run(writeFileCmd({ path, content: 'x\n', mode: '0644', owner: 'root', group: 'root' })));
        assert.deepEqual(readdirSync(path), []);
      } finally {
        rmSync(path, { recursive: true, force: true });
      }
    },
  );

  test('a failed write leaves the old file and no temp file', () => {
    const path = join(dir, 'keep.conf');
    writeFileSync(path, 'keep\n');
    assert.throws(() => run(writeFileCmd({ path, content: 'new\n', mode: '0644', owner: 'no-such-user-xyz', group: 'root' })));
    assert.equal(readFileSync(path, 'utf8'), 'keep\n');
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.provision.')), []);
  });
});
