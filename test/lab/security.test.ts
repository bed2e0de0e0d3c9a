// A secured ensemble made by `zkplan apply` (the built CLI) on 3 lab hosts: quorum TLS, client
// TLS only and quorum SASL (DIGEST-MD5), with the key material zkplan makes. Proven from outside:
// `openssl s_client` completes a TLS handshake with every election port and the leader's quorum
// port, checking the server certificate against zkplan's CA and the host's address; a plain-text
// client reads nothing; a client whose certificate comes from another CA is refused; a client
// with zkplan's certificate writes and reads a znode; zkplan's own verify passed. No secret value
// (SASL password, private keys, the fingerprint key) is found in `docker inspect`, `ps` on the
// hosts, zkplan's output, the pushed records, or what `render` would write (it refuses).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadInventory } from '../../src/inventory/load.js';
import { planInventory } from '../../src/plan/plan.js';
import { ensureMaterial, type ClientMaterial } from '../../src/security/material.js';
import { directDial } from '../../src/verify/dial.js';
import { tlsDial } from '../../src/verify/tls-dial.js';
import { openSession } from '../../src/verify/zk-session.js';
import { ensureBuilt, fourLetterWord, type Lab, labUp, run, zkplanCli, type ExecResult, opensslHandshake, wordOver } from './lab.js';

const ENSEMBLE = 'zksec';
const SECURITY = { quorum_tls: true, client_tls: 'only', quorum_sasl: true };

