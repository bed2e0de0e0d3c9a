// A secured ensemble's container specs: the read-only secrets mount and fingerprint label on the
// host target (and the record apply pushes naming only paths), the refusal of every target that
// could not carry the secrets, the exact argv that makes the secrets directories private, and
// verify's TLS dial against a real TLS server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:tls';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadInventory } from '../../src/inventory/load.js';
import { planInventory } from '../../src/plan/plan.js';
import { renderTarget } from '../../src/render/index.js';
import { loadTemplates } from '../../src/render/templates.js';
import { privateSecrets } from '../../src/remote/commands/host.js';
import { desiredContainers, secretsDirPath } from '../../src/rollout/desired.js';
import { hostRecord } from '../../src/rollout/record.js';
import { desiredServers } from '../../src/rollout/server-specs.js';
import { ensureMaterial } from '../../src/security/material.js';
import { hostSpecSecrets } from '../../src/drivers/host/spec-secrets.js';
import { reloadsCertificates, securityConfig } from '../../src/plan/security.js';
import { directDial } from '../../src/verify/dial.js';
import { tlsDial } from '../../src/verify/tls-dial.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zkplan-secure-spec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function secured(security = '{ quorum_tls: true, client_tls: only, quorum_sasl: true }', where = dir) {
  const file = path.join(where, 'inv.yml');
  writeFileSync(
    file,
    `hosts:\n  - { name: h1, address: 127.0.0.1 }\n  - { name: h2, address: 10.9.0.2 }\n  - { name: h3, address: 10.9.0.3 }\nensembles:\n  - name: zk\n    servers: 3\n    image: zookeeper:3.8.0\n    security: ${security}\n`,
  );
  const inv = loadInventory(readFileSync(file, 'utf8'), file);
  return { file, spec: inv.ensembles[0]!, e: planInventory(inv).ensembles[0]! };
}

const secrets = { sourceOf: (host: string, server: string) => secretsDirPath(`/etc/zkplan`, 'zk', server), fingerprintOf: (server: string) => `fp-${server}` };

