// Docker Swarm membership: the leader inits the swarm and tells the other hosts of the run how to
// join (join tokens, through the run's Rendezvous, masked on every host that holds them); the
// others join through the Engine API with the token in a body fed on stdin (never on a command
// line); the leader then applies every member's labels and role. A node in the swarm that the
// inventory does not name is reported, never removed.
import { Secret, sh } from '../remote/command.ts';
import { channel } from '../engine/rendezvous.ts';
import { dockerRead, read, type Read } from '../engine/read.ts';
import { change, defineTask, inSync } from '../engine/task.ts';
import type { Task, TaskContext } from '../engine/types.ts';
import type { SwarmTopology } from '../swarm/vars.ts';

/** Docker's JSON, checked field by field (what Docker answers is input like any other). */
type Json = Record<string, unknown>;
function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`unexpected answer from docker: ${what} is not an object`);
  return v as Json;
}
function str(o: Json, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new Error(`unexpected answer from docker: ${what}.${key} is not a string`);
  return v;
}
function strMap(v: unknown, what: string): Record<string, string> {
  if (v === null || v === undefined) return {};
  return Object.fromEntries(Object.entries(obj(v, what)).map(([k, x]) => [k, typeof x === 'string' ? x : String(x)]));
}

export interface SwarmInfo {
  /** inactive, pending, active, error or locked (Docker's LocalNodeState). */
  state: string;
  nodeId: string;
  nodeAddr: string;
  /** A manager (the Engine can answer swarm-wide questions). */
  manager: boolean;
  /** Only a manager knows it; a worker compares through its managers' addresses. */
  clusterId: string;
  managerAddrs: string[];
  error: string;
}

/** Pure: `docker info --format '{{json .Swarm}}'`. */
export function parseSwarmInfo(stdout: string): SwarmInfo {
  const s = obj(JSON.parse(stdout), 'Swarm');
  const managers = Array.isArray(s.RemoteManagers) ? s.RemoteManagers : [];
  return {
    state: str(s, 'LocalNodeState', 'Swarm'),
    nodeId: str(s, 'NodeID', 'Swarm'),
    nodeAddr: str(s, 'NodeAddr', 'Swarm'),
    manager: s.ControlAvailable === true,
    clusterId: s.Cluster ? str(obj(s.Cluster, 'Swarm.Cluster'), 'ID', 'Swarm.Cluster') : '',
    managerAddrs: managers.map((m, i) => str(obj(m, `Swarm.RemoteManagers[${i}]`), 'Addr', `Swarm.RemoteManagers[${i}]`)),
    error: typeof s.Error === 'string' ? s.Error : '',
  };
}

export const swarmInfoRead: Read<SwarmInfo> = dockerRead(sh`docker info --format '{{json .Swarm}}'`, (r) => parseSwarmInfo(r.stdout));

/** Pure: the source address of the default route (`ip -4 -o route get`), or '' without one. */
export function parseRouteSource(stdout: string): string {
  return /\bsrc\s+(\d+\.\d+\.\d+\.\d+)/.exec(stdout)?.[1] ?? '';
}

export const defaultAddrRead: Read<string> = read(sh`ip -4 -o route get 1.1.1.1 2>/dev/null || true`, (r) => parseRouteSource(r.stdout));

export interface SwarmNode {
  id: string;
  hostname: string;
  role: string;
  state: string;
  labels: Record<string, string>;
}

/** The JSON array a `docker … inspect` prints; nothing printed (no such objects) is an empty list. */
export function parseInspectList(stdout: string, command: string): unknown[] {
  const text = stdout.trim();
  if (!text) return [];
  const list: unknown = JSON.parse(text);
  if (!Array.isArray(list)) throw new Error(`unexpected answer from ${command}: not a list`);
  return list;
}

/** Pure: `docker node inspect` of every node (a JSON array; empty off a manager). */
export function parseNodes(stdout: string): SwarmNode[] {
  return parseInspectList(stdout, 'docker node inspect').map((x, i) => {
    const n = obj(x, `node[${i}]`);
    const spec = obj(n.Spec, `node[${i}].Spec`);
    return {
      id: str(n, 'ID', `node[${i}]`),
      // A node that joined a moment ago has not described itself yet.
      hostname: typeof n.Description === 'object' && n.Description !== null && 'Hostname' in n.Description && typeof n.Description.Hostname === 'string' ? n.Description.Hostname : '',
      role: str(spec, 'Role', `node[${i}].Spec`),
      state: str(obj(n.Status, `node[${i}].Status`), 'State', `node[${i}].Status`),
      labels: strMap(spec.Labels, `node[${i}].Spec.Labels`),
    };
  });
}