function explain(r: ExecResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

describe('a secured ensemble on 3 lab hosts (quorum TLS, client TLS only, quorum SASL; zkplan apply)', { timeout: 600_000 }, () => {
  let lab: Lab;
  let dir: string;
  let inventory: string;
  let applied: ExecResult;
  let tlsDir: string;
  let client: ClientMaterial;
  const container = (id: number) => `${ENSEMBLE}${id}`;
  const stateDirs = () => lab.hosts.map((h) => path.join(lab.info.stateDir, h.name, 'zkplan'));

  const cleanUp = () => lab.removeEnsemble(ENSEMBLE);

  before(async () => {
    lab = await labUp(3);
    await ensureBuilt();
    await cleanUp();
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-security-'));
    inventory = path.join(dir, 'inventory.yml');
    await lab.writeInventory(inventory, { profile: 'official', ensembleName: ENSEMBLE, extra: { heap: '200m', security: SECURITY } });
    applied = await zkplanCli(['apply', inventory], { timeoutMs: 400_000 });
    tlsDir = path.join(dir, '.zkplan', ENSEMBLE, 'tls');
    client = { key: readFileSync(path.join(tlsDir, 'zkplan-client.key')), cert: readFileSync(path.join(tlsDir, 'zkplan-client.pem')), ca: readFileSync(path.join(tlsDir, 'ca.pem')) };
  });

  after(async () => {
    if (!lab) return;
    await cleanUp();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('zkplan apply makes the key material and proves the ensemble (one leader, followers synced, znode read back over TLS)', () => {
    assert.equal(applied.code, 0, explain(applied));
    assert.match(applied.stderr, new RegExp(`key material in ${tlsDir.replace(/[.]/g, '\\.')}: made .*CA in .*certificate ${ENSEMBLE}1 \\(new\\)`));
    assert.match(applied.stdout, /verified; apply took/);
    assert.equal(statSync(tlsDir).mode & 0o777, 0o700);
    for (const f of readdirSync(tlsDir)) assert.equal(statSync(path.join(tlsDir, f)).mode & 0o777, 0o600, f);
  });

  it('the servers run TLS-only quorum sockets with SASL, and a TLS-only client port', async () => {
    for (let i = 1; i <= 3; i++) {
      const logs = await lab.docker(i, ['logs', container(i)]);
      const text = logs.stdout + logs.stderr;
      assert.match(text, /Using TLS encrypted quorum communication/);
      assert.match(text, /Creating TLS-only quorum server socket/);
      assert.match(text, /quorum\.auth\.serverRequireSasl set to true/);
      assert.match(text, /\(plain=disabled\)\(secure=/);
    }
  });

  it('openssl s_client completes a TLS handshake with every election port and the leader\'s quorum port, verified with zkplan\'s CA', async () => {
    let leader: string | undefined;
    for (const h of lab.hosts) {
      const mode = /Mode: (\w+)/.exec(await wordOver(tlsDial(directDial, client), h.address, 2181, 'srvr'))?.[1];
      if (mode === 'leader') leader = h.address;
    }
    assert.ok(leader, 'a leader answers srvr over TLS');
    const endpoints = [...lab.hosts.map((h) => [h.address, 3888] as const), [leader, 2888] as const];
    for (const [address, port] of endpoints) {
      const out = await opensslHandshake(tlsDir, address, port);
      assert.match(out, /Verify return code: 0 \(ok\)/, `${address}:${port}\n${out}`);
      assert.match(out, /subject=CN = zksec\d/, `${address}:${port}`);
    }
  });

  it('a plain-text client reads nothing; a client certificate from another CA is refused; zkplan\'s certificate reads and writes', async () => {
    const h = lab.hosts[0]!.address;
    assert.equal(await fourLetterWord(h, 'srvr', 2181, 3000), '', 'no plain-text answer');
    await assert.rejects(openSession(directDial, h, 2181, 5000), /no ZooKeeper session/);

    // another CA's material, trusted server side by nobody
    const otherDir = await mkdtemp(path.join(dir, 'other-'));
    const otherInv = path.join(otherDir, 'inventory.yml');
    await lab.writeInventory(otherInv, { profile: 'official', ensembleName: ENSEMBLE, extra: { security: SECURITY } });
    const inv = loadInventory(readFileSync(otherInv, 'utf8'), otherInv);
    const e = planInventory(inv).ensembles[0]!;
    const foreign = (await ensureMaterial(inv.ensembles[0]!, e, e.security!, otherInv)).client!;
    // it trusts the right CA, so only the server's refusal of its certificate can stop it
    const stranger = tlsDial(directDial, { ...foreign, ca: client.ca });
    const answer = await wordOver(stranger, h, 2181, 'srvr').catch((err: Error) => `refused: ${err.message}`);
    assert.doesNotMatch(answer, /Zookeeper version/);
    await assert.rejects(openSession(stranger, h, 2181, 5000));

    const session = await openSession(tlsDial(directDial, client), h, 2181, 15_000);
    try {
      await session.mkdirp('/security-test');
      await session.create('/security-test/a', Buffer.from('over TLS'));
      assert.equal((await session.getData('/security-test/a')).toString(), 'over TLS');
    } finally {
      await session.close();
    }
  });

  it('no secret value in docker inspect, ps on the hosts, zkplan\'s output, the pushed records; render refuses', async () => {
    const keyLines = ['ca.key', `${ENSEMBLE}1.key`, `${ENSEMBLE}2.key`, `${ENSEMBLE}3.key`, 'zkplan-client.key'].map((f) => readFileSync(path.join(tlsDir, f), 'utf8').split('\n')[1]!);
    const secrets = [readFileSync(path.join(tlsDir, 'quorum-sasl.password'), 'utf8').trim(), readFileSync(path.join(tlsDir, 'fingerprint.key'), 'utf8').trim(), ...keyLines];
    assert.ok(secrets.every((s) => s.length >= 20));
    const places: [string, string][] = [['zkplan apply output', applied.stdout + applied.stderr]];
    for (let i = 1; i <= 3; i++) {
      places.push([`docker inspect on h${i}`, (await lab.docker(i, ['inspect', container(i)])).stdout]);
      places.push([`ps on h${i}`, (await lab.ssh(i, 'ps -ef ww 2>/dev/null || ps -ef')).stdout]);
      const record = path.join(stateDirs()[i - 1]!, ENSEMBLE);
      for (const f of readdirSync(record).filter((f) => f !== 'secrets')) places.push([`${record}/${f}`, readFileSync(path.join(record, f), 'utf8')]);
      // the secrets themselves: root-only on the host
      assert.equal(statSync(path.join(record, 'secrets')).mode & 0o777, 0o700);
    }
    const render = await zkplanCli(['render', inventory, '--target', 'aliyun', '--output', path.join(dir, 'render/')]);
    assert.notEqual(render.code, 0);
    assert.match(render.stderr, /has a security block/);
    places.push(['zkplan render output', render.stdout + render.stderr]);
    const status = await zkplanCli(['status', inventory]);
    assert.equal(status.code, 0, explain(status));
    places.push(['zkplan status output', status.stdout + status.stderr]);
    for (const [where, text] of places) for (const s of secrets) assert.ok(!text.includes(s), `a secret found in ${where}`);
  });

  it('renewal: new server certificates (same CA and keys) are rolled out one server at a time, the ensemble verified after each', async () => {
    const pem = (i: number) => path.join(tlsDir, `${ENSEMBLE}${i}.pem`);
    const before = [1, 2, 3].map((i) => readFileSync(pem(i), 'utf8'));
    const keys = [1, 2, 3].map((i) => readFileSync(path.join(tlsDir, `${ENSEMBLE}${i}.key`), 'utf8'));
    for (let i = 1; i <= 3; i++) await rm(pem(i));
    const r = await zkplanCli(['apply', inventory, '--timeout', '600'], { timeoutMs: 700_000 });
    assert.equal(r.code, 0, explain(r));
    for (let i = 1; i <= 3; i++) {
      assert.match(r.stderr, new RegExp(`certificate ${ENSEMBLE}${i} \\(new\\)`));
      assert.match(r.stderr, new RegExp(`ensemble whole again after replacing ${ENSEMBLE}${i}`));
      assert.notEqual(readFileSync(pem(i), 'utf8'), before[i - 1]);
      assert.equal(readFileSync(path.join(tlsDir, `${ENSEMBLE}${i}.key`), 'utf8'), keys[i - 1], 'the key is kept');
    }
    assert.match(r.stdout, /0 to create, 3 to change, 0 unchanged/);
    assert.match(r.stdout, /verified; apply took/);
    const renewed = new X509Certificate(readFileSync(pem(1)));
    const served = await run(['openssl', 's_client', '-connect', `${lab.hosts[0]!.address}:3888`, '-CAfile', path.join(tlsDir, 'ca.pem')], { input: '', allowFail: true, timeoutMs: 20_000 });
    const presented = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(served.stdout)?.[0];
    assert.ok(presented, served.stdout + served.stderr);
    assert.equal(new X509Certificate(presented).serialNumber, renewed.serialNumber, 'the server presents the renewed certificate');
  });
});