describe('secured container specs', () => {
  it('host target: the secrets directory mounted read-only, the fingerprint a label (and so in the hash)', () => {
    const { e } = secured();
    const [d] = desiredContainers(e, () => '/etc/zkplan', {}, secrets);
    assert.deepEqual(d!.spec.mounts.at(-1), { kind: 'bind', source: '/etc/zkplan/zk/secrets/zk1', target: '/zkplan-secrets', readOnly: true });
    assert.equal(d!.spec.labels['io.zkplan.security'], 'fp-zk1');
    const [other] = desiredContainers(e, () => '/etc/zkplan', {}, { ...secrets, fingerprintOf: () => 'renewed' });
    assert.notEqual(other!.configHash, d!.configHash, 'new material rolls the server');
  });

  it('quorum TLS without client TLS: the label is what a reload cannot take (CA, JAAS), so a renewed certificate alone changes no hash', async () => {
    const where = mkdtempSync(path.join(dir, 'reload-'));
    const { file, spec, e } = secured('{ quorum_tls: true, quorum_sasl: true }', where);
    const material = await ensureMaterial(spec, e, e.security!, file);
    const m = material.servers.get('zk1')!;
    assert.equal(hostSpecSecrets('zk', () => '/etc/zkplan', material, e.security).fingerprintOf!('zk1'), m.restartFingerprint);
    // with client TLS the client port cannot reload (3.8.0): the whole fingerprint, a restart
    assert.equal(hostSpecSecrets('zk', () => '/etc/zkplan', material, { ...e.security!, clientTls: 'both' }).fingerprintOf!('zk1'), m.fingerprint);
    assert.equal(reloadsCertificates(e.security), true);
    assert.equal(reloadsCertificates({ ...e.security!, phase: 'tls' }), false, 'not while security is being turned on or off');
    assert.ok(securityConfig(e.security!, undefined).some(([k, v]) => k === 'sslQuorumReloadCertFiles' && v === 'true'));
  });

  it('the pushed record names the mount, never a secret', async () => {
    const { file, spec, e } = secured();
    const material = await ensureMaterial(spec, e, e.security!, file);
    const fp = { ...secrets, fingerprintOf: (s: string) => material.servers.get(s)!.fingerprint };
    const desired = desiredContainers(e, () => '/etc/zkplan', {}, fp);
    const record = hostRecord('zk', 'h1', '/etc/zkplan', desired.filter((d) => d.host === 'h1'));
    const text = record.map((f) => f.content).join('\n');
    assert.match(text, /--volume \/etc\/zkplan\/zk\/secrets\/zk1:\/zkplan-secrets:ro/);
    const password = readFileSync(path.join(material.dir, 'quorum-sasl.password'), 'utf8').trim();
    const key = readFileSync(path.join(material.dir, 'zk1.key'), 'utf8').split('\n')[1]!;
    assert.ok(!text.includes(password) && !text.includes(key));
  });

  it('every target that cannot carry the secrets refuses, with the reason', () => {
    const { e } = secured();
    assert.throws(() => desiredServers(e, { kind: 'host' }), /reach the servers only through zkplan apply on the host target .* not through a rendered file/);
    assert.throws(() => desiredServers(e, { kind: 'local' }), /not through up --local/);
    // a Swarm stack carries them as Docker secrets (test/unit/swarm-secrets.test.ts)
    for (const target of ['run-scripts', 'aliyun'] as const) assert.throws(() => renderTarget(target, e, { set: {} } as never, loadTemplates()), /has a security block: .* target [\w-]+ cannot carry them \(.*\); a secured ensemble renders for compose-bridge, compose-links, compose-static-ip .* and swarm \(external Docker secrets\)/);
  });

  it('privateSecrets: argv with the values as positional parameters', () => {
    assert.deepEqual(privateSecrets('/s/zk/secrets', ['/s/zk/secrets/zk1'], 1000), [
      'sh', '-c', 'u=$1; r=$2; shift 2; chmod 700 -- "$r" "$@" || exit; [ -z "$u" ] || chown -R -- "$u" "$@"', 'zkplan-secrets', '1000', '/s/zk/secrets', '/s/zk/secrets/zk1',
    ]);
    assert.deepEqual(privateSecrets('/r', ['/r/a'])[4], '');
  });
});

describe('tlsDial', () => {
  it('speaks TLS with the client certificate, checks the server against the CA and its address; another CA is refused', async () => {
    const { file, spec, e } = secured();
    const material = await ensureMaterial(spec, e, e.security!, file);
    const serverPem = material.servers.get('zk1')!.files[0]!.content.toString();
    const server = createServer({ key: serverPem, cert: serverPem.slice(serverPem.indexOf('-----BEGIN CERTIFICATE')), ca: material.client!.ca, requestCert: true, rejectUnauthorized: true }, (s) => {
      s.on('data', (d) => s.end(`${d.toString()} from ${s.getPeerCertificate().subject.CN}`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const stream = await tlsDial(directDial, material.client!)('127.0.0.1', port);
      stream.write('srvr');
      const answer = await new Promise<string>((r) => {
        let text = '';
        stream.on('data', (d: Buffer) => (text += d.toString()));
        stream.on('end', () => r(text));
      });
      assert.equal(answer, 'srvr from zkplan');
      // reached (like through an SSH tunnel: the stream goes to loopback) as an address its certificate does not name
      const tunnel = (_address: string, p: number) => directDial('127.0.0.1', p);
      await assert.rejects(tlsDial(tunnel, material.client!)('10.9.0.2', port), /TLS: .*IP: 10\.9\.0\.2 is not in the cert's list/);
      // a client whose material comes from another CA: each side refuses the other
      const elsewhere = mkdtempSync(path.join(dir, 'other-'));
      const other = secured(undefined, elsewhere);
      const foreign = await ensureMaterial(other.spec, other.e, other.e.security!, other.file);
      await assert.rejects(tlsDial(directDial, foreign.client!)('127.0.0.1', port), /TLS: /);
    } finally {
      server.close();
    }
  });
});

