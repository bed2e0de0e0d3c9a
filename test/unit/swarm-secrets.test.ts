// A secured ensemble under Swarm: the Docker secrets its services mount (names with the digest
// of their content under apply, without under render; mode 0400 for the image's ZooKeeper user,
// at the host target's paths), the rendered stack naming them as external secrets and no secret
// value, the stack apply deploys, and the exact Engine API requests that make and remove them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import YAML from 'yaml';
import { secretsWanted, specSecretsOf } from '../../src/drivers/swarm/secrets.js';
import { desiredStack } from '../../src/drivers/swarm/stack.js';
import { loadInventory } from '../../src/inventory/load.js';
import { planInventory } from '../../src/plan/plan.js';
import { renderTarget } from '../../src/render/index.js';
import { loadTemplates } from '../../src/render/templates.js';
import { createSecretRequest, listSecretsRequest, removeSecretRequest } from '../../src/remote/commands/engine.js';
import { desiredServers } from '../../src/rollout/server-specs.js';
import { secretFilesOf, swarmSecretName } from '../../src/rollout/swarm-secrets.js';
import { ensureMaterial } from '../../src/security/material.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zkplan-swarm-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const templates = loadTemplates();

function secured(security = '{ quorum_tls: true, client_tls: only, quorum_sasl: true }') {
  const file = path.join(dir, 'inv.yml');
  writeFileSync(
    file,
    `swarm: { manager: h1 }\nhosts:\n  - { name: h1, address: 10.9.0.1 }\n  - { name: h2, address: 10.9.0.2 }\n  - { name: h3, address: 10.9.0.3 }\nensembles:\n  - name: zk\n    servers: 3\n    image: zookeeper:3.8.0\n    security: ${security}\n`,
  );
  const inv = loadInventory(readFileSync(file, 'utf8'), file);
  return { file, spec: inv.ensembles[0]!, e: planInventory(inv).ensembles[0]! };
}