/** Every node as the manager sees it (nothing on a host that is not a manager). */
export const nodesRead: Read<SwarmNode[]> = dockerRead(
  sh`if [ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ]; then docker node ls -q | xargs -r docker node inspect; fi`,
  (r) => parseNodes(r.stdout),
);

/** What the leader tells the others: how to join, or that it would init first (check mode). */
export type JoinInfo = { pending: true } | { pending: false; clusterId: string; managerAddrs: string[]; workerToken: string; managerToken: string };
export const JOIN = channel<JoinInfo>('swarm-join');

/** What every other member tells the leader after joining: its node and what it should carry. */
export interface MemberInfo {
  /** Undefined in check mode when the host would join first. */
  nodeId?: string;
  hostname: string;
  labels: Record<string, string>;
  role: 'manager' | 'worker';
}
export const MEMBER = channel<MemberInfo>('swarm-member');

const API_TIMEOUT_MS = 120_000;

/** Reads both join tokens on a manager and hands them to the other hosts of the run. */
async function publishJoin(ctx: TaskContext, info: SwarmInfo): Promise<void> {
  const r = await ctx.$`docker swarm join-token -q worker
docker swarm join-token -q manager`;
  const [workerToken = '', managerToken = ''] = r.stdout.trim().split('\n').map((l) => l.trim());
  ctx.mask(workerToken);
  ctx.mask(managerToken);
  if (!workerToken.startsWith('SWMTKN-') || !managerToken.startsWith('SWMTKN-')) throw new Error('docker swarm join-token gave no tokens');
  const managerAddrs = info.managerAddrs.length ? info.managerAddrs : [`${info.nodeAddr}:2377`];
  ctx.shared.publish(JOIN, { pending: false, clusterId: info.clusterId, managerAddrs, workerToken, managerToken });
}

function advertiseAddr(wanted: string, fromRoute: string, host: string): string {
  const addr = wanted || fromRoute;
  if (!addr) throw new Error(`${host}: no default route to take the swarm's advertise address from: set swarm_advertise_addr`);
  return addr;
}

/** The leader: a swarm of its own (init when it is in none), and the join tokens for the others. */
export function swarmInitTask(advertise: string): Task {
  return defineTask({
    name: 'swarm init (leader)',
    tags: ['swarm'],
    reads: { info: swarmInfoRead, route: defaultAddrRead },
    check: async (ctx, { info, route }) => {
      if (info.state === 'active' && info.manager) {
        await publishJoin(ctx, info);
        return inSync(`manager of swarm ${info.clusterId}`);
      }
      if (info.state === 'active') {
        throw new Error(`${ctx.host} is first in swarm_managers (the leader), but it is a worker of another swarm: promote it there (docker node promote) or list a manager first`);
      }
      if (info.state !== 'inactive') throw new Error(`the swarm state of ${ctx.host} is ${info.state}${info.error ? `: ${info.error}` : ''}; repair it by hand (docker swarm leave, or unlock)`);
      const addr = advertiseAddr(advertise, route, ctx.host);
      if (ctx.checkMode) ctx.shared.publish(JOIN, { pending: true });
      return change(`in no swarm: init one advertising ${addr}`, { addr });
    },
    apply: async (ctx, { data }) => {
      await ctx.$`docker swarm init --advertise-addr ${data.addr}`;
      await publishJoin(ctx, await ctx.read(swarmInfoRead));
      return { reason: `initialised a swarm advertising ${data.addr}` };
    },
  });
}

/** Pure: the Engine API's join request. */
export function joinBody(join: { managerAddrs: string[]; token: string }, advertise: string): string {
  return JSON.stringify({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: advertise, RemoteAddrs: join.managerAddrs, JoinToken: join.token });
}

