import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkHostKey,
  fingerprint,
  knownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
} from '../../src/remote/known-hosts.js';
import { preferredHostKeyAlgorithms, verifyHostKey } from '../../src/remote/host-key-policy.js';

// Keys and fingerprints produced by ssh-keygen (OpenSSH 9.2), so the expected values are not
// computed by the code under test.
const A_B64 = 'AAAAC3NzaC1lZDI1NTE5AAAAICwyI5kX6IZtS3n5lyYX5u1wLJZm/7RLOrBjJ1R8t9Pj';
const A_FP = 'SHA256:+z26DJZULazbKkxsFTwP7SioWKniVKurbjosBmzCzjM';
const B_B64 = 'AAAAC3NzaC1lZDI1NTE5AAAAIOtPYUCJLOovh7WrmYsUdKY08DKP1DUOUgFkIGfr2HqF';
const B_FP = 'SHA256:FbnEi/kj8JC6pJAPPFoZ8VCaVKWzoPKNMT6n5AgB2YY';
const C_B64 =
  'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIhYji3VlmCpw0W0pBcdfeIxjN7za3gVx+mwDhgXAzp21UFBCzB3M6OIrcT4OkIdHWn92KdahMek/51wdjikF+Y=';
const C_FP = 'SHA256:yrQn6CiN2oMzD0RO9aIIWIQMaq9MSo5PKXv1DPaJU1E';
const A = Buffer.from(A_B64, 'base64');
const B = Buffer.from(B_B64, 'base64');
const C = Buffer.from(C_B64, 'base64');
const ED = 'ssh-ed25519';
const EC = 'ecdsa-sha2-nistp256';

// `ssh-keygen -H` of "zk1.example.com" and "[10.0.0.7]:2222", both with key A.
const HASHED = [
  `|1|kPt+LZFJa/VIcAYhRQboypRbtmQ=|Z684L4XS69D39ko50iS2Xh1hShY= ${ED} ${A_B64}`,
  `|1|wOnJ2G9kSN8NgLxQvLVGqbs/fDQ=|BOfyqEh/i7eDk3jDDJfFF5a7KW4= ${ED} ${A_B64}`,
].join('\n');

describe('known_hosts parsing', () => {
  it('reads plain, bracketed, hashed and marked lines and skips comments and junk', () => {
    const text = [
      '# a comment',
      '',
      `zk1,10.0.0.1 ${ED} ${A_B64} root@zk1`,
      `[10.0.0.2]:2222 ${ED} ${A_B64}`,
      `@revoked * ${ED} ${B_B64}`,
      `@cert-authority *.example.com ${ED} ${B_B64}`,
      `@weird zk9 ${ED} ${A_B64}`,
      'garbage line',
      `zk3 ${EC} ${A_B64}`, // key type does not match the blob
      HASHED,
    ].join('\n');
    const entries = parseKnownHosts(text, '/k');
    assert.equal(entries.length, 6);
    assert.deepEqual(entries[0]!.patterns, ['zk1', '10.0.0.1']);
    assert.equal(entries[0]!.line, 3);
    assert.equal(entries[0]!.file, '/k');
    assert.equal(entries[2]!.marker, 'revoked');
    assert.equal(entries[3]!.marker, 'cert-authority');
    assert.ok(entries[4]!.hashed);
  });
});

