// Docker networks: created when missing; never removed or recreated behind the user's back.
import { sh, type Cmd } from '../remote/command.ts';
import type { Task } from '../engine/types.ts';

export interface NetworkSpec {
  name: string;
  driver: string;
}

export interface NetworkState {
  exists: boolean;
  driver?: string;
  containers?: number;
}

export function inspectNetworkCmd(name: string): Cmd {
  return sh`command -v docker >/dev/null || { echo no-docker; exit 0; }
docker network inspect --format '{{.Driver}} {{len .Containers}}' ${name} 2>/dev/null || echo missing`;
}

export function parseNetwork(stdout: string): NetworkState | 'no-docker' {
  const t = stdout.trim();
  if (t === 'no-docker') return 'no-docker';
  if (t === 'missing' || t === '') return { exists: false };
  const [driver, n] = t.split(' ');
  return { exists: true, driver, containers: Number(n ?? 0) };
}

export function networkTask(spec: NetworkSpec, tags?: string[]): Task {
  return {
    name: `docker network ${spec.name}`,
    tags,
    prefetch: [inspectNetworkCmd(spec.name)],
    check: async (ctx) => {
      const st = parseNetwork((await ctx.read(inspectNetworkCmd(spec.name))).stdout);
      if (st === 'no-docker') return { changed: true, reason: `would create ${spec.name} (docker is not installed yet)` };
      if (!st.exists) return { changed: true, reason: `network ${spec.name} is missing` };
      if (st.driver !== spec.driver) {
        const who = st.containers ? `; ${st.containers} container(s) attached` : '';
        return { changed: true, reason: `network ${spec.name} has driver ${st.driver}, wanted ${spec.driver}${who}`, data: { wrongDriver: true } };
      }
      return { changed: false, reason: `${spec.name} exists (${st.driver})` };
    },
    apply: async (ctx, found) => {
      if ((found.data as { wrongDriver?: boolean } | undefined)?.wrongDriver) {
        // Recreating would cut every attached container off; that is the user's call.
        throw new Error(`${found.reason}: remove it yourself (docker network rm ${spec.name}) if it may be recreated`);
      }
      await ctx.$`docker network create --driver ${spec.driver} ${spec.name}`;
      return { reason: `created network ${spec.name}` };
    },
  };
}
