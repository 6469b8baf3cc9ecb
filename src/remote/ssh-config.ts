// OpenSSH client configuration as ssh reads it for one destination: the ssh_config file
// ($PROVISION_SSH_CONFIG or ~/.ssh/config, parsed by the `ssh-config` package) and `-o`/`-J`/`-i`/
// `-p`/`-l` options from ansible_ssh_common_args. Pure apart from reading the config file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseShellWords } from 'shell-quote';
import SSHConfig from 'ssh-config';
import { ConfigError } from '../config/errors.ts';
import type { HostKeyPolicy } from './known-hosts.ts';

/** The keys this tool reads (lower case, as ssh_config(5) treats them). */
export const SSH_CONFIG_KEYS = [
  'hostname', 'user', 'port', 'identityfile', 'identitiesonly', 'proxyjump', 'userknownhostsfile', 'stricthostkeychecking',
] as const;

/** A parsed ssh_config with the file it came from (for error messages). */
export interface SshConfigSource {
  file: string;
  config: SSHConfig;
  /** Home directory for `~` and %d (a parameter so tests never touch the real one). */
  home: string;
  localUser: string;
}

/** Option values as ssh would obtain them: the first value wins, IdentityFile accumulates. */
export type SshOptions = Partial<Record<(typeof SSH_CONFIG_KEYS)[number] | 'proxycommand', string | string[]>>;

export function sshConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PROVISION_SSH_CONFIG || join(homedir(), '.ssh', 'config');
}

/** Reads the ssh config (a missing file is an empty config). Top-level Include lines are inlined. */
export function loadSshConfig(file = sshConfigPath(), home = homedir(), localUser = safeUser()): SshConfigSource {
  if (!existsSync(file)) return { file, config: SSHConfig.parse(''), home, localUser };
  let text: string;
  try {
    text = inlineIncludes(readFileSync(file, 'utf8'), dirname(file), home, 0);
  } catch (e) {
    throw new ConfigError(`${file}: cannot read the ssh config: ${(e as Error).message}`);
  }
  return { file, config: SSHConfig.parse(text), home, localUser };
}

export function parseSshConfig(text: string, file = 'ssh_config', home = '/home/test', localUser = 'tester'): SshConfigSource {
  return { file, config: SSHConfig.parse(text), home, localUser };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

/** `Include` (which the parser keeps as a plain directive): files inlined in place, `*` in the last part. */
function inlineIncludes(text: string, base: string, home: string, depth: number): string {
  if (depth > 8) throw new Error('Include nested more than 8 levels');
  return text
    .split('\n')
    .map((line) => {
      const m = /^\s*include[\s=]+(.+)$/i.exec(line);
      if (!m?.[1]) return line;
      const parts = m[1].trim().split(/\s+/);
      const files = parts.flatMap((p) => {
        const path = p.startsWith('~/') ? join(home, p.slice(2)) : isAbsolute(p) ? p : join(base, p);
        if (!basename(path).includes('*')) return existsSync(path) ? [path] : [];
        const re = new RegExp(`^${basename(path).replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')}$`);
        const dir = dirname(path);
        return existsSync(dir) ? readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => join(dir, f)) : [];
      });
      return files.map((f) => inlineIncludes(readFileSync(f, 'utf8'), base, home, depth + 1)).join('\n');
    })
    .join('\n');
}

/** ssh_config for one destination (the name given to ssh: ansible_host or the inventory name). */
export function computeOptions(src: SshConfigSource, destination: string): SshOptions {
  // matchExec: false: computing options never runs a command from the config.
  const all = src.config.compute(destination.toLowerCase(), { ignoreCase: true, matchExec: false });
  const out: SshOptions = {};
  for (const k of [...SSH_CONFIG_KEYS, 'proxycommand'] as const) if (all[k] !== undefined) out[k] = all[k];
  return out;
}

/**
 * `-o Key=Value`, `-o Key Value`, `-J hops`, `-i file`, `-p port`, `-l user` from
 * ansible_ssh_common_args / ansible_ssh_extra_args. Other options are not ours to honour and are ignored.
 */
export function parseSshArgs(args: string, where: string): SshOptions {
  const words = parseShellWords(args).map((w) => {
    if (typeof w !== 'string') throw new ConfigError(`${where}: only plain words are understood in ${args}`);
    return w;
  });
  const out: SshOptions = {};
  const set = (key: string, value: string) => {
    const k = key.toLowerCase();
    if (k === 'identityfile') out.identityfile = [...asList(out.identityfile), value];
    else if ((SSH_CONFIG_KEYS as readonly string[]).includes(k) || k === 'proxycommand') {
      const kk = k as keyof SshOptions;
      if (out[kk] === undefined) out[kk] = k === 'userknownhostsfile' ? value.split(/\s+/) : value;
    }
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    const flag = /^-([oJipl])(.*)$/.exec(w);
    if (!flag) continue;
    const [, f, attached] = flag;
    const value = attached || words[++i];
    if (value === undefined) throw new ConfigError(`${where}: ${w} needs a value`);
    if (f === 'o') {
      const m = /^([A-Za-z]+)(?:\s*=\s*|\s+)(.*)$/.exec(value);
      if (m?.[1] && m[2] !== undefined) set(m[1], m[2]);
      else if (/^[A-Za-z]+$/.test(value) && words[i + 1] !== undefined) set(value, words[++i] ?? '');
      else throw new ConfigError(`${where}: cannot read -o ${value}`);
    } else set({ J: 'proxyjump', i: 'identityfile', p: 'port', l: 'user' }[f as 'J' | 'i' | 'p' | 'l'], value);
  }
  return out;
}

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** A ProxyJump hop as written: `[user@]host[:port]` or `ssh://[user@]host[:port]`. */
export interface HopSpec {
  user?: string;
  host: string;
  port?: number;
}

