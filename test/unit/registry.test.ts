// Registries and pulls: image references (digests), pull progress, failure kinds, the login's
// stored-credential comparison, and the images role's input checks.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import imagesRole from '../../roles/images/index.ts';
import { isPresent, missingRefs, parseImageRef, parseImageRows, pullName } from '../../src/ops/image-ref.ts';
import { explainPullFailure, pullProgress } from '../../src/ops/image-pull.ts';
import { classifyPullError } from '../../src/ops/registry-errors.ts';
import { authHash, loginDrift, parseStoredLogin } from '../../src/ops/registry-login.ts';
import { composeModel } from '../../src/ops/compose-model.ts';
import { projectImages } from '../../src/stack/stack-tasks.ts';
import { isImageRef } from '../../src/stack/images.ts';

const D = `sha256:${'a'.repeat(64)}`;

test('image references: registry, repository as docker images shows it, tag, digest', () => {
  assert.deepEqual(parseImageRef('redis:8'), { text: 'redis:8', registry: 'docker.io', repository: 'redis', tag: '8', digest: undefined });
  assert.equal(parseImageRef('docker.io/library/redis').repository, 'redis');
  assert.equal(parseImageRef('docker.io/library/redis').tag, 'latest');
  const r = parseImageRef(`10.0.0.5:5000/acme/shioaji-backend:1@${D}`);
  assert.equal(r.registry, '10.0.0.5:5000');
  assert.equal(r.repository, '10.0.0.5:5000/acme/shioaji-backend');
  assert.equal(r.tag, '1');
  assert.equal(r.digest, D);
  assert.equal(pullName(r), `10.0.0.5:5000/acme/shioaji-backend@${D}`);
  assert.equal(parseImageRef('grafana/grafana:12').registry, 'docker.io');
  assert.ok(isImageRef(`ghcr.io/acme/app:1.2@${D}`), 'the catalogue accepts name:tag@digest');
});

test('present: tag by repository:tag, digest only when the image carries that digest', () => {
  const rows = parseImageRows(`redis\t8\t<none>\nreg:5000/acme/app\t1\t${D}\n`);
  assert.ok(isPresent(parseImageRef('docker.io/library/redis:8'), rows));
  assert.ok(!isPresent(parseImageRef('redis:7'), rows));
  assert.ok(isPresent(parseImageRef(`reg:5000/acme/app:1@${D}`), rows));
  assert.ok(!isPresent(parseImageRef(`reg:5000/acme/app:1@sha256:${'b'.repeat(64)}`), rows), 'same tag, other digest: not verified');
  assert.deepEqual(missingRefs(['redis:8', 'redis:7', 'redis:7'], rows).map((r) => r.text), ['redis:7']);
});

test('pull progress counts layers done of layers seen', () => {
  const log = 'latest: Pulling from acme/app\n0123456789ab: Already exists\n1123456789ab: Pulling fs layer\n2123456789ab: Waiting\n1123456789ab: Pull complete\n';
  assert.deepEqual(pullProgress(log), { done: 2, total: 3 });
  assert.deepEqual(pullProgress(''), { done: 0, total: 0 });
});

test('failure kinds, and messages that say what to fix', () => {
  assert.equal(classifyPullError('Error response from daemon: Head "https://r:5000/v2/acme/app/manifests/1": no basic auth credentials'), 'auth');
  assert.equal(classifyPullError('Error response from daemon: unauthorized: authentication required'), 'auth');
  assert.equal(classifyPullError('Error response from daemon: manifest for r:5000/acme/app:nope not found: manifest unknown: manifest unknown'), 'not-found');
  assert.equal(classifyPullError('Error response from daemon: Get "https://r:5000/v2/": dial tcp 172.17.0.3:5000: connect: connection refused'), 'network');
  assert.equal(classifyPullError('tls: failed to verify certificate: x509: certificate signed by unknown authority'), 'tls');
  const ref = parseImageRef('r:5000/acme/app:1');
  const regs = [{ host: 'r:5000', username: 'ci', password_secret: 'REG_PASSWORD' }];
  assert.match(explainPullFailure(ref, 'auth', 'unauthorized', 1, regs), /registry r:5000 refused.*registries\[0\].*REG_PASSWORD/);
  assert.match(explainPullFailure(ref, 'auth', 'unauthorized', 1, []), /No registries entry has host r:5000/);
  assert.match(explainPullFailure(ref, 'network', 'connection refused', 4, regs), /registry r:5000 unreachable after 4 tries/);
  assert.match(explainPullFailure(ref, 'not-found', 'manifest unknown', 1, regs), /^r:5000\/acme\/app:1: image or tag not found/);
});

test('login: ok only when the stored credential hashes the same and the file is 0600', () => {
  const h = authHash('ci', 'secret-1', 'salt');
  assert.equal(h, authHash('ci', 'secret-1', 'salt'));
  assert.notEqual(h, authHash('ci', 'secret-2', 'salt'));
  assert.equal(loginDrift(parseStoredLogin(`600 ${h}`), h), undefined);
  assert.match(loginDrift(parseStoredLogin(`644 ${h}`), h) ?? '', /mode 644/);
  assert.match(loginDrift(parseStoredLogin(`600 ${authHash('ci', 'old', 'salt')}`), h) ?? '', /different credential/);
  assert.match(loginDrift(parseStoredLogin('600 none'), h) ?? '', /not logged in/);
  assert.match(loginDrift(parseStoredLogin('missing'), h) ?? '', /no credential file/);
});

test('a project pulls the images of its active services only', () => {
  const model = composeModel('services:\n  a:\n    image: ${A_IMAGE:?set A_IMAGE}\n  p:\n    image: ${P_IMAGE:?x}\n    profiles: [promtail]\n  y:\n    image: ${Y_IMAGE:?x}\n    profiles: [alloy]\n', 'demo');
  assert.deepEqual(projectImages(model, "A_IMAGE='a:1'\nP_IMAGE='p:1'\nY_IMAGE='y:1'\nCOMPOSE_PROFILES='promtail'\n"), ['a:1', 'p:1']);
});

test('images role: missing CA file and missing password name the key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reg-inv-'));
  const base = { image_archives: [], registries: [{ host: 'r:5000', username: 'ci', password_secret: 'REG_PASSWORD', ca_file: 'certs/ca.crt' }] };
  assert.throws(() => imagesRole.tasks({ vars: base, secrets: { REG_PASSWORD: 'pw-123456' }, files: dir, host: 'h', inventoryDir: dir }), /registries\[0\]\.ca_file: .*certs\/ca\.crt does not exist/);
  writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const ok = { ...base, registries: [{ ...base.registries[0]!, ca_file: 'ca.crt' }] };
  assert.throws(() => imagesRole.tasks({ vars: ok, secrets: {}, files: dir, host: 'h', inventoryDir: dir }), /registries\[0\]\.password_secret: REG_PASSWORD is not set/);
  const tasks = imagesRole.tasks({ vars: ok, secrets: { REG_PASSWORD: 'pw-123456' }, files: dir, host: 'h', inventoryDir: dir });
  assert.deepEqual(tasks.map((t) => t.name), ['registry CA directories', 'CA of registry r:5000', 'logged in to registry r:5000']);
  assert.deepEqual(imagesRole.secretKeys?.(ok), { REG_PASSWORD: 'registries[0].password_secret' });
});