/** Pure: curl's answer (`-w '\n%{http_code}'`): the status, and Docker's message when it failed. */
export function parseApiAnswer(stdout: string): { status: number; message: string } {
  const i = stdout.lastIndexOf('\n');
  const status = Number(stdout.slice(i + 1).trim());
  const body = stdout.slice(0, Math.max(0, i)).trim();
  let message = body;
  try {
    const m: unknown = JSON.parse(body);
    if (typeof m === 'object' && m !== null && 'message' in m && typeof m.message === 'string') message = m.message;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: Number.isFinite(status) ? status : 0, message };
}

async function publishMember(ctx: TaskContext, nodeId: string | undefined, labels: Record<string, string>, role: 'manager' | 'worker'): Promise<void> {
  ctx.shared.publish(MEMBER, { nodeId, hostname: ctx.facts.hostname, labels, role });
}

type JoinData = { addr: string; managerAddrs: string[]; token: string };

/** A manager other than the leader, or a worker: joins the leader's swarm when in none. */
export function swarmJoinTask(topo: SwarmTopology, advertise: string, labels: Record<string, string>): Task {
  const role = topo.role === 'worker' ? 'worker' : 'manager';
  return defineTask({
    name: `swarm join (${role})`,
    tags: ['swarm'],
    reads: { info: swarmInfoRead, route: defaultAddrRead },
    check: async (ctx, { info, route }) => {
      const join = await ctx.shared.wait(topo.leader, JOIN);
      if (join.ok && !join.value.pending) {
        ctx.mask(join.value.workerToken);
        ctx.mask(join.value.managerToken);
      }
      if (info.state === 'active') {
        // A worker knows its managers' addresses, not the cluster's ID; a manager knows both.
        if (join.ok && !join.value.pending) {
          const j = join.value;
          const same = info.clusterId ? info.clusterId === j.clusterId : info.managerAddrs.some((a) => j.managerAddrs.includes(a));
          if (!same) throw new Error(`${ctx.host} is in another swarm than the one ${topo.leader} leads: leave it yourself (docker swarm leave) if it may join`);
        }
        await publishMember(ctx, info.nodeId, labels, role);
        return inSync(join.ok ? `in the swarm led by ${topo.leader}` : `in a swarm (not compared with the leader's: ${topo.leader} ${join.why})`);
      }
      if (info.state !== 'inactive') throw new Error(`the swarm state of ${ctx.host} is ${info.state}${info.error ? `: ${info.error}` : ''}; repair it by hand (docker swarm leave)`);
      if (!join.ok) throw new Error(`cannot join the swarm: its leader ${topo.leader} did not say how (${join.why})`);
      const addr = advertiseAddr(advertise, route, ctx.host);
      if (join.value.pending) {
        await publishMember(ctx, undefined, labels, role);
        return change<JoinData | null>(`in no swarm: would join as a ${role} once ${topo.leader} has initialised it`, null);
      }
      if (ctx.checkMode) await publishMember(ctx, undefined, labels, role);
      const j = join.value;
      return change<JoinData | null>(`in no swarm: join ${topo.leader}'s at ${j.managerAddrs.join(', ')} as a ${role}`, { addr, managerAddrs: j.managerAddrs, token: role === 'worker' ? j.workerToken : j.managerToken });
    },
    apply: async (ctx, { data }) => {
      if (!data) throw new Error('the leader has no swarm yet');
      const body = joinBody({ managerAddrs: data.managerAddrs, token: data.token }, data.addr);
      if (!(await ctx.probe`command -v curl`).ok) throw new Error('curl is needed to join (the join token goes to the Engine API on stdin, never on a command line): install curl');
      // printf is a bash builtin: the body (with the token) is on no process's command line.
      const r = await ctx.run(
        sh`printf '%s' ${new Secret(body)} | curl -sS --max-time 100 --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' --data-binary @- -w '\n%{http_code}' http://localhost/swarm/join`,
        { timeoutMs: API_TIMEOUT_MS },
      );
      const a = parseApiAnswer(r.stdout);
      if (a.status !== 200) throw new Error(`joining the swarm failed (HTTP ${a.status}): ${a.message}`);
      const info = await ctx.read(swarmInfoRead);
      await publishMember(ctx, info.nodeId, labels, role);
      return { reason: `joined the swarm led by ${data.managerAddrs.join(', ')} as a ${role}` };
    },
  });
}