export function parseHop(text: string, where: string): HopSpec {
  const m = /^(?:ssh:\/\/)?(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s/]+)(?::(\d+))?\/?$/.exec(text.trim());
  if (!m?.[2]) throw new ConfigError(`${where}: cannot read the ProxyJump hop "${text}" (expected [user@]host[:port])`);
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new ConfigError(`${where}: ProxyJump hop "${text}": port out of range`);
  return { ...(m[1] ? { user: m[1] } : {}), host: m[2].replace(/^\[|\]$/g, ''), ...(port ? { port } : {}) };
}

/** Where and how to log in on one machine (the target, or a hop on the way). */
export interface SshEndpoint {
  /** How the user named it (inventory host, or the hop as written in ProxyJump). */
  label: string;
  address: string;
  port: number;
  user: string;
  /** Key files to try, in order; empty: ssh's default key files (~/.ssh/id_ed25519, id_ecdsa, id_rsa). */
  identityFiles: string[];
  identitiesOnly: boolean;
  hostKeyChecking: HostKeyPolicy;
  /** known_hosts files to read; new keys go to the first. Default: $PROVISION_KNOWN_HOSTS or ~/.ssh/known_hosts. */
  knownHostsFiles?: string[];
}

export function hostKeyPolicyOf(value: string, where: string): HostKeyPolicy {
  switch (value.toLowerCase()) {
    case 'yes':
      return 'strict';
    case 'accept-new':
    case 'ask': // nobody is there to ask: record a first key, refuse a changed one
      return 'accept-new';
    case 'no':
    case 'off':
      return 'off';
    default:
      throw new ConfigError(`${where}: StrictHostKeyChecking ${value}: expected yes, accept-new, ask, no or off`);
  }
}

interface Tokens {
  originalHost: string;
  host: string;
  user: string;
  port: number;
  localUser: string;
  home: string;
}

/** %h %n %p %r %u %d %% and a leading ~ (the tokens ssh expands in these keys). */
export function expandTokens(text: string, t: Tokens, where: string): string {
  const s = text.startsWith('~/') || text === '~' ? t.home + text.slice(1) : text;
  return s.replace(/%(.)/g, (_, c: string) => {
    const v = { h: t.host, n: t.originalHost, p: String(t.port), r: t.user, u: t.localUser, d: t.home, '%': '%' }[c];
    if (v === undefined) throw new ConfigError(`${where}: the token %${c} is not supported`);
    return v;
  });
}

/** What the inventory says about the connection (undefined: not set there). */
export interface InventoryConnection {
  destination: string;
  port?: number;
  user?: string;
  identityFile?: string;
  hostKeyChecking?: HostKeyPolicy;
  /** ansible_ssh_common_args and ansible_ssh_extra_args, already parsed. */
  args: SshOptions;
  /** The inventory host, for messages. */
  label: string;
}

export interface ResolvedSsh {
  target: SshEndpoint;
  jumps: SshEndpoint[];
}

const MAX_HOPS = 10;

/**
 * The target and every hop on the way, as OpenSSH resolves them: command-line values
 * (inventory, then ansible_ssh_*_args) before ssh_config; each hop resolved through the
 * config too, its own ProxyJump before it.
 */
