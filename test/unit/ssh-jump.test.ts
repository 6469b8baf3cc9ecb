// The ProxyJump path against in-process SSH servers (ssh2's Server): a bastion that forwards
// to a target, each with its own host key, so every hop's check and error is real.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeSSH } from 'node-ssh';
import ssh2 from 'ssh2';
import { connectThrough, type LoginSpec } from '../../src/remote/ssh-connect.ts';
import { SshConnectError } from '../../src/remote/ssh-errors.ts';
import type { SshEndpoint } from '../../src/remote/ssh-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssh-jump-'));
const userKey = ssh2.utils.generateKeyPairSync('ed25519');
const locked = ssh2.utils.generateKeyPairSync('ed25519', { passphrase: 'correct horse', cipher: 'aes256-ctr', rounds: 16 });
writeFileSync(join(dir, 'id'), userKey.private, { mode: 0o600 });
writeFileSync(join(dir, 'locked'), locked.private, { mode: 0o600 });
writeFileSync(join(dir, 'locked.pub'), locked.public);

interface TestServer {
  server: ssh2.Server;
  port: number;
}

/** An SSH server accepting `allowed` public keys; forwards direct-tcpip when `forwarding`. */
function serve(allowed: string[], forwarding: boolean): Promise<TestServer> {
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
  const keys = allowed.map((k) => {
    const p = ssh2.utils.parseKey(k);
    if (p instanceof Error || Array.isArray(p)) throw new Error('bad test key');
    return p;
  });
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const k = keys.find((x) => x.getPublicSSH().equals(ctx.key.data));
      if (!k) return ctx.reject(['publickey']);
      if (ctx.signature && ctx.blob && !k.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) return ctx.reject(['publickey']);
      ctx.accept();
    });
    client.on('ready', () => {
      client.on('tcpip', (accept, reject, info) => {
        if (!forwarding) return reject();
        const sock = tcpConnect(info.destPort, info.destIP);
        sock.once('error', () => reject());
        sock.once('connect', () => {
          const ch = accept();
          ch.pipe(sock).pipe(ch);
        });
      });
    });
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res({ server, port: (server.address() as AddressInfo).port })));
}

const endpoint = (label: string, port: number, files: string[], knownHosts: string): SshEndpoint => ({
  label,
  address: '127.0.0.1',
  port,
  user: 'tester',
  identityFiles: files,
  identitiesOnly: true,
  hostKeyChecking: 'accept-new',
  knownHostsFiles: [knownHosts],
});

