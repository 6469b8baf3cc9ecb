// The command line: apply, check, validate, facts. Parsing and exit codes only; the work is
// done in src/config and src/engine.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from './config/errors.ts';
import { ignoredKeyNotes } from './config/ansible-keys.ts';
import { loadExtraVars, withExtraVars } from './config/extra-vars.ts';
import type { Vars } from './engine/types.ts';
import { connectionOf, loadInventory, type Inventory, type SshContext } from './config/inventory.ts';
import { loadSshConfig } from './remote/ssh-config.ts';
import { VaultKeys } from './config/ansible/vault.ts';
import { selectHosts } from './config/patterns.ts';
import { loadPlaybook } from './config/playbook.ts';
import { lookupSecret, readDotenv, type SecretSource } from './config/secrets.ts';
import { RecordingDisplay, type Display } from './engine/events.ts';
import { batchSizes } from './engine/batches.ts';
import { DOCKER_VERSION, FACTS } from './engine/facts.ts';
import { buildPlan, limitTermProblem } from './engine/plan.ts';
import { formatListing, hostsPerPlay } from './engine/listing.ts';
import { formatChanges, formatRecap, toJsonReport } from './engine/recap.ts';
import { loadRoleLibrary, type RoleLibrary } from './engine/roles.ts';
import { runPlans, type RunReport } from './engine/runner.ts';
import type { OpenConnection } from './engine/session.ts';
import { Masker } from './remote/mask.ts';
import { renderHtmlReport } from './report/html.ts';
import { writePrivateFile } from './report/write-private.ts';
import { onInterrupt } from './interrupt.ts';
import { runInfo } from './run-info.ts';
import { historyFor } from './commands/history.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, drift: 3, interrupted: 130 } as const;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `usage: provision <command> [options]

commands:
  apply     converge hosts to the playbook (rerun to repair drift)
  check     what apply would change, changing nothing (exit 3 if anything would)
  validate  check inventory, playbook, roles and secrets without connecting
  facts     print what is gathered from each host
  history   the last runs on each host (from its audit trail), newest last

options:
  -i, --inventory PATH   inventory: INI or YAML file, or a directory of them; repeatable
                         (default inventory/hosts.yml)
  -p, --playbook FILE    playbook YAML (default playbooks/site.yml)
  -l, --limit PATTERN    only these hosts/groups (Ansible pattern syntax)
  -e, --extra-vars VARS  key=value (strings), @FILE (YAML/JSON) or a JSON mapping; repeatable,
                         merged in order, wins over inventory, play and role variables
  -t, --tags A,B         only tasks with these tags
      --skip-tags A,B    skip tasks with these tags
      --start-at-task NAME  skip each host's tasks before the first named NAME
                         (or "role : NAME"; globs allowed)
      --list-hosts       print the hosts each play would run on, then stop (no connection)
      --list-tasks       print the tasks each play would run, with their tags, then stop
  -f, --forks N          hosts at once (default 5)
  -C, --check            apply in check mode (same as the check command)
  -D, --diff             show diffs of changed files
      --json FILE        write a JSON report
      --html FILE        write the run as one self-contained HTML page (timelines, diffs, recap)
      --vault-password-file FILE  Ansible Vault password (an executable file is run
                         for it); else $ANSIBLE_VAULT_PASSWORD_FILE
      --vault-id [LABEL@]FILE  another vault password (repeatable; a text's label picks
                         which is tried first)
      --lock-timeout S   wait up to S seconds for another run's lock on a host (default 300)
  -n N                   history: how many runs per host (default 10)
  -v, --verbose          show remote commands (masked) as they run