export function resolveSsh(inv: InventoryConnection, src: SshConfigSource | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedSsh {
  const where = src?.file ?? 'ssh_config';
  const cfg = src ? computeOptions(src, inv.destination) : {};
  const opt = (k: keyof SshOptions) => inv.args[k] ?? cfg[k];
  const files = [...asList(inv.args.identityfile), ...asList(cfg.identityfile)];
  const target = endpoint(
    { label: inv.label, host: inv.destination, user: inv.user, port: inv.port, policy: inv.hostKeyChecking, key: inv.identityFile, files },
    opt,
    src,
    env,
    `${where} (host ${inv.label})`,
  );
  const jumps = hopsOf(first(opt('proxyjump')), first(opt('proxycommand')), src, env, `${where} (host ${inv.label})`, 0);
  return { target, jumps };
}

function hopsOf(
  proxyJump: string | undefined,
  proxyCommand: string | undefined,
  src: SshConfigSource | undefined,
  env: NodeJS.ProcessEnv,
  where: string,
  depth: number,
): SshEndpoint[] {
  if (depth > MAX_HOPS) throw new ConfigError(`${where}: ProxyJump chains more than ${MAX_HOPS} hops (a loop?)`);
  if (proxyJump === undefined || proxyJump.toLowerCase() === 'none') {
    if (proxyCommand === undefined || proxyCommand.toLowerCase() === 'none') return [];
    // The classic Ansible bastion recipe, ProxyCommand="ssh -W %h:%p bastion", is a ProxyJump.
    const pc = proxyCommandHop(proxyCommand);
    if (!pc) throw new ConfigError(`${where}: ProxyCommand is not supported (only "ssh -W %h:%p [user@]host"); write the jump host as ProxyJump (or -J) instead`);
    return hopEndpoints(pc.hop, pc.label, pc.files, src, env, where, depth);
  }
  return proxyJump.split(',').flatMap((text) => hopEndpoints(parseHop(text, where), text, [], src, env, where, depth));
}

function hopEndpoints(hop: HopSpec, label: string, files: string[], src: SshConfigSource | undefined, env: NodeJS.ProcessEnv, where: string, depth: number): SshEndpoint[] {
  const cfg = src ? computeOptions(src, hop.host) : {};
  return [
    // The hop's own ProxyJump (from the config) is how ssh reaches the hop itself.
    ...hopsOf(first(cfg.proxyjump), first(cfg.proxycommand), src, env, `${src?.file ?? 'ssh_config'} (jump host ${label})`, depth + 1),
    endpoint({ label, host: hop.host, user: hop.user, port: hop.port, files: [...files, ...asList(cfg.identityfile)] }, (k) => cfg[k], src, env, `${where} (jump host ${label})`),
  ];
}

/** `ssh [-q] [-p port] [-l user] [-i key] -W %h:%p [user@]host` as a hop; anything else: undefined. */
export function proxyCommandHop(command: string): { hop: HopSpec; label: string; files: string[] } | undefined {
  const words = parseShellWords(command);
  if (words.some((w) => typeof w !== 'string') || !/(^|\/)ssh$/.test(String(words[0]))) return undefined;
  let port: number | undefined;
  let user: string | undefined;
  let forward = false;
  const files: string[] = [];
  const rest: string[] = [];
  for (let i = 1; i < words.length; i++) {
    const w = String(words[i]);
    const value = () => String(words[++i] ?? '');
    if (w === '-W') forward = value() === '%h:%p';
    else if (w === '-p') port = Number(value());
    else if (w === '-l') user = value();
    else if (w === '-i') files.push(value());
    else if (w === '-o' || w === '-F' || w === '-J') return undefined; // not a plain hop: refuse rather than guess
    else if (/^-[46ACNTqvx]+$/.test(w)) continue;
    else if (w.startsWith('-')) return undefined;
    else rest.push(w);
  }
  const [target] = rest;
  if (!forward || rest.length !== 1 || !target || (port !== undefined && !(port >= 1 && port <= 65535))) return undefined;
  const at = target.lastIndexOf('@');
  const host = at >= 0 ? target.slice(at + 1) : target;
  user ??= at >= 0 ? target.slice(0, at) : undefined;
  return { hop: { host, ...(user ? { user } : {}), ...(port ? { port } : {}) }, label: target, files };
}

function endpoint(
  given: { label: string; host: string; user?: string; port?: number; policy?: HostKeyPolicy; key?: string; files: string[] },
  opt: (k: keyof SshOptions) => string | string[] | undefined,
  src: SshConfigSource | undefined,
  env: NodeJS.ProcessEnv,
  where: string,
): SshEndpoint {
  const home = src?.home ?? homedir();
  const localUser = src?.localUser ?? safeUser();
  const rawPort = first(opt('port'));
  const port = given.port ?? (rawPort === undefined ? 22 : Number(rawPort));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`${where}: Port ${rawPort}: not a port number`);
  const user = given.user ?? first(opt('user')) ?? env.USER ?? localUser;
  const hostNameRaw = first(opt('hostname'));
  const t0: Tokens = { originalHost: given.host, host: given.host, user, port, localUser, home };
  const address = hostNameRaw ? expandTokens(hostNameRaw, t0, where) : given.host;
  const t: Tokens = { ...t0, host: address };
  const absolute = (p: string) => resolve(home, expandTokens(p, t, where));
  // The inventory's key (already a full path) first, then those from the args and the config.
  const identityFiles = [...new Set([...(given.key ? [given.key] : []), ...given.files.map(absolute)])];
  const strict = first(opt('stricthostkeychecking'));
  const knownRaw = opt('userknownhostsfile');
  const known = env.PROVISION_KNOWN_HOSTS ? [env.PROVISION_KNOWN_HOSTS] : knownRaw ? asList(knownRaw).flatMap((k) => k.split(/\s+/)).filter(Boolean).map(absolute) : undefined;
  return {
    label: given.label,
    address,
    port,
    user,
    identityFiles,
    identitiesOnly: (first(opt('identitiesonly')) ?? 'no').toLowerCase() === 'yes',
    hostKeyChecking: given.policy ?? (strict ? hostKeyPolicyOf(strict, where) : 'accept-new'),
    ...(known ? { knownHostsFiles: known } : {}),
  };
}
