// The SSH Connection: connect once, run every command through one framed shell (under sudo
// when `become`), read in concurrent batches, upload over SFTP into private directories,
// reconnect on demand. The only place that knows about SSH and sudo; everything it lets out
// is masked.
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { NodeSSH } from 'node-ssh';
import type { Client, ClientChannel } from 'ssh2';
import { batchCmd, parseBatch } from './batch.ts';
import { sh, type Cmd } from './command.ts';
import {
  BecomeError,
  ConnectionLostError,
  firstLine,
  RemoteCommandError,
  tail,
  UnreachableError,
  type Connection,
  type ExecResult,
  type LogFn,
  type ReadBatch,
  type RemoteUpload,
  type RunOptions,
} from './connection.ts';
import type { HostKeyPolicy } from './known-hosts.ts';
import type { SshEndpoint } from './ssh-config.ts';
import { connectThrough } from './ssh-connect.ts';
import type { Masker } from './mask.ts';
import { FramedShell, ShellClosedError, ShellTimeoutError } from './shell.ts';

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
  /** From ssh_config UserKnownHostsFile: all are read, a new key goes to the first. */
  knownHostsFiles?: string[];
  /** More key files to try after identityFile (ssh_config IdentityFile, -i in ansible_ssh_common_args). */
  identityFiles?: string[];
  /** ssh_config IdentitiesOnly: the agent offers only the named keys. */
  identitiesOnly?: boolean;
  /** PROVISION_SSH_KEY_PASSPHRASE from .env: opens an encrypted key file. */
  keyPassphrase?: string;
  /** ProxyJump hops, in the order they are crossed. */
  jumps?: SshEndpoint[];
}

const DEFAULT_TIMEOUT = 15 * 60_000;
const SHELL_START_TIMEOUT = 30_000;
const BASH = 'bash --noprofile --norc';

type Channel = NonNullable<NodeSSH['connection']>;

/** Opens the connection (exported for the session only; tasks never see this class). */
export async function openSshConnection(spec: ConnectionSpec, masker: Masker, log: LogFn): Promise<Connection> {
  const c = new SshConnection(spec, masker, log);
  await c.connect();
  return c;
}

class SshConnection implements Connection {
  private ssh = new NodeSSH();
  /** Clients of the ProxyJump hops, ended with the target's connection. */
  private jumps: Client[] = [];
  private shell: FramedShell | undefined;
  private opening: Promise<FramedShell> | undefined;
  private sudoMode: 'nopasswd' | 'password' | undefined;
  private rounds = 0;

  constructor(
    private readonly spec: ConnectionSpec,
    private readonly masker: Masker,
    private readonly log: LogFn,
  ) {
    if (spec.becomePassword) masker.addAlways(spec.becomePassword);
    if (spec.password) masker.add(spec.password);
    if (spec.keyPassphrase) masker.add(spec.keyPassphrase);
  }

  get name(): string {
    return this.spec.name;
  }

  get become(): boolean {
    return this.spec.become;
  }

  get roundTrips(): number {
    return this.rounds;
  }

