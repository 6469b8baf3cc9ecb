import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { installCmd, installedFrom, installedRead, missingPackages as missingIn } from '../../src/ops/apt.ts';

const missingPackages = (wanted: string[], out: string) => missingIn(wanted, installedFrom(out));

describe('missingPackages', () => {
  const out = [
    'curl\tinstalled',
    'gnupg\tconfig-files',
    'docker.io\tnot-installed',
    'libc6:amd64\tinstalled',
    'ca-certificates\thalf-configured',
    '',
  ].join('\n');

  test('installed packages are not missing', () => assert.deepEqual(missingPackages(['curl'], out), []));
  test('config-files (removed, not purged) is missing', () => assert.deepEqual(missingPackages(['gnupg'], out), ['gnupg']));
  test('not-installed is missing', () => assert.deepEqual(missingPackages(['docker.io'], out), ['docker.io']));
  test('half-configured is missing', () => assert.deepEqual(missingPackages(['ca-certificates'], out), ['ca-certificates']));
  test('absent from the output (unknown to dpkg) is missing', () => assert.deepEqual(missingPackages(['jq'], out), ['jq']));
  test('arch-qualified name in the output matches the plain name', () => assert.deepEqual(missingPackages(['libc6'], out), []));
  test('keeps the wanted order', () => {
    assert.deepEqual(missingPackages(['jq', 'curl', 'gnupg', 'libc6', 'docker.io'], out), ['jq', 'gnupg', 'docker.io']);
  });
  test('empty output: everything is missing', () => assert.deepEqual(missingPackages(['a', 'b'], ''), ['a', 'b']));
  test('deinstall/config-files from a full status column is missing', () => {
    assert.deepEqual(missingPackages(['gnupg'], 'gnupg\tdeinstall ok config-files\n'), ['gnupg']);
  });
  test(
    'an arch-qualified wanted name matches dpkg-query ${Package} output (which has no arch)',
    () => {
      assert.deepEqual(missingPackages(['libc6:amd64'], 'libc6\tinstalled\n'), []);
    },
  );
});

describe('installedRead', () => {
  test('one dpkg-query for all packages (sorted), never failing', () => {
    assert.equal(
      installedRead(['docker-ce', 'curl']).cmd.text,
      "dpkg-query -W -f='${Package}\\t${db:Status-Status}\\n' curl docker-ce 2>/dev/null || true",
    );
  });
});

describe('installCmd', () => {
  const text = installCmd(['docker-ce', 'containerd.io']).text;
  const lines = text.split('\n');

  test('waits for the dpkg lock instead of failing', () => {
    assert.equal(lines.filter((l) => l.includes('-o DPkg::Lock::Timeout=600')).length, 2);
  });
  test('keeps existing config files non-interactively', () => {
    assert.ok(text.includes('-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold'));
  });
  test('updates only when lists are older than an hour or a package is unknown', () => {
    assert.equal(lines[2], 'if [ "$age" -gt 3600 ] || ! apt-cache show docker-ce containerd.io >/dev/null 2>&1; then');
    assert.equal(lines[3], '  apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold update');
    assert.equal(lines[4], '  touch "$lists/partial"');
    assert.equal(lines[5], 'fi');
  });
  test('installs after the conditional update, without recommends', () => {
    assert.equal(
      lines[6],
      'apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install --no-install-recommends docker-ce containerd.io',
    );
    assert.equal(lines.length, 7);
  });
  test('cache validity is configurable', () => {
    assert.match(installCmd(['x'], 60).text, /if \[ "\$age" -gt 60 \]/);
  });
});
