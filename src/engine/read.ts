// A read: one read-only command and the pure function that turns its output into a value.
// Declared once, a read serves both the run's prefetch batch (every task's reads at once, in
// one round trip, together with the facts) and the task's check.
import { Cmd, sh } from '../remote/command.ts';
import type { ExecResult } from '../remote/connection.ts';

export interface Read<T> {
  readonly cmd: Cmd;
  /** The command uses docker: where docker is not installed it is not run (see isDockerMissing). */
  readonly needsDocker: boolean;
  parse(r: ExecResult): T;
}

/** What a docker read prints where docker is not installed (the engine handles that case). */
export const NO_DOCKER = '__provision_no_docker__';

export function read<T>(cmd: Cmd, parse: (r: ExecResult) => T): Read<T> {
  return { cmd, needsDocker: false, parse };
}

/** A read of docker state; where docker is not installed yet the task is handled by the engine. */
export function dockerRead<T>(cmd: Cmd, parse: (r: ExecResult) => T): Read<T> {
  return {
    cmd: new Cmd(`command -v docker >/dev/null 2>&1 || { echo ${NO_DOCKER}; exit 0; }\n${cmd.text}`, cmd.secrets, cmd.display),
    needsDocker: true,
    parse,
  };
}

export function isDockerMissing(r: ExecResult): boolean {
  return r.stdout.trim() === NO_DOCKER;
}

/** Lines of stdout, trimmed, without empty ones. */
export function lines(r: ExecResult): string[] {
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** A read whose value is the command's trimmed stdout (a probe that never fails the batch). */
export function textRead(cmd: Cmd): Read<string> {
  return read(cmd, (r) => r.stdout.trim());
}

/** `test`-style probe: true when the command exits 0. */
export function testRead(cmd: Cmd): Read<boolean> {
  return read(sh`if ${cmd}; then echo yes; else echo no; fi`, (r) => r.stdout.trim() === 'yes');
}
