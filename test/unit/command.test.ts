import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Cmd, quote, raw, script, Secret, sh, withDisplay } from '../../src/remote/command.ts';

describe('quote', () => {
  test('plain words stay plain', () => {
    for (const w of ['docker', '/etc/docker/daemon.json', 'a-b_c.d', 'user@host:22', 'x=1,y=2', '50%', 'a+b', '^x']) {
      assert.equal(quote(w), w);
    }
  });
  test('empty string', () => assert.equal(quote(''), "$''"));
  test('space', () => assert.equal(quote('a b'), "$'a b'"));
  test('single quote', () => assert.equal(quote("it's"), "$'it\\'s'"));
  test('double quotes', () => assert.equal(quote('say "hi"'), `$'say "hi"'`));
  test('dollar', () => assert.equal(quote('$HOME'), "$'$HOME'"));
  test('backticks', () => assert.equal(quote('`id`'), "$'`id`'"));
  test('backslash', () => assert.equal(quote('a\\b'), "$'a\\\\b'"));
  test('newline', () => assert.equal(quote('a\nb'), "$'a\\nb'"));
  test('tab', () => assert.equal(quote('a\tb'), "$'a\\tb'"));
  test('carriage return', () => assert.equal(quote('a\rb'), "$'a\\rb'"));
  test('other control characters as \\xHH', () => assert.equal(quote('\x01\x1b\x7f'), "$'\\x01\\x1b\\x7f'"));
  test('unicode is kept as is', () => assert.equal(quote('héllo wörld ✓'), "$'héllo wörld ✓'"));
  test('NUL throws', () => assert.throws(() => quote('a\0b'), /NUL/));

  // The proof: bash reads every quoted word back as the exact original string.
  const nasty = [
    '',
    ' ',
    'a b',
    "it's",
    "'",
    "''",
    '"',
    '\\',
    '\\\\',
    "\\'",
    "$'x'",
    '$HOME',
    '${PATH}',
    '$(id -u)',
    '`id -u`',
    '!!',
    '!$',
    'a\nb',
    'trailing newlines\n\n',
    '\n',
    '\ttab\t',
    '\r\n',
    '*',
    '?',
    '[a-z]*',
    '~',
    '~root',
    '{a,b}',
    '-n',
    '--',
    '-e \\n',
    '; rm -rf / #',
    'a && b || c | d > e < f & g',
    '#comment',
    'a#b',
    '%s%d%%',
    'é日本語🙂',
    '\u0085\u2028\u00a0',
    '\x01\x02\x1b[31mred\x1b[0m\x7f',
    '\\x41\\u0041\\n',
    String.fromCharCode(...Array.from({ length: 127 }, (_, i) => i + 1)),
  ];
  test('round trip through bash for nasty strings', () => {
    for (const s of nasty) {
      const out = execFileSync('bash', ['--noprofile', '--norc', '-c', `printf '%s' ${quote(s)}`], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: '/nonexistent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      assert.equal(out, s, `round trip of ${JSON.stringify(s)} via ${quote(s)}`);
    }
  });
  test('round trip of several quoted words keeps word boundaries', () => {
    const words = ['a b', '', '*', "x'y", '$1'];
    const out = execFileSync('bash', ['--noprofile', '--norc', '-c', `printf '<%s>' ${words.map(quote).join(' ')}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(out, words.map((w) => `<${w}>`).join(''));
  });
});

describe('sh template', () => {
  test('interpolated strings are quoted', () => {
    assert.equal(sh`docker network inspect ${'my net'}`.text, "docker network inspect $'my net'");
  });
  test('plain strings are inserted plain', () => {
    assert.equal(sh`docker network create --driver ${'bridge'} ${'infra-network'}`.text, 'docker network create --driver bridge infra-network');
  });
  test('arrays become several words', () => {
    assert.equal(sh`apt-get install ${['curl', 'a b', '']}`.text, "apt-get install curl $'a b' $''");
  });
  test('nested arrays are flattened', () => {
    assert.equal(sh`x ${['a', ['b', 'c d']]}`.text, "x a b $'c d'");
  });
  test('numbers and booleans are raw', () => {
    assert.equal(sh`sleep ${5} ${1.5} ${true}`.text, 'sleep 5 1.5 true');
  });
  test('nested Cmd is inserted as is', () => {
    assert.equal(sh`sudo ${sh`echo ${'a b'}`}`.text, "sudo echo $'a b'");
  });
  test('Raw is inserted as is', () => {
    assert.equal(sh`echo ${raw('$HOME')}`.text, 'echo $HOME');
  });
  test('Secret values are quoted and collected', () => {
    const c = sh`login -p ${new Secret('s3cr et!')} -u ${'me'}`;
    assert.equal(c.text, "login -p $'s3cr et!' -u me");
    assert.deepEqual(c.secrets, ['s3cr et!']);
  });
  test('secrets of nested commands are collected', () => {
    const inner = sh`echo ${new Secret('inner-secret')}`;
    const c = sh`${inner} && echo ${new Secret('outer-secret')}`;
    assert.deepEqual(c.secrets, ['inner-secret', 'outer-secret']);
  });
  test('a command without secrets has none', () => assert.deepEqual(sh`true`.secrets, []));
  test('Secret.toString hides the value', () => assert.equal(`${new Secret('pw123456')}`, '***'));
  test('Cmd.toString is the text without a display', () => assert.equal(String(sh`ls ${'a b'}`), "ls $'a b'"));
  test('Cmd.toString uses the display', () => {
    const c = withDisplay(sh`printf %s ${'payload'}`, 'write /etc/x');
    assert.equal(String(c), 'write /etc/x');
    assert.equal(c.text, 'printf %s payload');
  });
  test('NUL in an interpolated value throws', () => assert.throws(() => sh`echo ${'a\0'}`, /NUL/));
});

describe('script', () => {
  test('joins commands one per line and collects secrets', () => {
    const s = script(sh`mkdir -p ${'/a b'}`, sh`echo ${new Secret('topsecret')}`, new Cmd('true'));
    assert.equal(s.text, "mkdir -p $'/a b'\necho topsecret\ntrue");
    assert.deepEqual(s.secrets, ['topsecret']);
  });
  test('an empty script is empty', () => assert.equal(script().text, ''));
});