type NodeOp = { node: string; what: string; kind: 'labels' | 'promote' | 'demote'; args: string[] };

/** Pure: what to change on the swarm's nodes so every member carries its labels and role. */
export function planNodes(nodes: readonly SwarmNode[], members: ReadonlyMap<string, MemberInfo>): { ops: NodeOp[]; pending: string[] } {
  const ops: NodeOp[] = [];
  const pending: string[] = [];
  for (const [host, m] of members) {
    const n = m.nodeId ? nodes.find((x) => x.id === m.nodeId) : undefined;
    if (!n) {
      const labels = Object.keys(m.labels);
      pending.push(`${host}: would get its role${labels.length ? ` and labels ${labels.join(', ')}` : ''} once it has joined`);
      continue;
    }
    const add = Object.entries(m.labels).filter(([k, v]) => n.labels[k] !== v);
    if (add.length) ops.push({ node: n.id, kind: 'labels', what: `${host}: label ${add.map(([k, v]) => `${k}=${v}`).join(', ')}`, args: add.flatMap(([k, v]) => ['--label-add', `${k}=${v}`]) });
    if (n.role !== m.role) ops.push({ node: n.id, kind: m.role === 'manager' ? 'promote' : 'demote', what: `${host}: ${m.role === 'manager' ? 'promote to manager' : 'demote to worker'}`, args: [] });
  }
  return { ops, pending };
}

/** Pure: nodes the inventory does not name (reported, never removed). */
export function strangers(nodes: readonly SwarmNode[], members: ReadonlyMap<string, MemberInfo>, unknownHosts: readonly string[]): SwarmNode[] {
  const ids = new Set([...members.values()].map((m) => m.nodeId).filter((x): x is string => !!x));
  const names = new Set(unknownHosts);
  return nodes.filter((n) => !ids.has(n.id) && !names.has(n.hostname));
}

/** The leader: every member's labels and role, once they have joined; strangers named. */
export function swarmNodesTask(topo: SwarmTopology, ownLabels: Record<string, string>): Task {
  const others = [...topo.managers, ...topo.workers].filter((h) => h !== topo.leader);
  return defineTask({
    name: 'swarm nodes (labels, roles)',
    tags: ['swarm'],
    reads: { info: swarmInfoRead, nodes: nodesRead },
    check: async (ctx, { info, nodes: listed }) => {
      let nodes = listed;
      const members = new Map<string, MemberInfo>([[ctx.host, { nodeId: info.state === 'active' ? info.nodeId : undefined, hostname: ctx.facts.hostname, labels: ownLabels, role: 'manager' }]]);
      const unheard: string[] = [];
      for (const h of others) {
        const d = await ctx.shared.wait(h, MEMBER, { ifStarted: true });
        if (d.ok) members.set(h, d.value);
        else {
          unheard.push(h);
          ctx.note(`swarm: labels and role of ${h} not checked: ${d.why}`);
        }
      }
      // The prefetched list predates the joins this run waited for: read it again if it must.
      if (info.state === 'active' && [...members.values()].some((m) => m.nodeId && !nodes.some((n) => n.id === m.nodeId))) {
        nodes = nodesRead.parse(await ctx.run(nodesRead.cmd));
      }
      // Nodes of hosts not heard from are matched by inventory name = hostname, the usual case.
      for (const n of strangers(nodes, members, unheard)) {
        ctx.note(`swarm: node ${n.hostname} (${n.id}, ${n.role}, ${n.state}) is in the swarm but not in the inventory's swarm groups: left as it is (docker node rm it yourself if it is gone for good)`);
      }
      const { ops, pending } = planNodes(nodes, members);
      if (!ops.length && !pending.length) return inSync(`${members.size} node(s) carry their labels and roles`);
      return change([...ops.map((o) => o.what), ...pending].join('; '), ops);
    },
    apply: async (ctx, { data }) => {
      for (const op of data) {
        if (op.kind === 'labels') await ctx.$`docker node update ${op.args} ${op.node}`;
        else if (op.kind === 'promote') await ctx.$`docker node promote ${op.node}`;
        else await ctx.$`docker node demote ${op.node}`;
      }
    },
  });
}
