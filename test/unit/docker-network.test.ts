import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { networksRead, networkTask, parseNetworks } from '../../src/ops/docker-network.ts';
import { FakeConnection } from '../fakes/fake-connection.ts';
import { runTasks } from '../fakes/run-tasks.ts';

describe('parseNetworks', () => {
  test('names and drivers, blank lines ignored', () => {
    assert.deepEqual(parseNetworks('bridge bridge\ninfra-network bridge\n\nswarm-net overlay\n'), new Map([['bridge', 'bridge'], ['infra-network', 'bridge'], ['swarm-net', 'overlay']]));
  });
  test('empty output: no networks', () => assert.equal(parseNetworks('  \n').size, 0));
});

describe('networksRead', () => {
  test('one docker read lists every network', () => {
    assert.equal(networksRead.needsDocker, true);
    assert.equal(networksRead.cmd.text, "command -v docker >/dev/null 2>&1 || { echo __provision_no_docker__; exit 0; }\ndocker network ls --format '{{.Name}} {{.Driver}}'");
  });
});