  async connect(): Promise<void> {
    const s = this.spec;
    const files = [...(s.identityFile ? [s.identityFile] : []), ...(s.identityFiles ?? [])];
    this.jumps = await connectThrough(
      {
        name: s.name,
        target: {
          label: s.name,
          address: s.address,
          port: s.port,
          user: s.user,
          identityFiles: files,
          identitiesOnly: s.identitiesOnly ?? false,
          hostKeyChecking: s.hostKeyChecking ?? 'accept-new',
          ...(s.knownHostsFiles ? { knownHostsFiles: s.knownHostsFiles } : s.knownHostsFile ? { knownHostsFiles: [s.knownHostsFile] } : {}),
        },
        jumps: s.jumps ?? [],
        ...(s.identityFile ? { requiredKey: s.identityFile } : {}),
        ...(s.keyPassphrase !== undefined ? { keyPassphrase: s.keyPassphrase } : {}),
        ...(s.password !== undefined ? { password: s.password } : {}),
        timeoutMs: s.connectTimeoutMs ?? 15_000,
      },
      this.ssh,
      this.log,
      (t) => this.masker.mask(t),
    );
    this.rounds++;
  }

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
    for (const j of this.jumps.reverse()) j.end();
    this.jumps = [];
  }

  async run(cmd: Cmd, opts: RunOptions = {}): Promise<ExecResult> {
    this.masker.add(...cmd.secrets);
    const shown = this.masker.mask(cmd.toString());
    this.log(`$ ${firstLine(shown)}`);
    let res: ExecResult;
    try {
      res = await this.exec(cmd.text, opts.timeoutMs ?? DEFAULT_TIMEOUT);
    } catch (e) {
      if (e instanceof BecomeError || e instanceof UnreachableError) throw e;
      this.shell = undefined;
      if (e instanceof ShellClosedError || e instanceof ShellTimeoutError) {
        throw new ConnectionLostError(this.name, `the connection was lost while running: ${firstLine(shown)} (${this.masker.mask((e as Error).message)})`);
      }
      throw new RemoteCommandError(this.name, firstLine(shown), -1, this.masker.mask((e as Error).message), '');
    }
    res = { ...res, stderr: this.masker.mask(res.stderr) };
    if (!res.ok && !opts.nothrow) {
      // Errors and titles carry the first line; -v shows the whole (masked) script that failed.
      if (shown.includes('\n')) for (const l of shown.split('\n')) this.log(`  | ${l}`);
      throw new RemoteCommandError(this.name, firstLine(shown), res.exitCode, tail(res.stderr), this.masker.mask(tail(res.stdout, 5)));
    }
    return res;
  }

  async readMany(cmds: readonly Cmd[], gate?: Cmd): Promise<ReadBatch> {
    if (cmds.length === 0 && !gate) return { results: [] };
    const sep = `__provision_batch_${randomBytes(8).toString('hex')}`;
    const r = await this.run(batchCmd(cmds, sep, gate), { nothrow: true });
    const b = parseBatch(r.stdout, sep, cmds.length);
    const mask = (x: ExecResult) => ({ ...x, stderr: this.masker.mask(x.stderr) });
    return { ...(b.gate ? { gate: mask(b.gate) } : {}), results: b.results.map(mask) };
  }

  async upload(localPath: string): Promise<RemoteUpload> {
    // A private directory owned by the login user (SFTP writes as that user), so no other
    // user can swap the file before root reads it.
    const r = await this.run(sh`d=$(mktemp -d /tmp/provision-upload.XXXXXXXX)
chmod 0700 "$d"
if [ -n "\${SUDO_USER:-}" ]; then chown "$SUDO_USER" "$d"; fi
printf '%s' "$d"`);
    const dir = r.stdout.trim();
    const remove = async () => {
      await this.run(sh`rm -rf -- ${dir}`, { nothrow: true });
    };
    const path = `${dir}/${basename(localPath)}`;
    this.log(`put ${localPath} -> ${path}`);
    this.rounds++;
    try {
      await this.ssh.putFile(localPath, path);
    } catch (e) {
      await remove();
      throw new RemoteCommandError(this.name, `upload ${localPath} to ${path}`, -1, this.masker.mask((e as Error).message), '');
    }
    return { path, remove };
  }

  private async exec(script: string, timeoutMs: number): Promise<ExecResult> {
    if (this.shell?.isOpen) {
      this.rounds++;
      return this.shell.run(script, timeoutMs);
    }
    // No shell yet: open one and pipeline this command behind its start-up when that is safe.
    let first: { shell: FramedShell; result: Promise<ExecResult> } | undefined;
    this.opening ??= this.openShell((shell) => {
      this.rounds++;
      first = { shell, result: shell.runPipelined(script, timeoutMs) };
      first.result.catch(() => undefined);
    }).finally(() => {
      this.opening = undefined;
    });
    this.shell = await this.opening;
    // The pipelined command went to the shell that started (not to a passwordless try that sudo refused).
    if (first?.shell === this.shell) return first.result;
    this.rounds++;
    return this.shell.run(script, timeoutMs);
  }

  private channel(command: string): Promise<ClientChannel> {
    const conn: Channel | null = this.ssh.connection;
    if (!conn || !this.ssh.isConnected()) return Promise.reject(new ConnectionLostError(this.name, 'not connected'));
    this.rounds++;
    return new Promise((resolve, reject) => conn.exec(command, (err, ch) => (err ? reject(err) : resolve(ch))));
  }

  /** A shell as the login user, or root through sudo: passwordless first, then with the password. */
  private async openShell(pipeline: (s: FramedShell) => void): Promise<FramedShell> {
    if (!this.spec.become) return this.startPlain(`exec ${BASH}`, pipeline);
    if (this.sudoMode !== 'password') {
      try {
        // sudo -n never reads stdin, so the first command may follow the init script at once.
        const shell = await this.startPlain(`exec sudo -n -H -- ${BASH}`, pipeline);
        this.sudoMode = 'nopasswd';
        return shell;
      } catch (e) {
        if (!(e instanceof BecomeError) || this.sudoMode === 'nopasswd') throw e;
        if (!this.spec.becomePassword) {
          throw new BecomeError(
            `${e.message}. Allow passwordless sudo for ${this.spec.user}, or put PROVISION_BECOME_PASSWORD in .env (ansible_become_password is read too).`,
          );
        }
      }
    }
    const shell = await this.startWithPassword(this.spec.becomePassword ?? '');
    this.sudoMode = 'password';
    return shell;
  }

  private async startPlain(command: string, pipeline: (s: FramedShell) => void): Promise<FramedShell> {
    const shell = await this.newShell(command);
    shell.start();
    pipeline(shell);
    await this.awaitReady(shell);
    return shell;
  }

  /**
   * `sudo -k` ignores a cached credential, so sudo always asks. The password is written only
   * in answer to sudo's own prompt (a random string), and the init script only once bash has
   * said it runs: nothing written here can reach a root shell as a command.
   */
  private async startWithPassword(password: string): Promise<FramedShell> {
    const prompt = `provision-sudo-${randomBytes(8).toString('hex')}:`;
    const started = `provision-root-${randomBytes(8).toString('hex')}`;
    const shell = await this.newShell(`exec sudo -k -S -p ${prompt} -H -- ${BASH} -c ${`'printf "%s\\n" ${started} >&2; exec ${BASH}'`}`);
    await new Promise<void>((resolve, reject) => {
      let prompts = 0;
      const timer = setTimeout(() => reject(new BecomeError(`sudo on ${this.name} did not answer within ${SHELL_START_TIMEOUT / 1000} s`)), SHELL_START_TIMEOUT);
      const done = (e?: Error) => {
        clearTimeout(timer);
        if (e) {
          shell.close();
          reject(e);
        } else resolve();
      };
      shell.ready.catch((e: Error) => done(new BecomeError(`sudo failed for ${this.spec.user} on ${this.name}: ${this.masker.mask(e.message)}`)));
      shell.watchStderr((text) => {
        if (text.includes(started)) return done();
        const seen = text.split(prompt).length - 1;
        if (seen > prompts) {
          prompts = seen;
          if (prompts > 1) return done(new BecomeError(`sudo refused the become password for ${this.spec.user} on ${this.name} (PROVISION_BECOME_PASSWORD)`));
          shell.writeRaw(`${password}\n`);
        }
      });
    });
    shell.start();
    await this.awaitReady(shell);
    return shell;
  }

  private async newShell(command: string): Promise<FramedShell> {
    try {
      return new FramedShell(await this.channel(command), SHELL_START_TIMEOUT);
    } catch (e) {
      if (e instanceof UnreachableError) throw e;
      throw new UnreachableError(this.name, `cannot start a shell: ${this.masker.mask((e as Error).message)}`);
    }
  }

  private async awaitReady(shell: FramedShell): Promise<void> {
    try {
      await shell.ready;
    } catch (e) {
      const msg = this.masker.mask((e as Error).message);
      if (this.spec.become && e instanceof ShellClosedError) throw new BecomeError(`sudo failed for ${this.spec.user} on ${this.name}: ${msg}`);
      throw new UnreachableError(this.name, `cannot start a shell: ${msg}`);
    }
  }
}
