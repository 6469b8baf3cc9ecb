// A Connection without SSH for unit tests: answers commands from recorded outputs (first
// response whose `match` fits the command text) and records every command it was asked to run,
// so a test says "these outputs in, these commands out".
import { basename } from 'node:path';
import type { Cmd } from '../../src/remote/command.ts';
import { ConnectionLostError, RemoteCommandError, type Connection, type ExecResult, type ReadBatch, type RemoteUpload, type RunOptions } from '../../src/remote/connection.ts';
import { FACTS, type Facts } from '../../src/engine/facts.ts';
import { NO_DOCKER } from '../../src/engine/read.ts';

export interface FakeResponse {
  /** Substring of, or pattern for, the command text. */
  match: string | RegExp;
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  /** Answer this way this many times, then fall through to later responses. */
  times?: number;
  /** The connection drops instead of answering (a ConnectionLostError). */
  drop?: boolean;
}

export const DEBIAN13: Facts = {
  hostname: 'vm1',
  os: { id: 'debian', versionId: '13', codename: 'trixie', idLike: [], prettyName: 'Debian GNU/Linux 13 (trixie)' },
  arch: 'amd64',
  kernel: '6.1.0',
  loginUser: 'deploy',
  systemd: true,
  memoryMb: 4096,
  cpus: 2,
};

/** The facts command's output for `facts` (what the host would print). */
export function factsOutput(f: Facts): string {
  return [
    `os_id=${f.os.id}`,
    `os_version_id=${f.os.versionId}`,
    `os_codename=${f.os.codename}`,
    `os_id_like=${f.os.idLike.join(' ')}`,
    `os_pretty=${f.os.prettyName}`,
    `hostname=${f.hostname}`,
    `arch=${f.arch}`,
    `kernel=${f.kernel}`,
    `login_user=${f.loginUser}`,
    `systemd=${f.systemd ? 1 : 0}`,
    `mem_kb=${f.memoryMb * 1024}`,
    `cpus=${f.cpus}`,
  ].join('\n');
}

export interface FakeOptions {
  name?: string;
  become?: boolean;
  facts?: Facts;
  /** false: every docker read answers "docker is not installed". */
  docker?: boolean;
}

export class FakeConnection implements Connection {
  readonly name: string;
  readonly become: boolean;
  roundTrips = 0;
  /** Commands run one by one (ctx.run, live reads), in order; uploads as "upload <file>". */
  readonly commands: string[] = [];
  /** Commands answered in read batches. */
  readonly batched: string[] = [];
  /** Gates of read batches (the host lock). */
  readonly gates: string[] = [];
  reconnects = 0;
  closed = false;
  private readonly facts: Facts;
  private readonly docker: boolean;

  constructor(
    private readonly responses: FakeResponse[] = [],
    opts: FakeOptions = {},
  ) {
    this.name = opts.name ?? 'vm1';
    this.become = opts.become ?? true;
    this.facts = opts.facts ?? DEBIAN13;
    this.docker = opts.docker ?? true;
  }

  private answer(text: string): ExecResult {
    if (text === FACTS.cmd.text) return { ok: true, exitCode: 0, stdout: factsOutput(this.facts), stderr: '', durationMs: 0 };
    if (!this.docker && text.startsWith('command -v docker >/dev/null 2>&1 ||')) return { ok: true, exitCode: 0, stdout: `${NO_DOCKER}\n`, stderr: '', durationMs: 0 };
    const r = this.responses.find((x) => (x.times ?? 1) > 0 && (typeof x.match === 'string' ? text.includes(x.match) : x.match.test(text)));
    if (!r) return { ok: true, exitCode: 0, stdout: '', stderr: '', durationMs: 0 };
    if (r.times !== undefined) r.times--;
    if (r.drop) throw new ConnectionLostError(this.name, 'the connection was lost (fake)');
    const exitCode = r.exitCode ?? 0;
    return { ok: exitCode === 0, exitCode, stdout: r.stdout ?? '', stderr: r.stderr ?? '', durationMs: 0 };
  }

  async run(cmd: Cmd, opts: RunOptions = {}): Promise<ExecResult> {
    this.roundTrips++;
    this.commands.push(cmd.text);
    const r = this.answer(cmd.text);
    if (!r.ok && !opts.nothrow) throw new RemoteCommandError(this.name, cmd.toString().split('\n')[0] ?? '', r.exitCode, r.stderr, r.stdout);
    return r;
  }

  async readMany(cmds: readonly Cmd[], gate?: Cmd): Promise<ReadBatch> {
    this.roundTrips++;
    const g = gate ? this.answer(gate.text) : undefined;
    if (gate) this.gates.push(gate.text);
    if (g && !g.ok) return { gate: g, results: cmds.map(() => ({ ok: false, exitCode: -1, stdout: '', stderr: 'not run', durationMs: 0 })) };
    const results = cmds.map((c) => {
      this.batched.push(c.text);
      return this.answer(c.text);
    });
    return g ? { gate: g, results } : { results };
  }

  async upload(localPath: string): Promise<RemoteUpload> {
    this.commands.push(`upload ${basename(localPath)}`);
    return {
      path: `/tmp/provision-upload.fake/${basename(localPath)}`,
      remove: async () => void this.commands.push('remove upload'),
    };
  }

  async reconnect(): Promise<void> {
    this.reconnects++;
    this.commands.push('reconnect');
  }

  close(): void {
    this.closed = true;
  }
}