describe('Swarm secrets of a secured ensemble', () => {
  it('names: ensemble, server (for its own key), file, digest; shared files once per ensemble; too long is refused', () => {
    assert.equal(swarmSecretName('zk', 'zk1', 'server.pem', 'abc'), 'zk_zk1_server.pem_abc');
    assert.equal(swarmSecretName('zk', 'zk1', 'ca.pem', 'abc'), 'zk_ca.pem_abc');
    assert.equal(swarmSecretName('zk', 'zk2', 'jaas.conf'), 'zk_jaas.conf');
    assert.throws(() => swarmSecretName('z'.repeat(50), 'zk1', 'server.pem', 'abcdef012345'), /longer than 64 characters/);
    assert.deepEqual(secretFilesOf({ quorumTls: false, clientTls: 'off', quorumSasl: true, clientSasl: false }), ['jaas.conf']);
    assert.deepEqual(secretFilesOf({ quorumTls: true, clientTls: 'off', quorumSasl: false, clientSasl: false }), ['server.pem', 'ca.pem']);
  });

  it('a service mounts its own key, the CA and the JAAS file at the host target\'s paths, 0400 for uid 1000; its phase a label', () => {
    const { e } = secured();
    const [d] = desiredServers(e, { kind: 'swarm' });
    assert.deepEqual(d!.spec.secrets, [
      { name: 'zk_zk1_server.pem', target: '/zkplan-secrets/server.pem', uid: '1000', gid: '1000', mode: 0o400 },
      { name: 'zk_ca.pem', target: '/zkplan-secrets/ca.pem', uid: '1000', gid: '1000', mode: 0o400 },
      { name: 'zk_jaas.conf', target: '/zkplan-secrets/jaas.conf', uid: '1000', gid: '1000', mode: 0o400 },
    ]);
    assert.equal(d!.spec.labels['io.zkplan.security-phase'], 'secured:quorum_tls,client_tls=only,quorum_sasl');
    assert.equal(d!.spec.labels['io.zkplan.security'], undefined, 'a render knows no fingerprint');
  });

  it('apply: names carry the content digest, the fingerprint is a label; new material, new names and a new config hash', async () => {
    const { file, spec, e } = secured();
    const material = await ensureMaterial(spec, e, e.security!, file);
    const known = specSecretsOf(material);
    const [d] = desiredServers(e, { kind: 'swarm', swarmSecrets: known });
    const ca = material.servers.get('zk1')!.files.find((f) => f.name === 'ca.pem')!;
    assert.match(ca.digest, /^[0-9a-f]{12}$/);
    assert.equal(d!.spec.secrets![1]!.name, `zk_ca.pem_${ca.digest}`);
    assert.equal(d!.spec.labels['io.zkplan.security'], material.servers.get('zk1')!.fingerprint);
    const [renewed] = desiredServers(e, { kind: 'swarm', swarmSecrets: { ...known, digestOf: (s, f) => (f === 'server.pem' ? 'renewed' : known.digestOf(s, f)) } });
    assert.equal(renewed!.spec.secrets![0]!.name, 'zk_zk1_server.pem_renewed');
    assert.notEqual(renewed!.configHash, d!.configHash, 'new material rolls the service');

    // each secret once, holding the file it is mounted as
    const wanted = secretsWanted(desiredServers(e, { kind: 'swarm', swarmSecrets: known }), material);
    assert.deepEqual(wanted.map((w) => w.name).sort(), [`zk_ca.pem_${ca.digest}`, ...['zk1', 'zk2', 'zk3'].map((s) => `zk_${s}_server.pem_${known.digestOf(s, 'server.pem')}`), `zk_jaas.conf_${known.digestOf('zk1', 'jaas.conf')}`].sort());
    assert.deepEqual(wanted.find((w) => w.name.startsWith('zk_ca.pem'))!.content, ca.content);

    // the deployed stack references exactly those, as external secrets
    const stack = YAML.parse(desiredStack(e, templates, known).content) as { services: Record<string, { secrets: { source: string; mode: number }[] }>; secrets: Record<string, { external: boolean; name: string }> };
    assert.deepEqual(Object.keys(stack.secrets).sort(), wanted.map((w) => w.name).sort());
    for (const [key, s] of Object.entries(stack.secrets)) assert.deepEqual(s, { external: true, name: key });
    assert.deepEqual(stack.services.zk2!.secrets.map((s) => s.source), [`zk_zk2_server.pem_${known.digestOf('zk2', 'server.pem')}`, `zk_ca.pem_${ca.digest}`, `zk_jaas.conf_${known.digestOf('zk2', 'jaas.conf')}`]);
    assert.equal(stack.services.zk2!.secrets[0]!.mode, 256);
  });

  it('render --target swarm: external secrets, how to create them in the header, and no secret value', async () => {
    const { file, spec, e } = secured();
    const material = await ensureMaterial(spec, e, e.security!, file);
    const [stackFile] = renderTarget('swarm', e, { set: {}, resolve: false }, templates);
    const text = stackFile!.content;
    assert.match(text, /^# Create each on a manager before deploying, reading the value from stdin \(never from a command line\): docker secret create <name> - < <file>$/m);
    assert.match(text, /^# {3}zk_zk1_server\.pem: zk1's PEM private key and certificate$/m);
    const doc = YAML.parse(text) as { secrets: Record<string, unknown>; services: Record<string, { secrets: unknown[] }> };
    assert.deepEqual(doc.secrets['zk_jaas.conf'], { external: true, name: 'zk_jaas.conf' });
    assert.equal(doc.services.zk3!.secrets.length, 3);
    const values = [readFileSync(path.join(material.dir, 'quorum-sasl.password'), 'utf8').trim(), ...material.servers.get('zk1')!.files.map((f) => f.content.toString('utf8').split('\n')[1]!)];
    for (const v of values) assert.ok(v.length > 20 && !text.includes(v));
  });

  it('Engine API requests: list by label, create with the value in the body only, remove by id', () => {
    assert.deepEqual(listSecretsRequest('io.zkplan.ensemble', 'zk'), { method: 'GET', path: '/secrets?filters=%7B%22label%22%3A%5B%22io.zkplan.ensemble%3Dzk%22%5D%7D' });
    assert.deepEqual(createSecretRequest('zk_ca.pem_abc', { 'io.zkplan.ensemble': 'zk' }, Buffer.from('s3cret')), {
      method: 'POST',
      path: '/secrets/create',
      body: { Name: 'zk_ca.pem_abc', Labels: { 'io.zkplan.ensemble': 'zk' }, Data: 'czNjcmV0' },
    });
    assert.deepEqual(removeSecretRequest('id/1'), { method: 'DELETE', path: '/secrets/id%2F1' });
  });
});
