import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planService } from '../../src/ops/system.ts';

describe('planService', () => {
  test('enabled and active → nothing to do', () => assert.deepEqual(planService('enabled\n', 'active\n'), []));
  test('disabled and inactive → enable and start', () => {
    assert.deepEqual(planService('disabled', 'inactive'), ['enable (is disabled)', 'start (is inactive)']);
  });
  test('enabled but failed → start only', () => assert.deepEqual(planService('enabled', 'failed'), ['start (is failed)']));
  test('active but not enabled → enable only', () => assert.deepEqual(planService('static', 'active'), ['enable (is static)']));
  test('no answer (unit unknown) → unknown', () => {
    assert.deepEqual(planService('', '\n'), ['enable (is unknown)', 'start (is unknown)']);
  });
});
