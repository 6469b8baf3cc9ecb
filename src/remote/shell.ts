// One long-lived bash on the host (under sudo when becoming root), fed scripts on stdin and
// answering in length-prefixed frames. It saves a channel open and a sudo per command, which
// is most of the cost of a no-op run. The first command may be written before the shell has
// answered that it is ready (pipelined): what a run costs is then the connection plus one
// round trip per command.
import { randomBytes } from 'node:crypto';
import type { ExecResult } from './connection.ts';

/** What the shell needs of an SSH channel (ssh2's ClientChannel has it; tests use a local bash). */
export interface ShellChannel {
  on(event: 'data', fn: (d: Buffer) => void): unknown;
  on(event: 'close', fn: () => void): unknown;
  stderr: { on(event: 'data', fn: (d: Buffer) => void): unknown };
  write(data: string | Buffer): unknown;
  end(data?: string): unknown;
  close(): unknown;
}

interface Pending {
  resolve: (r: ExecResult) => void;
  reject: (e: Error) => void;
  started: number;
  timer?: NodeJS.Timeout;
}

export class ShellClosedError extends Error {}
export class ShellTimeoutError extends Error {}

/** Exit status of `timeout` when it ended the command. */
export const TIMED_OUT = 124;

const ENV =
  'export LC_ALL=C LANG=C DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a NEEDRESTART_SUSPEND=1 ' +
  'APT_LISTCHANGES_FRONTEND=none PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Grace the host gets to answer after its own timeout ended a command (then the shell is given up). */
const LOCAL_GRACE_MS = 20_000;

export class FramedShell {
  private buf: Buffer = Buffer.alloc(0);
  /** Frames expected, in the order the shell answers them (the ready frame, then commands). */
  private readonly queue: Pending[] = [];
  private chain: Promise<unknown>;
  private closed = false;
  private stderrSeen = '';
  private readonly stderrWatchers: ((text: string) => void)[] = [];
  readonly nonce = randomBytes(12).toString('hex');
  /** Resolves when the shell has started (sudo accepted, bash running). */
  readonly ready: Promise<void>;

  constructor(private readonly channel: ShellChannel, readyTimeoutMs: number) {
    channel.on('data', (d: Buffer) => this.onData(d));
    channel.stderr.on('data', (d: Buffer) => {
      this.stderrSeen = (this.stderrSeen + d.toString('utf8')).slice(-4000);
      for (const w of this.stderrWatchers) w(this.stderrSeen);
    });
    channel.on('close', () => this.onClose());
    this.ready = this.expectFrame(readyTimeoutMs).then(() => undefined);
    this.chain = this.ready.catch(() => undefined);
  }

  /** The init script: defines __x, which runs one framed command. Write it once sudo (if any) let bash start. */
  start(): void {
    // __x LEN SECS reads exactly LEN bytes of script into a private file and runs it under
    // `timeout` (which ends the command's whole process group after SECS), stdout straight to
    // the channel, then ends the frame: "\n<nonce> <rc> <stderr bytes>\n<stderr>".
    const init = [
      ENV,
      'umask 022',
      '__d=$(mktemp -d /tmp/provision.XXXXXXXX) || exit 97',
      `trap 'rm -rf "$__d"' EXIT`,
      // The host's provision state (root's, or the login user's without sudo), and fd 8 open on
      // its lock file in this long-lived shell: a command that flocks fd 8 locks for the whole
      // session (the lock belongs to the open file, which this shell keeps), and the kernel
      // releases it when the session ends, however it ends.
      'if [ "$(id -u)" = 0 ]; then PROVISION_STATE=/var/lib/provision; else PROVISION_STATE="${HOME:-/tmp}/.local/state/provision"; fi',
      'export PROVISION_STATE; mkdir -p -m 0700 "$PROVISION_STATE" 2>/dev/null; exec 8>>"$PROVISION_STATE/lock" || exec 8>/dev/null',
      `__x() { IFS= read -r -N "$1" __s; printf '%s' "$__s" >"$__d/s"; timeout -k 5 "$2" bash --noprofile --norc -euo pipefail "$__d/s" 2>"$__d/e" </dev/null; __rc=$?; __e=; IFS= read -r -d '' __e <"$__d/e"; printf '\\n%s %d %d\\n%s' ${this.nonce} "$__rc" "\${#__e}" "$__e"; }`,
      `printf '\\n%s 0 0\\n' ${this.nonce}`,
      '',
    ].join('\n');
    this.channel.write(init);
  }

  /** Calls `fn` with the shell's stderr so far, now and whenever more arrives (e.g. sudo's prompt). */
  watchStderr(fn: (text: string) => void): void {
    this.stderrWatchers.push(fn);
    if (this.stderrSeen) fn(this.stderrSeen);
  }

  /** Writes raw bytes to the shell's stdin (sudo's password line). */
  writeRaw(text: string): void {
    this.channel.write(text);
  }

  /** Runs a bash script (set -euo pipefail); the host ends it after `timeoutMs`. */
  run(scriptText: string, timeoutMs: number): Promise<ExecResult> {
    // Written at once when nothing else is in flight (even before the ready frame: pipelined).
    const job = this.chain.then(() => this.runNow(scriptText, timeoutMs), () => this.runNow(scriptText, timeoutMs));
    this.chain = job.catch(() => undefined);
    return job;
  }

  /** Writes the first command right behind the init script, before the ready frame arrives. */
  runPipelined(scriptText: string, timeoutMs: number): Promise<ExecResult> {
    const job = this.runNow(scriptText, timeoutMs);
    this.chain = job.catch(() => undefined);
    return job;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** What the shell (sudo, bash) wrote to stderr outside any command. */
  get stderr(): string {
    return this.stderrSeen;
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
    const secs = Math.max(1, Math.ceil(timeoutMs / 1000));
    const frame = this.expectFrame(timeoutMs + LOCAL_GRACE_MS);
    this.channel.write(Buffer.concat([Buffer.from(`__x ${body.length} ${secs}\n`), body]));
    return frame.then((r) =>
      r.exitCode === TIMED_OUT ? { ...r, ok: false, stderr: `${r.stderr}${r.stderr ? '\n' : ''}ended on the host after ${secs} s (timeout)` } : r,
    );
  }

  private expectFrame(timeoutMs: number): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      const p: Pending = { resolve, reject, started: Date.now() };
      p.timer = setTimeout(() => this.fail(new ShellTimeoutError(`no answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      this.queue.push(p);
      this.tryParse();
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    this.tryParse();
  }

  private tryParse(): void {
    for (;;) {
      const p = this.queue[0];
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
      this.queue.shift();
      p.resolve({ ok: rc === 0, exitCode: rc, stdout, stderr, durationMs: Date.now() - p.started });
    }
  }

  /** Every expected frame fails with `e` and the shell is closed. */
  private fail(e: Error): void {
    for (const p of this.queue.splice(0)) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.close();
  }

  private onClose(): void {
    const why = this.stderrSeen.trim();
    this.closed = true;
    this.fail(new ShellClosedError(`the remote shell ended${why ? `: ${why}` : ''}`));
  }
}
