import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deepMerge } from '../../src/config/merge.ts';

describe('deepMerge', () => {
  test('objects merge deep', () => {
    assert.deepEqual(deepMerge({ docker: { source: 'auto', daemon: { a: 1 } } }, { docker: { daemon: { b: 2 } } }), {
      docker: { source: 'auto', daemon: { a: 1, b: 2 } },
    });
  });
  test('arrays replace', () => {
    assert.deepEqual(deepMerge({ nets: ['a', 'b'] }, { nets: ['c'] }), { nets: ['c'] });
  });
  test('later wins for scalars', () => assert.deepEqual(deepMerge({ x: 1, y: 1 }, { x: 2 }, { x: 3 }), { x: 3, y: 1 }));
  test('a scalar replaces an object and an object replaces a scalar', () => {
    assert.deepEqual(deepMerge({ a: { b: 1 }, c: 1 }, { a: 'flat', c: { d: 1 } }), { a: 'flat', c: { d: 1 } });
  });
  test('null replaces (an explicit null in a later layer)', () => assert.deepEqual(deepMerge({ a: { b: 1 } }, { a: null }), { a: null }));
  test('null and undefined layers are skipped', () => assert.deepEqual(deepMerge(null, { a: 1 }, undefined), { a: 1 }));
  test('no layers → empty object', () => assert.deepEqual(deepMerge(), {}));
  test('inputs are not mutated', () => {
    const a = { o: { x: 1 }, l: [1] };
    const b = { o: { y: 2 }, l: [2] };
    const snapA = structuredClone(a);
    const snapB = structuredClone(b);
    const out = deepMerge(a, b);
    assert.deepEqual(a, snapA);
    assert.deepEqual(b, snapB);
    (out.o as Record<string, number>).z = 3;
    (out.l as number[]).push(9);
    assert.deepEqual(a, snapA);
    assert.deepEqual(b, snapB);
  });
  test('the output shares no object with a single input', () => {
    const a = { o: { x: [1] } };
    const out = deepMerge(a);
    assert.notEqual(out.o, a.o);
    assert.notEqual((out.o as { x: number[] }).x, a.o.x);
  });
});
