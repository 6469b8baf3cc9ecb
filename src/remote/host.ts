// The SSH connection to one host: connect once, run every command through one framed shell
// (under sudo when `become`), upload files over SFTP, reconnect on demand. The only place that
// knows about SSH and sudo; everything it lets out is masked.
import { readFile } from 'node:fs/promises';
import { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import { Cmd, sh, type Arg } from './command.ts';
import { Masker } from './mask.ts';
import { FramedShell, ShellClosedError, type ExecResult } from './shell.ts';
import { hostName, knownHostsFile, verifyHostKey, type HostKeyPolicy, type Verdict } from './known-hosts.ts';

export interface ConnectionSpec {
  name: string;
  address: string;
  port: number;
  user: string;
  identityFile?: string;
  password?: string;
  become: boolean;
  becomePassword?: string;
  connectTimeoutMs?: number;
  hostKeyChecking?: HostKeyPolicy;
  /** Default: $PROVISION_KNOWN_HOSTS or ~/.ssh/known_hosts. */
  knownHostsFile?: string;
}

export interface RunOptions {
  /** Return a failed result instead of throwing (probes: "is it there?"). */
  nothrow?: boolean;
  timeoutMs?: number;
}

export class UnreachableError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
  }
}

/** sudo did not work: a configuration problem of the host, not a network one. */
export class BecomeError extends Error {}