describe('checkHostKey', () => {
  const entries = parseKnownHosts(
    [
      `zk1,10.0.0.1 ${ED} ${A_B64}`,
      `[10.0.0.2]:2222 ${ED} ${A_B64}`,
      `*.lab.example,!bad.lab.example ${ED} ${A_B64}`,
      `zk4 ${EC} ${C_B64}`,
      `@revoked zk5 ${ED} ${B_B64}`,
      `zk5 ${ED} ${B_B64}`,
      `@cert-authority zk6 ${ED} ${B_B64}`,
      HASHED,
    ].join('\n'),
  );

  it('matches by name, address, [host]:port and wildcard', () => {
    assert.deepEqual(checkHostKey(entries, 'zk1', 22, ED, A), { status: 'match' });
    assert.deepEqual(checkHostKey(entries, '10.0.0.1', 22, ED, A), { status: 'match' });
    assert.deepEqual(checkHostKey(entries, 'ZK1', 22, ED, A), { status: 'match' });
    assert.deepEqual(checkHostKey(entries, '10.0.0.2', 2222, ED, A), { status: 'match' });
    assert.deepEqual(checkHostKey(entries, 'a.lab.example', 22, ED, A), { status: 'match' });
  });

  it('keys a non-22 port separately from port 22', () => {
    assert.deepEqual(checkHostKey(entries, '10.0.0.2', 22, ED, A), { status: 'unknown' });
    assert.deepEqual(checkHostKey(entries, '10.0.0.1', 2200, ED, A), { status: 'unknown' });
  });

  it('honours negated patterns', () => {
    assert.deepEqual(checkHostKey(entries, 'bad.lab.example', 22, ED, A), { status: 'unknown' });
  });

  it('matches hashed entries, including [host]:port', () => {
    assert.deepEqual(checkHostKey(entries, 'zk1.example.com', 22, ED, A), { status: 'match' });
    assert.deepEqual(checkHostKey(entries, '10.0.0.7', 2222, ED, A), { status: 'match' });
    assert.deepEqual(checkHostKey(entries, '10.0.0.7', 22, ED, A), { status: 'unknown' });
  });

  it('reports a changed key of the same type with both fingerprints', () => {
    const r = checkHostKey(entries, 'zk1', 22, ED, B);
    assert.equal(r.status, 'changed');
    assert.ok(r.status === 'changed');
    assert.equal(r.expected, A_FP);
    assert.equal(r.presented, B_FP);
    const hashed = checkHostKey(entries, 'zk1.example.com', 22, ED, B);
    assert.equal(hashed.status, 'changed');
  });

  it('treats a key of a type not yet recorded as unknown, not changed', () => {
    assert.deepEqual(checkHostKey(entries, 'zk4', 22, ED, A), { status: 'unknown' });
    assert.deepEqual(checkHostKey(entries, 'zk4', 22, EC, C), { status: 'match' });
  });

  it('refuses a revoked key even when another line lists it', () => {
    const r = checkHostKey(entries, 'zk5', 22, ED, B);
    assert.equal(r.status, 'revoked');
  });

  it('ignores @cert-authority lines', () => {
    assert.deepEqual(checkHostKey(entries, 'zk6', 22, ED, B), { status: 'unknown' });
  });
});

describe('fingerprints and new lines', () => {
  it('computes OpenSSH SHA256 fingerprints', () => {
    assert.equal(fingerprint(A), A_FP);
    assert.equal(fingerprint(B), B_FP);
    assert.equal(fingerprint(C), C_FP);
  });

  it('writes lines that parse back and match', () => {
    assert.equal(knownHostsLine('10.0.0.1', 22, ED, A), `10.0.0.1 ${ED} ${A_B64}`);
    assert.equal(knownHostsLine('10.0.0.1', 2222, EC, C), `[10.0.0.1]:2222 ${EC} ${C_B64}`);
    const parsed = parseKnownHosts(knownHostsLine('10.0.0.1', 2222, EC, C));
    assert.deepEqual(checkHostKey(parsed, '10.0.0.1', 2222, EC, C), { status: 'match' });
  });

  it('lists known key types so the handshake can prefer them', () => {
    const entries = parseKnownHosts(`zk4 ${EC} ${C_B64}\nzk4 ${ED} ${A_B64}`);
    assert.deepEqual(knownKeyTypes(entries, 'zk4', 22), [EC, ED]);
    assert.deepEqual(preferredHostKeyAlgorithms({ entries, address: 'zk4', port: 22 })?.slice(0, 2), [EC, ED]);
    assert.equal(preferredHostKeyAlgorithms({ entries, address: 'other', port: 22 }), undefined);
  });
});

describe('host key policy', () => {
  const base = { address: 'h', port: 22, label: 'h2 (10.200.0.12:22)', knownHostsFiles: [] as string[] };
  it('refuses unknown keys unless told to accept new ones', async () => {
    const refused = await verifyHostKey({ ...base, entries: [], acceptNew: false }, A);
    assert.match(refused!.message, /^h2 \(10\.200\.0\.12:22\): unknown host key SHA256:/);
    assert.equal(await verifyHostKey({ ...base, entries: [], acceptNew: true }, A), undefined);
  });

  it('refuses a changed key even with acceptNew, naming both fingerprints', async () => {
    const entries = parseKnownHosts(`h ${ED} ${A_B64}`, '/kh');
    const err = await verifyHostKey({ ...base, entries, acceptNew: true }, B);
    assert.ok(err);
    assert.ok(err.message.startsWith(`h2 (10.200.0.12:22): host key changed: expected ${A_FP}, got ${B_FP}`), err.message);
    assert.match(err.message, /\/kh:1/);
  });
});
