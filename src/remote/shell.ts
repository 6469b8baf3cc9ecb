// One long-lived bash on the host (under sudo when becoming root), fed scripts on stdin and
// answering in length-prefixed frames. It saves a channel open and a sudo per command, which
// is most of the cost of a no-op run.
import { randomBytes } from 'node:crypto';
import type { ClientChannel } from 'ssh2';

export interface ExecResult {
  ok: boolean;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

interface Pending {
  resolve: (r: ExecResult) => void;
  reject: (e: Error) => void;
  started: number;
  timer?: NodeJS.Timeout;
}

export class ShellClosedError extends Error {}
export class ShellTimeoutError extends Error {}

const ENV =
  'export LC_ALL=C LANG=C DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a ' +
  'NEEDRESTART_SUSPEND=1 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Opens a channel with `exec` and speaks the frame protocol over it. */
export class FramedShell {
  private buf: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private shellStderr = '';
  readonly nonce = randomBytes(12).toString('hex');

  private constructor(private readonly channel: ClientChannel) {
    channel.on('data', (d: Buffer) => this.onData(d));
    channel.stderr.on('data', (d: Buffer) => {
      this.shellStderr = (this.shellStderr + d.toString('utf8')).slice(-4000);
    });
    channel.on('close', () => this.onClose());
  }

  /** `exec` opens the channel running `command` (bash, or sudo … bash); returns when ready. */
  static async open(exec: () => Promise<ClientChannel>, timeoutMs: number): Promise<FramedShell> {
    const shell = new FramedShell(await exec());
    // __x LEN reads exactly LEN bytes of script, runs it in a subshell with stdout going
    // straight to the channel, then ends the frame: "\n<nonce> <rc> <stderr bytes>\n<stderr>".
    // Builtins only, so a command costs one fork.
    const init = [
      ENV,
      'umask 022',
      '__d=$(mktemp -d /tmp/provision.XXXXXXXX) || exit 97',
      `trap 'rm -rf "$__d"' EXIT`,
      `__x() { IFS= read -r -N "$1" __s; ( set -euo pipefail; eval "$__s" ) 2>"$__d/e" </dev/null; __rc=$?; __e=; IFS= read -r -d '' __e <"$__d/e"; printf '\n%s %d %d\n%s' ${shell.nonce} "$__rc" "\${#__e}" "$__e"; }`,
      `printf '\n%s 0 0\n' ${shell.nonce}`,
      '',
    ].join('\n');
    const ready = shell.expectFrame(timeoutMs);
    shell.channel.write(init);
    await ready;
    return shell;
  }

  /** Runs a bash script (set -euo pipefail) and returns its exit code and output. */
  run(scriptText: string, timeoutMs: number): Promise<ExecResult> {
    const job = this.chain.then(() => this.runNow(scriptText, timeoutMs));
    this.chain = job.catch(() => undefined);
    return job;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.channel.end('exit\n');
    } catch {
      /* already gone */
    }
    this.channel.close();
  }

  private runNow(scriptText: string, timeoutMs: number): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new ShellClosedError('the remote shell is closed'));
    const body = Buffer.from(scriptText, 'utf8');
    const frame = this.expectFrame(timeoutMs);
    this.channel.write(Buffer.concat([Buffer.from(`__x ${body.length}\n`), body]));
    return frame;
  }

  private expectFrame(timeoutMs: number): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      const p: Pending = { resolve, reject, started: Date.now() };
      p.timer = setTimeout(() => {
        this.pending = undefined;
        this.close();
        reject(new ShellTimeoutError(`no answer within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.pending = p;
      this.tryParse();
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    this.tryParse();
  }

  private tryParse(): void {
    const p = this.pending;
    if (!p) return;
    const marker = this.buf.indexOf(`\n${this.nonce} `);
    if (marker < 0) return;
    const nl = this.buf.indexOf(0x0a, marker + 1);
    if (nl < 0) return;
    const [rc, elen] = this.buf.subarray(marker + 1, nl).toString('utf8').split(' ').slice(1).map(Number) as [number, number];
    const end = nl + 1 + elen;
    if (this.buf.length < end) return;
    const stdout = this.buf.subarray(0, marker).toString('utf8');
    const stderr = this.buf.subarray(nl + 1, end).toString('utf8');
    this.buf = this.buf.subarray(end);
    clearTimeout(p.timer);
    this.pending = undefined;
    p.resolve({ ok: rc === 0, exitCode: rc, stdout, stderr, durationMs: Date.now() - p.started });
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.close();
  }

  private onClose(): void {
    const why = this.shellStderr.trim();
    this.closed = true;
    this.fail(new ShellClosedError(`the remote shell ended${why ? `: ${why}` : ''}`));
  }
}
