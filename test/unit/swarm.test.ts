import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { channel, Rendezvous } from '../../src/engine/rendezvous.ts';
import { VarsError, type Task } from '../../src/engine/types.ts';
import { RecordingDisplay } from '../../src/engine/events.ts';
import type { HostPlan } from '../../src/engine/plan.ts';
import { runPlans } from '../../src/engine/runner.ts';
import { defineTask, inSync } from '../../src/engine/task.ts';
import { FakeConnection } from '../fakes/fake-connection.ts';
import { joinBody, parseApiAnswer, parseNodes, parseRouteSource, parseSwarmInfo, planNodes, strangers, type MemberInfo, type SwarmNode } from '../../src/ops/swarm.ts';
import { parseAttachable } from '../../src/ops/swarm-network.ts';
import { swarmTopology } from '../../src/swarm/vars.ts';

const CH = channel<{ n: number }>('t');

describe('Rendezvous', () => {
  test('a wait gets what is published, before or after', async () => {
    const b = new Rendezvous(['a', 'b']);
    const later = b.wait('a', CH);
    b.publish('a', CH, { n: 1 });
    assert.deepEqual(await later, { ok: true, value: { n: 1 } });
    assert.deepEqual(await b.wait('a', CH), { ok: true, value: { n: 1 } });
  });
  test('a host not in the run, or whose run ended without publishing, never leaves a waiter hanging', async () => {
    const b = new Rendezvous(['a', 'b']);
    assert.match(((await b.wait('zz', CH)) as { why: string }).why, /not part of this run/);
    const w = b.wait('b', CH);
    b.hostEnded('b', 'a task failed');
    assert.deepEqual(await w, { ok: false, why: 'its run ended before that (a task failed)' });
    assert.equal((await b.wait('b', CH)).ok, false);
  });
  test('ifStarted answers at once for a host whose run has not started', async () => {
    const b = new Rendezvous(['a', 'b']);
    assert.match(((await b.wait('b', CH, { ifStarted: true })) as { why: string }).why, /not started/);
    b.hostStarted('b');
    const w = b.wait('b', CH, { ifStarted: true });
    b.publish('b', CH, { n: 2 });
    assert.deepEqual(await w, { ok: true, value: { n: 2 } });
  });
});

describe('swarm parsing', () => {
  test('docker info .Swarm of a manager and of an inactive node', () => {
    const m = parseSwarmInfo('{"NodeID":"n1","NodeAddr":"172.17.0.4","LocalNodeState":"active","ControlAvailable":true,"Error":"","RemoteManagers":[{"NodeID":"n1","Addr":"172.17.0.4:2377"}],"Cluster":{"ID":"c1"}}');
    assert.deepEqual(m, { state: 'active', nodeId: 'n1', nodeAddr: '172.17.0.4', manager: true, clusterId: 'c1', managerAddrs: ['172.17.0.4:2377'], error: '' });
    const i = parseSwarmInfo('{"NodeID":"","NodeAddr":"","LocalNodeState":"inactive","ControlAvailable":false,"Error":"","RemoteManagers":null}');
    assert.equal(i.state, 'inactive');
    assert.deepEqual(i.managerAddrs, []);
    assert.throws(() => parseSwarmInfo('{"NodeID":1}'), /Swarm\.\w+ is not a string/);
  });
  test('route source, node list, API answers, overlay listing', () => {
    assert.equal(parseRouteSource('1.1.1.1 via 172.17.0.1 dev eth0 src 172.17.0.4 uid 1000 \\    cache'), '172.17.0.4');
    assert.equal(parseRouteSource(''), '');
    const nodes = parseNodes('[{"ID":"n1","Spec":{"Labels":{"stores":"true"},"Role":"manager","Availability":"active"},"Description":{"Hostname":"vm1"},"Status":{"State":"ready"}}]');
    assert.deepEqual(nodes, [{ id: 'n1', hostname: 'vm1', role: 'manager', state: 'ready', labels: { stores: 'true' } }]);
    assert.deepEqual(parseNodes(''), []);
    assert.deepEqual(parseApiAnswer('\n200'), { status: 200, message: '' });
    assert.deepEqual(parseApiAnswer('{"message":"This node is already part of a swarm."}\n503'), { status: 503, message: 'This node is already part of a swarm.' });
    assert.deepEqual([...parseAttachable('infra-network true\nold false\n')], [['infra-network', true], ['old', false]]);
    assert.deepEqual(JSON.parse(joinBody({ managerAddrs: ['10.0.0.1:2377'], token: 'SWMTKN-x' }, '10.0.0.2')), { ListenAddr: '0.0.0.0:2377', AdvertiseAddr: '10.0.0.2', RemoteAddrs: ['10.0.0.1:2377'], JoinToken: 'SWMTKN-x' });
  });
});

