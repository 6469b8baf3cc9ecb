import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { selectHosts, suggest, type HostIndex } from '../../src/config/patterns.ts';

const idx: HostIndex = {
  hosts: ['web1', 'web2', 'db1', 'devvm'],
  groups: new Map([
    ['all', ['web1', 'web2', 'db1', 'devvm']],
    ['web', ['web1', 'web2']],
    ['db', ['db1']],
    ['prod', ['web1', 'db1']],
    ['dev', ['devvm']],
  ]),
};
const sel = (p: string) => selectHosts(p, idx);

describe('selectHosts', () => {
  test('all', () => assert.deepEqual(sel('all'), { hosts: ['web1', 'web2', 'db1', 'devvm'], unknown: [] }));
  test('*', () => assert.deepEqual(sel('*').hosts, ['web1', 'web2', 'db1', 'devvm']));
  test('group', () => assert.deepEqual(sel('web'), { hosts: ['web1', 'web2'], unknown: [] }));
  test('host', () => assert.deepEqual(sel('db1'), { hosts: ['db1'], unknown: [] }));
  test('glob on host names', () => assert.deepEqual(sel('web?').hosts, ['web1', 'web2']));
  test('glob on group names selects their hosts', () => assert.deepEqual(sel('pro*').hosts, ['web1', 'db1']));
  test('a glob matching nothing is reported', () => assert.deepEqual(sel('web1,zz*'), { hosts: ['web1'], unknown: ['zz*'] }));
  test('only exclusions start from all hosts (--limit \'!web1\')', () => assert.deepEqual(sel('!web1'), { hosts: ['web2', 'db1', 'devvm'], unknown: [] }));
  test('only an intersection starts from all hosts', () => assert.deepEqual(sel('&prod').hosts, ['web1', 'db1']));
  test('an exclusion of a name that does not exist is reported, not ignored', () => {
    assert.deepEqual(sel('all:!wbe1'), { hosts: ['web1', 'web2', 'db1', 'devvm'], unknown: ['wbe1'] });
  });
  test('union with :', () => assert.deepEqual(sel('db:dev').hosts, ['db1', 'devvm']));
  test('union with , keeps inventory order', () => assert.deepEqual(sel('devvm,web1').hosts, ['web1', 'devvm']));
  test('union with spaces around terms', () => assert.deepEqual(sel('db , dev').hosts, ['db1', 'devvm']));
  test('& intersection', () => assert.deepEqual(sel('web:&prod').hosts, ['web1']));
  test('! exclusion', () => assert.deepEqual(sel('all:!web').hosts, ['db1', 'devvm']));
  test('exclusion applies after intersection, whatever the order written', () => {
    assert.deepEqual(sel('!db1:all:&prod').hosts, ['web1']);
  });
  test('unknown names are reported', () => {
    assert.deepEqual(sel('web:nosuch:db:typo'), { hosts: ['web1', 'web2', 'db1'], unknown: ['nosuch', 'typo'] });
  });
  test('a dot in a glob is literal', () => {
    const i: HostIndex = { hosts: ['a.b', 'axb'], groups: new Map() };
    assert.deepEqual(selectHosts('a.*', i).hosts, ['a.b']);
  });
});

describe('suggest', () => {
  test('a transposition is one step', () => assert.equal(suggest('ansible_hots', ['ansible_host', 'ansible_port']), 'ansible_host'));
  test('a missing letter', () => assert.equal(suggest('grafna', ['grafana', 'loki', 'tempo']), 'grafana'));
  test('nothing close', () => assert.equal(suggest('zzz', ['grafana', 'loki']), undefined));
  test('receivers', () => assert.equal(suggest('recievers', ['receivers', 'route', 'global']), 'receivers'));
});
