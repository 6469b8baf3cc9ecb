// Issue 10: every bad input is answered before any host is contacted. Each case runs the real
// CLI (`apply`) against an inventory whose only host is a local TCP listener that counts
// connections: the case passes only with exit 2, the file and the place named, no stack trace,
// and no connection made.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { main } from '../../src/cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SITE = join(ROOT, 'playbooks/site.yml');
const APPS = { shioaji_gateway: 'me/gw:1', shioaji_backend: 'me/be:1', shioaji_frontend: 'me/fe:1', force_recorder: 'me/fr:1', ibapi_web: 'me/web:1', ibapi_api: 'me/api:1' };
const GOOD_ENV = 'GRAFANA_ADMIN_PASSWORD=grafana-pw-123\nPOSTGRES_PASSWORD=postgres-pw-1234\n';

let server: Server;
let port = 0;
let contacted = 0;
before(async () => {
  server = createServer((s) => {
    contacted++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());

interface Dir {
  dir: string;
  inv: string;
  key: string;
}

function setup(): Dir {
  const dir = mkdtempSync(join(tmpdir(), 'bad-input-'));
  const key = join(dir, 'id_test');
  writeFileSync(key, 'not a real key\n', { mode: 0o600 });
  writeFileSync(join(dir, '.env'), GOOD_ENV, { mode: 0o600 });
  return { dir, inv: join(dir, 'hosts.yml'), key };
}

/** A valid inventory with `host` merged into the host's vars and `vars` into all.vars. */
function inventory(d: Dir, host: Record<string, unknown> = {}, vars: Record<string, unknown> = {}): string {
  const h = { ansible_host: '127.0.0.1', ansible_port: port, ansible_user: 'deploy', ansible_ssh_private_key_file: d.key, host_key_checking: 'off', ...host };
  return stringify({ all: { hosts: { vm1: h }, vars: { domain: 'example.test', images: APPS, ...vars } } });
}

interface Case {
  name: string;
  /** Writes the files; returns extra CLI arguments. */
  make: (d: Dir) => string[] | void;
  /** What stderr must say (the place named). */
  says: RegExp;
  /** The CLI arguments before the case's own (default: apply -i <inv> -p site). */
  base?: (d: Dir) => string[];
}

const inv = (host?: Record<string, unknown>, vars?: Record<string, unknown>) => (d: Dir) => void writeFileSync(d.inv, inventory(d, host, vars));
const raw = (text: string | Buffer) => (d: Dir) => void writeFileSync(d.inv, text);
const env = (text: string) => (d: Dir) => {
  writeFileSync(d.inv, inventory(d));
  writeFileSync(join(d.dir, '.env'), text);
};
const args = (...a: string[]) => (d: Dir) => {
  writeFileSync(d.inv, inventory(d));
  return a;
};

const CASES: Case[] = [
  // YAML itself
  { name: 'YAML syntax: bad indentation', make: raw('all:\n  hosts:\n    vm1:\n   vars: {}\n'), says: /hosts\.yml:\d+:\d+: / },
  { name: 'YAML syntax: unclosed flow mapping', make: raw('all: { hosts: { vm1: {}\n'), says: /hosts\.yml:\d+:\d+: / },
  { name: 'YAML syntax: a tab for indentation', make: raw('all:\n\thosts:\n'), says: /hosts\.yml:\d+:\d+: / },
  { name: 'duplicate key in the inventory', make: raw('all:\n  hosts:\n    vm1:\n    vm1:\n'), says: /hosts\.yml:\d+:\d+: Map keys must be unique/ },
  { name: 'alias bomb', make: raw(['a: &a [x,x,x,x,x,x,x,x,x]', ...Array.from({ length: 8 }, (_, i) => `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`)].join('\n')), says: /hosts\.yml: inventory expands aliases too many times/ },
  { name: 'alias cycle', make: raw('all:\n  vars: &v\n    x: *v\n'), says: /hosts\.yml:3:\d+: the alias \*v refers to a node that contains it/ },
  { name: 'empty inventory file', make: raw(''), says: /hosts\.yml: the inventory has no hosts/ },
  { name: 'binary inventory', make: raw(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2])), says: /hosts\.yml: inventory holds NUL bytes/ },
  { name: 'huge inventory', make: raw(Buffer.alloc(9 << 20, 0x20)), says: /hosts\.yml: inventory is \d+ bytes/ },
  { name: 'an empty directory for the inventory', make: (d) => void mkdirSync(d.inv), says: /hosts\.yml: the inventory directory holds no inventory file/ },
  { name: 'missing inventory', make: () => undefined, says: /hosts\.yml: cannot read inventory: ENOENT/ },
  { name: '!!binary value', make: raw('all:\n  hosts:\n    vm1:\n  vars:\n    domain: !!binary ZXhhbXBsZQ==\n'), says: /hosts\.yml:5:\d+: a !!binary value/ },
  { name: 'inventory with no hosts', make: raw('all:\n  vars: {}\n'), says: /hosts\.yml: the inventory has no hosts/ },
  // Types and ranges
  { name: 'ansible_port not a number', make: inv({ ansible_port: 'twenty-two' }), says: /hosts\.yml:\d+: all\/hosts\/vm1\/ansible_port/ },
  { name: 'ansible_port out of range', make: inv({ ansible_port: 70000 }), says: /hosts\.yml:\d+: all\/hosts\/vm1\/ansible_port: must be a port number from 1 to 65535/ },
  { name: 'ansible_port zero', make: inv({ ansible_port: 0 }), says: /all\/hosts\/vm1\/ansible_port: must be a port number from 1 to 65535/ },
  { name: 'ansible_become not a boolean', make: inv({ ansible_become: 'maybe' }), says: /all\/hosts\/vm1\/ansible_become/ },
  { name: 'http_port a string', make: inv({}, { http_port: 'eighty' }), says: /all\/vars\/http_port: must be integer/ },
  { name: 'log_collector not one of the two', make: inv({}, { log_collector: 'fluentd' }), says: /all\/vars\/log_collector: must be one of promtail, alloy/ },
  { name: 'stacks_dir relative', make: inv({}, { stacks_dir: 'opt/stacks' }), says: /all\/vars\/stacks_dir: must match pattern/ },
  { name: 'stacks_dir with ..', make: inv({}, { stacks_dir: '/opt/../etc' }), says: /all\/vars\/stacks_dir: must match pattern/ },
  { name: 'stacks_dir with a newline', make: inv({}, { stacks_dir: '/opt/x\n/y' }), says: /all\/vars\/stacks_dir: must match pattern/ },
  { name: 'unknown nested key images.grafna', make: inv({}, { images: { ...APPS, grafna: 'g:1' } }), says: /all\/vars\/images\/grafna: unknown key \(did you mean "grafana"\?\)/ },
  { name: 'unknown nested key alertmanager.recievers', make: inv({}, { alertmanager: { recievers: [] } }), says: /all\/vars\/alertmanager\/recievers: unknown key \(did you mean "receivers"\?\)/ },
  { name: 'unknown variable', make: inv({ stacks_dri: '/srv' }), says: /all\/hosts\/vm1\/stacks_dri: unknown key \(did you mean "stacks_dir"\?\)/ },
  { name: 'empty app target job', make: inv({}, { app_metrics_targets: [{ job: '', targets: ['a:1'] }] }), says: /app_metrics_targets\[0\]\.job/ },
  { name: 'app target with a shell metacharacter', make: inv({}, { app_metrics_targets: [{ job: 'a', targets: ['a;b:1'] }] }), says: /app_metrics_targets\[0\]/ },
  { name: 'replace_containers with $()', make: inv({}, { replace_containers: ['$(reboot)'] }), says: /all\/vars\/replace_containers\/0: must match pattern/ },
  // ansible_* keys: unknown ones suggested, behaviour-changing ones refused (never ignored)
  { name: 'ansible_hots typo', make: inv({ ansible_hots: '10.0.0.1' }), says: /hosts\.yml:\d+: all\/hosts\/vm1\/ansible_hots: unknown key \(did you mean "ansible_host"\?\)/ },
  { name: 'an ansible_* key nobody knows', make: inv({}, { ansible_frobnicate: true }), says: /hosts\.yml:\d+: all\/vars\/ansible_frobnicate: unknown key/ },
  { name: 'INI inventory with ansible_hots', make: raw('[web]\nvm1 ansible_hots=127.0.0.1\n'), says: /hosts\.yml:2: ansible_hots: unknown key \(did you mean "ansible_host"\?\)/ },
  { name: 'ansible_become_user other than root', make: inv({ ansible_become_user: 'postgres' }), says: /hosts\.yml:\d+: all\/hosts\/vm1\/ansible_become_user: only root is supported/ },
  { name: 'ansible_become_method su', make: inv({ ansible_become_method: 'su' }), says: /all\/hosts\/vm1\/ansible_become_method: only sudo/ },
  { name: 'ansible_connection local', make: inv({ ansible_connection: 'local' }), says: /all\/hosts\/vm1\/ansible_connection: provision reaches every host over SSH/ },
  { name: 'ansible_ssh_pass (value never shown)', make: inv({}, { ansible_ssh_pass: 'Hunter2-pw' }), says: /all\/vars\/ansible_ssh_pass: SSH passwords are not used \(and never printed\): log in with a key file(?![^]*Hunter2)/ },
  { name: 'ansible_password in INI group vars', make: raw('[web]\nvm1\n[web:vars]\nansible_password=Hunter2-pw\n'), says: /hosts\.yml:4: ansible_password: SSH passwords are not used(?![^]*Hunter2)/ },
  { name: 'ansible_become_flags with -i', make: inv({ ansible_become_flags: '-i' }), says: /all\/hosts\/vm1\/ansible_become_flags: provision runs sudo -H itself/ },
  { name: 'ansible_ssh_timeout not a number', make: inv({ ansible_ssh_timeout: 'soon' }), says: /all\/hosts\/vm1\/ansible_ssh_timeout: must be a whole number of seconds/ },
  // Groups, roles, tags, patterns
  { name: 'a group of the wrong shape', make: raw('all:\n  hosts:\n    vm1:\n  children:\n    web: [vm1]\n'), says: /hosts\.yml:5: all\/children\/web: must be object,null/ },
  { name: 'unknown role in the playbook', make: (d) => { writeFileSync(d.inv, inventory(d)); const p = join(d.dir, 'book.yml'); writeFileSync(p, '- hosts: all\n  roles: [dockr]\n'); return ['-p', p]; }, says: /book\.yml: 0\/roles\/0: unknown role "dockr"/ },
  { name: 'duplicate key in the playbook', make: (d) => { writeFileSync(d.inv, inventory(d)); const p = join(d.dir, 'book.yml'); writeFileSync(p, '- hosts: all\n  hosts: web\n  roles: [docker]\n'); return ['-p', p]; }, says: /book\.yml:2:\d+: Map keys must be unique/ },
  { name: 'play pattern matching no host', make: (d) => { writeFileSync(d.inv, inventory(d)); const p = join(d.dir, 'book.yml'); writeFileSync(p, '- hosts: webservers\n  roles: [docker]\n'); return ['-p', p]; }, says: /book\.yml: 0\/hosts: "webservers" matches no host/ },
  { name: 'unknown tag', make: args('--tags', 'dockr'), says: /dockr/ },
  { name: '--limit with a typo', make: args('--limit', 'vm1,vm9'), says: /--limit vm1,vm9: "vm9" matches no host or group/ },
  { name: '--limit excluding a host that does not exist', make: args('--limit', '!vm2'), says: /"vm2" matches no host or group .*did you mean "vm1"/ },
  // Command line
  { name: 'unknown flag', make: args('--forkz', '3'), says: /Unknown option '--forkz'/ },
  { name: '--forks 0', make: args('--forks', '0'), says: /--forks/ },
  { name: '--forks not a number', make: args('--forks', 'many'), says: /--forks/ },
  { name: '--lock-timeout negative', make: args('--lock-timeout', '-5'), says: /--lock-timeout/ },
  { name: 'a stray argument', make: args('extra'), says: /unexpected argument: extra/ },
  { name: '--json into a missing directory', make: args('--json', '/nonexistent/dir/report.json'), says: /\/nonexistent\/dir\/report\.json/ },
  { name: 'missing playbook', make: args('-p', '/nonexistent/book.yml'), says: /\/nonexistent\/book\.yml: cannot read playbook/ },
  // -e extra vars
  { name: '-e with an unknown key', make: args('-e', 'domian=x.test'), says: /-e #1 domian=…: domian: unknown key \(did you mean "domain"\?\)/ },
  { name: '-e key=value where a number is wanted', make: args('-e', 'http_port=8080'), says: /-e #1 http_port=…: http_port: must be integer \(key=value gives a string/ },
  { name: '-e a word that is not key=value', make: args('-e', 'verbose'), says: /-e #1: expected key=value, @FILE or a JSON\/YAML mapping/ },
  { name: '-e broken inline JSON', make: args('-e', '{"domain": "x.test"'), says: /-e #1:1:\d+: / },
  { name: '-e @file that is missing', make: args('-e', '@/nonexistent/vars.yml'), says: /\/nonexistent\/vars\.yml: cannot read extra vars file: ENOENT/ },
  { name: '-e @file with a bad value on its line', make: (d) => { writeFileSync(d.inv, inventory(d)); const f = join(d.dir, 'vars.yml'); writeFileSync(f, 'domain: example.test\nstacks_dir: relative/dir\n'); return ['-e', `@${f}`]; }, says: /vars\.yml:2: stacks_dir: must match pattern/ },
  { name: '-e domain with $()', make: args('-e', 'domain=x$(reboot).test'), says: /-e: role infra: domain: "x\$\(reboot\)\.test" is not a valid lowercase DNS name/ },
  // --list-hosts / --list-tasks / --start-at-task
  { name: '--start-at-task with a typo', make: args('--start-at-task', 'service docker enabled and runing'), says: /--start-at-task "service docker enabled and runing": no task of this run has that name \(did you mean "service docker enabled and running"\?\)/ },
  { name: '--start-at-task empty', make: args('--start-at-task', ''), says: /--start-at-task needs the name of a task/ },
  { name: '--list-hosts with a --limit typo', make: args('--list-hosts', '--limit', 'vm7'), says: /--limit vm7: "vm7" matches no host or group .*did you mean "vm1"/ },
  { name: '--list-tasks with an unknown tag', make: args('--list-tasks', '--tags', 'dokcer'), says: /--tags dokcer: no task has this tag/ },
  // .env
  { name: '.env unterminated quote', make: env('GRAFANA_ADMIN_PASSWORD="grafana-pw-123\nPOSTGRES_PASSWORD=postgres-pw-1234\n'), says: /\.env:1: GRAFANA_ADMIN_PASSWORD: the value opens a " quote that is never closed/ },
  { name: '.env duplicate key', make: env(`${GOOD_ENV}POSTGRES_PASSWORD=other-pw-99\n`), says: /\.env:3: POSTGRES_PASSWORD is set again \(first on line 2\)/ },
  { name: '.env a directory', make: (d) => { writeFileSync(d.inv, inventory(d)); const e = join(d.dir, '.env'); rmSync(e); mkdirSync(e); }, says: /\.env: \.env must be a file/ },
  { name: '.env missing secret', make: env('GRAFANA_ADMIN_PASSWORD=grafana-pw-123\n'), says: /\.env: missing secret POSTGRES_PASSWORD/ },
  { name: '.env secret too short', make: env('GRAFANA_ADMIN_PASSWORD=abc\nPOSTGRES_PASSWORD=postgres-pw-1234\n'), says: /secret GRAFANA_ADMIN_PASSWORD is shorter than/ },
  { name: '.env secret with a line break', make: env('GRAFANA_ADMIN_PASSWORD="two\\nlines-pw"\nPOSTGRES_PASSWORD=postgres-pw-1234\n'), says: /GRAFANA_ADMIN_PASSWORD/ },
  { name: '.env junk line', make: env(`${GOOD_ENV}this is not a variable\n`), says: /\.env:3: not KEY=VALUE/ },
  // Values that reach a host: refused, never quoted into a surprise
  { name: 'domain with $()', make: inv({}, { domain: 'x$(touch /tmp/pwned).test' }), says: /domain/ },
  { name: 'domain with backticks', make: inv({}, { domain: 'x`id`.test' }), says: /domain/ },
  { name: 'domain with a newline', make: inv({}, { domain: 'a.test\nb' }), says: /domain/ },
  { name: 'domain with a leading dash', make: inv({}, { domain: '-oProxyCommand=x' }), says: /domain/ },
  { name: 'domain in unicode', make: inv({}, { domain: 'dömain.test' }), says: /domain/ },
  { name: 'ansible_host with a space and ;', make: inv({ ansible_host: '10.0.0.1; reboot' }), says: /all\/hosts\/vm1\/ansible_host/ },
  { name: 'ansible_host with a leading dash', make: inv({ ansible_host: '-oProxyCommand=touch' }), says: /all\/hosts\/vm1\/ansible_host/ },
  { name: 'ansible_user with a quote', make: inv({ ansible_user: "de'ploy" }), says: /all\/hosts\/vm1\/ansible_user/ },
  { name: 'missing SSH key file', make: inv({ ansible_ssh_private_key_file: '/nonexistent/id_ed25519' }), says: /hosts\.yml: ansible_ssh_private_key_file of vm1: \/nonexistent\/id_ed25519: no such file/ },
  { name: 'image with a quote', make: inv({}, { images: { ...APPS, ibapi_api: "me/api:1'; reboot'" } }), says: /ibapi_api/ },
  { name: 'grafana_admin_user with $()', make: inv({}, { grafana_admin_user: 'admin$(id)' }), says: /grafana_admin_user/ },
];


async function run(argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const { log, error } = console;
  console.log = () => undefined;
  console.error = (...a: unknown[]) => void err.push(a.map(String).join(' '));
  try {
    const code = await main(argv);
    return { code, err: err.join('\n') };
  } catch (e) {
    return { code: -1, err: `${err.join('\n')}\nTHROWN: ${(e as Error).stack ?? String(e)}` };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe(`bad input: ${CASES.length} cases, each exit 2 before any host is contacted`, () => {
  test('the table is at least 45 cases', () => assert.ok(CASES.length >= 45, String(CASES.length)));
  test('the good inventory itself validates (so each case fails for its own reason)', async () => {
    const d = setup();
    writeFileSync(d.inv, inventory(d));
    const r = await run(['validate', '-i', d.inv, '-p', SITE]);
    assert.equal(r.code, 0, r.err);
  });
  for (const c of CASES) {
    test(c.name, async () => {
      const d = setup();
      const extra = c.make(d) ?? [];
      const before = contacted;
      const r = await run(['apply', '-i', d.inv, '-p', SITE, ...extra]);
      assert.equal(r.code, 2, `exit ${r.code}\n${r.err}`);
      assert.match(r.err, c.says);
      assert.doesNotMatch(r.err, /\n\s+at .+[(:]\d+/, 'no stack trace');
      assert.equal(contacted, before, 'a host was contacted');
    });
  }
});
