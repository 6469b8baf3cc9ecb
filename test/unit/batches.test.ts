// Batching math for `serial` (Ansible's pct_to_int and batch list) and the stop rule of
// max_fail_percentage.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { batchSizes, serialCount, splitBatches, stopAfterBatch } from '../../src/engine/batches.ts';

describe('serialCount', () => {
  test('a number is that many hosts', () => {
    assert.equal(serialCount(3, 10), 3);
  });

  test('a percentage of the host count, rounded down', () => {
    assert.equal(serialCount('30%', 10), 3);
    assert.equal(serialCount('30%', 7), 2); // 2.1
    assert.equal(serialCount('50%', 5), 2); // 2.5
    assert.equal(serialCount('100%', 6), 6);
  });

  test('never less than one host', () => {
    assert.equal(serialCount('10%', 5), 1); // 0.5
    assert.equal(serialCount('0%', 8), 1);
  });

  test("the same floating-point rounding as Ansible's int((pct / 100.0) * n)", () => {
    assert.equal(serialCount('29%', 100), 28); // 0.29 * 100 = 28.999999999999996
    assert.equal(serialCount('70%', 10), 7); // 7.000000000000001
  });
});

describe('batchSizes', () => {
  test('no serial: one batch of every host', () => {
    assert.deepEqual(batchSizes([], 6), [6]);
  });

  test('a size that does not divide the hosts leaves a short last batch', () => {
    assert.deepEqual(batchSizes([2], 5), [2, 2, 1]);
  });

  test('a list of sizes; the last repeats until every host is in a batch', () => {
    assert.deepEqual(batchSizes([1, 5, 10], 30), [1, 5, 10, 10, 4]);
  });

  test('percentages in a list are of the whole host count, not of what is left', () => {
    assert.deepEqual(batchSizes([1, '20%', '50%'], 10), [1, 2, 5, 2]);
  });

  test('a size larger than the hosts is one batch', () => {
    assert.deepEqual(batchSizes([50], 6), [6]);
    assert.deepEqual(batchSizes(['30%'], 1), [1]);
  });

  test('no hosts, no batches', () => {
    assert.deepEqual(batchSizes([2], 0), []);
  });
});

describe('splitBatches', () => {
  test('hosts keep their order', () => {
    assert.deepEqual(splitBatches(['a', 'b', 'c', 'd', 'e'], [1, '40%']), [['a'], ['b', 'c'], ['d', 'e']]);
  });
});

describe('stopAfterBatch', () => {
  test('failed share strictly greater than max_fail_percentage stops', () => {
    assert.equal(stopAfterBatch(1, 4, 1, 25), undefined, '25% is not more than 25%');
    assert.equal(stopAfterBatch(1, 4, 2, 25), 'max_fail_percentage exceeded in batch 1 (2 of 4 hosts failed or unreachable: 50% > 25%)');
  });

  test('max_fail_percentage 0: any failure stops', () => {
    assert.match(stopAfterBatch(2, 10, 1, 0) ?? '', /^max_fail_percentage exceeded in batch 2 \(1 of 10 hosts failed or unreachable: 10% > 0%\)$/);
  });

  test('a fractional share is shown rounded', () => {
    assert.match(stopAfterBatch(1, 3, 1, 30) ?? '', /33\.3% > 30%/);
  });

  test('without max_fail_percentage only a batch where every host failed stops (as Ansible)', () => {
    assert.equal(stopAfterBatch(1, 3, 2), undefined);
    assert.equal(stopAfterBatch(1, 3, 3), 'every host of batch 1 failed (3 of 3 hosts failed or unreachable)');
    assert.equal(stopAfterBatch(1, 1, 1, 100), 'every host of batch 1 failed (1 of 1 host failed or unreachable)');
  });

  test('no failure never stops', () => {
    assert.equal(stopAfterBatch(1, 5, 0, 0), undefined);
  });
});
