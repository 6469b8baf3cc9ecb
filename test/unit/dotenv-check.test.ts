// .env problems dotenv would swallow are errors naming the line; what dotenv reads well passes.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'dotenv';
import { checkDotenv } from '../../src/config/dotenv-check.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { readDotenv } from '../../src/config/secrets.ts';

describe('checkDotenv', () => {
  test('good files: every quoting dotenv supports, comments, export, multi-line values', () => {
    const text = [
      '# secrets', '', 'A=plain value # comment', "B='it''s'".replace("''", '"'), 'C="a \\" b"', 'D=`it\'s "x"`',
      'export E=1', 'F="line1', 'line2"', 'G=', '  H = spaced', '',
    ].join('\n');
    assert.deepEqual(checkDotenv(text), []);
    const v = parse(text);
    assert.equal(v.F, 'line1\nline2');
    assert.equal(v.D, 'it\'s "x"');
  });

  test('an unterminated quote names its line (dotenv would keep the quote in the password)', () => {
    const text = 'A=1\nPOSTGRES_PASSWORD="abc\nB=2\n';
    assert.equal(parse(text).POSTGRES_PASSWORD, '"abc', 'dotenv keeps the quote: the reason for the check');
    assert.deepEqual(checkDotenv(text), [{ line: 2, message: 'POSTGRES_PASSWORD: the value opens a " quote that is never closed' }]);
  });

  test('a value ending in backslash-quote closes where dotenv closes it (the site e2e password)', () => {
    const text = ["POSTGRES_PASSWORD='p@ss w0rd$HOME#%/:\"`;|&x?=+'", 'GRAFANA_ADMIN_PASSWORD=`it\'s "admin" $(touch /tmp/pwned) #1 %41 \\`', 'B="ends \\" # note', ''].join('\n');
    assert.deepEqual(checkDotenv(text), []);
    const v = parse(text);
    assert.equal(v.GRAFANA_ADMIN_PASSWORD, 'it\'s "admin" $(touch /tmp/pwned) #1 %41 \\');
    assert.equal(v.B, 'ends \\');
  });

  test('a duplicate key names both lines', () => {
    assert.deepEqual(checkDotenv('A=1\nB=2\n\nA=3\n'), [{ line: 4, message: 'A is set again (first on line 1); remove one' }]);
  });

  test('lines that are not KEY=VALUE, with the line after a multi-line value counted right', () => {
    assert.deepEqual(checkDotenv('A="x\ny"\nthis is junk\n1BAD=x\n'), [
      { line: 3, message: 'not KEY=VALUE: "this is junk" has no "="' },
      { line: 4, message: 'not KEY=VALUE: "1BAD" is not a valid variable name' },
    ]);
  });

  test('text after a closing quote', () => {
    assert.deepEqual(checkDotenv("A='x'y\n"), [{ line: 1, message: 'A: text after the closing \' quote ("y"); quote the whole value' }]);
  });
});

describe('readDotenv refuses what it cannot read, exit 2 style', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'dotenv-'));
  test('a directory named .env', () => {
    const d = dir();
    mkdirSync(join(d, '.env'));
    assert.throws(() => readDotenv(d), (e: unknown) => e instanceof ConfigError && /\.env must be a file/.test(e.message));
  });
  test('an unreadable .env', { skip: process.getuid?.() === 0 ? 'root reads every file' : false }, () => {
    const d = dir();
    writeFileSync(join(d, '.env'), 'A=1\n');
    chmodSync(join(d, '.env'), 0);
    assert.throws(() => readDotenv(d), (e: unknown) => e instanceof ConfigError && /cannot read the \.env: EACCES/.test(e.message));
  });
  test('a binary .env', () => {
    const d = dir();
    writeFileSync(join(d, '.env'), Buffer.from([0x41, 0x3d, 0x00, 0x01]));
    assert.throws(() => readDotenv(d), (e: unknown) => e instanceof ConfigError && /NUL byte/.test(e.message));
  });
  test('problems carry file:line', () => {
    const d = dir();
    writeFileSync(join(d, '.env'), 'A=1\nA=2\n');
    assert.throws(() => readDotenv(d), (e: unknown) => e instanceof ConfigError && e.problems.includes(`${join(d, '.env')}:2: A is set again (first on line 1); remove one`));
  });
});
