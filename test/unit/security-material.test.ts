// Key material at the edge: the exact openssl argv, and the real openssl making a CA and
// certificates in a temporary directory (modes, names, reuse, issuing again only with a reason),
// secrets by reference, and the JAAS file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadInventory } from '../../src/inventory/load.js';
import { planInventory } from '../../src/plan/plan.js';
import { jaasFile } from '../../src/security/jaas.js';
import { ensureMaterial, materialDir, maySecure, secretFrom, serverSans } from '../../src/security/material.js';
import { caCertificate, extensionFile, genKey, signRequest } from '../../src/security/openssl.js';

test('openssl argv: keys, CA, signing (no password anywhere)', () => {
  assert.deepEqual(genKey('/d/a.key'), ['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', '/d/a.key']);
  assert.deepEqual(caCertificate('/d/ca.key', '/CN=x', 10, '/d/ca.pem'), [
    'openssl', 'req', '-x509', '-new', '-sha256', '-key', '/d/ca.key', '-subj', '/CN=x', '-days', '10',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', '/d/ca.pem',
  ]);
  assert.deepEqual(signRequest('/d/s.csr', '/d/ca.pem', '/d/ca.key', 'ab', 5, '/d/s.ext', '/d/s.pem'), [
    'openssl', 'x509', '-req', '-sha256', '-in', '/d/s.csr', '-CA', '/d/ca.pem', '-CAkey', '/d/ca.key', '-set_serial', '0xab', '-days', '5', '-extfile', '/d/s.ext', '-out', '/d/s.pem',
  ]);
  assert.equal(extensionFile(['IP:10.0.0.1']), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:10.0.0.1\n');
});

test('JAAS: quorum server/learner and client sections; a quote in a password is refused', () => {
  assert.equal(
    jaasFile({ quorumPassword: 'q1', clientPassword: 'c1' }),
    'QuorumServer {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_zkquorum="q1";\n};\n' +
      'QuorumLearner {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username="zkquorum"\n  password="q1";\n};\n' +
      'Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_zkplan="c1";\n};\n',
  );
  assert.throws(() => jaasFile({ quorumPassword: 'a"b' }), /may not contain/);
});

test('secrets by reference: a file beside the inventory or an environment variable', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zkplan-secret-'));
  try {
    writeFileSync(path.join(dir, 'pw'), 's3cret\n');
    assert.equal(secretFrom({ file: 'pw' }, dir, 'x'), 's3cret');
    assert.equal(secretFrom({ env: 'ZK_PW' }, dir, 'x', { ZK_PW: 'e1' }), 'e1');
    assert.throws(() => secretFrom({ env: 'ZK_PW' }, dir, 'x', {}), /environment variable ZK_PW is not set/);
    assert.throws(() => secretFrom({ file: 'nope' }, dir, 'x'), /cannot read .*nope: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function inventoryIn(dir: string, address3: string, security = '{ quorum_tls: true, client_tls: only, quorum_sasl: true }') {
  const file = path.join(dir, 'inv.yml');
  writeFileSync(
    file,
    `hosts:\n  - { name: h1, address: 10.9.0.1 }\n  - { name: h2, address: 10.9.0.2 }\n  - { name: h3, address: ${address3} }\nensembles:\n  - name: zk\n    servers: 3\n    image: zookeeper:3.8.0\n    security: ${security}\n`,
  );
  const inv = loadInventory(readFileSync(file, 'utf8'), file);
  const e = planInventory(inv).ensembles[0]!;
  return { file, spec: inv.ensembles[0]!, e };
}

test('material: a CA and a certificate per server naming its address, 0700/0600, reused as is, issued again when an address changes', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zkplan-material-'));
  try {
    const { file, spec, e } = inventoryIn(dir, '10.9.0.3');
    const first = await ensureMaterial(spec, e, e.security!, file);
    assert.equal(first.dir, path.join(dir, '.zkplan', 'zk', 'tls'));
    assert.equal(materialDir(spec, file), first.dir);
    assert.ok(first.made.includes(`CA in ${first.dir}`));
    for (const d of [first.dir, path.dirname(first.dir), path.dirname(path.dirname(first.dir))]) assert.equal(statSync(d).mode & 0o777, 0o700, d);
    for (const f of ['ca.key', 'ca.pem', 'zk1.key', 'zk1.pem', 'zkplan-client.key', 'quorum-sasl.password', 'fingerprint.key']) {
      assert.equal(statSync(path.join(first.dir, f)).mode & 0o777, 0o600, f);
    }
    const ca = new X509Certificate(readFileSync(path.join(first.dir, 'ca.pem')));
    const s3 = first.servers.get('zk3')!;
    assert.deepEqual(s3.files.map((f) => f.name), ['server.pem', 'ca.pem', 'jaas.conf']);
    const keyStore = s3.files[0]!.content.toString();
    assert.match(keyStore, /-----BEGIN PRIVATE KEY-----[\s\S]*-----BEGIN CERTIFICATE-----/);
    const cert = new X509Certificate(keyStore.slice(keyStore.indexOf('-----BEGIN CERTIFICATE-----')));
    assert.equal(cert.subjectAltName, 'IP Address:10.9.0.3');
    assert.ok(cert.verify(ca.publicKey));
    assert.ok(first.client && new X509Certificate(first.client.cert).verify(ca.publicKey));
    const password = readFileSync(path.join(first.dir, 'quorum-sasl.password'), 'utf8').trim();
    assert.match(s3.files[2]!.content.toString(), new RegExp(`user_zkquorum="${password}"`));
    assert.doesNotMatch(s3.fingerprint, new RegExp(password));

    // an ensemble whose security block is gone may still run secured: its material says so
    const plainAgain = { ...e, security: undefined };
    assert.equal(maySecure(loadInventory(readFileSync(file, 'utf8'), file), plainAgain), true);
    const again = await ensureMaterial(spec, e, e.security!, file);
    assert.deepEqual(again.made, []);
    assert.deepEqual(again.servers.get('zk3')!.files, s3.files);
    assert.equal(again.servers.get('zk3')!.fingerprint, s3.fingerprint);

    const moved = inventoryIn(dir, '10.9.0.33');
    const third = await ensureMaterial(moved.spec, moved.e, moved.e.security!, moved.file);
    assert.deepEqual(third.made, ['certificate zk3 (names changed: IP:10.9.0.3 → IP:10.9.0.33)']);
    assert.notEqual(third.servers.get('zk3')!.fingerprint, s3.fingerprint);
    assert.equal(third.servers.get('zk1')!.fingerprint, first.servers.get('zk1')!.fingerprint);
    // a certificate issued again changes only what a reload takes: not the CA's and JAAS file's part
    assert.notEqual(third.servers.get('zk3')!.certificate, s3.certificate);
    assert.equal(third.servers.get('zk3')!.restartFingerprint, s3.restartFingerprint);
    assert.notEqual(s3.restartFingerprint, s3.fingerprint);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('material: the CA is never replaced silently', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zkplan-material-'));
  try {
    const { file, spec, e } = inventoryIn(dir, '10.9.0.3', '{ quorum_tls: true }');
    const inv = loadInventory(readFileSync(file, 'utf8'), file);
    assert.equal(maySecure(inv, { ...e, security: undefined }), false, 'never secured from here: no material directory');
    const first = await ensureMaterial(spec, e, e.security!, file);
    assert.equal(first.client, undefined, 'no client certificate without client TLS');
    rmSync(path.join(first.dir, 'ca.key'));
    await assert.rejects(ensureMaterial(spec, e, e.security!, file), /one of ca\.pem and ca\.key is missing; zkplan will not replace a CA silently/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('certificate names: the host address under host networking; on one host\'s networks what peers dial, <container>.<network> and the published address', () => {
  const plan = (network: string, extra = '') =>
    planInventory(
      loadInventory(
        `hosts:\n  - { name: h1, address: 10.9.0.1 }\n  - { name: h2, address: 10.9.0.2 }\n  - { name: h3, address: 10.9.0.3 }\nensembles:\n  - name: zk\n    servers: 3\n    image: zookeeper:3.8.4\n    network: ${network}\n${extra}`,
        'inv.yml',
      ),
    ).ensembles[0]!;
  const host = plan('host');
  assert.deepEqual(serverSans(host.servers[1]!, host), ['IP:10.9.0.2']);
  const bridge = plan('bridge', '    publish_address: 0.0.0.0\n    docker_network: { name: zknet }\n');
  assert.deepEqual(serverSans(bridge.servers[1]!, bridge), [`DNS:${bridge.servers[1]!.name}`, `DNS:${bridge.servers[1]!.name}.zknet`, 'IP:127.0.0.1', `IP:${bridge.servers[1]!.host.address}`]);
  const links = plan('links');
  const s = links.servers[0]!;
  assert.deepEqual(serverSans(s, links), [`DNS:${s.name}`, `DNS:${s.name}.${links.dockerNetwork!.name}`, `DNS:${s.linkAlias}`, `IP:${links.publishAddress ?? '127.0.0.1'}`, `IP:${s.host.address}`]);
  const ip = plan('static-ip');
  const t = ip.servers[2]!;
  assert.ok(serverSans(t, ip).includes(`IP:${t.staticIp}`));
});
