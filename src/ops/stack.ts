// One compose project as tasks: its directories, every config file from files/<role>/ (plus
// generated ones), its .env (0600), then the project itself. File tasks tell the project task
// which paths changed so it can reload or restart exactly the services mounting them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import type { Task, TaskContext } from '../engine/types.ts';
import { composeModel } from './compose-model.ts';
import { composeTask, recordChanged } from './compose.ts';
import { directoriesTask, fileTask } from './file.ts';

/** A generated file that needs other than 0644 root:root (e.g. readable only by the container's uid). */
export interface GeneratedFile {
  content: string;
  mode: string;
  group: string;
}

export interface StackSpec {
  project: string;
  /** Local directory mirrored to the host (files/<role>). */
  filesDir: string;
  /** Host directory, e.g. /opt/stacks/infra. */
  hostDir: string;
  /** Generated files, relative path → content (override static files of the same path). */
  generated?: Record<string, string | GeneratedFile>;
  /** The project's .env text (images, domain, secrets); built at run time, when secrets are known. */
  env: (ctx: TaskContext) => string;
  tags?: string[];
}

/** Every file below `dir`, as posix paths relative to it (README.md and dotfiles skipped). */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.')) continue;
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name !== 'README.md') out.push(relative(dir, full).split('\\').join('/'));
    }
  };
  walk(dir);
  return out;
}

export function stackTasks(spec: StackSpec): Task[] {
  const files = new Map<string, GeneratedFile>();
  const plain = (content: string): GeneratedFile => ({ content, mode: '0644', group: 'root' });
  for (const rel of listFiles(spec.filesDir)) files.set(rel, plain(readFileSync(join(spec.filesDir, rel), 'utf8')));
  for (const [rel, g] of Object.entries(spec.generated ?? {})) files.set(rel, typeof g === 'string' ? plain(g) : g);
  const compose = files.get('compose.yml')?.content;
  if (compose === undefined) throw new Error(`${spec.filesDir}: no compose.yml`);

  const dirs = new Set<string>([spec.hostDir]);
  for (const rel of files.keys()) {
    for (let d = posix.dirname(rel); d !== '.'; d = posix.dirname(d)) dirs.add(posix.join(spec.hostDir, d));
  }
  const tags = spec.tags;
  return [
    directoriesTask(`${spec.project}: directories`, [...dirs].sort().map((path) => ({ path, mode: '0755', owner: 'root', group: 'root' })), tags),
    ...[...files].map(([rel, f]) =>
      fileTask(
        { path: posix.join(spec.hostDir, rel), content: f.content, mode: f.mode, owner: 'root', group: f.group },
        { name: `${spec.project}: ${rel}`, tags, onChanged: (ctx) => recordChanged(ctx, spec.project, rel) },
      ),
    ),
    fileTask(
      (ctx) => ({ path: posix.join(spec.hostDir, '.env'), content: spec.env(ctx), mode: '0600', owner: 'root', group: 'root', sensitive: true }),
      { name: `${spec.project}: .env (secrets, 0600)`, path: posix.join(spec.hostDir, '.env'), tags, onChanged: (ctx) => recordChanged(ctx, spec.project, '.env') },
    ),
    composeTask({ project: spec.project, dir: spec.hostDir, model: composeModel(compose, spec.project), wanted: (ctx) => ({ compose, env: spec.env(ctx) }) }, tags),
  ];
}

/** Variables every stack role reads (declared identically by each). */
export const STACK_VARS_SCHEMA: Record<string, object> = {
  stacks_dir: { type: 'string', pattern: '^/' },
  domain: { type: 'string', minLength: 1 },
  images: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
};

export interface StackVars extends Record<string, unknown> {
  stacks_dir: string;
  domain: string;
  images: Record<string, string>;
}

/** Runs each builder and collects the messages of those that throw (for role validate()). */
export function collectProblems(...builders: (() => unknown)[]): string[] {
  const problems: string[] = [];
  for (const b of builders) {
    try {
      b();
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return problems;
}