describe('ProxyJump through in-process SSH servers', () => {
  let bastion: TestServer;
  let target: TestServer;
  let lockedTarget: TestServer;
  const saved = process.env.SSH_AUTH_SOCK;
  before(async () => {
    delete process.env.SSH_AUTH_SOCK;
    bastion = await serve([userKey.public], true);
    target = await serve([userKey.public], false);
    lockedTarget = await serve([locked.public], false);
  });
  after(() => {
    for (const s of [bastion, target, lockedTarget]) s.server.close();
    if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
  });

  const attempt = async (spec: LoginSpec) => {
    const ssh = new NodeSSH();
    const jumps = await connectThrough(spec, ssh, () => undefined, (s) => s);
    const ok = ssh.isConnected();
    ssh.dispose();
    for (const j of jumps) j.end();
    return { ok, hops: jumps.length };
  };
  const failure = async (spec: LoginSpec): Promise<SshConnectError> => {
    try {
      await attempt(spec);
    } catch (e) {
      assert.ok(e instanceof SshConnectError, String(e));
      return e;
    }
    assert.fail('expected the connection to fail');
  };

  test('the target is reached through the bastion; both host keys are recorded, then pinned', async () => {
    const kh = join(dir, 'kh1');
    const spec: LoginSpec = { name: 'web1', target: endpoint('web1', target.port, [join(dir, 'id')], kh), jumps: [endpoint('bastion', bastion.port, [join(dir, 'id')], kh)], timeoutMs: 5000 };
    assert.deepEqual(await attempt(spec), { ok: true, hops: 1 });
    const names = readFileSync(kh, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
    assert.deepEqual(names, [`[127.0.0.1]:${bastion.port}`, `[127.0.0.1]:${target.port}`]);
    assert.deepEqual(await attempt(spec), { ok: true, hops: 1 });
  });

  test('a bastion whose host key changed is refused, and named', async () => {
    const kh = join(dir, 'kh2');
    const other = ssh2.utils.generateKeyPairSync('ed25519').public.split(' ');
    writeFileSync(kh, `[127.0.0.1]:${bastion.port} ${other[0]} ${other[1]}\n`);
    const e = await failure({ name: 'web1', target: endpoint('web1', target.port, [join(dir, 'id')], kh), jumps: [endpoint('bastion', bastion.port, [join(dir, 'id')], kh)], timeoutMs: 5000 });
    assert.equal(e.kind, 'host-key');
    assert.equal(e.hop, 'bastion');
    assert.match(e.message, /^jump host bastion \(tester@127\.0\.0\.1:\d+\): host key refused: the host key of \[127\.0\.0\.1\]:\d+ \(ssh-ed25519\) does not match/);
  });

  test('the bastion cannot reach the target: the bastion is named, with the cause', async () => {
    const kh = join(dir, 'kh3');
    const e = await failure({ name: 'web1', target: endpoint('web1', 1, [join(dir, 'id')], kh), jumps: [endpoint('bastion', bastion.port, [join(dir, 'id')], kh)], timeoutMs: 5000 });
    assert.equal(e.hop, 'bastion');
    assert.match(e.message, /^jump host bastion \(tester@127\.0\.0\.1:\d+\) cannot reach web1 at 127\.0\.0\.1:1/);
  });

  test('the target refuses the key: the target is named with the methods tried', async () => {
    const kh = join(dir, 'kh4');
    const e = await failure({ name: 'web1', target: endpoint('web1', lockedTarget.port, [join(dir, 'id')], kh), jumps: [endpoint('bastion', bastion.port, [join(dir, 'id')], kh)], timeoutMs: 5000 });
    assert.equal(e.kind, 'auth');
    assert.equal(e.hop, undefined);
    assert.equal(e.message, `host web1 (tester@127.0.0.1:${lockedTarget.port}, via jump host bastion): authentication refused for tester; tried publickey ${join(dir, 'id')}; the server accepts: publickey`);
  });

  test('an encrypted key opens with PROVISION_SSH_KEY_PASSPHRASE; a wrong one says so without showing it', async () => {
    const kh = join(dir, 'kh5');
    const spec = (keyPassphrase: string): LoginSpec => ({ name: 'db', target: endpoint('db', lockedTarget.port, [join(dir, 'locked')], kh), jumps: [], requiredKey: join(dir, 'locked'), keyPassphrase, timeoutMs: 5000 });
    assert.deepEqual(await attempt(spec('correct horse')), { ok: true, hops: 0 });
    await assert.rejects(attempt(spec('wrong battery')), (e: Error) => /cannot open the encrypted SSH key .*locked with PROVISION_SSH_KEY_PASSPHRASE/.test(e.message) && !e.message.includes('wrong battery'));
  });

  test('a refused port on the target itself is "connection refused", not the bastion', async () => {
    const kh = join(dir, 'kh6');
    const e = await failure({ name: 'web1', target: endpoint('web1', 1, [join(dir, 'id')], kh), jumps: [], timeoutMs: 5000 });
    assert.equal(e.kind, 'refused');
    assert.equal(e.hop, undefined);
    assert.match(e.message, /^host web1 \(tester@127\.0\.0\.1:1\): connection refused on port 1/);
  });
});

describe('ssh-agent together with key files', () => {
  // A real ssh-agent on a private socket, holding a key whose file copy is encrypted.
  const agentDir = mkdtempSync(join(tmpdir(), 'ssh-agent-'));
  const sock = join(agentDir, 'agent.sock');
  const plain = join(agentDir, 'agent_key');
  const enc = join(agentDir, 'enc_key');
  let agent: ChildProcess;
  let server: TestServer;
  const saved = process.env.SSH_AUTH_SOCK;
  before(async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', plain]);
    copyFileSync(plain, enc);
    copyFileSync(`${plain}.pub`, `${enc}.pub`);
    execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'agent-only', '-f', enc]);
    agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      try {
        execFileSync('ssh-add', ['-q', plain], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    server = await serve([readFileSync(`${plain}.pub`, 'utf8')], false);
    process.env.SSH_AUTH_SOCK = sock;
  });
  after(() => {
    server.server.close();
    agent.kill();
    if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
    else delete process.env.SSH_AUTH_SOCK;
  });
  const login = (files: string[], identitiesOnly: boolean): LoginSpec => ({
    name: 'h',
    target: { ...endpoint('h', server.port, files, join(agentDir, 'kh')), identitiesOnly },
    jumps: [],
    timeoutMs: 5000,
  });
  const connect = async (spec: LoginSpec) => {
    const ssh = new NodeSSH();
    await connectThrough(spec, ssh, () => undefined, (s) => s);
    const ok = ssh.isConnected();
    ssh.dispose();
    return ok;
  };

  test('a key file the server refuses, then the agent: logged in (the agent is not only a fallback for "no key")', async () => {
    assert.equal(await connect(login([join(dir, 'id')], false)), true);
  });

  test('an encrypted key file with no passphrase is used through the agent, even with IdentitiesOnly', async () => {
    assert.equal(await connect(login([enc], true)), true);
  });

  test('IdentitiesOnly: agent keys not named by a file are not offered', async () => {
    await assert.rejects(connect(login([join(dir, 'id')], true)), /authentication refused for tester; tried publickey .*\/id, agent \(named keys only\)/);
  });
});

