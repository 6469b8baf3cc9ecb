// The shared networks in swarm mode: attachable overlay networks of the same names, created on
// the leader (a swarm-scoped network is the swarm's, made once by a manager), so stack services
// and the per-node compose agents share them. A network of that name with another driver is
// never replaced: the run explains what to do and stops.
import { sh } from '../remote/command.ts';
import { dockerRead, type Read } from '../engine/read.ts';
import { change, defineTask, inSync } from '../engine/task.ts';
import type { Task, TaskContext } from '../engine/types.ts';
import { networksRead } from './docker-network.ts';

/** Pure: `docker network inspect --format '{{.Name}} {{.Attachable}}'` of the overlay networks. */
export function parseAttachable(stdout: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const line of stdout.split('\n')) {
    const [name, attachable] = line.trim().split(' ');
    if (name && attachable) out.set(name, attachable === 'true');
  }
  return out;
}

/** Whether each overlay network this host sees is attachable (one read for all of them). */
export const overlayAttachableRead: Read<Map<string, boolean>> = dockerRead(
  sh`docker network ls -q --filter driver=overlay | xargs -r docker network inspect --format '{{.Name}} {{.Attachable}}'`,
  (r) => parseAttachable(r.stdout),
);

async function refuse(ctx: TaskContext, name: string, why: string): Promise<never> {
  const n = (await ctx.run(sh`docker network inspect --format '{{len .Containers}}' ${name}`, { nothrow: true })).stdout.trim();
  const who = n && n !== '0' ? ` (${n} container(s) attached on ${ctx.host})` : '';
  throw new Error(
    `network ${name} ${why}${who}; deploy: swarm needs an attachable overlay network of that name. It is not replaced behind your back: ` +
      `stop what uses it (docker compose down in its projects), remove it (docker network rm ${name}) and run again`,
  );
}

/** On the leader: the attachable overlay network, created when missing. */
export function overlayNetworkTask(name: string): Task {
  return defineTask({
    name: `overlay network ${name}`,
    tags: ['networks', 'swarm'],
    reads: { networks: networksRead, attachable: overlayAttachableRead },
    check: async (ctx, { networks, attachable }) => {
      const driver = networks.get(name);
      if (driver === undefined) return change(`network ${name} is missing`, null);
      if (driver !== 'overlay') return refuse(ctx, name, `exists with driver ${driver}`);
      if (attachable.get(name) !== true) return refuse(ctx, name, 'is an overlay network that is not attachable (compose containers could not join it)');
      return inSync(`${name} exists (attachable overlay)`);
    },
    apply: async (ctx) => {
      await ctx.$`docker network create --driver overlay --attachable ${name}`;
      return { reason: `created attachable overlay network ${name}` };
    },
  });
}

/** On the other nodes: no local network may shadow the swarm's (the leader creates it). */
export function overlayNetworkMemberTask(name: string, leader: string): Task {
  return defineTask({
    name: `overlay network ${name} (made on ${leader})`,
    tags: ['networks', 'swarm'],
    reads: { networks: networksRead },
    check: async (ctx, { networks }) => {
      const driver = networks.get(name);
      if (driver !== undefined && driver !== 'overlay') return refuse(ctx, name, `exists here with driver ${driver}`);
      return inSync(driver ? `${name} is the swarm's overlay network` : `no local network named ${name}: the swarm's is used`);
    },
    apply: async () => {
      throw new Error('nothing to apply on a member');
    },
  });
}

/** The containers that hold the swarm's overlay networks on a node while compose attaches to them. */
export const NETWORK_HOLDER = 'provision-overlay-holder';

/** Pure: `docker network inspect --format '{{.Name}} {{len .Containers}}'`: what is in use here. */
export function parseInUse(stdout: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const [name, n] = line.trim().split(' ');
    if (name && n && /^\d+$/.test(n)) out.set(name, Number(n));
  }
  return out;
}

/**
 * On every node of a swarm: the overlay networks a compose project joins, made present here
 * first. A node (a manager too) keeps a swarm network only while something on it uses the
 * network. Asked for a network by name at a container's creation, the Engine gets it from the
 * swarm; but Compose gives the network's ID, and joins every network after the first with
 * `network connect`: both fail ("could not find a network matching network mode …", "network …
 * not found") for a network not present on the node. So each network nothing here uses yet gets
 * a short-lived holder container, created on it by name (any image the project pulled, with a
 * `sleep`), and `overlayReleaseTask` removes them once the project's own containers use them.
 */
export function overlayHoldTask(project: string, networks: readonly string[], image: () => string, tags?: string[]): Task {
  const inUse = dockerRead(sh`docker network inspect --format '{{.Name}} {{len .Containers}}' ${networks} 2>/dev/null || true`, (r) => parseInUse(r.stdout));
  return defineTask({
    name: `${project}: overlay networks present here`,
    tags,
    reads: { used: inUse },
    check: (_ctx, { used }) => {
      const missing = networks.filter((n) => !used.get(n));
      if (!missing.length) return inSync(`${networks.join(', ')} in use here`);
      return change(`${missing.join(', ')} not in use on this node yet: held by a container each while compose attaches`, missing);
    },
    apply: async (ctx, { data: missing }) => {
      for (const [i, n] of missing.entries()) {
        const name = `${NETWORK_HOLDER}-${i}`;
        await ctx.run(sh`docker rm -f ${name} >/dev/null 2>&1 || true
docker run -d --rm --name ${name} --network ${n} --entrypoint sleep ${image()} 600 >/dev/null`);
      }
      return { reason: `${missing.join(', ')} held here while compose attaches` };
    },
  });
}

const holdersRead = dockerRead(sh`docker ps -aq --filter name=^${NETWORK_HOLDER}-`, (r) => r.stdout.split('\n').map((l) => l.trim()).filter(Boolean));

/** Removes the holders once the project is up (they also end by themselves after 10 minutes). */
export function overlayReleaseTask(project: string, tags?: string[]): Task {
  return defineTask({
    name: `${project}: overlay network holders removed`,
    tags,
    reads: { held: holdersRead },
    check: (_ctx, { held }) => (held.length ? change(`${held.length} holder container(s) still running`, held) : inSync()),
    apply: async (ctx, { data: held }) => {
      await ctx.$`docker rm -f ${held}`;
    },
  });
}