export class RemoteCommandError extends Error {
  constructor(
    readonly host: string,
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

const DEFAULT_TIMEOUT = 15 * 60_000;

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export class RemoteHost {
  private ssh = new NodeSSH();
  private shell: FramedShell | undefined;
  private opening: Promise<FramedShell> | undefined;
  private sudoMode: 'nopasswd' | 'password' | undefined;
  /** Round trips made, for the recap and the benchmark. */
  roundTrips = 0;

  constructor(
    readonly spec: ConnectionSpec,
    readonly masker: Masker,
    private readonly log: LogFn = () => {},
  ) {
    if (spec.becomePassword) masker.add(spec.becomePassword);
    if (spec.password) masker.add(spec.password);
  }

  get name(): string {
    return this.spec.name;
  }

  async connect(): Promise<void> {
    const s = this.spec;
    const where = `${s.user}@${s.address}:${s.port}`;
    let privateKey: string | undefined;
    if (s.identityFile) {
      try {
        privateKey = await readFile(s.identityFile, 'utf8');
      } catch (e) {
        throw new UnreachableError(s.name, `cannot read SSH key ${s.identityFile}: ${(e as Error).message}`);
      }
    }
    let refused: Verdict | undefined;
    const policy = s.hostKeyChecking ?? 'accept-new';
    const file = s.knownHostsFile ?? knownHostsFile();
    try {
      await this.ssh.connect({
        hostVerifier: (key: Buffer) => {
          const v = verifyHostKey(policy, file, hostName(s.address, s.port), key);
          if (!v.ok) refused = v;
          else if (v.message) this.log(v.message);
          return v.ok;
        },
        host: s.address,
        port: s.port,
        username: s.user,
        privateKey,
        password: s.password,
        agent: privateKey || s.password ? undefined : process.env.SSH_AUTH_SOCK,
        readyTimeout: s.connectTimeoutMs ?? 15_000,
        keepaliveInterval: 15_000,
      });
      this.roundTrips++;
    } catch (e) {
      if (refused) throw new UnreachableError(s.name, `refused to connect to ${where}: ${refused.message}`);
      throw new UnreachableError(s.name, `cannot connect to ${where}: ${this.masker.mask((e as Error).message)}`);
    }
  }

  /** New SSH session: needed after the login user joins a group (e.g. docker). */
  async reconnect(): Promise<void> {
    this.close();
    this.ssh = new NodeSSH();
    await this.connect();
  }

  close(): void {
    this.shell?.close();
    this.shell = undefined;
    this.opening = undefined;
    this.ssh.dispose();
  }

  /** Runs a built command; throws RemoteCommandError on a non-zero exit unless nothrow. */
  async run(cmd: Cmd, opts: RunOptions = {}): Promise<ExecResult> {
    this.masker.add(...cmd.secrets);
    const shown = this.masker.mask(cmd.toString());
    const lines = shown.split('\n').filter((l) => l.trim());
    this.log(`$ ${lines[0] ?? ''}${lines.length > 1 ? ` … (+${lines.length - 1} lines)` : ''}`);
    let res: ExecResult;
    try {
      const shell = await this.getShell();
      this.roundTrips++;
      res = await shell.run(cmd.text, opts.timeoutMs ?? DEFAULT_TIMEOUT);
    } catch (e) {
      if (e instanceof BecomeError || e instanceof UnreachableError) throw e;
      this.shell = undefined;
      throw new RemoteCommandError(this.name, shown, -1, this.masker.mask((e as Error).message), '');
    }
    res = { ...res, stdout: res.stdout, stderr: this.masker.mask(res.stderr) };
    if (!res.ok && !opts.nothrow) {
      throw new RemoteCommandError(this.name, shown, res.exitCode, tail(res.stderr), this.masker.mask(tail(res.stdout, 5)));
    }
    return res;
  }

  /** zx style: await host.$`docker network create ${name}` (throws on failure). */
  $ = (strings: TemplateStringsArray, ...values: Arg[]): Promise<ExecResult> => this.run(sh(strings, ...values));

  /** A probe: never throws on a non-zero exit; `ok` tells. */
  probe = (strings: TemplateStringsArray, ...values: Arg[]): Promise<ExecResult> =>
    this.run(sh(strings, ...values), { nothrow: true });

  /** Uploads a local file to a path the login user can write (then move it with sudo). */
  async putFile(localPath: string, remotePath: string): Promise<void> {
    this.log(`put ${localPath} -> ${remotePath}`);
    this.roundTrips++;
    try {
      await this.ssh.putFile(localPath, remotePath);
    } catch (e) {
      throw new RemoteCommandError(this.name, `upload ${localPath} to ${remotePath}`, -1, (e as Error).message, '');
    }
  }

  private async getShell(): Promise<FramedShell> {
    if (this.shell?.isOpen) return this.shell;
    this.opening ??= this.openShell().finally(() => {
      this.opening = undefined;
    });
    this.shell = await this.opening;
    return this.shell;
  }

  private async openShell(): Promise<FramedShell> {
    const conn = this.ssh.connection;
    if (!conn || !this.ssh.isConnected()) throw new UnreachableError(this.name, 'not connected');
    // Passwordless sudo is tried first (no extra round trip); only if it refuses is the
    // password path checked, once.
    if (this.spec.become && this.sudoMode === undefined) {
      try {
        const shell = await this.startShell(conn, 'exec sudo -n -H -- bash --noprofile --norc', false);
        this.sudoMode = 'nopasswd';
        return shell;
      } catch (e) {
        if (!(e instanceof BecomeError)) throw e;
        this.sudoMode = await this.detectSudo();
      }
    }
    const command = !this.spec.become
      ? 'exec bash --noprofile --norc'
      : this.sudoMode === 'nopasswd'
        ? 'exec sudo -n -H -- bash --noprofile --norc'
        : "exec sudo -S -p '' -H -- bash --noprofile --norc";
    return this.startShell(conn, command, this.sudoMode === 'password');
  }

  private async startShell(conn: NonNullable<NodeSSH['connection']>, command: string, sendPassword: boolean): Promise<FramedShell> {
    const exec = () =>
      new Promise<ClientChannel>((resolve, reject) => {
        conn.exec(command, (err, ch) => {
          if (err) return reject(err);
          if (sendPassword) ch.write(`${this.spec.becomePassword}\n`);
          resolve(ch);
        });
      });
    this.roundTrips++;
    try {
      return await FramedShell.open(exec, 30_000);
    } catch (e) {
      const msg = this.masker.mask((e as Error).message);
      if (this.spec.become && e instanceof ShellClosedError) {
        throw new BecomeError(`sudo failed for ${this.spec.user} on ${this.name}: ${msg}`);
      }
      throw new UnreachableError(this.name, `cannot start a shell: ${msg}`);
    }
  }

  /** Passwordless sudo, or a password from the secrets; anything else is a clear error. */
  private async detectSudo(): Promise<'nopasswd' | 'password'> {
    this.roundTrips++;
    const r = await this.ssh.execCommand('sudo -n true');
    if (r.code === 0) return 'nopasswd';
    if (!this.spec.becomePassword) {
      throw new BecomeError(
        `become (sudo) failed for ${this.spec.user} on ${this.name}: ${r.stderr.trim() || `exit ${r.code}`}. ` +
          'Allow passwordless sudo for this user, or put PROVISION_BECOME_PASSWORD in .env ' +
          '(ansible_become_password is read too).',
      );
    }
    this.roundTrips++;
    const check = await this.ssh.execCommand(`sudo -S -p '' true`, { stdin: `${this.spec.becomePassword}\n` });
    if (check.code !== 0) {
      throw new BecomeError(
        `become (sudo) failed for ${this.spec.user} on ${this.name}: the become password was refused ` +
          `(${this.masker.mask(check.stderr.trim()) || `exit ${check.code}`})`,
      );
    }
    return 'password';
  }
}

