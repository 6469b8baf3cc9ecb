import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dockerInstallPlan } from '../../src/ops/docker-install.ts';
import type { Facts } from '../../src/engine/facts.ts';

function facts(id: string, versionId: string, codename: string, arch = 'amd64', prettyName = ''): Pick<Facts, 'os' | 'arch'> {
  return { os: { id, versionId, codename, idLike: [], prettyName }, arch };
}

const OFFICIAL = ['docker-ce', 'docker-ce-cli', 'containerd.io', 'docker-buildx-plugin', 'docker-compose-plugin'];

describe('dockerInstallPlan', () => {
  test('ubuntu 22.04 auto → official repository', () => {
    assert.deepEqual(dockerInstallPlan(facts('ubuntu', '22.04', 'jammy'), 'auto'), {
      source: 'official',
      packages: OFFICIAL,
      repo: {
        url: 'https://download.docker.com/linux/ubuntu',
        suite: 'jammy',
        keyUrl: 'https://download.docker.com/linux/ubuntu/gpg',
        keyPath: '/etc/apt/keyrings/docker.asc',
        listPath: '/etc/apt/sources.list.d/docker.list',
        listContent: 'deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu jammy stable\n',
      },
    });
  });

  test('ubuntu 24.04 arm64 auto → official with arch and codename in the list', () => {
    const p = dockerInstallPlan(facts('ubuntu', '24.04', 'noble', 'arm64'), 'auto');
    assert.equal(p.source, 'official');
    assert.deepEqual(p.packages, OFFICIAL);
    assert.equal(p.repo?.listContent, 'deb [arch=arm64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu noble stable\n');
  });

  test('ubuntu distro → docker.io + docker-compose-v2, no repository', () => {
    assert.deepEqual(dockerInstallPlan(facts('ubuntu', '24.04', 'noble'), 'distro'), { source: 'distro', packages: ['docker.io', 'docker-compose-v2'] });
  });

  test('debian 12 official → debian repository', () => {
    const p = dockerInstallPlan(facts('debian', '12', 'bookworm'), 'official');
    assert.equal(p.repo?.keyUrl, 'https://download.docker.com/linux/debian/gpg');
    assert.equal(p.repo?.listContent, 'deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable\n');
  });

  test('debian 13 auto → distro packages with docker-cli', () => {
    assert.deepEqual(dockerInstallPlan(facts('debian', '13', 'trixie'), 'auto'), {
      source: 'distro',
      packages: ['docker.io', 'docker-cli', 'docker-compose'],
    });
  });

  test('debian 12 distro → throws: its docker-compose is v1', () => {
    assert.throws(() => dockerInstallPlan(facts('debian', '12', 'bookworm'), 'distro'), /Debian 12.*v1.*official/);
  });

  test(
    'debian 12 auto (the role default) works: official repository',
    () => {
      assert.equal(dockerInstallPlan(facts('debian', '12', 'bookworm'), 'auto').source, 'official');
    },
  );

  test('centos → unsupported OS', () => {
    assert.throws(() => dockerInstallPlan(facts('centos', '9', '', 'x86_64', 'CentOS Stream 9'), 'auto'), /^Error: unsupported OS "CentOS Stream 9"/);
  });

  test('alpine → unsupported OS (id and version when no pretty name)', () => {
    assert.throws(() => dockerInstallPlan(facts('alpine', '3.20.1', ''), 'official'), (e: Error) => e.message.startsWith('unsupported OS "alpine 3.20.1"'));
  });

  test('too old ubuntu and debian are unsupported', () => {
    assert.throws(() => dockerInstallPlan(facts('ubuntu', '20.04', 'focal'), 'official'), /unsupported OS/);
    assert.throws(() => dockerInstallPlan(facts('debian', '11', 'bullseye'), 'official'), /unsupported OS/);
  });

  test('a mirror: repository and key URL from the inventory, in the sources entry', () => {
    const p = dockerInstallPlan(facts('debian', '13', 'trixie', 'arm64'), 'official', { official_repo: 'http://mirror.lan:8080/docker/linux/debian/', official_key_url: 'http://mirror.lan:8080/docker.asc' });
    assert.equal(p.repo?.url, 'http://mirror.lan:8080/docker/linux/debian');
    assert.equal(p.repo?.keyUrl, 'http://mirror.lan:8080/docker.asc');
    assert.equal(p.repo?.listContent, 'deb [arch=arm64 signed-by=/etc/apt/keyrings/docker.asc] http://mirror.lan:8080/docker/linux/debian trixie stable\n');
  });

  test('a mirror without a key URL: the key is <repo>/gpg, as on download.docker.com', () => {
    const p = dockerInstallPlan(facts('ubuntu', '24.04', 'noble'), 'auto', { official_repo: 'https://m.example/linux/ubuntu' });
    assert.equal(p.repo?.keyUrl, 'https://m.example/linux/ubuntu/gpg');
  });

  test('"{os}" in the options is the OS id, so one group serves Ubuntu and Debian hosts', () => {
    const opts = { official_repo: 'https://m.example/linux/{os}', official_key_url: 'https://m.example/keys/{os}.asc' };
    const u = dockerInstallPlan(facts('ubuntu', '24.04', 'noble'), 'official', opts);
    const d = dockerInstallPlan(facts('debian', '12', 'bookworm'), 'official', opts);
    assert.deepEqual([u.repo?.url, u.repo?.keyUrl], ['https://m.example/linux/ubuntu', 'https://m.example/keys/ubuntu.asc']);
    assert.deepEqual([d.repo?.url, d.repo?.keyUrl], ['https://m.example/linux/debian', 'https://m.example/keys/debian.asc']);
  });

  test('official without a codename in os-release → a clear error', () => {
    assert.throws(() => dockerInstallPlan(facts('debian', '13', ''), 'official'), /VERSION_CODENAME/);
  });
});
