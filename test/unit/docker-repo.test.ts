import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aptSignatureFailures, describeSignatureFailure } from '../../src/ops/apt-signature.ts';
import { repoListed } from '../../src/ops/docker-repo.ts';

describe('aptSignatureFailures', () => {
  test("gpgv's NO_PUBKEY names the repository, the suite and the key", () => {
    const out = [
      'Hit:1 http://deb.debian.org/debian bookworm InRelease',
      'Get:2 https://download.docker.com/linux/debian bookworm InRelease [43.3 kB]',
      'Err:2 https://download.docker.com/linux/debian bookworm InRelease',
      "  The following signatures couldn't be verified because the public key is not available: NO_PUBKEY 7EA0A9C3F273FCD8",
      'Reading package lists...',
      "W: GPG error: https://download.docker.com/linux/debian bookworm InRelease: The following signatures couldn't be verified because the public key is not available: NO_PUBKEY 7EA0A9C3F273FCD8",
      "E: The repository 'https://download.docker.com/linux/debian bookworm InRelease' is not signed.",
    ].join('\n');
    assert.deepEqual(aptSignatureFailures(out), [{ repo: 'https://download.docker.com/linux/debian', suite: 'bookworm', detail: 'NO_PUBKEY 7EA0A9C3F273FCD8' }]);
  });

  test("sqv's missing key (Debian 13) and a bad signature", () => {
    const out = [
      'W: OpenPGP signature verification failed: http://10.0.0.5/linux/debian trixie InRelease: Sub-process /usr/bin/sqv returned an error code (1), error message is: Missing key 0123456789ABCDEF0123456789ABCDEF01234567, which is needed to verify signature.',
      "E: The repository 'http://10.0.0.5/linux/debian trixie InRelease' is not signed.",
      'W: GPG error: https://m.example/linux/ubuntu noble InRelease: The following signatures were invalid: BADSIG 7EA0A9C3F273FCD8 Docker Release (CE deb) <docker@docker.com>',
    ].join('\n');
    assert.deepEqual(aptSignatureFailures(out), [
      { repo: 'http://10.0.0.5/linux/debian', suite: 'trixie', detail: 'Missing key 0123456789ABCDEF0123456789ABCDEF01234567' },
      { repo: 'https://m.example/linux/ubuntu', suite: 'noble', detail: 'BADSIG 7EA0A9C3F273FCD8' },
    ]);
  });

  test('only "is not signed" still names the repository', () => {
    const [f] = aptSignatureFailures("E: The repository 'http://mirror.lan:8080/docker/linux/debian trixie Release' is not signed.");
    assert.ok(f);
    assert.equal(describeSignatureFailure(f), 'apt could not verify the signature of the repository http://mirror.lan:8080/docker/linux/debian (trixie): is not signed');
  });

  test('a clean update, or other errors, are no signature failure', () => {
    const out = ['Hit:1 http://deb.debian.org/debian trixie InRelease', "E: The repository 'http://x/linux/debian trixie Release' does not have a Release file.", 'E: Failed to fetch http://x/y  404  Not Found'].join('\n');
    assert.deepEqual(aptSignatureFailures(out), []);
  });
});

describe('repoListed', () => {
  const madison = [
    '  docker-ce | 5:28.5.1-1~debian.13~trixie | http://10.0.0.5/linux/debian trixie/stable amd64 Packages',
    '  docker-ce | 5:28.0.0-1~debian.13~trixie | http://10.0.0.5/linux/debian trixie/stable amd64 Packages',
  ].join('\n');
  test('the first (newest) version apt lists from this repository and suite', () => {
    assert.equal(repoListed(madison, { url: 'http://10.0.0.5/linux/debian', suite: 'trixie' }), '5:28.5.1-1~debian.13~trixie');
  });
  test('another repository, another suite, or nothing at all: not listed', () => {
    assert.equal(repoListed(madison, { url: 'https://download.docker.com/linux/debian', suite: 'trixie' }), undefined);
    assert.equal(repoListed(madison, { url: 'http://10.0.0.5/linux/debian', suite: 'bookworm' }), undefined);
    assert.equal(repoListed(madison, { url: 'http://10.0.0.5/linux', suite: 'trixie' }), undefined);
    assert.equal(repoListed('', { url: 'http://10.0.0.5/linux/debian', suite: 'trixie' }), undefined);
  });
});
