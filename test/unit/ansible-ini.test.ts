import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.ts';
import { expandHostRange, looksLikeIni, parseIniInventory, shlexSplit } from '../../src/config/ansible/ini.ts';
import { literalEval } from '../../src/config/ansible/python-literal.ts';

describe('literalEval (Python literal_eval as Ansible INI uses it)', () => {
  test('numbers, booleans, None, quoted strings, containers; anything else stays a string', () => {
    assert.equal(literalEval('2222'), 2222);
    assert.equal(literalEval('-1.5'), -1.5);
    assert.equal(literalEval('True'), true);
    assert.equal(literalEval('False'), false);
    assert.equal(literalEval('None'), null);
    assert.equal(literalEval("'a b'"), 'a b');
    assert.deepEqual(literalEval("[1, 'x', (2, 3)]"), [1, 'x', [2, 3]]);
    assert.deepEqual(literalEval("{'k': True}"), { k: true });
    assert.equal(literalEval('23 # a comment'), 23);
    for (const s of ['yes', '10.0.0.5', 'FALSE', '007', 'deploy', '/home/x/.ssh/id', '{broken', '1j']) assert.equal(literalEval(s), s);
  });
});

describe('INI inventory', () => {
  test('detected by content', () => {
    assert.equal(looksLikeIni('# c\n[web]\nweb1\n'), true);
    assert.equal(looksLikeIni('web1 ansible_host=1.2.3.4\n'), true);
    assert.equal(looksLikeIni('all:\n  hosts:\n'), false);
    assert.equal(looksLikeIni('---\nall: {}\n'), false);
  });

  test('shlex split with quotes and # comments', () => {
    assert.deepEqual(shlexSplit(`h a=1 b="x y" c='q#r' d=p#ass # comment`), ['h', 'a=1', 'b=x y', 'c=q#r', 'd=p']);
    assert.throws(() => shlexSplit('h a="open'), /no closing quotation/);
  });

  test('ranges: numeric with padding, letters, steps, several ranges', () => {
    assert.deepEqual(expandHostRange('web[01:03]'), ['web01', 'web02', 'web03']);
    assert.deepEqual(expandHostRange('db-[a:c]'), ['db-a', 'db-b', 'db-c']);
    assert.deepEqual(expandHostRange('n[0:6:3].lan'), ['n0.lan', 'n3.lan', 'n6.lan']);
    assert.deepEqual(expandHostRange('r[1:2]-[a:b]'), ['r1-a', 'r1-b', 'r2-a', 'r2-b']);
    assert.throws(() => expandHostRange('web[01:3]'), /same length/);
    assert.throws(() => expandHostRange('web[3:1]'), /after the end/);
  });

  test('groups, children, vars, host vars typed, port after the name', () => {
    const src = parseIniInventory(
      [
        'lonely',
        '[web]',
        'web[01:02] ansible_user=deploy',
        'app1:2222 ansible_become=True note="two words"',
        '[web:vars]',
        'http_port=8080',
        'greeting = hello world',
        '[prod:children]',
        'web',
        '[all:vars]',
        'ansible_become=yes',
      ].join('\n'),
      'inv.ini',
    );
    assert.deepEqual([...src.hosts.keys()], ['lonely', 'web01', 'web02', 'app1']);
    assert.deepEqual(src.groups.get('web')?.hosts, ['web01', 'web02', 'app1']);
    assert.deepEqual(src.groups.get('prod')?.children, ['web']);
    assert.deepEqual(src.groups.get('ungrouped')?.hosts, ['lonely']);
    const app = src.hosts.get('app1')?.[0];
    assert.deepEqual(app?.vars, { ansible_port: 2222, ansible_become: true, note: 'two words' });
    assert.equal(app?.origins.get('note'), 'inv.ini:4');
    const wv = src.groups.get('web')?.vars[0];
    assert.deepEqual(wv?.vars, { http_port: 8080, greeting: 'hello world' });
    assert.equal(wv?.origins.get('greeting'), 'inv.ini:7');
    assert.deepEqual(src.groups.get('all')?.vars[0]?.vars, { ansible_become: 'yes' });
  });

  test('every problem named with file:line', () => {
    try {
      parseIniInventory(['[web:vars]', 'x=1', '[db:frob]', '[bad name]', '[web]', 'h1 novalue', '[p:children]', 'ghost'].join('\n'), 'bad.ini');
      assert.fail('parsed');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.ok(e.problems.includes('bad.ini:3: section [db:frob] has an unknown type "frob" (hosts, vars or children)'), e.message);
      assert.ok(e.problems.some((p) => p.startsWith('bad.ini:4: invalid section')), e.message);
      assert.ok(e.problems.includes('bad.ini:6: expected key=value after the host name, got "novalue"'), e.message);
      assert.ok(e.problems.includes('bad.ini:8: section [p:children] names group "ghost", defined nowhere in this file'), e.message);
    }
    assert.throws(() => parseIniInventory('[x:vars]\na=1\n', 'v.ini'), /v\.ini:1: section \[x:vars\] is for a group defined nowhere/);
  });
});
