// Docker networks: created when missing; never removed or recreated behind the user's back.
import { sh } from '../remote/command.ts';
import { dockerRead, type Read } from '../engine/read.ts';
import { defineTask, differs, inSync } from '../engine/task.ts';
import type { Task } from '../engine/types.ts';

export interface NetworkSpec {
  name: string;
  driver: string;
}

/** Pure: every network's driver from `docker network ls --format '{{.Name}} {{.Driver}}'`. */
export function parseNetworks(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [name, driver] = line.trim().split(' ');
    if (name && driver) out.set(name, driver);
  }
  return out;
}

/** Every network on the host: one listing shared by all network tasks. */
export const networksRead: Read<Map<string, string>> = dockerRead(sh`docker network ls --format '{{.Name}} {{.Driver}}'`, (r) => parseNetworks(r.stdout));

export function networkTask(spec: NetworkSpec, tags?: string[]): Task {
  return defineTask({
    name: `docker network ${spec.name}`,
    tags,
    reads: { networks: networksRead },
    check: async (ctx, { networks }) => {
      const driver = networks.get(spec.name);
      if (driver === undefined) return differs(`network ${spec.name} is missing`);
      if (driver !== spec.driver) {
        // Recreating would cut every attached container off; that is the user's call.
        const n = (await ctx.run(sh`docker network inspect --format '{{len .Containers}}' ${spec.name}`, { nothrow: true })).stdout.trim();
        const who = n && n !== '0' ? `; ${n} container(s) attached` : '';
        throw new Error(`network ${spec.name} has driver ${driver}, wanted ${spec.driver}${who}: remove it yourself (docker network rm ${spec.name}) if it may be recreated`);
      }
      return inSync(`${spec.name} exists (${driver})`);
    },
    apply: async (ctx) => {
      await ctx.$`docker network create --driver ${spec.driver} ${spec.name}`;
      return { reason: `created network ${spec.name}` };
    },
  });
}
