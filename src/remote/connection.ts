// The seam between the engine and a host: what a host run may do to the machine it provisions.
// The SSH implementation (ssh.ts) is the only real one; tests use a fake. Everything a
// Connection lets out (errors, stderr) is already masked.
import type { Cmd } from './command.ts';

export interface ExecResult {
  ok: boolean;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  /** Return a failed result instead of throwing (probes: "is it there?"). */
  nothrow?: boolean;
  /** The command is ended on the host after this long (default 15 minutes). */
  timeoutMs?: number;
}

export interface ReadBatch {
  /** The gate's result, when there was a gate. */
  gate?: ExecResult;
  results: ExecResult[];
}

/** A file uploaded into a private directory on the host; `remove` deletes the directory. */
export interface RemoteUpload {
  path: string;
  remove(): Promise<void>;
}

export interface Connection {
  /** Inventory name of the host. */
  readonly name: string;
  /** Commands run as root (sudo) rather than as the login user. */
  readonly become: boolean;
  /** Round trips made so far, for the recap and the benchmark. */
  readonly roundTrips: number;
  /** Runs one bash script (set -euo pipefail); throws RemoteCommandError on failure unless nothrow. */
  run(cmd: Cmd, opts?: RunOptions): Promise<ExecResult>;
  /**
   * Runs read-only commands concurrently in one round trip; one result per command, never throws
   * for a command's failure. A gate runs first, alone; when it fails, nothing else runs.
   */
  readMany(cmds: readonly Cmd[], gate?: Cmd): Promise<ReadBatch>;
  /** Copies a local file into a new private directory (0700) on the host. */
  upload(localPath: string): Promise<RemoteUpload>;
  /** A new SSH session (group membership is read at login). */
  reconnect(): Promise<void>;
  close(): void;
}

/** The host could not be reached, or the connection was lost and could not be made again. */
export class UnreachableError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
  }
}

/** The connection dropped while a command ran: the session may reconnect and retry the task once. */
export class ConnectionLostError extends UnreachableError {}

/** sudo did not work: a configuration problem of the host, not a network one. */
export class BecomeError extends Error {}

export class RemoteCommandError extends Error {
  constructor(
    readonly host: string,
    /** First line of the command (masked); the whole script only in verbose logs. */
    readonly command: string,
    readonly exitCode: number,
    readonly stderrTail: string,
    readonly stdoutTail: string,
  ) {
    const detail = stderrTail.trim() || stdoutTail.trim();
    super(`command failed on ${host} (exit ${exitCode}): ${command}${detail ? `\n${detail}` : ''}`);
  }
}

export type LogFn = (line: string) => void;

/** The first line of a (masked) script, with a count of the rest: what errors and titles show. */
export function firstLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim());
  return `${(lines[0] ?? '').trim()}${lines.length > 1 ? ` … (+${lines.length - 1} lines)` : ''}`;
}

export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
