import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyConnect, classifyForward, type Peer } from '../../src/remote/ssh-errors.ts';

const target: Peer = { label: 'web1', user: 'deploy', address: '10.0.0.5', port: 22, jump: false, via: 'bastion' };
const jump: Peer = { label: 'bastion', user: 'jump', address: 'bastion.example.org', port: 2222, jump: true };
const err = (message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), extra);

describe('connect failures are told apart', () => {
  test('DNS, unreachable, refused, timeout, closed: kind and the machine named', () => {
    const cases: [Error, string, RegExp][] = [
      [err('getaddrinfo ENOTFOUND bastion.example.org', { code: 'ENOTFOUND' }), 'dns', /^jump host bastion \(jump@bastion\.example\.org:2222\): cannot resolve the host name bastion\.example\.org \(DNS\)$/],
      [err('getaddrinfo EAI_AGAIN bastion.example.org', { code: 'EAI_AGAIN' }), 'dns', /cannot resolve/],
      [err('connect EHOSTUNREACH 10.0.0.5:22', { code: 'EHOSTUNREACH' }), 'unreachable', /host unreachable/],
      [err('connect ECONNREFUSED 127.0.0.1:2222', { code: 'ECONNREFUSED' }), 'refused', /connection refused on port 2222/],
      [err('Timed out while waiting for handshake'), 'timeout', /timed out after 15 s/],
      [err('read ECONNRESET', { code: 'ECONNRESET' }), 'closed', /closed the connection before the SSH handshake/],
    ];
    for (const [e, kind, re] of cases) {
      const c = classifyConnect('web1', jump, e, { timeoutMs: 15_000 });
      assert.equal(c.kind, kind, e.message);
      assert.equal(c.hop, 'bastion');
      assert.equal(c.host, 'web1');
      assert.match(c.message, re);
    }
  });

  test('authentication refused lists what was tried and what the server takes; the target is not a hop', () => {
    const c = classifyConnect('web1', target, err('All configured authentication methods failed', { level: 'client-authentication' }), {
      authTried: ['publickey /k/id_ed25519', 'agent'],
      authAccepted: ['publickey'],
    });
    assert.equal(c.kind, 'auth');
    assert.equal(c.hop, undefined);
    assert.equal(c.message, 'host web1 (deploy@10.0.0.5:22, via jump host bastion): authentication refused for deploy; tried publickey /k/id_ed25519, agent; the server accepts: publickey');
    const none = classifyConnect('web1', target, err('All configured authentication methods failed', { level: 'client-authentication' }), {});
    assert.match(none.message, /tried nothing \(no key file, agent or password\)/);
  });

  test('a refused host key wins over the transport error it causes', () => {
    const c = classifyConnect('web1', jump, err('Handshake failed: signature verification failed'), { hostKeyRefusal: 'the host key of [bastion]:2222 (ssh-ed25519) does not match' });
    assert.equal(c.kind, 'host-key');
    assert.match(c.message, /^jump host bastion .*: host key refused: the host key of \[bastion\]:2222/);
  });
});

describe('a jump host that cannot reach the next machine', () => {
  const next = { label: 'web1', address: 'web1.internal', port: 22 };
  test('channel open failures from sshd, by reason text', () => {
    const cases: [Error, string, RegExp][] = [
      [err('(SSH) Channel open failure: Connection refused', { reason: 2 }), 'refused', /jump host bastion \(jump@bastion\.example\.org:2222\) cannot reach web1 at web1\.internal:22: connection refused on port 22/],
      [err('(SSH) Channel open failure: Name or service not known', { reason: 2 }), 'dns', /the jump host cannot resolve web1\.internal/],
      [err('(SSH) Channel open failure: No route to host', { reason: 2 }), 'unreachable', /host unreachable from the jump host/],
      [err('(SSH) Channel open failure: administratively prohibited: open failed', { reason: 1 }), 'forwarding', /AllowTcpForwarding/],
      [err('timed out after 15 s'), 'timeout', /timed out/],
    ];
    for (const [e, kind, re] of cases) {
      const c = classifyForward('web1', jump, next, e);
      assert.equal(c.kind, kind, e.message);
      assert.equal(c.hop, 'bastion');
      assert.match(c.message, re);
    }
  });
});