exit codes: 0 success (check: in sync), 1 a task failed, a host was unreachable or
            not run (a batch of a serial play failed too much),
            2 invalid input or usage, 3 check found something that would change,
            130 interrupted (Ctrl-C or SIGTERM; a second one aborts at once)`;

interface Cli {
  command: string;
  /** The -i sources as shown in messages (comma-separated). */
  inventory: string;
  inventories: string[];
  vaultPasswordFile?: string;
  vaultIds?: string[];
  playbook: string;
  limit?: string;
  extraVars: string[];
  tags?: string[];
  skipTags?: string[];
  startAt?: string;
  listHosts: boolean;
  listTasks: boolean;
  forks: number;
  check: boolean;
  diff: boolean;
  json?: string;
  html?: string;
  verbose: boolean;
  lockTimeoutS: number;
  historyCount: number;
  argv: string[];
}

function list(v: string | undefined): string[] | undefined {
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

export function parseCli(argv: string[]): Cli {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      inventory: { type: 'string', short: 'i', multiple: true },
      'vault-password-file': { type: 'string' },
      'vault-id': { type: 'string', multiple: true },
      playbook: { type: 'string', short: 'p' },
      limit: { type: 'string', short: 'l' },
      'extra-vars': { type: 'string', short: 'e', multiple: true },
      tags: { type: 'string', short: 't' },
      'skip-tags': { type: 'string' },
      'start-at-task': { type: 'string' },
      'list-hosts': { type: 'boolean' },
      'list-tasks': { type: 'boolean' },
      forks: { type: 'string', short: 'f' },
      check: { type: 'boolean', short: 'C' },
      diff: { type: 'boolean', short: 'D' },
      json: { type: 'string' },
      html: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      'lock-timeout': { type: 'string' },
      n: { type: 'string', short: 'n' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = values.help ? 'help' : (positionals[0] ?? 'help');
  if (positionals.length > 1) throw new ConfigError(`unexpected argument: ${positionals[1]}`);
  const forks = wholeNumber('--forks', values.forks, 5, 1);
  const lockTimeoutS = wholeNumber('--lock-timeout', values['lock-timeout'], 300, 0);
  const historyCount = wholeNumber('-n', values.n, 10, 1);
  const startAt = values['start-at-task'];
  if (startAt !== undefined && !startAt.trim()) throw new ConfigError('--start-at-task needs the name of a task');
  for (const flag of ['list-hosts', 'list-tasks', 'start-at-task'] as const) {
    if (values[flag] !== undefined && !['apply', 'check', 'validate'].includes(command)) throw new ConfigError(`--${flag} is for apply, check and validate, not ${command}`);
  }
  const inventories = values.inventory?.length ? values.inventory : ['inventory/hosts.yml'];
  return {
    command,
    inventory: inventories.join(', '),
    inventories,
    ...(values['vault-password-file'] !== undefined ? { vaultPasswordFile: values['vault-password-file'] } : {}),
    ...(values['vault-id']?.length ? { vaultIds: values['vault-id'] } : {}),
    playbook: values.playbook ?? 'playbooks/site.yml',
    limit: values.limit,
    extraVars: values['extra-vars'] ?? [],
    tags: list(values.tags),
    skipTags: list(values['skip-tags']),
    ...(startAt !== undefined ? { startAt } : {}),
    listHosts: values['list-hosts'] === true,
    listTasks: values['list-tasks'] === true,
    forks,
    check: command === 'check' || values.check === true,
    diff: values.diff === true,
    json: values.json,
    html: values.html,
    verbose: values.verbose === true,
    lockTimeoutS,
    historyCount,
    argv,
  };
}

function wholeNumber(flag: string, value: string | undefined, dflt: number, min: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min) throw new ConfigError(`${flag} must be a whole number ≥ ${min}, not ${value}`);
  return n;
}

async function load(cli: Cli): Promise<{ lib: RoleLibrary; inv: Inventory; extra: Vars }> {
  const lib = await loadRoleLibrary(join(ROOT, 'roles'), join(ROOT, 'files'));
  const vault = new VaultKeys({ ...(cli.vaultPasswordFile !== undefined ? { passwordFile: cli.vaultPasswordFile } : {}), ...(cli.vaultIds ? { ids: cli.vaultIds } : {}) });
  // Passwords named on the command line are read up front, as Ansible does: a bad one fails early.
  if (cli.vaultPasswordFile !== undefined || cli.vaultIds) await vault.unlock('--vault-password-file');
  const loaded = await loadInventory(cli.inventories, lib.varsSchema, { playbookDir: dirname(resolve(cli.playbook)), vault });
  for (const n of loaded.notes ?? []) console.error(`provision: note: ${n}`);
  const extra = await loadExtraVars(cli.extraVars, lib.varsSchema);
  const inv = withExtraVars(loaded, extra);
  for (const note of ignoredKeyNotes(inv.byName.values())) console.error(note);
  return { lib, inv, extra };
}

/** A report path must be writable before any host is touched (else the run's result is lost). */
export function checkOutputPath(path: string, flag: string): void {
  const where = resolve(path);
  try {
    if (statSync(where, { throwIfNoEntry: false })?.isDirectory()) throw new Error('is a directory');
    accessSync(dirname(where), constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`${flag} ${path}: cannot write the report there (${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message})`);
  }
}

/** The user's ssh config and the key passphrase from .env, for commands that connect without a plan. */
function sshContextOf(secrets: SecretSource): SshContext {
  const keyPassphrase = lookupSecret(secrets, 'PROVISION_SSH_KEY_PASSPHRASE');
  return { config: loadSshConfig(), ...(keyPassphrase ? { keyPassphrase } : {}) };
}

// Loaded only for commands that connect: SSH (and listr2) cost start-up time `validate` needs not pay.
const openSsh: OpenConnection = async (spec, masker, log) => (await import('./remote/ssh.ts')).openSshConnection(spec, masker, log);

async function makeDisplay(cli: Cli): Promise<Display> {
  if (process.env.PROVISION_RENDERER === 'silent') return new RecordingDisplay();
  const { ListrDisplay } = await import('./engine/display-listr.ts');
  return new ListrDisplay(cli.verbose ? 'verbose' : 'default', cli.verbose);
}

async function cmdRun(cli: Cli): Promise<number> {
  if (cli.json) checkOutputPath(cli.json, '--json');
  if (cli.html) checkOutputPath(cli.html, '--html');
  if (cli.json && cli.html && resolve(cli.json) === resolve(cli.html)) throw new ConfigError(`--json and --html name the same file: ${cli.html}`);
  const { lib, inv, extra } = await load(cli);
  const book = await loadPlaybook(cli.playbook, lib.varsSchema);
  // --list-hosts alone needs no variables or secrets: the patterns and --limit only.
  if (cli.listHosts && !cli.listTasks) {
    console.log(formatListing(book, hostsPerPlay(inv, book, cli.limit), { hosts: true }));
    return EXIT.ok;
  }
  let plans: ReturnType<typeof buildPlan>;
  try {
    plans = buildPlan(inv, book, lib, readDotenv(inv.dir), {
      limit: cli.limit,
      tags: cli.tags,
      skipTags: cli.skipTags,
      sshConfig: loadSshConfig(),
      extraVars: extra,
      ...(cli.startAt !== undefined ? { startAt: cli.startAt } : {}),
    });
  } catch (e) {
    // A role's message may quote a value that came out of the vault.
    if (e instanceof ConfigError && inv.secrets.length) throw maskedError(e, maskerOf(inv));
    throw e;
  }
  if (cli.listTasks) {
    console.log(maskerOf(inv).mask(formatListing(book, hostsPerPlay(inv, book, cli.limit), { hosts: cli.listHosts, plans })));
    return EXIT.ok;
  }
  if (cli.command === 'validate') {
    const masker = maskerOf(inv);
    for (const p of plans) {
      const n = p.roles.reduce((a, r) => a + r.tasks.length, 0);
      const via = p.connection.jumps?.length ? ` via ${p.connection.jumps.map((j) => j.label).join(',')}` : '';
      console.log(masker.mask(`${p.name}: ${p.connection.user}@${p.connection.address}:${p.connection.port}${via} roles=${p.roles.map((r) => r.name).join(',')} tasks=${n}`));
    }
    const sizes = batchSizes(book.rollout.serial, plans.length);
    if (sizes.length > 1 || book.rollout.maxFailPercentage !== undefined) {
      const max = book.rollout.maxFailPercentage;
      console.log(`batches: ${sizes.length} of ${sizes.join(', ')} host(s)${max !== undefined ? `; later batches stop when more than ${max}% of a batch fails` : ''}`);
    }
    console.log(`valid: ${cli.inventory}, ${cli.playbook} (${plans.length} host${plans.length === 1 ? '' : 's'})`);
    return EXIT.ok;
  }
  const info = await runInfo({ root: ROOT, argv: cli.argv, inventory: cli.inventory, playbook: cli.playbook, check: cli.check });
  const interrupt = onInterrupt((line) => console.error(line));
  let report: RunReport;
  try {
    report = await runPlans(plans, {
      check: cli.check,
      forks: cli.forks,
      display: await makeDisplay(cli),
      open: openSsh,
      info,
      lockTimeoutMs: cli.lockTimeoutS * 1000,
      stopRequested: interrupt.requested,
      rollout: book.rollout,
    });
  } finally {
    interrupt.dispose();
  }
  const changes = formatChanges(report, cli.diff || cli.check);
  if (changes) console.log(`\n${changes}`);
  console.log(`\n${formatRecap(report)}`);
  if (cli.json) await writePrivateFile(cli.json, JSON.stringify(toJsonReport(report), null, 2) + '\n');
  if (cli.html) await writePrivateFile(cli.html, renderHtmlReport(report, { generatedAt: new Date().toISOString() }));
  return exitCodeOf(report, interrupt.requested());
}

/** A run's exit code: interrupted, else any host failed, unreachable or never started, else drift in check mode. */
export function exitCodeOf(report: RunReport, interrupted: boolean): number {
  const hosts = Object.values(report.hosts);
  if (interrupted) return EXIT.interrupted;
  if (hosts.some((h) => h.failed || h.unreachable || h.notRun)) return EXIT.failed;
  if (report.check && hosts.some((h) => h.changed)) return EXIT.drift;
  return EXIT.ok;
}

async function cmdFacts(cli: Cli): Promise<number> {
  const { inv } = await load(cli);
  const names = limitedHosts(cli, inv);
  const secrets = readDotenv(inv.dir);
  const ssh = sshContextOf(secrets);
  let rc: number = EXIT.ok;
  const out: Record<string, unknown> = {};
  await Promise.all(
    names.map(async (name) => {
      const host = inv.byName.get(name);
      if (!host) return;
      try {
        const conn = await openSsh(connectionOf(inv, host, lookupSecret(secrets, 'PROVISION_BECOME_PASSWORD'), ssh), maskerOf(inv), () => {});
        try {
          const [r, docker] = (await conn.readMany([FACTS.cmd, DOCKER_VERSION.cmd])).results;
          if (!r?.ok || !docker) throw new Error(`cannot read facts: ${r?.stderr.trim() || 'no answer'}`);
          out[name] = { ...FACTS.parse(r), docker: { version: DOCKER_VERSION.parse(docker) } };
        } finally {
          conn.close();
        }
      } catch (e) {
        out[name] = { error: (e as Error).message };
        rc = EXIT.failed;
      }
    }),
  );
  console.log(JSON.stringify(out, null, 2));
  return rc;
}

async function cmdHistory(cli: Cli): Promise<number> {
  const { inv } = await load(cli);
  const names = limitedHosts(cli, inv);
  const secrets = readDotenv(inv.dir);
  const becomePassword = lookupSecret(secrets, 'PROVISION_BECOME_PASSWORD');
  const ssh = sshContextOf(secrets);
  const out = await Promise.all(
    names.map(async (name) => {
      const host = inv.byName.get(name);
      return host ? historyFor(name, () => openSsh(connectionOf(inv, host, becomePassword, ssh), maskerOf(inv), () => {}), cli.historyCount) : { text: '', ok: true };
    }),
  );
  console.log(out.map((o) => o.text).join('\n'));
  return out.every((o) => o.ok) ? EXIT.ok : EXIT.failed;
}

export async function main(argv: string[]): Promise<number> {
  let cli: Cli;
  try {
    cli = parseCli(argv);
  } catch (e) {
    console.error(`provision: ${(e as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    switch (cli.command) {
      case 'apply':
      case 'check':
      case 'validate':
        return await cmdRun(cli);
      case 'facts':
        return await cmdFacts(cli);
      case 'history':
        return await cmdHistory(cli);
      case 'help':
        console.log(USAGE);
        return EXIT.ok;
      default:
        console.error(`provision: unknown command "${cli.command}"\n\n${USAGE}`);
        return EXIT.usage;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`provision: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
}

/** A masker for commands without a plan: the inventory's vault secrets. */
function maskerOf(inv: Inventory): Masker {
  const m = new Masker();
  m.add(...inv.secrets);
  return m;
}

function maskedError(e: ConfigError, m: Masker): ConfigError {
  return new ConfigError(m.mask(e.message.split('\n')[0] ?? ''), e.problems.map((p) => m.mask(p)));
}

/** Hosts a --limit selects; any term matching nothing is an error (exit 2), as in a run. */
function limitedHosts(cli: Cli, inv: Inventory): string[] {
  if (!cli.limit) return inv.hosts;
  const sel = selectHosts(cli.limit, inv);
  const problems = sel.unknown.map((t) => limitTermProblem(cli.limit!, t, inv));
  if (!problems.length && !sel.hosts.length) problems.push(`--limit ${cli.limit}: matches no host in ${inv.file}`);
  if (problems.length) throw new ConfigError(problems[0]!, problems);
  return sel.hosts;
}
