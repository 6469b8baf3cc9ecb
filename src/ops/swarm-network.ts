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

/** The container that holds the swarm's overlay networks on a node while compose attaches to them. */
export const NETWORK_HOLDER = 'provision-overlay-holder';

/**
 * On a node other than the leader: the overlay networks a compose project joins, made visible
 * here first. A node sees a swarm network only while something on it uses the network; Compose
 * creates a container on its first network (the Engine asks a manager for it) but joins the others
 * with `network connect`, which fails on a node that does not see them yet. So a short-lived
 * holder container (any image the project pulled, with a `sleep`) joins them all at its creation
 * (Docker 25+), and `overlayReleaseTask` removes it once the project's own containers hold them.
 */
export function overlayHoldTask(project: string, networks: readonly string[], image: () => string, tags?: string[]): Task {
  return defineTask({
    name: `${project}: overlay networks visible here`,
    tags,
    reads: { local: networksRead },
    check: (_ctx, { local }) => {
      const missing = networks.filter((n) => local.get(n) !== 'overlay');
      if (!missing.length) return inSync(`${networks.join(', ')} in use here`);
      return change(`${missing.join(', ')} not seen on this node yet: held by a container while compose attaches`, missing);
    },
    apply: async (ctx, { data: missing }) => {
      const nets = missing.flatMap((n) => ['--network', n]);
      await ctx.run(sh`docker rm -f ${NETWORK_HOLDER} >/dev/null 2>&1 || true
docker run -d --rm --name ${NETWORK_HOLDER} ${nets} --entrypoint sleep ${image()} 600 >/dev/null`);
      return { reason: `${missing.join(', ')} held here by ${NETWORK_HOLDER} while compose attaches` };
    },
  });
}

/** Removes the holder once the project is up (it also ends by itself after 10 minutes). */
export function overlayReleaseTask(project: string, tags?: string[]): Task {
  return defineTask({
    name: `${project}: overlay network holder removed`,
    tags,
    reads: { held: dockerRead(sh`docker ps -aq --filter name=^${NETWORK_HOLDER}$`, (r) => r.stdout.trim() !== '') },
    check: (_ctx, { held }) => (held ? change(`${NETWORK_HOLDER} is still running`, null) : inSync()),
    apply: async (ctx) => {
      await ctx.$`docker rm -f ${NETWORK_HOLDER}`;
    },
  });
}
