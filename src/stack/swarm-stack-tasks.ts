// One compose project as a swarm stack, from the swarm's leader: the generated stack file (0600:
// variables are filled in, secrets included) and the project files its configs and secrets are
// made from, in <stacks_dir>/swarm/<project> (apart from the compose-mode directory, so a host
// that ran the project with compose keeps its files); then the stack itself, deployed only where
// the services differ from what the file wants.
import { posix } from 'node:path';
import type { Task } from '../engine/types.ts';
import { directoriesTask, fileTask, probePathsRead } from '../ops/file.ts';
import { manifestTask, pruneTask } from '../ops/manifest.ts';
import { STACK_FILE, stackDeployTask } from '../ops/stack-deploy.ts';
import { projectFiles, type GeneratedFile } from './stack-tasks.ts';
import { generateStackFile, type StackFile } from './swarm-stack.ts';

/** The node label a service keeping data in a named volume is placed by (swarm_labels: {stores: 'true'}). */
export const STORES_LABEL = 'stores';

export interface SwarmStackSpec {
  project: string;
  filesDir: string;
  /** The stack's directory on the leader. */
  hostDir: string;
  generated?: Record<string, string | GeneratedFile>;
  /** The project's .env values (filled into the stack file). */
  env: Record<string, string>;
  endpointMode: 'vip' | 'dnsrr';
  publishMode: 'ingress' | 'host';
  nodeAgents?: readonly string[];
  /** More placement constraints, per service. */
  constraints?: Readonly<Record<string, readonly string[]>>;
  tags?: string[];
}

/** The stack file and the files it reads, as the leader's directory holds them. */
export function swarmStackOf(spec: SwarmStackSpec): { stack: StackFile; files: Map<string, GeneratedFile> } {
  const all = projectFiles(spec.filesDir, spec.generated);
  const compose = all.get('compose.yml')?.content;
  if (compose === undefined) throw new Error(`${spec.filesDir}: no compose.yml`);
  const stack = generateStackFile({ project: spec.project, compose, env: spec.env, files: all, endpointMode: spec.endpointMode, publishMode: spec.publishMode, nodeAgents: spec.nodeAgents, storesLabel: STORES_LABEL, constraints: spec.constraints });
  const files = new Map<string, GeneratedFile>([[STACK_FILE, { content: stack.text, mode: '0600', group: 'root', secret: true }]]);
  for (const o of stack.objects) {
    const f = all.get(o.rel)!;
    // Only the stack CLI (root) reads them here; what the container sees is set on the config.
    files.set(o.rel, { ...f, mode: f.secret || o.kind === 'secret' ? '0600' : '0644', owner: 'root', group: 'root', secret: f.secret || o.kind === 'secret' });
  }
  return { stack, files };
}

/** Tasks for the leader; the other nodes have nothing to do for a stack. */
export function swarmStackTasks(spec: SwarmStackSpec): Task[] {
  const { stack, files } = swarmStackOf(spec);
  const dirs = new Set<string>([posix.dirname(spec.hostDir), spec.hostDir]);
  for (const rel of files.keys()) {
    for (let d = posix.dirname(rel); d !== '.'; d = posix.dirname(d)) dirs.add(posix.join(spec.hostDir, d));
  }
  const probe = probePathsRead([...[...dirs].sort(), ...[...files.keys()].map((rel) => posix.join(spec.hostDir, rel))]);
  const name = `${spec.project} (swarm)`;
  const tags = spec.tags;
  return [
    directoriesTask(`${name}: directories`, [...dirs].sort().map((path) => ({ path, mode: path === spec.hostDir ? '0700' : '0755', owner: 'root', group: 'root' })), tags, probe),
    ...[...files].map(([rel, f]) =>
      fileTask(
        { path: posix.join(spec.hostDir, rel), content: f.content, mode: f.mode, owner: f.owner ?? 'root', group: f.group, ...(f.secret ? { sensitive: 'secret' as const } : {}) },
        { name: `${name}: ${rel}`, tags, probe },
      ),
    ),
    pruneTask(name, spec.hostDir, [...files.keys()], () => {}, tags),
    manifestTask(name, spec.hostDir, [...files.keys()], tags),
    stackDeployTask({ project: spec.project, dir: spec.hostDir, stack }, tags),
  ];
}
