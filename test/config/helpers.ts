/**
 * Shared helpers for test/config: repo paths, YAML loading, external tools.
 *
 * External tools (promtool, amtool, docker compose v2) are required: when one is missing the
 * test fails with a message pointing at test/config/install-tools.sh, it is never skipped.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FILES = join(REPO, 'files');

export function repoPath(...parts: string[]): string {
  return join(REPO, ...parts);
}

export function readText(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

/** Parse a YAML file of the repo (throws on YAML errors, including duplicate keys). */
export function loadYaml<T = unknown>(...parts: string[]): T {
  return parse(readText(...parts), { uniqueKeys: true }) as T;
}

export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

const INSTALL_HINT = 'install it with: sudo bash test/config/install-tools.sh';

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** Name of a required command, or a test failure explaining how to install it. */
export function requireTool(cmd: string): string {
  if (!onPath(cmd)) assert.fail(`${cmd} not found on PATH; ${INSTALL_HINT}`);
  return cmd;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command with a minimal environment (no inherited *_IMAGE or COMPOSE_* variables). */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): RunResult {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...opts.env };
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, { cwd: opts.cwd, env, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let composeCmd: string[] | undefined;

/** argv prefix for Compose v2: `docker compose` if available, else a v2 `docker-compose`. */
export function compose(): string[] {
  if (composeCmd) return composeCmd;
  const v2 = /version v?2\./i;
  if (onPath('docker')) {
    const r = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (r.status === 0 && v2.test(r.stdout)) return (composeCmd = ['docker', 'compose']);
  }
  if (onPath('docker-compose')) {
    const r = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    if (r.status === 0 && v2.test(r.stdout)) return (composeCmd = ['docker-compose']);
  }
  return assert.fail(`Docker Compose v2 not found (neither \`docker compose\` nor a v2 docker-compose); ${INSTALL_HINT}`);
}

/** `compose -f <file> --env-file <envFile> <args...>` with a clean environment. */
export function composeRun(file: string, envFile: string, args: string[]): RunResult {
  const [cmd, ...pre] = compose();
  return run(cmd as string, [...pre, '-f', file, '--env-file', envFile, ...args]);
}

// ---- Prometheus-style relabeling (action `replace`, the only one the log configs use) -----

export interface RelabelRule {
  source_labels?: string[];
  separator?: string;
  regex?: string;
  target_label?: string;
  replacement?: string;
  action?: string;
}

/**
 * Apply `replace` rules like Prometheus/Promtail/Alloy do, then drop `__`-prefixed labels (as
 * the log shippers do before sending). Throws on any other action.
 */
export function relabel(input: Record<string, string>, rules: RelabelRule[]): Record<string, string> {
  const labels: Record<string, string> = { ...input };
  for (const rule of rules) {
    const action = rule.action ?? 'replace';
    if (action !== 'replace') throw new Error(`relabel simulator: unsupported action ${action}`);
    const value = (rule.source_labels ?? []).map((l) => labels[l] ?? '').join(rule.separator ?? ';');
    const re = new RegExp(`^(?:${rule.regex ?? '(.*)'})$`);
    const m = re.exec(value);
    if (!m || rule.target_label === undefined) continue;
    const out = value.replace(re, rule.replacement ?? '$1');
    if (out === '') delete labels[rule.target_label];
    else labels[rule.target_label] = out;
  }
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith('__')));
}

// ---- The compose model ---------------------------------------------------------------------

export interface ComposeService {
  image?: string;
  container_name?: string;
  restart?: string;
  networks?: string[] | Record<string, unknown>;
  volumes?: Array<string | Record<string, unknown>>;
  ports?: unknown[];
  labels?: Record<string, string> | string[];
  profiles?: string[];
  healthcheck?: unknown;
  command?: unknown;
  environment?: Record<string, string> | string[];
  'x-provision-reload'?: string;
  [key: string]: unknown;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  networks?: Record<string, { external?: boolean; name?: string } | null>;
  volumes?: Record<string, unknown>;
}

export const COMPOSE_FILES = {
  infra: 'files/infra/compose.yml',
  shioajipy: 'files/shioaji/compose.yml',
  'ibapi-trading': 'files/ibapi/compose.yml',
} as const;

export function loadCompose(project: keyof typeof COMPOSE_FILES): ComposeFile {
  return loadYaml<ComposeFile>(COMPOSE_FILES[project]);
}

/** Network names a service joins; a service without `networks` is on the project's `default`. */
export function serviceNetworks(file: ComposeFile, svc: ComposeService): string[] {
  const keys = svc.networks === undefined ? ['default'] : Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks);
  return keys.map((k) => file.networks?.[k]?.name ?? k);
}

export function labelsOf(svc: ComposeService): Record<string, string> {
  if (!svc.labels) return {};
  if (Array.isArray(svc.labels)) {
    return Object.fromEntries(svc.labels.map((l) => {
      const i = l.indexOf('=');
      return [l.slice(0, i), l.slice(i + 1)];
    }));
  }
  return svc.labels;
}

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** Short-syntax volume strings -> {source, target, readOnly}. */
export function mountsOf(svc: ComposeService): Mount[] {
  return (svc.volumes ?? []).map((v) => {
    if (typeof v !== 'string') throw new Error(`long volume syntax not expected: ${JSON.stringify(v)}`);
    const [source = '', target = '', mode = ''] = v.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}
