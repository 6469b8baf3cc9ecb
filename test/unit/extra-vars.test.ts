// -e / --extra-vars as ansible-playbook takes them: key=value strings, @file, inline JSON;
// merged in order, over every other source, each checked with the inventory's vars schema.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.ts';
import { loadExtraVars, withExtraVars } from '../../src/config/extra-vars.ts';
import { connectionOf, loadInventory } from '../../src/config/inventory.ts';
import { loadPlaybook } from '../../src/config/playbook.ts';
import { buildPlan } from '../../src/engine/plan.ts';
import { main } from '../../src/cli.ts';
import { echoRoles } from '../fakes/echo-roles.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ROLE_VARS = { level: { type: 'string' }, count: { type: 'integer' }, images: { type: 'object', properties: { grafana: { type: 'string' }, loki: { type: 'string' } }, additionalProperties: false } };

function tmp(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'extra-vars-')), name);
  writeFileSync(file, text);
  return file;
}

async function problems(args: string[]): Promise<string[]> {
  try {
    await loadExtraVars(args, ROLE_VARS);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail('accepted');
}

describe('loadExtraVars', () => {
  test('key=value values are strings, several per -e, quoted as a shell would', async () => {
    assert.deepEqual(await loadExtraVars(['level="two words"', 'ansible_port=2222'], ROLE_VARS), { level: 'two words', ansible_port: '2222' });
  });
  test('@file (YAML or JSON) and inline JSON keep their types; later -e wins, objects merged', async () => {
    const file = tmp('vars.yml', 'count: 3\nimages:\n  grafana: g:1\n  loki: l:1\n');
    const json = tmp('vars.json', '{"level": "from-json"}');
    const v = await loadExtraVars([`@${file}`, 'level=kv', `@${json}`, '{"images": {"loki": "l:2"}, "count": 5}'], ROLE_VARS);
    assert.deepEqual(v, { count: 5, images: { grafana: 'g:1', loki: 'l:2' }, level: 'from-json' });
  });
  test('an empty vars file is no variables', async () => {
    assert.deepEqual(await loadExtraVars([`@${tmp('empty.yml', '')}`], ROLE_VARS), {});
  });
  test('a vars file is checked with file:line and did-you-mean', async () => {
    const file = tmp('vars.yml', 'level: ok\nimages:\n  grafna: g:1\ncount: many\n');
    assert.deepEqual((await problems([`@${file}`])).sort(), [
      `${file}:3: images/grafna: unknown key (did you mean "grafana"?)`,
      `${file}:4: count: must be integer`,
    ]);
  });
  test('key=value: a string where a number is wanted says how to pass a number', async () => {
    assert.deepEqual(await problems(['count=3']), [`-e #1 count=…: count: must be integer (key=value gives a string; pass other types as JSON: -e '{"count": …}')`]);
  });
  test('unknown keys and refused ansible_* keys, named by the -e they came from, values never shown', async () => {
    const p = await problems(['levle=x', '{"ansible_ssh_pass": "Hunter2-pw"}']);
    assert.deepEqual(p, [
      '-e #1 levle=…: levle: unknown key (did you mean "level"?)',
      '-e #2:1: ansible_ssh_pass: SSH passwords are not used (and never printed): log in with a key file (ansible_ssh_private_key_file) or a key in ssh-agent',
    ]);
    assert.doesNotMatch(p.join('\n'), /Hunter2/);
  });
  test('what is not key=value, @file or a mapping', async () => {
    await assert.rejects(loadExtraVars(['justaword'], ROLE_VARS), /-e #1: expected key=value, @FILE or a JSON\/YAML mapping; "justaword"/);
    await assert.rejects(loadExtraVars(['=x'], ROLE_VARS), /-e #1: expected key=value/);
    await assert.rejects(loadExtraVars(['[1, 2]'], ROLE_VARS), /-e #1: must be a mapping of variable names/);
    await assert.rejects(loadExtraVars(['{"level": '], ROLE_VARS), /-e #1:1:\d+: /);
    await assert.rejects(loadExtraVars(['@'], ROLE_VARS), /-e #1: "@" must be followed by a vars file/);
    await assert.rejects(loadExtraVars(['@/nonexistent/vars.yml'], ROLE_VARS), /\/nonexistent\/vars\.yml: cannot read extra vars file: ENOENT/);
    await assert.rejects(loadExtraVars([`@${tmp('list.yml', '- a\n- b\n')}`], ROLE_VARS), /list\.yml: an extra vars file must be a mapping/);
    await assert.rejects(loadExtraVars(["level='open"], ROLE_VARS), /-e #1: no closing quotation/);
  });
});

describe('extra vars win over everything', () => {
  test('over inventory connection keys (ansible_user, ansible_port as a string)', async () => {
    const inv = await loadInventory(tmp('hosts.yml', 'all:\n  hosts:\n    vm1: { ansible_user: deploy, ansible_port: 22 }\n'), ROLE_VARS);
    const extra = await loadExtraVars(['ansible_user=ops ansible_port=2200'], ROLE_VARS);
    const c = connectionOf(inv, withExtraVars(inv, extra).byName.get('vm1')!);
    assert.deepEqual([c.user, c.port], ['ops', 2200]);
  });
  test('over host, play and role variables', async () => {
    const lib = await echoRoles();
    const inv = await loadInventory(tmp('hosts.yml', 'all:\n  hosts:\n    vm1: { level: host }\n'), lib.varsSchema);
    const book = await loadPlaybook(tmp('book.yml', '- hosts: all\n  vars: { level: play }\n  roles:\n    - { role: base, vars: { level: role } }\n'), lib.varsSchema);
    const taskNames = (extra: Record<string, unknown>) =>
      buildPlan(withExtraVars(inv, extra), book, lib, { file: '.env', fromFile: {} }, { extraVars: extra })[0]?.roles[0]?.tasks.map((t) => t.name);
    assert.deepEqual(taskNames({}), ['packages', 'users', 'level is role']);
    assert.deepEqual(taskNames(await loadExtraVars(['level=cli'], lib.varsSchema)), ['packages', 'users', 'level is cli']);
  });
  test('provision validate -e ansible_user=ops shows the login it would use', async () => {
    const out: string[] = [];
    const { log } = console;
    console.log = (...a: unknown[]) => void out.push(a.map(String).join(' '));
    try {
      const code = await main(['validate', '-i', join(ROOT, 'test/fixtures/ansible-layout/cli.ini'), '-p', join(ROOT, 'test/fixtures/cli/docker-host.yml'), '-e', 'ansible_user=ops', '--extra-vars', '{"ansible_port": 2201}']);
      assert.equal(code, 0, out.join('\n'));
    } finally {
      console.log = log;
    }
    assert.ok(out.some((l) => l.startsWith('web01: ops@127.0.0.1:2201 roles=docker,networks')), out.join('\n'));
  });
});
