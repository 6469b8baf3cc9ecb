// The shapes a role is written in: a task is check + apply; handlers run at the end of a role.
import type { Arg, Cmd } from '../remote/command.ts';
import type { RemoteHost } from '../remote/host.ts';
import type { ExecResult } from '../remote/shell.ts';
import type { Facts } from './facts.ts';

export type Vars = Record<string, unknown>;

/** What check found: in sync (with an optional reason why), or what would change. */
export type CheckResult =
  | { changed: false; reason?: string }
  | {
      changed: true;
      reason: string;
      diff?: string;
      /** What check read, handed to apply (which runs right after, on the same host) so it
       * need not read the host again or parse the reason text. */
      data?: unknown;
    };

export type Tagged = (strings: TemplateStringsArray, ...values: Arg[]) => Promise<ExecResult>;

export interface TaskContext {
  host: RemoteHost;
  facts: Facts;
  vars: Vars;
  /** Check mode: apply never runs. */
  checkMode: boolean;
  /** Repo paths for this role. */
  roleDir: string;
  filesDir: string;
  /** Secrets by name (declared by the role), values already registered for masking. */
  secrets: Record<string, string>;
  $: Tagged;
  probe: Tagged;
  /** A read-only command whose answer may come from the run's prefetch batch (see Task.prefetch). */
  read(cmd: Cmd): Promise<ExecResult>;
  /** Scratch space shared by the tasks of one host run (e.g. which config files changed). */
  state: Map<string, unknown>;
  notify(handler: string): void;
  log(line: string): void;
}

export interface Task {
  name: string;
  tags?: string[];
  /** Return true to run, or a reason to skip. */
  when?: (ctx: TaskContext) => true | string;
  /** Read-only commands check() will pass to ctx.read(): run for all tasks at once, up front. */
  prefetch?: Cmd[] | ((facts: Facts) => Cmd[]);
  /** Reads the host only. Without it the task cannot be checked and says so. */
  check?: (ctx: TaskContext) => Promise<CheckResult>;
  /** Makes the change; may refine the reason/diff reported. */
  apply: (ctx: TaskContext, found: Extract<CheckResult, { changed: true }>) => Promise<void | ApplyOutcome>;
  notify?: string[];
}

export interface ApplyOutcome {
  reason?: string;
  diff?: string;
}

export interface Handler {
  name: string;
  run: (ctx: TaskContext) => Promise<void | string>;
}

// Method syntax on purpose: a role typed with its own vars is still a RoleModule<Vars>.
export interface RoleModule<V extends Vars = Vars> {
  name: string;
  description: string;
  /** Secret names this role needs (from .env or the environment). */
  secrets?(vars: V): string[];
  /** JSON Schema properties of the variables this role reads (merged into the inventory schema). */
  varsSchema?: Record<string, object>;
  /** Checks on variables and secrets that JSON Schema cannot express; each message names what is wrong. */
  validate?(vars: V, secrets: Record<string, string>): string[];
  /** The ordered task list for one host's variables (closures may use `vars`). */
  tasks(vars: V): Task[];
  handlers?: Handler[];
}

export function defineRole<V extends Vars>(role: RoleModule<V>): RoleModule<V> {
  return role;
}

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'would-change';

export interface TaskResult {
  role: string;
  name: string;
  status: TaskStatus;
  durationMs: number;
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
  tasks: TaskResult[];
}