describe('swarm nodes plan', () => {
  const nodes: SwarmNode[] = [
    { id: 'n1', hostname: 'vm1', role: 'manager', state: 'ready', labels: { stores: 'true' } },
    { id: 'n2', hostname: 'vm2', role: 'worker', state: 'ready', labels: {} },
    { id: 'n9', hostname: 'old', role: 'worker', state: 'down', labels: {} },
  ];
  const member = (nodeId: string | undefined, labels: Record<string, string>, role: 'manager' | 'worker'): MemberInfo => ({ nodeId, hostname: 'x', labels, role });
  test('labels added or changed, roles fixed, not-yet-joined hosts pending; labels set by others kept', () => {
    const members = new Map([
      ['vm1', member('n1', { stores: 'true' }, 'manager')],
      ['vm2', member('n2', { zone: 'b' }, 'manager')],
      ['vm3', member(undefined, { zone: 'c' }, 'worker')],
    ]);
    const { ops, pending } = planNodes(nodes, members);
    assert.deepEqual(ops, [
      { node: 'n2', kind: 'labels', what: 'vm2: label zone=b', args: ['--label-add', 'zone=b'] },
      { node: 'n2', kind: 'promote', what: 'vm2: promote to manager', args: [] },
    ]);
    assert.deepEqual(pending, ['vm3: would get its role and labels zone once it has joined']);
    assert.deepEqual(planNodes(nodes, new Map([['vm1', member('n1', { stores: 'true' }, 'manager')]])), { ops: [], pending: [] });
  });
  test('a node the inventory does not name is a stranger; one of an unheard inventory host is not', () => {
    const members = new Map([['vm1', member('n1', {}, 'manager')]]);
    assert.deepEqual(strangers(nodes, members, ['vm2']).map((n) => n.id), ['n9']);
  });
});

describe('swarm topology', () => {
  const groups = new Map([['swarm_managers', ['m1', 'm2']], ['swarm_workers', ['w1']]]);
  test('the first manager leads', () => {
    assert.deepEqual(swarmTopology('m1', groups).role, 'leader');
    assert.deepEqual(swarmTopology('m2', groups).role, 'manager');
    assert.deepEqual(swarmTopology('w1', groups).role, 'worker');
  });
  test('bad shapes name the group', () => {
    assert.throws(() => swarmTopology('x', groups), /host x is in neither swarm_managers nor swarm_workers/);
    assert.throws(() => swarmTopology('w1', new Map([['swarm_workers', ['w1']]])), /needs at least one host in group swarm_managers/);
    assert.throws(() => swarmTopology('m1', new Map([['swarm_managers', ['m1']], ['swarm_workers', ['m1']]])), /m1: in both/);
  });
});

describe('runPlans with hosts that wait for each other', () => {
  const MSG = channel<string>('msg');
  const plan = (name: string, tasks: Task[], startFirst = false): HostPlan => ({
    name,
    connection: { name, address: '127.0.0.1', port: 22, user: 'deploy', become: true },
    roles: [{ name: 'r', tasks, handlers: [] }],
    secrets: [],
    ...(startFirst ? { startFirst } : {}),
  });
  const publisher = (fail: boolean) =>
    defineTask({
      name: 'publish',
      check: (ctx) => {
        if (fail) throw new Error('init failed');
        ctx.shared.publish(MSG, `from ${ctx.host}`);
        return inSync('published');
      },
      apply: async () => {},
    });
  const waiter = defineTask({
    name: 'wait',
    check: async (ctx) => {
      const d = await ctx.shared.wait('lead', MSG);
      if (!d.ok) throw new Error(`no message: ${d.why}`);
      return inSync(d.value);
    },
    apply: async () => {},
  });
  const run = (fail: boolean) =>
    runPlans([plan('work', [waiter]), plan('lead', [publisher(fail)], true)], {
      check: false,
      forks: 1,
      display: new RecordingDisplay(),
      open: async (spec) => new FakeConnection([], { name: spec.name }),
    });

  test('with one fork the host others wait for runs first, and the waiter gets its message', async () => {
    const r = await run(false);
    assert.equal(r.hosts.work?.tasks[0]?.reason, 'from lead');
    assert.deepEqual(Object.keys(r.hosts), ['work', 'lead'], 'the report keeps inventory order');
  });
  test('a leader whose run fails before publishing ends the wait with why', async () => {
    const r = await run(true);
    assert.equal(r.hosts.work?.failed, 1);
    assert.match(r.hosts.work?.tasks[0]?.reason ?? '', /no message: its run ended before that \(r \| publish failed: init failed\)/);
  });
});
