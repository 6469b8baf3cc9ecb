// The shapes a role is written in. A task is reads + check + apply: check answers from what
// was read whether the host is as wanted, and hands what it found to apply, typed. Handlers run
// at the end of a role when a change notified them.
import type { Arg, Cmd } from '../remote/command.ts';
import type { ExecResult, RemoteUpload, RunOptions } from '../remote/connection.ts';
import type { Facts } from './facts.ts';
import type { Read } from './read.ts';
import type { SharedBoard } from './rendezvous.ts';

export type Vars = Record<string, unknown>;

export type Tagged = (strings: TemplateStringsArray, ...values: Arg[]) => Promise<ExecResult>;

/** What a task may do on its host. Tasks never see the connection, its settings or its masker. */
export interface TaskContext {
  /** Inventory name of the host. */
  readonly host: string;
  readonly facts: Facts;
  /** Check mode: apply never runs. */
  readonly checkMode: boolean;
  /** Commands run as root through sudo (a new group membership then needs no new session). */
  readonly become: boolean;
  run(cmd: Cmd, opts?: RunOptions): Promise<ExecResult>;
  /** zx style: await ctx.$`docker network create ${name}` (throws on failure). */
  $: Tagged;
  /** Never throws on a non-zero exit; `ok` tells. */
  probe: Tagged;
  /** A read's value: from the run's prefetch batch while nothing has changed on the host, else read now. */
  read<T>(r: Read<T>): Promise<T>;
  upload(localPath: string): Promise<RemoteUpload>;
  reconnect(): Promise<void>;
  notify(handler: string): void;
  /** A line for verbose output. */
  log(line: string): void;
  /** What a long task is doing now (shown under it in the tree, e.g. pull progress). */
  progress(text: string): void;
  /** A remark about the host as a whole, kept in the recap and the JSON report. */
  note(text: string): void;
  /** A secret learned on a host (a swarm join token): masked from now on in all this run says. */
  mask(secret: string): void;
  /** What the hosts of this run tell each other (src/engine/rendezvous.ts). */
  readonly shared: SharedBoard;
}

/** The host is as wanted. */
export interface InSync {
  changed: false;
  reason?: string;
}

/** The host differs; `data` is what check found, handed to apply. */
export interface Change<D> {
  changed: true;
  reason: string;
  diff?: string;
  data: D;
}

export type Verdict<D> = InSync | Change<D>;

export interface ApplyOutcome {
  /** Replaces check's reason (what was done rather than what differed). */
  reason?: string;
  diff?: string;
}

export type Reads = Record<string, Read<unknown>>;
export type ReadValues<R extends Reads> = { [K in keyof R]: R[K] extends Read<infer T> ? T : never };

/** A task as a role writes it (see defineTask). */
export interface TaskSpec<R extends Reads, D> {
  name: string;
  tags?: string[];
  /** Handlers to run at the end of the role when this task changed something. */
  notify?: string[];
  /** Return true to run, or a reason to skip. */
  when?: (ctx: TaskContext) => true | string;
  /** Read-only commands check needs, prefetched with every other task's at the start of the run. */
  reads?: R;
  /** Reads the host only (its reads' values, and more reads if needed); never changes it. */
  check: (ctx: TaskContext, found: ReadValues<R>) => Verdict<D> | Promise<Verdict<D>>;
  apply: (ctx: TaskContext, change: Change<D>) => Promise<ApplyOutcome | void>;
}

/** What check found, as the engine sees it: in sync, or a pending change with its apply step. */
export type Finding =
  | InSync
  | {
      changed: true;
      reason: string;
      diff?: string;
      /** False when the task has no check (then it is never reported ok, and skipped in check mode). */
      checked: boolean;
      apply(): Promise<ApplyOutcome | void>;
    };

/** A task as the engine runs it (defineTask erases the types of what it read and found). */
export interface Task {
  readonly name: string;
  readonly tags: readonly string[];
  readonly notify: readonly string[];
  readonly reads: readonly Read<unknown>[];
  when(ctx: TaskContext): true | string;
  check(ctx: TaskContext): Promise<Finding>;
}

export interface Handler {
  name: string;
  run: (ctx: TaskContext) => Promise<void | string>;
}

/** What a role builds its tasks from: everything known before any host is touched. */
export interface RoleInput<V extends Vars> {
  /** Defaults, inventory, play and role variables, merged. */
  vars: V;
  /** The secrets the role declared, resolved from .env or the environment. */
  secrets: Readonly<Record<string, string>>;
  /** files/<role> in the project: the static files the role copies. */
  files: string;
  /** Inventory name of the host. */
  host: string;
  /** Directory of the inventory file: paths the inventory gives (a registry's ca_file) are relative to it. */
  inventoryDir: string;
  /** The inventory's groups and their hosts, in inventory order (Ansible's `groups`). */
  groups?: ReadonlyMap<string, readonly string[]>;
}

// Method syntax on purpose: a role typed with its own vars is still a RoleModule<Vars>.
export interface RoleModule<V extends Vars = Vars> {
  name: string;
  description: string;
  /** JSON Schema properties of the variables this role reads (merged into the inventory schema). */
  varsSchema?: Record<string, object>;
  /** Defaults in code (shared ones), under roles/<name>/defaults.yml. */
  defaults?: Vars;
  /** Secret names this role needs (from .env or the environment). */
  secrets?(vars: V): string[];
  /** For secrets named by a variable: the inventory key that names each (e.g. registries[0].password_secret), for messages. */
  secretKeys?(vars: V): Record<string, string>;
  /** Values from the variables that must be masked like secrets (webhook URLs, SMTP passwords). */
  sensitive?(vars: V): string[];
  /** The ordered tasks for one host. Throws VarsError naming the inventory keys that are wrong. */
  tasks(input: RoleInput<V>): Task[];
  handlers?: Handler[];
  /** True when other hosts' runs wait for what this host's run publishes: it is started first. */
  startsFirst?(input: RoleInput<V>): boolean;
}

export function defineRole<V extends Vars>(role: RoleModule<V>): RoleModule<V> {
  return role;
}

/** Problems with a role's variables or secrets; each message names the key the user writes. */
export class VarsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/**
 * Runs every builder and returns their values; when any throws, throws one VarsError with the
 * messages of all that threw (so a user sees every problem of a role at once).
 */
export function buildAll<T extends unknown[]>(...builders: { [K in keyof T]: () => T[K] }): T {
  const problems: string[] = [];
  const out = builders.map((b) => {
    try {
      return b();
    } catch (e) {
      if (e instanceof VarsError) problems.push(...e.problems);
      else problems.push((e as Error).message);
      return undefined;
    }
  });
  if (problems.length) throw new VarsError(problems);
  return out as T;
}

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'would-change';

export interface TaskResult {
  role: string;
  name: string;
  status: TaskStatus;
  durationMs: number;
  /** When the task started, in ms since its host's run started (for timelines). */
  startMs?: number;
  kind?: 'task' | 'handler';
  reason?: string;
  diff?: string;
}

export interface HostResult {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
  durationMs: number;
  roundTrips: number;
  error?: string;
  /** What the run said about the host as a whole (lock waits, a lock taken over, pending handlers). */
  notes?: string[];
  /** The batch (1-based) the host ran in, or was to run in, when the run was cut into batches. */
  batch?: number;
  /** Set when the host was never started, with why (an earlier batch failed too much, an interrupt). */
  notRun?: string;
  tasks: TaskResult[];
}
