// One compose project as tasks: its directories, every config file from files/<role>/ (plus
// generated ones), its .env (0600), then the project itself. The file tasks and the project
// task share one StackChanges, so the project reloads or restarts exactly the services that
// mount a changed file. All the stack's files are checked by one read.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import type { Task } from '../engine/types.ts';
import { composeModel, type ComposeModel } from '../ops/compose-model.ts';
import { composeTask, StackChanges } from '../ops/compose.ts';
import { directoriesTask, fileTask, probePathsRead } from '../ops/file.ts';
import { manifestTask, pruneTask } from '../ops/manifest.ts';
import { memoByValue } from './memo.ts';
import { parse as parseDotenv } from 'dotenv';
import { pullTask } from '../ops/image-pull.ts';
import type { RegistryEntry } from '../ops/registry-login.ts';

/** A generated file that needs other than 0644 root:root (e.g. readable only by the container's uid). */
export interface GeneratedFile {
  content: string;
  mode: string;
  group: string;
  owner?: string;
  /** A secret (compose secret file): its content never shows in a diff. */
  secret?: boolean;
}

export interface StackSpec {
  project: string;
  /** Local directory mirrored to the host (files/<role>). */
  filesDir: string;
  /** Host directory, e.g. /opt/stacks/infra. */
  hostDir: string;
  /** Generated files, relative path → content (override static files of the same path). */
  generated?: Record<string, string | GeneratedFile>;
  /** The project's .env text (images, domain, secrets). */
  env: string;
  /** Containers not made by this tool that may be removed to make way (inventory: replace_containers). */
  replaceContainers?: readonly string[];
  /** The host's registries entries (named in pull errors). */
  registries?: readonly RegistryEntry[];
  tags?: string[];
  /** Only these static files (or directories) of filesDir are shipped, besides the generated ones. */
  only?: readonly string[];
  /** Tasks run just before and just after the project task (after the pull and the files). */
  aroundUp?: { before: Task[]; after: Task[] };
}

/**
 * The images the project's active services run: each service's `image:` with its .env variable
 * filled in, for the services whose profiles COMPOSE_PROFILES selects (or that have none).
 */
export function projectImages(model: ComposeModel, envText: string): string[] {
  const env = parseDotenv(envText);
  const profiles = new Set((env.COMPOSE_PROFILES ?? '').split(',').map((p) => p.trim()).filter(Boolean));
  const out: string[] = [];
  for (const s of model.services.values()) {
    if (s.profiles.length && !s.profiles.some((p) => profiles.has(p))) continue;
    if (!s.image) continue;
    const image = s.image.replace(/\$\{(\w+)(?::?[-?][^}]*)?\}/g, (_m, name: string) => env[name] ?? '');
    if (image && !out.includes(image)) out.push(image);
  }
  return out;
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

// Read once per process: a run over many hosts builds each host's tasks from the same files.
const staticFiles = new Map<string, ReadonlyMap<string, string>>();
function readStatic(dir: string): ReadonlyMap<string, string> {
  let files = staticFiles.get(dir);
  if (!files) {
    files = new Map(listFiles(dir).map((rel) => [rel, readFileSync(join(dir, rel), 'utf8')]));
    staticFiles.set(dir, files);
  }
  return files;
}

const models = new Map<string, ComposeModel>();
function modelOf(compose: string, project: string): ComposeModel {
  const key = `${project}\0${compose}`;
  let m = models.get(key);
  if (!m) {
    m = composeModel(compose, project);
    models.set(key, m);
  }
  return m;
}

// Reads are immutable: hosts with the same paths share one.
const probeOf = memoByValue((paths: string[]) => probePathsRead(paths));

/** A project's files: the static ones of files/<role>/, with the generated ones over them. */
export function projectFiles(filesDir: string, generated: Record<string, string | GeneratedFile> = {}, only?: readonly string[]): Map<string, GeneratedFile> {
  const files = new Map<string, GeneratedFile>();
  const plain = (content: string): GeneratedFile => ({ content, mode: '0644', group: 'root' });
  const wanted = (rel: string) => !only || only.some((o) => rel === o || rel.startsWith(`${o}/`));
  for (const [rel, content] of readStatic(filesDir)) if (wanted(rel)) files.set(rel, plain(content));
  for (const [rel, g] of Object.entries(generated)) files.set(rel, typeof g === 'string' ? plain(g) : g);
  return files;
}

export function stackTasks(spec: StackSpec): Task[] {
  const files = projectFiles(spec.filesDir, spec.generated, spec.only);
  const compose = files.get('compose.yml')?.content;
  if (compose === undefined) throw new Error(`${spec.filesDir}: no compose.yml`);
  // Compose labels env_file containers with a hash `config --hash` does not reproduce (see compose-model.ts).
  if (/^\s+env_file\s*:/m.test(compose)) throw new Error(`${spec.filesDir}/compose.yml: env_file is not supported; use environment: with values from the project's .env`);

  const dirs = new Set<string>([spec.hostDir]);
  for (const rel of files.keys()) {
    for (let d = posix.dirname(rel); d !== '.'; d = posix.dirname(d)) dirs.add(posix.join(spec.hostDir, d));
  }
  const envPath = posix.join(spec.hostDir, '.env');
  const probe = probeOf([...[...dirs].sort(), ...[...files.keys()].map((rel) => posix.join(spec.hostDir, rel)), envPath]);
  const changes = new StackChanges();
  const tags = spec.tags;
  const model = () => modelOf(compose, spec.project);
  return [
    // First: a pull that fails leaves the deployed project as it was.
    pullTask(spec.project, () => projectImages(model(), spec.env), spec.registries ?? [], tags),
    directoriesTask(`${spec.project}: directories`, [...dirs].sort().map((path) => ({ path, mode: '0755', owner: 'root', group: 'root' })), tags, probe),
    ...[...files].map(([rel, f]) =>
      fileTask(
        { path: posix.join(spec.hostDir, rel), content: f.content, mode: f.mode, owner: f.owner ?? 'root', group: f.group, ...(f.secret ? { sensitive: 'secret' as const } : {}) },
        { name: `${spec.project}: ${rel}`, tags, probe, onChanged: () => changes.record(rel) },
      ),
    ),
    fileTask(
      { path: envPath, content: spec.env, mode: '0600', owner: 'root', group: 'root', sensitive: 'dotenv' },
      { name: `${spec.project}: .env (secrets, 0600)`, tags, probe, onChanged: () => changes.record('.env') },
    ),
    // What an earlier run wrote and this one no longer ships goes, and the services mounting it
    // are reloaded or restarted as for a change.
    pruneTask(spec.project, spec.hostDir, [...files.keys()], (rel) => changes.record(rel), tags),
    manifestTask(spec.project, spec.hostDir, [...files.keys()], tags),
    ...(spec.aroundUp?.before ?? []),
    composeTask(
      {
        project: spec.project,
        dir: spec.hostDir,
        // Parsed when first needed: validating many hosts never parses it.
        get model() {
          return modelOf(compose, spec.project);
        },
        wanted: { compose, env: spec.env },
        changes,
        replaceContainers: spec.replaceContainers ?? [],
      },
      tags,
    ),
    ...(spec.aroundUp?.after ?? []),
  ];
}
