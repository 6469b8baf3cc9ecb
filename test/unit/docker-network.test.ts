import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspectNetworkCmd, parseNetwork } from '../../src/ops/docker-network.ts';

describe('parseNetwork', () => {
  test('existing network with driver and container count', () => {
    assert.deepEqual(parseNetwork('bridge 3\n'), { exists: true, driver: 'bridge', containers: 3 });
  });
  test('existing network without containers', () => {
    assert.deepEqual(parseNetwork('overlay 0'), { exists: true, driver: 'overlay', containers: 0 });
  });
  test('missing', () => assert.deepEqual(parseNetwork('missing\n'), { exists: false }));
  test('empty output is missing', () => assert.deepEqual(parseNetwork('  \n'), { exists: false }));
  test('docker not installed', () => assert.equal(parseNetwork('no-docker\n'), 'no-docker'));
});

describe('inspectNetworkCmd', () => {
  test('quotes the name and never fails', () => {
    assert.equal(
      inspectNetworkCmd('infra-network').text,
      "command -v docker >/dev/null || { echo no-docker; exit 0; }\n" +
        "docker network inspect --format '{{.Driver}} {{len .Containers}}' infra-network 2>/dev/null || echo missing",
    );
  });
});
