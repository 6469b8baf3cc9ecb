// Test helpers: a fresh throwaway VM (test/vm/start.sh), the CLI run as a user runs it, and
// shell access to the VM through a separate SSH session (so group changes etc. are real).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseEnv } from 'dotenv';
import { parse, stringify } from 'yaml';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Report {
  durationMs: number;
  hosts: Record<string, { ok: number; changed: number; failed: number; skipped: number; unreachable: number; durationMs: number; error?: string; notes?: string[]; tasks: { role: string; name: string; status: string; reason?: string; diff?: string; durationMs: number }[] }>;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  report?: Report;
}

export interface Vm {
  name: string;
  inventory: string;
  dir: string;
  port: number;
  key: string;
  secrets: Record<string, string>;
  /** Runs a bash command on the VM as the login user (new SSH session each time). */
  sh(cmd: string, opts?: { allowFail?: boolean }): Promise<{ code: number; stdout: string; stderr: string }>;
  provision(...args: string[]): Promise<RunResult>;
  stop(): void;
}

export function startVm(name: string): Vm {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const inventory = join(dir, 'inventory.yml');
  execFileSync('bash', [join(ROOT, 'test/vm/start.sh'), name, inventory], { stdio: ['ignore', 'pipe', 'inherit'] });
  const inv = parse(readFileSync(inventory, 'utf8')) as { all: { hosts: Record<string, { ansible_port: number; ansible_ssh_private_key_file: string }> } };
  const host = inv.all.hosts[name]!;
  const secrets = parseEnv(readFileSync(join(dir, '.env')));
  const sshArgs = ['-q', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-i', host.ansible_ssh_private_key_file, '-p', String(host.ansible_port), 'deploy@127.0.0.1'];
  const vm: Vm = {
    name,
    inventory,
    dir,
    port: host.ansible_port,
    key: host.ansible_ssh_private_key_file,
    secrets,
    sh: (cmd, opts = {}) =>
      new Promise((res, rej) => {
        execFile('ssh', [...sshArgs, 'bash', '-c', shellWord(cmd)], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
          const code = err ? ((err as { code?: number }).code ?? 1) : 0;
          if (code !== 0 && !opts.allowFail) rej(new Error(`on VM: ${cmd}\nexit ${code}\n${stderr}${stdout}`));
          else res({ code, stdout, stderr });
        });
      }),
    provision: (...args) => runCli(args, inventory),
    stop: () => {
      if (process.env.KEEP_VM) return;
      execFileSync('bash', [join(ROOT, 'test/vm/stop.sh'), name]);
    },
  };
  return vm;
}

/** One word for the remote shell (ssh joins its arguments with spaces). */
function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Runs `provision <args> -i inventory --json tmp` and parses the report. */
export function runCli(args: string[], inventory?: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const json = join(mkdtempSync(join(tmpdir(), 'report-')), 'report.json');
  const full = [join(ROOT, 'bin/provision.js'), ...args, ...(inventory ? ['-i', inventory] : []), '--json', json];
  return new Promise((res) => {
    // Tests never touch the user's ~/.ssh/known_hosts.
    const knownHosts = join(dirname(json), 'known_hosts');
    const child = spawn(process.execPath, full, { cwd: ROOT, env: { ...process.env, PROVISION_RENDERER: 'silent', PROVISION_KNOWN_HOSTS: knownHosts, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      let report: Report | undefined;
      try {
        report = JSON.parse(readFileSync(json, 'utf8')) as Report;
      } catch {
        report = undefined;
      }
      res({ code: code ?? -1, stdout, stderr, report });
    });
  });
}

export function hostReport(r: RunResult, host: string): Report['hosts'][string] {
  const h = r.report?.hosts[host];
  if (!h) throw new Error(`no report for ${host}; exit ${r.code}\n${r.stderr}\n${r.stdout}`);
  return h;
}

/** Tasks that changed (or would), as "role | name" strings, for exact assertions. */
export function changedTasks(r: RunResult, host: string): string[] {
  return hostReport(r, host)
    .tasks.filter((t) => t.status === 'changed' || t.status === 'would-change')
    .map((t) => `${t.role} | ${t.name}`);
}

export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** A copy of the VM's inventory (beside it, so it shares the .env) with these variables added. */
export function withVars(vm: Vm, name: string, vars: Record<string, unknown>): string {
  const inv = parse(readFileSync(vm.inventory, 'utf8')) as { all: { vars?: Record<string, unknown> } };
  inv.all.vars = { ...inv.all.vars, ...vars };
  const file = join(vm.dir, name);
  writeFileSync(file, stringify(inv));
  return file;
}
