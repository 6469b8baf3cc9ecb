import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { envKeysDiff, unifiedDiff } from '../../src/ops/diff.ts';

const lines = (n: number, f: (i: number) => string = (i) => `line ${i}`) =>
  Array.from({ length: n }, (_, i) => f(i + 1)).join('\n') + '\n';
const HEAD = '--- /f (on host)\n+++ /f (wanted)\n';

describe('unifiedDiff', () => {
  test('equal texts give an empty diff', () => assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', '/f'), ''));

  test('single-line change in the middle', () => {
    const before = lines(10);
    const after = before.replace('line 5\n', 'line five\n');
    assert.equal(
      unifiedDiff(before, after, '/f'),
      HEAD + '@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+line five\n line 6\n line 7\n line 8',
    );
  });

  test('change on the first line', () => {
    assert.equal(unifiedDiff('a\nb\nc\n', 'A\nb\nc\n', '/f'), HEAD + '@@ -1,3 +1,3 @@\n-a\n+A\n b\n c');
  });

  test('addition at the end', () => {
    assert.equal(unifiedDiff('a\nb\nc\n', 'a\nb\nc\nd\n', '/f'), HEAD + '@@ -1,3 +1,4 @@\n a\n b\n c\n+d');
  });

  test('addition at the end of a long file only shows the context', () => {
    assert.equal(unifiedDiff(lines(10), lines(11), '/f'), HEAD + '@@ -8,3 +8,4 @@\n line 8\n line 9\n line 10\n+line 11');
  });

  test('deletion', () => {
    assert.equal(unifiedDiff('a\nb\nc\n', 'a\nc\n', '/f'), HEAD + '@@ -1,3 +1,2 @@\n a\n-b\n c');
  });

  test('new file: everything added, old range 0,0', () => {
    assert.equal(unifiedDiff('', 'x\ny\n', '/f'), HEAD + '@@ -0,0 +1,2 @@\n+x\n+y');
  });

  test('emptied file: new range 0,0', () => {
    assert.equal(unifiedDiff('x\ny\n', '', '/f'), HEAD + '@@ -1,2 +0,0 @@\n-x\n-y');
  });

  test('two far-apart changes give two hunks', () => {
    const before = lines(20);
    const after = before.replace('line 2\n', 'LINE 2\n').replace('line 18\n', 'LINE 18\n');
    assert.equal(
      unifiedDiff(before, after, '/f'),
      HEAD +
        '@@ -1,5 +1,5 @@\n line 1\n-line 2\n+LINE 2\n line 3\n line 4\n line 5\n' +
        '@@ -15,6 +15,6 @@\n line 15\n line 16\n line 17\n-line 18\n+LINE 18\n line 19\n line 20',
    );
  });

  test('two changes 6 lines apart (= 2*context) share one hunk', () => {
    const before = lines(12);
    const after = before.replace('line 2\n', 'X\n').replace('line 9\n', 'Y\n');
    const d = unifiedDiff(before, after, '/f');
    assert.equal(d.match(/^@@/gm)?.length, 1);
    assert.match(d, /^@@ -1,12 \+1,12 @@$/m);
  });

  test('texts differing only in the final newline: a header, no line changes', () => {
    assert.equal(unifiedDiff('a\nb', 'a\nb\n', '/f'), '--- /f (on host)\n+++ /f (wanted)');
  });

  test('huge inputs get a summary', () => {
    const d = unifiedDiff(lines(3000), lines(3001), '/big');
    assert.equal(d, '--- /big\n+++ /big\n(3000 → 3001 lines; too large to diff)');
  });
});

describe('envKeysDiff', () => {
  test('names the keys added, removed or changed, never a value', () => {
    const d = envKeysDiff("A='1'\nPW='old-s3cret'\nGONE=x\n", "A='1'\nPW='new-s3cret'\nNEW=y\n", '/s/.env');
    assert.equal(d, '--- /s/.env (on host)\n+++ /s/.env (wanted)\n-GONE=***\n+NEW=***\n-PW=***\n+PW=***');
    assert.ok(!d.includes('s3cret'));
  });
  test('only comments differ: says so', () => {
    assert.match(envKeysDiff('# a\nK=v\n', '# b\nK=v\n', '/e'), /no value changed/);
  });
});
